/// A batch request (`/v1/batch`, `/v1/b`, `/v1/import`) carries its calls in a `batch` array.
public struct SegmentBatchMissingRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.segmentBatchMissing, severity: .error, scope: .request,
                               summary: "A Segment batch request has no `batch` array (or it is empty).") }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard r.endpoint == .segment, r.segment?.isBatch == true, let doc = r.document, doc.kind(doc.root) == .object else { return }
        guard let b = doc.member(doc.root, "batch") else {
            let looksSingle = doc.member(doc.root, "type") != nil || doc.member(doc.root, "event") != nil
            let hint = looksSingle ? "; the body looks like one call: post it to /v1/<type> or wrap it in {\"batch\":[…]}" : ""
            out.add(info, "/batch", "the batch request has no 'batch' array\(hint), so nothing in it is tracked. \(SegmentCalls.silent) (UNCONFIRMED answer)")
            return
        }
        if doc.kind(b) != .array {
            out.add(info, "/batch", "'batch' must be an array of calls, but it is \(doc.kind(b)); nothing in it is tracked. \(SegmentCalls.silent) (UNCONFIRMED answer)")
        } else if r.records.isEmpty {
            out.add(info, "/batch", severity: .warning, "'batch' is an empty array: the request carries no call")
        }
    }
}
