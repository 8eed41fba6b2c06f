import Foundation
import Testing
@testable import AmpscopeCore

@Suite("Segment Tracking API: routing, decoding, rules, answers")
struct SegmentDecoderTests {
    struct PathCase: Sendable, CustomTestStringConvertible {
        var path: String
        var type: SegmentCallType?
        var batch: Bool
        var testDescription: String { path }
    }

    static let paths: [PathCase] = [
        PathCase(path: "/v1/track", type: .track, batch: false), PathCase(path: "/v1/identify", type: .identify, batch: false), PathCase(path: "/v1/page", type: .page, batch: false),
        PathCase(path: "/v1/screen", type: .screen, batch: false), PathCase(path: "/v1/group", type: .group, batch: false), PathCase(path: "/v1/alias", type: .alias, batch: false),
        PathCase(path: "/v1/batch", type: nil, batch: true), PathCase(path: "/v1/import", type: nil, batch: true), PathCase(path: "/v1/t", type: .track, batch: false), PathCase(path: "/v1/i", type: .identify, batch: false),
        PathCase(path: "/v1/p", type: .page, batch: false), PathCase(path: "/v1/s", type: .screen, batch: false), PathCase(path: "/v1/g", type: .group, batch: false), PathCase(path: "/v1/a", type: .alias, batch: false),
        PathCase(path: "/v1/b", type: nil, batch: true), PathCase(path: "/eu/v1/batch", type: nil, batch: true), PathCase(path: "/v1/batch/", type: nil, batch: true),
    ]

    @Test("every Segment path routes to the Segment decoder, before Amplitude's /batch and /identify", arguments: paths)
    func routing(_ c: PathCase) {
        let (path, type, batch) = (c.path, c.type, c.batch)
        let (e, prefix) = Endpoint.route(path: path)
        #expect(e == .segment)
        #expect(prefix == (path.hasPrefix("/eu") ? "/eu" : ""))
        let p = SegmentPath.parse(path.lowercased().hasSuffix("/") ? String(path.lowercased().dropLast()) : path.lowercased())
        #expect(p?.callType == type)
        #expect(p?.isBatch == batch)
    }

    @Test("Amplitude paths keep their routes; V1 /httpapi is its own endpoint")
    func amplitudeRoutesUnchanged() {
        #expect(Endpoint.route(path: "/batch").endpoint == .batch)
        #expect(Endpoint.route(path: "/identify").endpoint == .identify)
        #expect(Endpoint.route(path: "/2/httpapi").endpoint == .httpV2)
        #expect(Endpoint.route(path: "/httpapi").endpoint == .httpV1)
        #expect(Endpoint.route(path: "/eu/httpapi").endpoint == .httpV1)
        #expect(Endpoint.route(path: "/eu/httpapi").prefix == "/eu")
        #expect(Endpoint.route(path: "/v1/nope").endpoint == .unknown)
        #expect(Endpoint(userSpelling: "/v1/batch") == .segment)
        #expect(Endpoint(userSpelling: "segment") == .segment)
        #expect(Endpoint(userSpelling: "/httpapi") == .httpV1)
    }

    @Test("a clean single call and a clean batch get 200 {\"success\":true} and no findings")
    func clean() {
        for (path, body) in [("/v1/track", SegTest.call("track", ["writeKey": "\"\(SegTest.writeKey)\""])),
                             ("/v1/t", SegTest.call("track", ["writeKey": "\"\(SegTest.writeKey)\""])),
                             ("/v1/batch", SegTest.batch([SegTest.call("track"), SegTest.call("identify"), SegTest.call("page")]))] {
            let p = SegTest.process(SegTest.capture(body, path: path))
            #expect(p.request.decoder == "segment")
            #expect(p.answer.status == 200)
            #expect(p.answer.bodyText == #"{"success":true}"#)
            #expect(p.findings.isEmpty, "\(path): \(p.findings)")
            #expect(p.request.apiKey == SegTest.writeKey)
        }
    }

