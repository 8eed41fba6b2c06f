import Foundation
import Testing
@testable import AmpscopeCore

@Suite("Endpoint routing")
struct EndpointRoutingTests {
    static let routes: [(String, Endpoint, String)] = [
        ("/2/httpapi", .httpV2, ""), ("/eu/2/httpapi", .httpV2, "/eu"), ("/2/httpapi/", .httpV2, ""),
        ("/2/HTTPAPI", .httpV2, ""), ("/batch", .batch, ""), ("/eu/batch", .batch, "/eu"),
        ("/identify", .identify, ""), ("/eu/identify", .identify, "/eu"), ("/groupidentify", .groupIdentify, ""),
        ("/proxy/groupidentify", .groupIdentify, "/proxy"), ("/usermap", .usermap, ""), ("/", .legacy, ""),
        ("", .legacy, ""), ("/v1/track", .segment, ""), ("/2/httpapi2", .unknown, ""), ("/httpapi", .httpV1, ""),
        ("/v2/httpapi", .unknown, ""), ("/eu/httpapi", .httpV1, "/eu"), ("/v1/batch", .segment, ""),
        ("/notbatch", .unknown, ""),
    ]

    @Test("paths route to endpoints, with region/app prefixes", arguments: routes)
    func route(_ path: String, _ endpoint: Endpoint, _ prefix: String) {
        let r = Endpoint.route(path: path)
        #expect(r.endpoint == endpoint)
        #expect(r.prefix == prefix)
    }

    @Test("a configured legacy path")
    func legacyPath() {
        #expect(Endpoint.route(path: "/amp", legacyPaths: ["/", "/amp"]).endpoint == .legacy)
        #expect(Endpoint.route(path: "/amp").endpoint == .unknown)
        // A configured legacy path wins over the documented path it spells (checked before the
        // shortcut for documented paths).
        #expect(Endpoint.route(path: "/batch", legacyPaths: ["/", "/batch"]).endpoint == .legacy)
        #expect(Endpoint.route(path: "/batch").endpoint == .batch)
    }

    @Test("a documented path routes as its longer spellings do, and is no variant")
    func documentedPaths() {
        for e in [Endpoint.httpV2, .httpV1, .batch, .groupIdentify, .identify, .usermap] {
            let exact = Endpoint.route(path: e.rawValue)
            #expect(exact.endpoint == e && exact.prefix == "")
            #expect(Endpoint.route(path: "/eu" + e.rawValue).endpoint == e)
            #expect(Endpoint.variantProblem(path: e.rawValue, endpoint: e, prefix: "") == nil)
            #expect(Endpoint.variantProblem(path: e.rawValue + "/", endpoint: e, prefix: "") != nil)
        }
    }

    @Test("user spellings of endpoints")
    func spellings() {
        #expect(Endpoint(userSpelling: "HTTPAPI") == .httpV2)
        #expect(Endpoint(userSpelling: "/batch") == .batch)
        #expect(Endpoint(userSpelling: "group-identify") == .groupIdentify)
        #expect(Endpoint(userSpelling: "legacy") == .legacy)
        #expect(Endpoint(userSpelling: "nope") == nil)
    }
}

