import Testing
@testable import AmpscopeCore

/// A request and the exact answer Amplitude would give it.
struct AnswerCase: Sendable, CustomTestStringConvertible {
    var name: String
    var capture: Capture
    var status: Int
    var body: String
    var settings = ValidationSettings()
    var testDescription: String { name }
}

@Suite("Answer emulator")
struct AnswerEmulatorTests {
    typealias E = CoreTest
    static func ev(_ o: KeyValuePairs<String, String> = [:], drop: Set<String> = []) -> String { E.event(o, drop: drop) }
    static let k = E.apiKey

    static let jsonCases: [AnswerCase] = {
        let ok = E.body([ev(), ev()])
        return [
            AnswerCase(name: "200", capture: E.json(ok), status: 200,
                       body: #"{"code":200,"events_ingested":2,"payload_size_bytes":\#(ok.utf8.count),"server_upload_time":\#(E.now)}"#),
            AnswerCase(name: "200 on /batch", capture: E.json(ok, path: "/batch"), status: 200,
                       body: #"{"code":200,"events_ingested":2,"payload_size_bytes":\#(ok.utf8.count),"server_upload_time":\#(E.now)}"#),
            AnswerCase(name: "200 with an empty events array (warning only)", capture: E.json(E.body([])), status: 200,
                       body: #"{"code":200,"events_ingested":0,"payload_size_bytes":\#(E.body([]).utf8.count),"server_upload_time":\#(E.now)}"#),
            AnswerCase(name: "400 missing_field api_key", capture: E.json(E.body([ev()], apiKey: nil)), status: 400,
                       body: #"{"code":400,"error":"Request missing required field","missing_field":"api_key"}"#),
            AnswerCase(name: "400 missing_field events", capture: E.json(#"{"api_key":"\#(k)","Events":[]}"#), status: 400,
                       body: #"{"code":400,"error":"Request missing required field","missing_field":"events"}"#),
            AnswerCase(name: "400 events_with_missing_fields (no ids)", capture: E.events(ev(drop: ["user_id", "device_id"])), status: 400,
                       body: #"{"code":400,"error":"Request missing required field","events_with_missing_fields":{"user_id":[0]}}"#),
            AnswerCase(name: "400 events_with_missing_fields, two fields in first-seen order",
                       capture: E.events(ev(), ev(drop: ["user_id", "device_id"]), ev(drop: ["event_type"]), ev(drop: ["user_id", "device_id"])), status: 400,
                       body: #"{"code":400,"error":"Request missing required field","events_with_missing_fields":{"user_id":[1,3],"event_type":[2]}}"#),
            AnswerCase(name: "400 events_with_invalid_fields", capture: E.events(ev(["user_id": "\"anonymous\""]), ev(["time": "\"2026-11-22T18:06:05Z\""])), status: 400,
                       body: #"{"code":400,"error":"Invalid field values on some events","events_with_invalid_fields":{"user_id":[0],"time":[1]}}"#),
            AnswerCase(name: "400 events_with_invalid_id_lengths (user_id; device_id listed empty)", capture: E.events(ev(), ev(["user_id": "\"abc\""]), ev()), status: 400,
                       body: #"{"code":400,"error":"Invalid id length for user_id or device_id","events_with_invalid_id_lengths":{"user_id":[1],"device_id":[]}}"#),
            AnswerCase(name: "400 events_with_invalid_id_lengths (device_id; user_id listed empty)", capture: E.events(ev(["device_id": "\"d1\""])), status: 400,
                       body: #"{"code":400,"error":"Invalid id length for user_id or device_id","events_with_invalid_id_lengths":{"user_id":[],"device_id":[0]}}"#),
            AnswerCase(name: "400 events_with_invalid_id_lengths (both keys, numeric id too)",
                       capture: E.events(ev(["user_id": "\"abc\""]), ev(["device_id": "12345"]), ev(["user_id": "\"xy\"", "device_id": "\"z\""])), status: 400,
                       body: #"{"code":400,"error":"Invalid id length for user_id or device_id","events_with_invalid_id_lengths":{"user_id":[0,2],"device_id":[1,2]}}"#),
            AnswerCase(name: "400 missing and invalid-length together: the missing error text, both maps",
                       capture: E.events(ev(["user_id": "\"abc\""]), ev(drop: ["event_type"])), status: 400,
                       body: #"{"code":400,"error":"Request missing required field","events_with_missing_fields":{"event_type":[1]},"events_with_invalid_id_lengths":{"user_id":[0],"device_id":[]}}"#),
            AnswerCase(name: "400 invalid fields and invalid lengths: the id-length error text",
                       capture: E.events(ev(["user_id": "\"abc\""]), ev(["session_id": "1.5"])), status: 400,
                       body: #"{"code":400,"error":"Invalid id length for user_id or device_id","events_with_invalid_fields":{"session_id":[1]},"events_with_invalid_id_lengths":{"user_id":[0],"device_id":[]}}"#),
            AnswerCase(name: "400 invalid JSON", capture: E.json("{\"api_key\":"), status: 400,
                       body: #"{"code":400,"error":"Invalid JSON request body"}"#),
            AnswerCase(name: "400 missing body", capture: E.json(" \n"), status: 400,
                       body: #"{"code":400,"error":"Missing request body"}"#),
            AnswerCase(name: "400 invalid event JSON", capture: E.json(E.body([ev(), "[1]"])), status: 400,
                       body: #"{"code":400,"error":"Invalid event JSON"}"#),
            AnswerCase(name: "400 invalid API key (--api-key set)", capture: E.events(ev()), status: 400,
                       body: #"{"code":400,"error":"Invalid API key: \#(k)"}"#, settings: ValidationSettings(expectedAPIKey: "ffffffffffffffffffffffffffffffff")),
            AnswerCase(name: "413 over 1 MiB", capture: RuleCases.padded(1 << 20), status: 413,
                       body: #"{"code":413,"error":"Payload too large"}"#),
            AnswerCase(name: "413 beats event errors", capture: E.json(E.body((0..<2001).map { _ in ev(["user_id": "\"abc\""]) })), status: 413,
                       body: #"{"code":413,"error":"Payload too large"}"#),
            AnswerCase(name: "404 unknown path", capture: E.events(ev(drop: ["user_id", "device_id"]), path: "/v2/track"), status: 404,
                       body: #"{"code":404,"error":"Invalid request path","message":"Invalid request path"}"#),
            AnswerCase(name: "405 GET on /2/httpapi", capture: E.json(E.body([ev()]), method: "GET"), status: 405,
                       body: #"{"code":405,"error":"Method not allowed"}"#),
            AnswerCase(name: "warnings and infos leave 200", capture: E.events(ev(["userId": "\"x\"", "time": "1795371070"], drop: ["insert_id"])), status: 200,
                       body: ""),
        ]
    }()

    @Test("JSON endpoints: status and exact body bytes", arguments: jsonCases)
    func jsonAnswer(_ c: AnswerCase) {
        let p = E.process(c.capture, settings: c.settings)
        #expect(p.answer.status == c.status, "\(E.describe(p.findings))")
        if !c.body.isEmpty { #expect(p.answer.bodyText == c.body, "\(E.describe(p.findings))") }
        #expect(p.answer.contentType == "application/json; charset=utf-8")
        #expect(p.answer.accepted == (c.status == 200))
        // Every JSON answer carries an integer code equal to the status: SDKs read the code.
        let doc = try? JSONDocument(parsing: p.answer.body)
        #expect(doc.flatMap { $0.member($0.root, "code") }.flatMap { doc?.int64($0) } == Int64(c.status))
    }

    static let formCases: [AnswerCase] = {
        let ident = #"{"user_id":"user-12345","user_properties":{"$set":{"plan":"pro"}}}"#
        return [
            AnswerCase(name: "/identify success", capture: E.identify(ident), status: 200, body: "success"),
            AnswerCase(name: "/groupidentify success", capture: E.identify(RuleCases.groupIdentification, path: "/groupidentify"), status: 200, body: "success"),
            AnswerCase(name: "/usermap success", capture: E.usermap(#"{"user_id":"user-12345","global_user_id":"global-1"}"#), status: 200, body: "success"),
            AnswerCase(name: "legacy success", capture: E.legacy(events: "[" + E.legacyEvent() + "]"), status: 200, body: "success"),
            AnswerCase(name: "/identify without api_key", capture: E.form([("identification", ident)], path: "/identify"), status: 400, body: "invalid_api_key"),
            AnswerCase(name: "/identify with another key than --api-key", capture: E.identify(ident), status: 400, body: "invalid_api_key",
                       settings: ValidationSettings(expectedAPIKey: "ffffffffffffffffffffffffffffffff")),
            AnswerCase(name: "/identify without identification", capture: E.form([("api_key", k)], path: "/identify"), status: 400, body: "missing_event"),
            AnswerCase(name: "/identify identification not JSON", capture: E.identify("{"), status: 400, body: "missing_event"),
            AnswerCase(name: "/identify short user_id", capture: E.identify(#"{"user_id":"abc","user_properties":{"$set":{"a":1}}}"#), status: 400,
                       body: "invalid_event_field. Invalid fields [user_id]."),
            AnswerCase(name: "legacy bad checksum", capture: E.legacy(events: "[" + E.legacyEvent() + "]", checksum: "x"), status: 400, body: "bad_checksum"),
            AnswerCase(name: "legacy without ids", capture: E.legacy(events: "[" + E.legacyEvent(drop: ["user_id", "device_id"]) + "]"), status: 400,
                       body: "invalid_event_field. Invalid fields [user_id]."),
            AnswerCase(name: "legacy GET", capture: Capture(receivedAt: 0, source: .demo, method: "GET", path: "/", query: E.legacyBody(events: "[]"), body: []),
                       status: 405, body: "method_not_allowed"),
        ]
    }()

    @Test("form endpoints answer plain text", arguments: formCases)
    func formAnswer(_ c: AnswerCase) {
        let p = E.process(c.capture, settings: c.settings)
        #expect(p.answer.status == c.status, "\(E.describe(p.findings))")
        #expect(p.answer.bodyText == c.body, "\(E.describe(p.findings))")
        #expect(p.answer.contentType == "text/plain; charset=utf-8")
    }

    @Test("form endpoints over the size limit answer the JSON 413")
    func form413() {
        let p = E.process(RuleCases.requestCases.first { $0.name == "/identify over 1 MiB" }!.capture)
        #expect(p.answer.status == 413)
        #expect(p.answer.bodyText == #"{"code":413,"error":"Payload too large"}"#)
    }

    @Test("payload_size_bytes is the size on the wire (compressed for gzip bodies)")
    func payloadSizeOnWire() throws {
        let plain = Array(E.body([Self.ev(), Self.ev(), Self.ev()]).utf8)
        let gz = Inflate.gzip(plain)
        let p = E.process(E.jsonBytes(gz, headers: RuleCases.gzHeaders))
        let doc = try JSONDocument(parsing: p.answer.body)
        #expect(doc.member(doc.root, "payload_size_bytes").flatMap { doc.int64($0) } == Int64(gz.count))
        #expect(doc.member(doc.root, "events_ingested").flatMap { doc.int64($0) } == 3)
    }

    @Test("the gzip bomb answer is 413")
    func bombAnswer() {
        let p = E.process(HostileInputTests.bomb(membersOf16MiB: 4))
        #expect(p.answer.bodyText == #"{"code":413,"error":"Payload too large"}"#)
    }

    @Test("AnswerComparison ignores server_upload_time and key order, and names the first difference")
    func comparison() {
        let emulated = EmulatedAnswer(status: 200, contentType: AnswerEmulator.jsonType,
                                      body: Array(#"{"code":200,"events_ingested":2,"payload_size_bytes":10,"server_upload_time":1}"#.utf8))
        let same = RecordedResponse(status: 200, body: Array(#"{"server_upload_time":999,"payload_size_bytes":10,"code":200,"events_ingested":2}"#.utf8), origin: .recorded)
        #expect(AnswerComparison.difference(emulated: emulated, actual: same) == nil)
        let other = RecordedResponse(status: 200, body: Array(#"{"code":200,"events_ingested":3,"payload_size_bytes":10}"#.utf8), origin: .recorded)
        #expect(AnswerComparison.difference(emulated: emulated, actual: other) == "bodies differ at /events_ingested")
        let status = RecordedResponse(status: 400, body: [], origin: .recorded)
        #expect(AnswerComparison.difference(emulated: emulated, actual: status)?.hasPrefix("status 400") == true)
        let text = EmulatedAnswer(status: 200, contentType: AnswerEmulator.textType, body: Array("success".utf8))
        #expect(AnswerComparison.difference(emulated: text, actual: RecordedResponse(status: 200, body: Array("success\n".utf8), origin: .recorded)) == nil)
        #expect(AnswerComparison.difference(emulated: text, actual: RecordedResponse(status: 200, body: Array("fail".utf8), origin: .recorded)) != nil)
    }
}
