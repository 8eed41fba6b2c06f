/// Amplitude ignores an event whose `insert_id` (per `device_id`) it ingested in the last 7 days.
/// A resend after a rejected request is a retry and is not reported; a resend after an
/// accepted one, or two events with one insert_id in one request, is.
public struct DuplicateInsertIDRule: RecordRule {
    public let info = RuleInfo(id: RuleID.duplicateInsertID, severity: .warning, scope: .event,
                               summary: "The same insert_id (and device_id) was already ingested earlier in this input, or appears twice in one request.")
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, let ins = e.string(.insertID), !ins.isEmpty, let key = InsertKey.hash(e.doc, e.node) else { return }
        if let seq = context.firstIngestion(of: key) {
            out.add(info, e.path(.insertID), event: e.index,
                    "insert_id '\(Sanitize.inline(ins, limit: 40))' was already accepted in request #\(seq) of this input; Amplitude ignores this copy (dedup window: 7 days)")
            return
        }
        // Earlier in the same request?
        let doc = e.doc
        for (j, other) in r.records.enumerated() where j < e.index && doc.kind(other) == .object {
            if InsertKey.hash(doc, other) == key {
                out.add(info, e.path(.insertID), event: e.index,
                        "insert_id '\(Sanitize.inline(ins, limit: 40))' is also used by event \(j) of this request; Amplitude keeps only the first")
                return
            }
        }
    }
}
