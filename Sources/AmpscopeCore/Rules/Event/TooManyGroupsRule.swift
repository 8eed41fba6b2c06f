/// Amplitude tracks up to 5 group types and 10 group values per event; the rest are dropped.
public struct TooManyGroupsRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.tooManyGroups, severity: .error, scope: .event,
                               summary: "More than 5 group types or 10 group values on one event (the extra ones are not tracked).") }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, let g = e[.groups], e.doc.kind(g) == .object else { return }
        var types = 0
        var values = 0
        for (_, v) in e.doc.members(g) {
            types += 1
            values += e.doc.kind(v) == .array ? e.doc.count(v) : 1
        }
        if types > 5 {
            out.add(info, e.path(.groups), event: e.index, "\(types) group types on one event; Amplitude tracks only the first 5")
        } else if values > 10 {
            out.add(info, e.path(.groups), event: e.index, "\(values) group values on one event; Amplitude tracks only 10 in total")
        }
    }
}