@Suite("HTTP V2 and batch decoder")
struct HTTPV2DecoderTests {
    /// A body as the TypeScript node SDK sends it (compact, options {}, client_upload_time, request_metadata).
    static func tsBody(_ events: [String]) -> String {
        CoreTest.body(events, options: "{}",
                      extra: #""client_upload_time":"2026-11-22T18:06:16.419Z","request_metadata":{"sdk":{"metrics":{"histogram":{}}}}"#)
    }

    static let tsEvent = #"{"time":1795370776413,"insert_id":"95ae189d-f17b-4356-a855-9b2b295b926a","user_id":"user-12345","device_id":"device-abcdef","event_type":"Button Clicked","event_properties":{"button":"buy","tags":["a","b"]},"event_id":0,"library":"amplitude-node-ts/1.5.70","plan":{"branch":"main","versionId":"v1"},"ingestion_metadata":{"source_name":"x","source_version":"1"}}"#

    @Test("TS-style body: unknown top-level keys and options {} are tolerated")
    func tsStyle() throws {
        let p = CoreTest.process(CoreTest.json(Self.tsBody([Self.tsEvent])))
        #expect(p.findings.isEmpty, "\(CoreTest.describe(p.findings))")
        let r = p.request
        #expect(r.endpoint == .httpV2)
        #expect(r.decoder == "http-v2")
        #expect(r.apiKey == CoreTest.apiKey)
        #expect(r.records.count == 1)
        #expect(r.recordKind == .event)
        #expect(r.recordPointer(0) == "/events/0")
        #expect(r.minIdLength == nil)
        #expect(r.optionsNode != nil)
        #expect(p.answer.status == 200)
    }

    @Test("Python-style body: sorted keys, spaced separators, \\u escapes")
    func pythonStyle() throws {
        let body = #"{"api_key": "0123456789abcdef0123456789abcdef", "events": [{"device_id": "device-12345", "event_properties": {"city": "M\u00fcnchen"}, "event_type": "Ok 1", "insert_id": "99b48fda-6a3f-4f1c-b47b-a02ece4c0ea2", "library": "amplitude-python/1.3.0", "time": 1795371070308, "user_id": "user-00001"}], "options": {"min_id_length": 3}}"#
        let p = CoreTest.process(CoreTest.json(body, headers: [HTTPHeader("Content-Type", "application/json; charset=UTF-8")]))
        #expect(p.findings.isEmpty, "\(CoreTest.describe(p.findings))")
        #expect(p.request.minIdLength == 3)
        let doc = try #require(p.request.document)
        let city = try #require(JSONPointer.resolve("/events/0/event_properties/city", in: doc))
        #expect(doc.string(city) == "München")
    }

    @Test("/batch decodes the same body", arguments: ["/batch", "/eu/batch", "/eu/2/httpapi"])
    func batchAndEU(_ path: String) {
        let p = CoreTest.process(CoreTest.json(Self.tsBody([Self.tsEvent, CoreTest.event()]), path: path))
        #expect(p.findings.isEmpty, "\(CoreTest.describe(p.findings))")
        #expect(p.request.endpoint == (path.hasSuffix("batch") ? .batch : .httpV2))
        #expect(p.request.pathPrefix == (path.hasPrefix("/eu") ? "/eu" : ""))
        #expect(p.request.records.count == 2)
    }

    @Test("Content-Encoding gzip: decoded, measured after gunzip, wire size kept")
    func gzipBody() throws {
        let plain = Array(Self.tsBody([Self.tsEvent]).utf8)
        let gz = Inflate.gzip(plain)
        let c = CoreTest.jsonBytes(gz, headers: CoreTest.jsonHeaders + [HTTPHeader("Content-Encoding", "gzip")])
        let p = CoreTest.process(c)
        #expect(p.findings.isEmpty, "\(CoreTest.describe(p.findings))")
        #expect(p.request.body == plain)
        #expect(p.request.wireBodySize == gz.count)
        #expect(p.request.records.count == 1)
        #expect(p.capture.body == gz, "the raw bytes are kept")
    }

    @Test("gzip without a Content-Encoding header is decoded with a warning")
    func gzipWithoutHeader() {
        let gz = Inflate.gzip(Array(Self.tsBody([Self.tsEvent]).utf8))
        let p = CoreTest.process(CoreTest.jsonBytes(gz))
        expectFinding(p.findings, RuleID.bodyEncoding, at: "", event: nil, severity: .warning)
        #expect(p.request.records.count == 1)
        #expect(p.answer.status == 200)
    }

    @Test("Content-Encoding deflate: zlib-wrapped and raw deflate")
    func deflate() {
        let plain = Array(Self.tsBody([Self.tsEvent]).utf8)
        let gz = Inflate.gzip(plain)
        let raw = Array(gz[10..<(gz.count - 8)])  // strip the 10-byte gzip header and 8-byte trailer
        let p = CoreTest.process(CoreTest.jsonBytes(raw, headers: CoreTest.jsonHeaders + [HTTPHeader("Content-Encoding", "deflate")]))
        #expect(p.findings.isEmpty, "\(CoreTest.describe(p.findings))")
        #expect(p.request.body == plain)
    }

    @Test("an unsupported Content-Encoding is a located error")
    func unsupportedEncoding() {
        let p = CoreTest.process(CoreTest.jsonBytes([1, 2, 3], headers: CoreTest.jsonHeaders + [HTTPHeader("Content-Encoding", "br")]))
        expectFinding(p.findings, RuleID.bodyEncoding, at: "", event: nil, severity: .error)
        #expect(p.answer.status == 400)
    }

    @Test("text/plain beacon bodies decode; the content type is only informational")
    func beacon() {
        let c = CoreTest.json(CoreTest.body([CoreTest.event()]), headers: [HTTPHeader("Content-Type", "text/plain;charset=UTF-8")])
        let p = CoreTest.process(c)
        #expect(p.findings.map(\.rule) == [RuleID.contentType])
        expectFinding(p.findings, RuleID.contentType, at: "", event: nil, severity: .info)
        #expect(p.request.records.count == 1)
        #expect(p.answer.status == 200)
    }

    static let notObjects: [String] = ["[]", "[{\"api_key\":\"x\"}]", "\"text\"", "42", "null"]

    @Test("a JSON body that is not an object", arguments: notObjects)
    func notAnObject(_ body: String) {
        let p = CoreTest.process(CoreTest.json(body))
        expectFinding(p.findings, RuleID.bodyNotJSON, at: "", event: nil, severity: .error)
        #expect(p.request.records.isEmpty)
        #expect(p.answer.bodyText == #"{"code":400,"error":"Invalid JSON request body"}"#)
    }

    @Test("invalid JSON says where")
    func invalidJSON() {
        let p = CoreTest.process(CoreTest.json("{\"api_key\": \"k\",\n \"events\": [}"))
        let f = p.findings.first { $0.rule == RuleID.bodyNotJSON }
        #expect(f?.message.contains("line 2, column 13") == true, "\(CoreTest.describe(p.findings))")
    }

    @Test("the raw body is kept and a DecodedRequest points into it")
    func recordsPointIntoBody() throws {
        let e0 = CoreTest.event(["user_id": "\"first-user\""])
        let e1 = CoreTest.event(["user_id": "\"second-user\""])
        let r = CoreTest.decode(CoreTest.events(e0, e1))
        let doc = try #require(r.document)
        #expect(r.records.map { doc.rawText($0) } == [e0, e1])
        #expect(r.recordsNode.map { doc.kind($0) } == .array)
    }
}

@Suite("Identify, group identify and usermap decoders")
struct FormDecoderTests {
    static let identification = #"{"user_id":"user-12345","user_properties":{"$set":{"plan":"pro"}}}"#

