/// Without `insert_id`, a retried request can be counted twice.
public struct MissingInsertIDRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.missingInsertID, severity: .info, scope: .event,
                               summary: "An event has no insert_id, so retries cannot be deduplicated.") }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, e.kind == .event else { return }
        let what: String
        if let i = e.value(.insertID) {
            guard e.doc.kind(i) == .string, e.doc.stringSourceLength(i) == 0 else { return }
            what = "insert_id is empty, which deduplicates nothing"
        } else {
            what = e.has(.insertID) ? "insert_id is null, which Amplitude reads as no insert_id" : "no insert_id"
        }
        out.add(info, e.path(.insertID), event: e.index,
                "\(what): if this request is retried after a timeout, Amplitude may count the event twice (the SDKs set a UUID)")
    }
}
