extension RuleID {
    // Amplitude HTTP API V1
    public static let httpV1Deprecated = "deprecated-http-api"
    // Segment Tracking API: what Segment drops or mangles silently (it still answers 200).
    public static let segmentMissingWriteKey = "segment-missing-write-key"
    public static let segmentBatchMissing = "segment-batch-missing"
    public static let segmentRequestTooLarge = "segment-request-too-large"
    public static let segmentTooManyCalls = "segment-too-many-calls"
    public static let segmentCallTooLarge = "segment-call-too-large"
    public static let segmentUnknownType = "segment-unknown-type"
    public static let segmentMissingID = "segment-missing-id"
    public static let segmentMissingField = "segment-missing-field"
    public static let segmentMessageID = "segment-message-id"
    public static let segmentNotObject = "segment-not-object"
    public static let segmentBadTimestamp = "segment-bad-timestamp"
}

/// Segment's limits (segment-wire.md §1 "Size limits and responses"). KB is read as 1024
/// bytes, measured on the body after gzip is undone (UNCONFIRMED, Docs/segment.md).
public enum SegmentLimits {
    public static let maxCallBytes = 32 * 1024
    public static let maxBatchBytes = 500 * 1024
    public static let maxCallsPerBatch = 2_500
    public static let maxMessageIDLength = 100
}

/// Iterates the calls of a decoded Segment request.
enum SegmentCalls {
    static func forEach(_ r: DecodedRequest, _ body: (SegmentCallView) -> Void) {
        guard r.endpoint == .segment, let doc = r.document else { return }
        for i in r.records.indices { body(SegmentCallView(request: r, doc: doc, index: i)) }
    }

    /// The same sentence ends every silent-drop message, so users learn to look for it.
    static let silent = "Segment still answers 200, so the sender never learns"
}
