/// `messageId` is Segment's dedupe key: a string under 100 characters, unique. A repeated one is
/// dropped as a duplicate with a 200.
public struct SegmentMessageIDRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.segmentMessageID, severity: .error, scope: .event,
                               summary: "A Segment `messageId` is repeated in the request (the repeat is dropped as a duplicate), 100 characters or longer, or not a string.") }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        var first: [String: Int] = [:]
        SegmentCalls.forEach(r) { c in
            guard let m = c.member("messageId") else { return }
            let path = JSONPointer.join(c.pointer, "messageId")
            guard let id = c.doc.stringValue(m) else {
                out.add(info, path, event: c.index, severity: .warning, "'messageId' is \(c.doc.kind(m)), not a string; Segment dedupes on it, so send a unique string (UNCONFIRMED what Segment does with it)")
                return
            }
            let length = id.count
            if length >= SegmentLimits.maxMessageIDLength {
                out.add(info, path, event: c.index, severity: .warning, "'messageId' is \(length) characters; Segment wants it under \(SegmentLimits.maxMessageIDLength) (what it does with a longer one is UNCONFIRMED)")
            }
            if let earlier = first[id] {
                out.add(info, path, event: c.index, "call \(c.index) repeats the messageId of call \(earlier) ('\(Sanitize.inline(id, limit: 40))'): Segment drops it as a duplicate. \(SegmentCalls.silent)")
            } else {
                first[id] = c.index
            }
        }
    }
}