    @Test("write key from HTTP Basic auth; text/plain and gzip bodies decode the same")
    func authAndEncodings() {
        let body = SegTest.batch([SegTest.call("track")], writeKey: nil)
        let basic = "Basic " + Data((SegTest.writeKey + ":").utf8).base64EncodedString()
        let c = SegTest.capture(body, headers: [HTTPHeader("Content-Type", "text/plain"), HTTPHeader("Authorization", basic)])
        let p = SegTest.process(c)
        #expect(p.request.apiKey == SegTest.writeKey)
        #expect(p.request.segment?.writeKeySource == .basicAuth)
        #expect(p.findings.isEmpty, "\(p.findings)")
        var z = SegTest.capture(SegTest.batch([SegTest.call("track"), SegTest.call("track")]))
        z.body = Inflate.gzip(z.body)
        z.headers.append(HTTPHeader("Content-Encoding", "gzip"))
        let pz = SegTest.process(z)
        #expect(pz.request.records.count == 2)
        #expect(pz.answer.status == 200)
        let none = SegTest.process(SegTest.capture(body))
        #expect(none.findings.map(\.rule) == [RuleID.segmentMissingWriteKey])
        #expect(none.answer.status == 200)
    }

    @Test("bad JSON, an empty body and a non-object body get Segment's 400")
    func malformed() {
        for body in ["{\"batch\":[", "", "[1,2]", "\u{01}\u{02}binary\u{FF}"] {
            let p = SegTest.process(SegTest.capture(body))
            #expect(p.answer.status == 400, "\(body.debugDescription)")
            #expect(p.answer.bodyText == #"{"success":false,"message":"malformed JSON","code":"invalid_request"}"#)
            #expect(p.findings.first?.rule == RuleID.bodyNotJSON)
        }
    }

    @Test("size and count limits: 400 over 500 KB / 32 KB, 200 with a finding over 2,500 calls or a 32 KB call in a batch")
    func limits() {
        let big = String(repeating: "x", count: 520 * 1024)
        let overBatch = SegTest.process(SegTest.capture(SegTest.batch([SegTest.call("track", ["properties": "{\"blob\":\"\(big)\"}"])])))
        #expect(overBatch.answer.status == 400)
        #expect(overBatch.answer.bodyText.contains("request too large"))
        #expect(overBatch.findings.contains { $0.rule == RuleID.segmentRequestTooLarge && $0.event == nil })
        let call40k = SegTest.call("track", ["properties": "{\"blob\":\"\(String(repeating: "y", count: 40_000))\"}", "writeKey": "\"k\""])
        let single = SegTest.process(SegTest.capture(call40k, path: "/v1/track"))
        #expect(single.answer.status == 400)
        let inBatch = SegTest.process(SegTest.capture(SegTest.batch([SegTest.call("track"), call40k])))
        #expect(inBatch.answer.status == 200)
        let f = inBatch.findings.first { $0.rule == RuleID.segmentCallTooLarge }
        #expect(f?.event == 1)
        #expect(f?.path == "/batch/1")
        #expect(f?.message.contains("Segment still answers 200") == true)
        let many = SegTest.process(SegTest.capture(SegTest.batch(Array(repeating: SegTest.call("track"), count: 2_501))))
        #expect(many.answer.status == 200)
        #expect(many.findings.contains { $0.rule == RuleID.segmentTooManyCalls })
    }

    struct RuleCase: Sendable, CustomTestStringConvertible {
        var name: String
        var calls: [String]
        var rule: String
        var pointer: String
        var event: Int?
        var severity: Severity
        init(_ name: String, _ calls: [String], _ rule: String, _ pointer: String, _ event: Int?, _ severity: Severity) {
            (self.name, self.calls, self.rule, self.pointer, self.event, self.severity) = (name, calls, rule, pointer, event, severity)
        }
        var testDescription: String { name }
    }

