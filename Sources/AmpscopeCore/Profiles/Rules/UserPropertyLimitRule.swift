/// A project indexes at most 1 000 user properties; past that, new ones are in exports only
/// (`profiles-and-plans.md` §A1 "Limits that affect profiles").
public struct UserPropertyLimitRule: ProfileRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.userPropertyLimit, severity: .warning, scope: .profile,
                               summary: "A new user property past the project's 1 000: Amplitude stores it but does not index it for charts.") }
    public init() {}

    public func check(_ e: ProfileEventFacts, _ out: inout FindingSink) {
        guard let first = e.unindexed.first else { return }
        let name = e.changes[first].property
        let more = e.unindexed.count > 1 ? " (and \(e.unindexed.count - 1) more new properties in this event)" : ""
        out.add(info, e.path(of: first), event: e.recordIndex,
                "'\(Sanitize.inline(name, limit: 40))' is user property number \(e.projectUserProperties - e.unindexed.count + 1) of this input, past Amplitude's \(e.options.projectUserPropertyLimit) per project: it is kept for export but not indexed\(more); are values being used as property names?")
    }
}
