/// Each call must be at most 32 KB; in a batch a larger call is dropped on its own, silently.
public struct SegmentCallTooLargeRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.segmentCallTooLarge, severity: .error, scope: .event,
                               summary: "A call in a Segment batch is over 32 KB: Segment drops it and still answers 200.") }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        // A single-call request over the limit is refused whole (segment-request-too-large).
        guard r.endpoint == .segment, r.segment?.isBatch == true else { return }
        SegmentCalls.forEach(r) { c in
            let size = c.doc.byteRange(c.node).count
            guard size > SegmentLimits.maxCallBytes else { return }
            out.add(info, c.pointer, event: c.index, "call \(c.index) is \(size) bytes, over Segment's \(ByteCount.format(SegmentLimits.maxCallBytes)) limit per call: it is dropped. \(SegmentCalls.silent) (analytics-python drops such messages before sending)")
        }
    }
}
