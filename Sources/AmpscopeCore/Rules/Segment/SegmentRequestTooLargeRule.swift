/// Segment answers 400 to a request over its size limit: 500 KB for a batch, 32 KB for one call.
public struct SegmentRequestTooLargeRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.segmentRequestTooLarge, severity: .error, scope: .request,
                               summary: "A Segment request is over 500 KB (a batch) or 32 KB (a single call); Segment answers 400.",
                               effect: .invalidRequest("request too large")) }
    public init() {}

    public static func limit(isBatch: Bool) -> Int { isBatch ? SegmentLimits.maxBatchBytes : SegmentLimits.maxCallBytes }

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard r.endpoint == .segment else { return }
        let batch = r.segment?.isBatch ?? false
        let limit = Self.limit(isBatch: batch)
        guard r.body.count > limit else { return }
        let what = batch ? "batch" : "single call"
        out.add(info, "", "the \(what) body is \(r.body.count) bytes, over Segment's \(ByteCount.format(limit)) limit for a \(what); Segment answers 400 and nothing in it is tracked\(batch ? " (analytics-python cuts batches at 475,000 bytes)" : "")")
    }
}