    @Test("one identification object")
    func singleObject() {
        let p = CoreTest.process(CoreTest.identify(Self.identification))
        #expect(p.findings.isEmpty, "\(CoreTest.describe(p.findings))")
        let r = p.request
        #expect(r.endpoint == .identify)
        #expect(r.decoder == "identify-form")
        #expect(r.recordKind == .identification)
        #expect(r.recordsIsSingleObject)
        #expect(r.records.count == 1)
        #expect(r.recordPointer(0) == "/identification")
        #expect(r.apiKey == CoreTest.apiKey)
        #expect(r.formValue("identification") == Self.identification)
        #expect(p.answer == EmulatedAnswer(status: 200, contentType: AnswerEmulator.textType, body: Array("success".utf8)))
    }

    @Test("an array of identifications")
    func array() {
        let second = #"{"device_id":"device-12345","user_properties":{"$setOnce":{"first":"2024-01-01"}}}"#
        let p = CoreTest.process(CoreTest.identify("[" + Self.identification + "," + second + "]"))
        #expect(p.findings.isEmpty, "\(CoreTest.describe(p.findings))")
        #expect(!p.request.recordsIsSingleObject)
        #expect(p.request.records.count == 2)
        #expect(p.request.recordPointer(1) == "/identification/1")
    }

