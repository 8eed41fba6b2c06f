/// Without `insert_id`, a retried request can be counted twice.
public struct MissingInsertIDRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.missingInsertID, severity: .info, scope: .event,
                               summary: "An event has no insert_id, so retries cannot be deduplicated.") }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, e.kind == .event, e[.insertID] == nil else { return }
        out.add(info, e.path(.insertID), event: e.index,
                "no insert_id: if this request is retried after a timeout, Amplitude may count the event twice (the SDKs set a UUID)")
    }
}
