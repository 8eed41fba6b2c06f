/// Every record in the list must be a JSON object.
public struct EventNotObjectRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.notAnObject, severity: .error, scope: .event,
                               summary: "An entry of the events (identification, mapping) list is not an object.",
                               effect: .invalidRequest("Invalid event JSON")) }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard !e.isObject else { return }
        out.add(info, e.pointer, event: e.index, "entry \(e.index) is \(e.doc.kind(e.node)), not an object")
    }
}
