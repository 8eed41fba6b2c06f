/// Segment's answers (segment-wire.md §1 "Size limits and responses"): 200 `{"success":true}`
/// for everything except invalid JSON and oversized requests, which get 400 with
/// `{"success":false,"message":…,"code":"invalid_request"}`. The error bodies come from
/// Segment's own test mocks; the messages other than "malformed JSON" are UNCONFIRMED
/// (Docs/answers.md).
extension AnswerEmulator {
    public static let segmentSuccessBody: [UInt8] = Array(#"{"success":true}"#.utf8)

    func segmentAnswer(for r: DecodedRequest, findings: [Finding]) -> EmulatedAnswer {
        for f in findings where f.severity == .error {
            switch f.rule {
            case RuleID.bodyNotJSON, RuleID.bodyEncoding, RuleID.formEncoding:
                return segmentError("malformed JSON")
            case RuleID.payloadTooLarge, RuleID.segmentRequestTooLarge:
                return segmentError("request too large")
            default:
                continue
            }
        }
        return EmulatedAnswer(status: 200, contentType: Self.jsonType, body: Self.segmentSuccessBody)
    }

    func segmentError(_ message: String) -> EmulatedAnswer {
        var w = JSONWriter()
        w.beginObject()
        w.field("success", false)
        w.field("message", message)
        w.field("code", "invalid_request")
        w.endObject()
        return EmulatedAnswer(status: 400, contentType: Self.jsonType, body: w.bytes)
    }
}
