import Foundation
import Testing
@testable import AmpscopeCore

/// Bad and good cases of the Segment rules and the V1 deprecation warning, for the rule catalogue.
extension RuleCases {
    static func seg(_ calls: [String], writeKey: String? = SegTest.writeKey, extra: String? = nil) -> Capture {
        SegTest.capture(SegTest.batch(calls, writeKey: writeKey, extra: extra))
    }

    static let segmentCases: [RuleCase] = [
        bad(RuleID.httpV1Deprecated, "a V1 request", E.form([("api_key", E.apiKey), ("event", ev())], path: "/httpapi"), "", nil, .warning),
        good(RuleID.httpV1Deprecated, "an HTTP V2 request", one()),
        bad(RuleID.segmentMissingWriteKey, "no writeKey and no Basic auth", seg([SegTest.call("track")], writeKey: nil), "/writeKey", nil, .error),
        good(RuleID.segmentMissingWriteKey, "writeKey in the body", seg([SegTest.call("track")])),
        bad(RuleID.segmentBatchMissing, "batch path with one call", SegTest.capture(SegTest.call("track", ["writeKey": "\"k\""])), "/batch", nil, .error),
        good(RuleID.segmentBatchMissing, "a batch", seg([SegTest.call("track")])),
        bad(RuleID.segmentRequestTooLarge, "a 40 KB single call", SegTest.capture(SegTest.call("track", ["writeKey": "\"k\"", "properties": "{\"x\":\"\(String(repeating: "x", count: 40_000))\"}"]), path: "/v1/track"), "", nil, .error),
        good(RuleID.segmentRequestTooLarge, "a 40 KB batch", seg([SegTest.call("track", ["properties": "{\"x\":\"\(String(repeating: "x", count: 20_000))\"}"]),
                                                             SegTest.call("track", ["properties": "{\"x\":\"\(String(repeating: "x", count: 20_000))\"}"])])),
        bad(RuleID.segmentTooManyCalls, "2,501 calls", seg((0..<2_501).map { "{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u-\($0)\"}" }), "/batch", nil, .error),
        good(RuleID.segmentTooManyCalls, "2,500 calls", seg((0..<2_500).map { "{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u-\($0)\"}" })),
        bad(RuleID.segmentCallTooLarge, "a 40 KB call in a batch", seg([SegTest.call("track"), SegTest.call("track", ["properties": "{\"x\":\"\(String(repeating: "x", count: 40_000))\"}"])]), "/batch/1", 1, .error),
        good(RuleID.segmentCallTooLarge, "a 20 KB call", seg([SegTest.call("track", ["properties": "{\"x\":\"\(String(repeating: "x", count: 20_000))\"}"])])),
        bad(RuleID.segmentUnknownType, "type 'Track'", seg([SegTest.call("Track")]), "/batch/0/type", 0, .error),
        bad(RuleID.segmentUnknownType, "type disagrees with the path", SegTest.capture(SegTest.call("page", ["writeKey": "\"k\""]), path: "/v1/track"), "/type", 0, .warning),
        good(RuleID.segmentUnknownType, "every type", seg(["track", "identify", "page", "screen", "group", "alias"].map { SegTest.call($0) })),
        good(RuleID.segmentUnknownType, "no type on a single-call path", SegTest.capture(SegTest.call("track", ["writeKey": "\"k\""], drop: ["type"]), path: "/v1/t")),
        bad(RuleID.segmentMissingID, "neither id", seg([SegTest.call("identify", drop: ["userId", "anonymousId"])]), "/batch/0/userId", 0, .error),
        good(RuleID.segmentMissingID, "anonymousId only", seg([SegTest.call("track", drop: ["userId"])])),
        good(RuleID.segmentMissingID, "a numeric userId", seg([SegTest.call("track", ["userId": "42"], drop: ["anonymousId"])])),
        bad(RuleID.segmentMissingField, "track without event", seg([SegTest.call("track", drop: ["event"])]), "/batch/0/event", 0, .error),
        good(RuleID.segmentMissingField, "track, group and alias with their fields", seg([SegTest.call("track"), SegTest.call("group"), SegTest.call("alias")])),
        bad(RuleID.segmentMessageID, "a repeated messageId", seg([SegTest.call("track", ["messageId": "\"m\""]), SegTest.call("track", ["messageId": "\"m\""])]), "/batch/1/messageId", 1, .error),
        good(RuleID.segmentMessageID, "unique messageIds", seg([SegTest.call("track"), SegTest.call("track")])),
        bad(RuleID.segmentNotObject, "context a string", seg([SegTest.call("track", ["context": "\"web\""])]), "/batch/0/context", 0, .warning),
        good(RuleID.segmentNotObject, "objects and null", seg([SegTest.call("identify", ["traits": "{}", "context": "null"])])),
        bad(RuleID.segmentBadTimestamp, "the batch's sentAt", seg([SegTest.call("track")], extra: "\"sentAt\":\"yesterday\""), "/sentAt", nil, .warning),
        good(RuleID.segmentBadTimestamp, "ISO-8601 with an offset", seg([SegTest.call("track", ["timestamp": "\"2026-12-05T22:00:00+01:00\""])])),
    ]
}
