/// Every call needs a `userId` or an `anonymousId`; without both Segment discards it (`no_user_anon_id`).
public struct SegmentMissingIDRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.segmentMissingID, severity: .error, scope: .event,
                               summary: "A Segment call has neither `userId` nor `anonymousId`: Segment discards it (no_user_anon_id) and still answers 200.") }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        SegmentCalls.forEach(r) { c in
            guard c.isObject, c.id("userId") == nil, c.id("anonymousId") == nil else { return }
            var hint = ""
            for alt in ["user_id", "anonymous_id", "userID", "anonymousID", "deviceId", "device_id"] where c.member(alt) != nil {
                hint = "; it has '\(alt)', but Segment reads only 'userId' and 'anonymousId'"
                break
            }
            out.add(info, JSONPointer.join(c.pointer, "userId"), event: c.index,
                    "call \(c.index) has neither userId nor anonymousId\(hint): Segment discards it (no_user_anon_id). \(SegmentCalls.silent)")
        }
    }
}