    @Test("fields in the query string (GET), and split between query and body")
    func queryString() {
        let q = FormEncoding.encode([("api_key", CoreTest.apiKey), ("identification", Self.identification)])
        let get = Capture(receivedAt: CoreTest.now, source: .demo, method: "GET", path: "/identify", query: q, body: [])
        let p = CoreTest.process(get)
        #expect(p.findings.isEmpty, "\(CoreTest.describe(p.findings))")
        #expect(p.request.records.count == 1)
        #expect(p.answer.bodyText == "success")

        let split = CoreTest.form([("identification", Self.identification)], path: "/identify",
                                  query: FormEncoding.encode([("api_key", CoreTest.apiKey)]))
        let s = CoreTest.process(split)
        #expect(s.findings.isEmpty, "\(CoreTest.describe(s.findings))")
        #expect(s.request.apiKey == CoreTest.apiKey)
    }

    @Test("options as JSON sets min_id_length; options=undefined (Segment) is tolerated")
    func options() {
        let p = CoreTest.process(CoreTest.identify(#"{"user_id":"abc","user_properties":{"$set":{"a":1}}}"#,
                                                   extra: [("options", #"{"min_id_length":3}"#)]))
        #expect(p.request.minIdLength == 3)
        #expect(p.findings.isEmpty, "\(CoreTest.describe(p.findings))")

        let u = CoreTest.process(CoreTest.identify(Self.identification, extra: [("options", "undefined")]))
        #expect(u.request.minIdLength == nil)
        #expect(u.findings.map(\.rule) == [RuleID.invalidOptions])
        expectFinding(u.findings, RuleID.invalidOptions, at: "/options", event: nil, severity: .info)
        #expect(u.answer.bodyText == "success")
    }

    static let badForms: [(String, String)] = [
        ("bad percent escape", "api_key=0123456789abcdef0123456789abcdef&identification=%7B%ZZ%7D"),
        ("percent escape cut at the end", "api_key=0123456789abcdef0123456789abcdef&identification=%7"),
        ("invalid UTF-8 after decoding", "api_key=0123456789abcdef0123456789abcdef&identification=%7B%22user_id%22%3A%22%C3%28%22%7D"),
        ("overlong UTF-8", "api_key=0123456789abcdef0123456789abcdef&identification=%C0%AF"),
    ]

    @Test("bad percent-encoding and invalid UTF-8 are form-encoding errors", arguments: badForms)
    func badForm(_ name: String, _ body: String) {
        let c = Capture(receivedAt: CoreTest.now, source: .demo, path: "/identify", headers: CoreTest.formHeaders, body: Array(body.utf8))
        let p = CoreTest.process(c)
        expectFinding(p.findings, RuleID.formEncoding, at: "", event: nil, severity: .error)
        #expect(p.answer.status == 400)
        #expect(p.answer.bodyText == "missing_event")
        for f in p.findings { #expect(!f.message.unicodeScalars.contains { Sanitize.isUnsafe($0.value) }) }
    }

    @Test("identification that is not JSON")
    func identificationNotJSON() {
        let p = CoreTest.process(CoreTest.identify("{user_id: 'x'}"))
        expectFinding(p.findings, RuleID.bodyNotJSON, at: "/identification", event: nil, severity: .error)
        #expect(p.answer.bodyText == "missing_event")
    }

    @Test("a JSON body posted to /identify is decoded, with a content-type warning")
    func jsonBody() {
        let body = #"{"api_key":"0123456789abcdef0123456789abcdef","identification":"# + Self.identification + "}"
        let p = CoreTest.process(CoreTest.json(body, path: "/identify"))
        #expect(p.request.records.count == 1)
        #expect(p.findings.map(\.rule) == [RuleID.contentType])
        expectFinding(p.findings, RuleID.contentType, at: "", event: nil, severity: .warning)
    }

    @Test("multipart bodies are reported, not guessed")
    func multipart() {
        let c = Capture(receivedAt: CoreTest.now, source: .demo, path: "/identify",
                        headers: [HTTPHeader("Content-Type", "multipart/form-data; boundary=x")], body: Array("--x\r\n".utf8))
        let p = CoreTest.process(c)
        expectFinding(p.findings, RuleID.formEncoding, at: "", event: nil, severity: .error)
    }

    @Test("group identify: one identification and an array")
    func groupIdentify() {
        let g = #"{"group_type":"org","group_value":"acme","group_properties":{"$set":{"plan":"pro"}}}"#
        for payload in [g, "[" + g + "," + g + "]"] {
            let p = CoreTest.process(CoreTest.identify(payload, path: "/groupidentify"))
            #expect(p.findings.isEmpty, "\(CoreTest.describe(p.findings))")
            #expect(p.request.endpoint == .groupIdentify)
            #expect(p.request.recordKind == .groupIdentification)
            #expect(p.request.decoder == "groupidentify-form")
            #expect(p.answer.bodyText == "success")
        }
    }

    @Test("usermap: mapping object, array, and unmap")
    func usermap() {
        let m = #"{"user_id":"user-12345","global_user_id":"global-12345"}"#
        let u = #"{"user_id":"user-67890","unmap":true}"#
        for payload in [m, "[" + m + "," + u + "]"] {
            let p = CoreTest.process(CoreTest.usermap(payload))
            #expect(p.findings.isEmpty, "\(CoreTest.describe(p.findings))")
            #expect(p.request.endpoint == .usermap)
            #expect(p.request.recordKind == .mapping)
            #expect(p.request.recordsPointer == "/mapping")
        }
    }
}

@Suite("amplitude-js legacy upload decoder")
struct LegacyDecoderTests {
    @Test("our MD5 matches RFC 1321's test vectors")
    func md5Vectors() {
        #expect(MD5.hex("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hex("abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(MD5.hex("message digest") == "f96b697d7cb7938d525a2f31aaf161d0")
        #expect(MD5.hex(String(repeating: "1234567890", count: 8)) == "57edf4a22be3c955ac49da2e2107b67a")
    }

    @Test("a realistic upload with a correct checksum is clean and answered 'success'")
    func validUpload() throws {
        let e = "[" + CoreTest.legacyEvent() + "," + CoreTest.legacyEvent(["event_type": "\"$identify\"", "user_properties": #"{"$set":{"plan":"pro"}}"#, "event_properties": "{}"]) + "]"
        let p = CoreTest.process(CoreTest.legacy(events: e))
        #expect(p.findings.isEmpty, "\(CoreTest.describe(p.findings))")
        let r = p.request
        #expect(r.endpoint == .legacy)
        #expect(r.decoder == "amplitude-js-form")
        #expect(r.recordKind == .legacyEvent)
        #expect(r.apiKey == CoreTest.apiKey)
        #expect(r.apiKeyPointer == "/client")
        #expect(r.recordPointer(1) == "/e/1")
        #expect(r.formValue("e") == e, "%20 and UTF-8 percent escapes decode back to the exact text")
        #expect(BadChecksumRule.expected(v: "2", client: CoreTest.apiKey, e: e, uploadTime: "1795371070400") == MD5.hex("2" + CoreTest.apiKey + e + "1795371070400"))
        #expect(p.answer == EmulatedAnswer(status: 200, contentType: AnswerEmulator.textType, body: Array("success".utf8)))
    }

    @Test("a wrong checksum is bad-checksum, answered 'bad_checksum'")
    func wrongChecksum() {
        let e = "[" + CoreTest.legacyEvent() + "]"
        let p = CoreTest.process(CoreTest.legacy(events: e, checksum: MD5.hex("2" + CoreTest.apiKey + e + "1")))
        expectFinding(p.findings, RuleID.badChecksum, at: "/checksum", event: nil, severity: .error)
        #expect(p.answer.status == 400)
        #expect(p.answer.bodyText == "bad_checksum")
    }

    @Test("legacy events are checked with their own field names")
    func legacyFields() {
        let e = "[" + CoreTest.legacyEvent(["timestamp": "\"2026-11-22T18:06:05Z\"", "user_id": "\"abc\""], drop: ["device_id"]) + "]"
        let p = CoreTest.process(CoreTest.legacy(events: e))
        expectFinding(p.findings, RuleID.timeNotMs, at: "/e/0/timestamp", event: 0, severity: .error)
        expectFinding(p.findings, RuleID.idTooShort, at: "/e/0/user_id", event: 0, severity: .error)
        #expect(p.answer.bodyText == "invalid_event_field. Invalid fields [timestamp, user_id].")
    }
}

@Suite("Unknown and wrong endpoints")
struct UnknownEndpointTests {
    @Test("an unknown path is a 404, and HTTP V2 JSON sent there is still shown")
    func unknownPathWithEvents() {
        let p = CoreTest.process(CoreTest.events(CoreTest.event(), CoreTest.event(), path: "/2/httpApi2"))
        expectFinding(p.findings, RuleID.unknownEndpoint, at: "", event: nil, severity: .error)
        #expect(p.request.endpoint == .unknown)
        #expect(p.request.records.count == 2)
        #expect(p.answer.status == 404)
        #expect(p.answer.bodyText == #"{"code":404,"error":"Invalid request path","message":"Invalid request path"}"#)
    }

    @Test("an unknown path with a non-JSON body, and a hostile path")
    func unknownPathJunk() {
        let c = Capture(receivedAt: CoreTest.now, source: .demo, path: "/v1/\u{1B}[2Jtrack", body: Array("a=b".utf8))
        let p = CoreTest.process(c)
        #expect(p.findings.map(\.rule) == [RuleID.unknownEndpoint])
        #expect(p.findings[0].message.contains("\\u001b[2J"))
        #expect(!p.findings[0].message.contains("\u{1B}"))
        #expect(p.request.records.isEmpty)
    }

    @Test("HTTP V2 JSON posted to / is decoded as HTTP V2 with a wrong-endpoint warning")
    func jsonToRoot() {
        let p = CoreTest.process(CoreTest.events(CoreTest.event(), path: "/"))
        expectFinding(p.findings, RuleID.wrongEndpoint, at: "", event: nil, severity: .warning)
        #expect(p.request.endpoint == .httpV2)
        #expect(p.request.records.count == 1)
        #expect(p.answer.status == 200)
        #expect(p.findings.filter { $0.severity == .error }.isEmpty)
    }

    @Test("--endpoint forces the decoder whatever the path")
    func endpointOverride() {
        let c = CoreTest.events(CoreTest.event(), path: "/")
        let r = CoreTest.decode(c, options: DecodeOptions(endpointOverride: .batch))
        #expect(r.endpoint == .batch)
        #expect(r.problems.isEmpty)
    }
}

/// Every endpoint's facts live in `Endpoint.info` and `slot`: the slots are dense and unique, and
/// every spelling resolves back to its endpoint.
@Suite struct EndpointTableTests {
    @Test func slotsAreDenseAndSpellingsResolve() {
        #expect(Endpoint.allCases.map(\.slot).sorted() == Array(0..<Endpoint.allCases.count))
        for e in Endpoint.allCases where e != .unknown {
            #expect(Endpoint(userSpelling: e.rawValue) == e, "\(e.rawValue)")
            for sp in e.info.spellings { #expect(Endpoint(userSpelling: sp) == e, "\(sp)") }
            #expect(!e.shortName.isEmpty)
        }
        #expect(Endpoint(userSpelling: "/nowhere") == nil)
    }
}