    static let ruleCases: [RuleCase] = [
        RuleCase("no ids", [SegTest.call("track", drop: ["userId", "anonymousId"])], RuleID.segmentMissingID, "/batch/0/userId", 0, .error),
        RuleCase("empty ids", [SegTest.call("track"), SegTest.call("identify", ["userId": "\"\"", "anonymousId": "null"])], RuleID.segmentMissingID, "/batch/1/userId", 1, .error),
        RuleCase("track without event", [SegTest.call("track", drop: ["event"])], RuleID.segmentMissingField, "/batch/0/event", 0, .error),
        RuleCase("track with blank event", [SegTest.call("track", ["event": "\" \""])], RuleID.segmentMissingField, "/batch/0/event", 0, .error),
        RuleCase("group without groupId", [SegTest.call("group", drop: ["groupId"])], RuleID.segmentMissingField, "/batch/0/groupId", 0, .warning),
        RuleCase("alias without previousId", [SegTest.call("alias", drop: ["previousId"])], RuleID.segmentMissingField, "/batch/0/previousId", 0, .warning),
        RuleCase("duplicate messageId", [SegTest.call("track", ["messageId": "\"m-1\""]), SegTest.call("page", ["messageId": "\"m-1\""])], RuleID.segmentMessageID, "/batch/1/messageId", 1, .error),
        RuleCase("long messageId", [SegTest.call("track", ["messageId": "\"\(String(repeating: "m", count: 120))\""])], RuleID.segmentMessageID, "/batch/0/messageId", 0, .warning),
        RuleCase("traits a string", [SegTest.call("identify", ["traits": "\"{\\\"plan\\\":\\\"pro\\\"}\""])], RuleID.segmentNotObject, "/batch/0/traits", 0, .warning),
        RuleCase("properties an array", [SegTest.call("track", ["properties": "[1]"])], RuleID.segmentNotObject, "/batch/0/properties", 0, .warning),
        RuleCase("unreadable timestamp", [SegTest.call("track", ["timestamp": "\"05/12/2026\""])], RuleID.segmentBadTimestamp, "/batch/0/timestamp", 0, .warning),
        RuleCase("epoch timestamp", [SegTest.call("track", ["originalTimestamp": "1733432400"])], RuleID.segmentBadTimestamp, "/batch/0/originalTimestamp", 0, .warning),
        RuleCase("capitalised type", [SegTest.call("Track")], RuleID.segmentUnknownType, "/batch/0/type", 0, .error),
        RuleCase("no type", [SegTest.call("track", drop: ["type"])], RuleID.segmentUnknownType, "/batch/0/type", 0, .error),
        RuleCase("call not an object", ["42"], RuleID.segmentUnknownType, "/batch/0", 0, .error),
    ]

    @Test("segment-* rules find what Segment drops or mangles silently, located", arguments: ruleCases)
    func rules(_ c: RuleCase) {
        let (name, calls, rule, pointer, event, severity) = (c.name, c.calls, c.rule, c.pointer, c.event, c.severity)
        let p = SegTest.process(SegTest.capture(SegTest.batch(calls)))
        let f = p.findings.first { $0.rule == rule }
        #expect(f != nil, "\(name): \(p.findings)")
        #expect(f?.path == pointer, "\(name)")
        #expect(f?.event == event, "\(name)")
        #expect(f?.severity == severity, "\(name)")
        if severity == .error && rule != RuleID.segmentUnknownType || name == "no type" {
            #expect(f?.message.contains("Segment") == true)
        }
        #expect(p.answer.status == 200, "\(name): Segment answers 200")
        // Amplitude's own rules never judge a Segment body.
        #expect(!p.findings.contains { $0.rule == RuleID.unknownField || $0.rule == RuleID.missingEventType || $0.rule == RuleID.missingAPIKey })
    }

    @Test("a batch path without a batch array, and an empty batch")
    func batchMissing() {
        let p = SegTest.process(SegTest.capture(SegTest.call("track", ["writeKey": "\"k\""])))
        #expect(p.findings.map(\.rule).contains(RuleID.segmentBatchMissing))
        #expect(p.findings.first { $0.rule == RuleID.segmentBatchMissing }?.message.contains("looks like one call") == true)
        let empty = SegTest.process(SegTest.capture(SegTest.batch([])))
        #expect(empty.findings.first?.severity == .warning)
    }

