/// `session_id` is the session's start time in epoch milliseconds, or -1 for "no session".
public struct SessionIDNotMsRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.sessionIDNotMs, severity: .error, scope: .event,
                               summary: "`session_id` is not an integer start time in milliseconds (or -1).",
                               effect: .eventInvalidField) }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, let i = e[.sessionID] else { return }
        if var m = TimeCheck.problem(e.doc, i, name: "session_id", allowMinusOne: true) {
            if e.doc.int64(i) != nil { m.message += " (session_id is the session's start time in ms, or -1 for no session)" }
            out.add(info, e.path(.sessionID), event: e.index, severity: m.severity, m.message)
        }
    }
}
