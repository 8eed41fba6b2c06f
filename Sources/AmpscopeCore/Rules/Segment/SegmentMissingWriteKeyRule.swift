/// Segment needs a write key: `writeKey` in the body or HTTP Basic with the key as user.
public struct SegmentMissingWriteKeyRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.segmentMissingWriteKey, severity: .error, scope: .request,
                               summary: "A Segment request has no write key (neither `writeKey` in the body nor HTTP Basic auth).") }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard r.endpoint == .segment, let doc = r.document, doc.kind(doc.root) == .object,
              r.segment?.writeKeySource == SegmentRequestInfo.KeySource.none else { return }
        var hint = ""
        for alt in ["write_key", "writekey", "apiKey", "api_key"] where doc.member(doc.root, named: alt) != nil {
            hint = "; found '\(alt)', but Segment reads only 'writeKey'"
            break
        }
        out.add(info, "/writeKey", "no write key in the body ('writeKey') or in an 'Authorization: Basic' header\(hint): Segment cannot tell which source this is and drops it. \(SegmentCalls.silent) (UNCONFIRMED answer)")
    }
}
