/// At most 2,500 calls per batch; more still get 200, but the calls are rejected.
public struct SegmentTooManyCallsRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.segmentTooManyCalls, severity: .error, scope: .request,
                               summary: "A Segment batch has more than 2,500 calls: Segment answers 200 and rejects them.") }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard r.endpoint == .segment, r.records.count > SegmentLimits.maxCallsPerBatch else { return }
        out.add(info, "/batch", "\(r.records.count) calls in one batch; Segment takes at most \(SegmentLimits.maxCallsPerBatch) and rejects the calls of a larger batch. \(SegmentCalls.silent); split the batch")
    }
}
