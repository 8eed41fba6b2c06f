/// Amplitude ignores an event whose `insert_id` (per `device_id`) it ingested in the last 7 days.
/// A resend after a rejected request is a retry and is not reported; a resend after an
/// accepted one, or two events with one insert_id in one request, is.
///
/// The dedup key is hashed once per record (`RecordFacts.insertKey`), and the Validator notes
/// the first record of the request with each key, so this rule does no scanning of its own.
public struct DuplicateInsertIDRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.duplicateInsertID, severity: .warning, scope: .event,
                               summary: "The same insert_id (and device_id) was already ingested earlier in this input, or appears twice in one request.",
                               dependsOnHistory: true) }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard let key = e.insertKey, let ins = e[.insertID], e.doc.stringSourceLength(ins) > 0 else { return }
        if let seq = context.firstIngestion(of: key) {
            out.add(info, e.path(.insertID), event: e.index,
                    "insert_id '\(Sanitize.inline(e.doc.string(ins), limit: 40))' was already accepted in request #\(seq) of this input; Amplitude ignores this copy (dedup window: 7 days)")
            return
        }
        if let j = e.earlierRecordWithSameInsertKey {
            out.add(info, e.path(.insertID), event: e.index,
                    "insert_id '\(Sanitize.inline(e.doc.string(ins), limit: 40))' is also used by event \(j) of this request; Amplitude keeps only the first")
        }
    }
}
