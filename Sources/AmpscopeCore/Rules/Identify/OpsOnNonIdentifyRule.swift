/// Amplitude documents user-property operations for `$identify` events; on ordinary events
/// (Segment sends them there) whether they apply is not documented.
public struct OpsOnNonIdentifyRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.opsOnNonIdentify, severity: .warning, scope: .identify,
                               summary: "User-property operations on an event that is not $identify.") }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, e.kind == .event || e.kind == .legacyEvent,
              let up = e[.userProperties], e.doc.kind(up) == .object, IdentifyTargets.hasOperations(e.doc, up),
              !e.isIdentify, !e.isGroupIdentify else { return }
        out.add(info, e.path(.userProperties), event: e.index,
                "user_properties of '\(Sanitize.inline(e.eventType ?? "?", limit: 40))' use operations, which Amplitude documents only for $identify events; send an identify for them")
    }
}