    @Test("the envelope's context and integrations stand in for a call's own, which win")
    func envelope() throws {
        let body = SegTest.batch([SegTest.call("track"), SegTest.call("track", ["context": #"{"ip":"10.0.0.2"}"#])],
                                 extra: #""context":{"ip":"10.0.0.1","locale":"en-US"}"#)
        let r = Ingest().decode(SegTest.capture(body))
        let doc = try #require(r.document)
        let a = SegmentCallView(request: r, doc: doc, index: 0)
        let b = SegmentCallView(request: r, doc: doc, index: 1)
        #expect(a.string(["context", "ip"]) == "10.0.0.1")
        #expect(a.value(["context", "ip"])?.pointer == "/context/ip")
        #expect(b.string(["context", "ip"]) == "10.0.0.2")
        #expect(b.value(["context", "ip"])?.pointer == "/batch/1/context/ip")
        #expect(b.string(["context", "locale"]) == "en-US")  // merged member by member
    }

    @Test("a raw Segment body (check without a path) decodes as Segment")
    func rawBody() {
        let c = RawBody.capture(Array(SegTest.batch([SegTest.call("track")]).utf8), name: "body.json", endpoint: nil)
        let p = SegTest.process(c)
        #expect(p.request.endpoint == .segment)
        #expect(p.request.records.count == 1)
        let forced = RawBody.capture(Array(SegTest.call("identify", ["writeKey": "\"k\""]).utf8), name: "one.json", endpoint: .segment)
        let q = SegTest.process(forced)
        #expect(q.request.endpoint == .segment)
        #expect(q.request.segment?.isBatch == false)
        #expect(q.findings.isEmpty, "\(q.findings)")
    }

    @Test("row labels and summaries of Segment calls")
    func summaries() {
        let p = SegTest.process(SegTest.capture(SegTest.batch([SegTest.call("track"), SegTest.call("page"), SegTest.call("identify")])))
        let s = EventSummary.extract(p)
        // Each call's row, then the rows of the Amplitude records Actions sends for it (the
        // call's index, tagged with the destination, the endpoint and Amplitude's answer).
        #expect(s.map(\.eventType) == ["track Song Played", "Song Played", "page Home", "Viewed Home", "identify", "$identify"])
        #expect(s.map(\.index) == [0, 0, 1, 1, 2, 2])
        #expect(s.map { $0.mapped?.endpoint } == [nil, .httpV2, nil, .httpV2, nil, .identify])
        #expect(s.map { $0.mapped?.callType } == [nil, .track, nil, .page, nil, .identify])
        #expect(s.compactMap { $0.mapped?.destination } == [.actions, .actions, .actions])
        #expect(s[0].userID == "user-00001")
        #expect(s[0].deviceID == "anon-00001")
        #expect(s[1].userID == "user-00001", "the mapped event carries the call's userId as user_id")
        // A call's row counts its mapped records' findings with its own.
        for (call, mapped) in [(0, 1), (2, 3), (4, 5)] {
            #expect(s[call].counts.errors >= s[mapped].counts.errors)
            #expect(s[call].counts.warnings >= s[mapped].counts.warnings)
        }
    }
}

@Suite("Amplitude HTTP API V1 (/httpapi)")
struct HTTPV1Tests {
    static func v1(_ fields: [(String, String)]) -> Capture { CoreTest.form(fields, path: "/httpapi") }

    @Test("one event or an array, the event rules apply, text answers, deprecation warning")
    func v1() {
        let one = Ingest().process(Self.v1([("api_key", CoreTest.apiKey), ("event", CoreTest.event())]), now: CoreTest.now)
        #expect(one.request.decoder == "httpapi-v1-form")
        #expect(one.request.records.count == 1)
        #expect(one.answer.status == 200)
        #expect(one.answer.bodyText == "success")
        #expect(one.findings.map(\.rule) == [RuleID.httpV1Deprecated])
        #expect(one.findings.first?.severity == .warning)
        let many = Ingest().process(Self.v1([("api_key", CoreTest.apiKey), ("event", "[" + CoreTest.event() + "," + CoreTest.event() + "]")]), now: CoreTest.now)
        #expect(many.request.records.count == 2)
        #expect(many.answer.status == 200)
        let short = Ingest().process(Self.v1([("api_key", CoreTest.apiKey), ("event", CoreTest.event(["user_id": "\"ab\""], drop: ["device_id"]))]), now: CoreTest.now)
        #expect(short.answer.status == 400)
        #expect(short.findings.contains { $0.rule == RuleID.idTooShort && $0.path == "/event/user_id" })
        let noKey = Ingest().process(Self.v1([("event", CoreTest.event())]), now: CoreTest.now)
        #expect(noKey.answer.bodyText == "invalid_api_key")
        let noEvent = Ingest().process(Self.v1([("api_key", CoreTest.apiKey)]), now: CoreTest.now)
        #expect(noEvent.answer.status == 400)
        #expect(noEvent.answer.bodyText == "missing_event")
        let get = Ingest().process(CoreTest.form([("api_key", CoreTest.apiKey), ("event", CoreTest.event())], path: "/httpapi", method: "GET"), now: CoreTest.now)
        #expect(get.findings.contains { $0.rule == RuleID.methodNotAllowed })
    }
}

extension Ingest {
    /// One capture with a fresh context (tests).
    func process(_ c: Capture, now: Int64) -> Processed {
        var context = ValidationContext()
        return process(c, context: &context, now: now)
    }
}

@Suite("Segment: hostile input gets located findings and never crashes")
struct SegmentHostileTests {
    @Test("10,000 calls in one batch")
    func tenThousand() {
        let calls = (0..<10_000).map { i in SegTest.call("track", ["messageId": "\"m-\(i)\"", "properties": "{\"i\":\(i)}"]) }
        var s = SegmentSettings()
        s.destinations = [.actions, .classic]
        let p = SegTest.process(SegTest.capture(SegTest.batch(calls)), settings: s)
        #expect(p.request.records.count == 10_000)
        #expect(p.answer.status == 400)  // over 500 KB as well
        #expect(p.findings.contains { $0.rule == RuleID.segmentTooManyCalls && $0.path == "/batch" })
        #expect(p.segmentMapping?.outcomes.isEmpty == true, "Segment refuses the request, so nothing is mapped")
        // Under the byte limit but over the count: 200, every call rejected.
        let tiny = (0..<2_600).map { i in "{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u-\(i)\"}" }
        let q = SegTest.process(SegTest.capture(SegTest.batch(tiny)))
        #expect(q.answer.status == 200)
        #expect(q.findings.map(\.rule) == [RuleID.segmentTooManyCalls])
        #expect(q.segmentMapping?.outcomes.isEmpty == true)
    }

    @Test("deep nesting, huge strings, binary, wrong shapes")
    func shapes() {
        let deep = String(repeating: "{\"a\":", count: 5_000) + "1" + String(repeating: "}", count: 5_000)
        let cases: [(String, String, Int)] = [
            ("deep nesting", "{\"batch\":[{\"type\":\"track\",\"event\":\"e\",\"userId\":\"u-00001\",\"properties\":\(deep)}]}", 400),
            ("binary", String(decoding: [0xFF, 0xFE, 0x00, 0x7B, 0x01], as: UTF8.self), 400),
            ("batch is an object", "{\"writeKey\":\"k\",\"batch\":{\"type\":\"track\"}}", 200),
            ("batch of numbers", "{\"writeKey\":\"k\",\"batch\":[1,2,3]}", 200),
            ("huge event name", "{\"writeKey\":\"k\",\"batch\":[{\"type\":\"track\",\"userId\":\"u-00001\",\"event\":\"\(String(repeating: "é", count: 200_000))\"}]}", 200),
            ("nulls everywhere", "{\"writeKey\":null,\"batch\":[{\"type\":null,\"userId\":null,\"event\":null,\"context\":null,\"timestamp\":null}]}", 200),
        ]
        for (name, body, status) in cases {
            let p = SegTest.process(SegTest.capture(body))
            #expect(p.answer.status == status, "\(name): \(p.answer.bodyText)")
            #expect(!p.findings.isEmpty, "\(name)")
            for f in p.findings where f.event != nil {
                #expect(f.path.hasPrefix("/batch/"), "\(name): located \(f.path)")
            }
        }
        // A call deep enough for Amplitude's depth rule but fine for Segment maps, and the mapped request is judged.
        let nested = String(repeating: "{\"a\":", count: 45) + "1" + String(repeating: "}", count: 45)
        let p = SegTest.one(SegTest.call("track", ["properties": nested]))
        #expect(p.findings.isEmpty, "\(p.findings)")
        #expect(p.segmentMapping?.outcomes.first?.findings.contains { $0.rule == RuleID.tooDeep } == true)
        // A huge string in a mapped call is flagged by Amplitude's string rule.
        let long = SegTest.one(SegTest.call("track", ["properties": "{\"note\":\"\(String(repeating: "x", count: 2_000))\"}"]))
        #expect(long.segmentMapping?.outcomes.first?.findings.contains { $0.rule == RuleID.stringTooLong } == true)
    }
}
