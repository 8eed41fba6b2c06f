/// Events need a non-empty `event_type` (identify endpoints imply theirs).
public struct MissingEventTypeRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.missingEventType, severity: .error, scope: .event,
                               summary: "An event has no `event_type`, or it is empty.", effect: .eventMissingField) }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, e.kind == .event || e.kind == .legacyEvent else { return }
        guard let t = e[.eventType] else {
            var hint = ""
            for k in e.unknownKeys {
                let name = e.doc.string(k)
                if ["eventType", "event", "type", "name", "event_name", "eventName"].contains(name) {
                    hint = "; it has '\(name)', but Amplitude reads only 'event_type'"
                    break
                }
            }
            out.add(info, e.path(.eventType), event: e.index, "event \(e.index) has no event_type\(hint)")
            return
        }
        if e.doc.kind(t) == .null {
            out.add(info, e.path(.eventType), event: e.index, "event \(e.index) has event_type null")
        } else if e.doc.kind(t) == .string && e.doc.isBlankString(t) {
            out.add(info, e.path(.eventType), event: e.index, "event \(e.index) has an empty event_type (the TypeScript SDK skips such events before sending)")
        }
    }
}
