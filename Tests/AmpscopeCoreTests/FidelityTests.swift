import Foundation
import Testing
@testable import AmpscopeCore

/// Request shapes third-party Amplitude clients sent (issue 10), each checked for a finding,
/// a message and an answer that agree.
@Suite("Fidelity: third-party client shapes")
struct FidelityTests {
    typealias E = CoreTest

    static func finding(_ p: Processed, _ rule: String) -> Finding? { p.findings.first { $0.rule == rule } }

    // MARK: 1. options.min_id_length 0

    @Test("min_id_length 0 overrides nothing: the default applies, 2-character ids are rejected, and the messages say so")
    func minIdLengthZero() throws {
        let body = #"{"api_key":"\#(E.apiKey)","events":[{"user_id":"ab","event_type":"Signed Up","insert_id":"b0c6a8b2-1f7e-4d44-9a67-5b1a3c2d4e5f"}],"options":{"min_id_length":0}}"#
        let p = E.process(E.json(body))
        let options = try #require(Self.finding(p, RuleID.invalidOptions), "\(E.describe(p.findings))")
        #expect(options.message.contains("it is 0"))
        #expect(options.message.contains("default minimum (5) applies"))
        let short = try #require(Self.finding(p, RuleID.idTooShort), "\(E.describe(p.findings))")
        #expect(short.path == "/events/0/user_id")
        #expect(short.message.contains("min_id_length 0 is not a positive integer"))
        #expect(p.answer.status == 400)
        #expect(p.answer.bodyText == #"{"code":400,"error":"Invalid id length for user_id or device_id","events_with_invalid_id_lengths":{"user_id":[0],"device_id":[]}}"#)
    }

    @Test("min_id_length 1 does allow a 2-character id; -1 and \"3\" are ignored like 0", arguments: ["1", "-1", "\"3\"", "2.5"])
    func otherMinIdLengths(_ value: String) {
        let body = #"{"api_key":"\#(E.apiKey)","events":[{"user_id":"ab","event_type":"Signed Up","insert_id":"x-1"}],"options":{"min_id_length":\#(value)}}"#
        let p = E.process(E.json(body))
        if value == "1" {
            #expect(!E.ids(p).contains(RuleID.idTooShort), "\(E.describe(p.findings))")
            #expect(p.answer.status == 200)
        } else {
            #expect(E.ids(p).contains(RuleID.idTooShort), "\(E.describe(p.findings))")
            #expect(E.ids(p).contains(RuleID.invalidOptions))
            #expect(p.answer.status == 400)
        }
    }

    @Test("the form endpoints read options=min_id_length 0 the same way")
    func minIdLengthZeroOnIdentify() {
        let c = E.identify(#"[{"user_id":"ab","user_properties":{"$set":{"plan":"pro"}}}]"#, extra: [("options", #"{"min_id_length":0}"#)])
        let p = E.process(c)
        #expect(E.ids(p).contains(RuleID.idTooShort), "\(E.describe(p.findings))")
        #expect(p.answer.status == 400)
        #expect(p.answer.bodyText.hasPrefix("invalid_event_field"))
    }

    // MARK: 2. JSON null where presence is tested

    @Test("insert_id null is flagged like a missing insert_id, and an empty one too")
    func insertIdNull() throws {
        let p = E.process(E.events(E.event(["insert_id": "null"])))
        let f = try #require(Self.finding(p, RuleID.missingInsertID), "\(E.describe(p.findings))")
        #expect(f.message.contains("insert_id is null"))
        let empty = E.process(E.events(E.event(["insert_id": "\"\""])))
        #expect(Self.finding(empty, RuleID.missingInsertID)?.message.contains("empty") == true)
        let fine = E.process(E.events(E.event()))
        #expect(Self.finding(fine, RuleID.missingInsertID) == nil)
    }

    @Test("price null does not count as a price for revenue")
    func priceNull() {
        let p = E.process(E.events(E.event(["productId": "\"sku-1\"", "price": "null"])))
        #expect(E.ids(p).contains(RuleID.revenueIncomplete), "\(E.describe(p.findings))")
    }

    @Test("unmap with global_user_id null is no conflict")
    func unmapNullGlobal() {
        let p = E.process(E.usermap(#"[{"user_id":"user-12345","unmap":true,"global_user_id":null}]"#))
        #expect(!E.ids(p).contains(RuleID.mappingIncomplete), "\(E.describe(p.findings))")
    }

    @Test("an identification with only null device fields changes nothing")
    func identifyNullFields() {
        let p = E.process(E.identify(#"[{"user_id":"user-12345","platform":null,"country":null}]"#))
        #expect(E.ids(p).contains(RuleID.emptyIdentify), "\(E.describe(p.findings))")
    }

    @Test("api_key null and events null are read as missing, and said so")
    func requestLevelNulls() throws {
        let k = E.process(E.json(#"{"api_key":null,"events":[\#(E.event())]}"#))
        #expect(Self.finding(k, RuleID.missingAPIKey)?.message.contains("is null") == true, "\(E.describe(k.findings))")
        #expect(k.answer.bodyText.contains(#""missing_field":"api_key""#))
        let e = E.process(E.json(#"{"api_key":"\#(E.apiKey)","events":null}"#))
        #expect(Self.finding(e, RuleID.missingEvents)?.message.contains("is null") == true, "\(E.describe(e.findings))")
    }

    // MARK: 3. Another API's form posted to `/`

    @Test("an HTTP API V1 form (api_key, event) at / says what was meant and is answered as / answers it")
    func v1FormAtRoot() throws {
        let c = E.form([("api_key", E.apiKey), ("event", #"{"user_id":"user-12345","event_type":"Signed Up"}"#)], path: "/")
        let p = E.process(c)
        let f = try #require(Self.finding(p, RuleID.wrongEndpoint), "\(E.describe(p.findings))")
        #expect(f.severity == .error)
        #expect(f.message.contains("HTTP API V1"))
        #expect(f.message.contains("/httpapi"))
        #expect(!E.ids(p).contains(RuleID.missingAPIKey), "\(E.describe(p.findings))")
        #expect(!E.ids(p).contains(RuleID.missingEvents))
        #expect(p.answer.status == 400)
        #expect(p.answer.bodyText == "invalid_api_key")
    }

    @Test("an /identify or /usermap form at / is decoded as intended, with a warning")
    func identifyFormAtRoot() throws {
        let c = E.form([("api_key", E.apiKey), ("identification", #"[{"user_id":"user-12345","user_properties":{"$set":{"plan":"pro"}}}]"#)], path: "/")
        let p = E.process(c)
        #expect(p.request.endpoint == .identify)
        let f = try #require(Self.finding(p, RuleID.wrongEndpoint), "\(E.describe(p.findings))")
        #expect(f.severity == .warning)
        #expect(f.message.contains("/identify"))
        #expect(p.answer.bodyText == "success")
        let g = E.process(E.form([("api_key", E.apiKey), ("identification", #"[{"group_type":"org","group_value":"acme","group_properties":{"$set":{"tier":"gold"}}}]"#)], path: "/"))
        #expect(g.request.endpoint == .groupIdentify)
        let m = E.process(E.form([("api_key", E.apiKey), ("mapping", #"[{"user_id":"user-12345","global_user_id":"global-1"}]"#)], path: "/"))
        #expect(m.request.endpoint == .usermap)
        // amplitude-js's own upload is untouched.
        let legacy = E.process(E.legacy(events: "[" + E.legacyEvent() + "]"))
        #expect(legacy.request.endpoint == .legacy)
        #expect(!E.ids(legacy).contains(RuleID.wrongEndpoint))
    }

    // MARK: 4. text/plain worded from the request

    @Test("text/plain from a server library is not called a browser beacon")
    func textPlainFromAiohttp() throws {
        let headers = [HTTPHeader("Content-Type", "text/plain; charset=utf-8"), HTTPHeader("User-Agent", "Python/3.11 aiohttp/3.9.1")]
        let p = E.process(E.json(E.body([E.event()]), headers: headers))
        let f = try #require(Self.finding(p, RuleID.contentType))
        #expect(f.message.contains("'Python/3.11 aiohttp/3.9.1', not a browser"), "\(f.message)")
        #expect(f.message.contains("application/json"))
        #expect(!f.message.contains("this is how navigator.sendBeacon sends"))
    }

    @Test("text/plain from a browser (Origin) or from an unknown sender is worded for it")
    func textPlainBrowserAndUnknown() throws {
        let browser = E.process(E.json(E.body([E.event()]), headers: [HTTPHeader("Content-Type", "text/plain;charset=UTF-8"),
                                                                          HTTPHeader("Origin", "http://localhost:3000")]))
        #expect(Self.finding(browser, RuleID.contentType)?.message.contains("from a browser (Origin http://localhost:3000)") == true)
        let unknown = E.process(E.json(E.body([E.event()]), headers: [HTTPHeader("Content-Type", "text/plain")]))
        #expect(Self.finding(unknown, RuleID.contentType)?.message.contains("no User-Agent or Origin") == true)
        #expect(RequestSender.classify([HTTPHeader("User-Agent", "Mozilla/5.0 (X11)")]) != .unknown)
        #expect(RequestSender.classify([HTTPHeader("User-Agent", "python-requests/2.31.0")]) == .program(userAgent: "python-requests/2.31.0"))
    }

    // MARK: 5. Path variants

    @Test("path variants are decoded but flagged with the fix", arguments: [
        ("/2/HTTPAPI", "letter case"), ("/2/httpapi/", "remove the trailing slash from serverUrl"),
        ("//2/httpapi", "remove the trailing slash from the base URL"), ("//batch", "remove the trailing slash from the base URL"),
    ])
    func pathVariants(_ path: String, _ fix: String) throws {
        let p = E.process(E.events(E.event(), path: path))
        let f = try #require(Self.finding(p, RuleID.pathVariant), "\(path): \(E.describe(p.findings))")
        #expect(f.severity == .warning)
        #expect(f.message.contains(fix), "\(f.message)")
        #expect(p.answer.status == 200)
    }

    @Test("//identify is flagged too; the documented paths and a routing prefix are not")
    func identifyVariantAndCleanPaths() throws {
        let c = E.form([("api_key", E.apiKey), ("identification", #"[{"user_id":"user-12345","user_properties":{"$set":{"a":1}}}]"#)], path: "//identify")
        let p = E.process(c)
        #expect(p.request.endpoint == .identify)
        #expect(Self.finding(p, RuleID.pathVariant)?.message.contains("'//identify'") == true, "\(E.describe(p.findings))")
        for path in ["/2/httpapi", "/batch", "/eu/2/httpapi"] {
            #expect(!E.ids(E.process(E.events(E.event(), path: path))).contains(RuleID.pathVariant), "\(path)")
        }
        #expect(!E.ids(E.process(E.legacy(events: "[" + E.legacyEvent() + "]"))).contains(RuleID.pathVariant))
        #expect(E.ids(E.process(E.legacy(events: "[" + E.legacyEvent() + "]", path: "//"))).contains(RuleID.pathVariant))
    }

    // MARK: 6. A redacted export gives the live run's verdicts

    /// Writes `p` as a redacted capture line, reads it back and processes it.
    static func roundTripLine(_ p: Processed, settings: ValidationSettings = ValidationSettings()) throws -> Processed {
        let line = CaptureLine.write(p, seq: 1, redactKeys: true)
        #expect(!String(decoding: line, as: UTF8.self).contains(p.request.apiKey ?? "\u{0}"), "the key leaked into the export")
        guard case .success(let c?) = CaptureLine.parse(line, name: "export.jsonl", line: 1) else {
            throw FidelityTestError(description: "the line does not parse back")
        }
        return E.process(c, settings: settings)
    }

    static func verdicts(_ p: Processed) -> [String] {
        p.findings.map { "\($0.rule) \($0.severity.rawValue) \($0.path) \($0.event.map(String.init) ?? "-")" }.sorted()
    }

    @Test("amplitude-js uploads: the masked client is not checksummed; good and bad checksums keep their verdicts and answers")
    func legacyRoundTrip() throws {
        for checksum in [nil, "0000000000000000ffffffffffffffff"] {
            let live = E.process(E.legacy(events: "[" + E.legacyEvent() + "]", checksum: checksum))
            let back = try Self.roundTripLine(live)
            #expect(back.request.apiKey == Redactor.mask(E.apiKey))
            #expect(Self.verdicts(back) == Self.verdicts(live), "\(E.describe(back.findings))")
            #expect(back.answer == live.answer)
            #expect(LegacyChecksum.verdict(back.request)?.word == (checksum == nil ? "verified" : "mismatch"))
        }
    }

    @Test("HTTP V2: a masked key draws no api-key-format warning, and a real format problem survives the mask")
    func v2RoundTrip() throws {
        let live = E.process(E.events(E.event()))
        let back = try Self.roundTripLine(live)
        #expect(Self.verdicts(back) == Self.verdicts(live), "\(E.describe(back.findings))")
        let upper = "0123456789ABCDEF0123456789ABCDEF"
        let liveUpper = E.process(E.json(E.body([E.event()], apiKey: upper)))
        #expect(E.ids(liveUpper).contains(RuleID.apiKeyFormat))
        let backUpper = try Self.roundTripLine(liveUpper)
        #expect(Self.verdicts(backUpper) == Self.verdicts(liveUpper))
    }

    @Test("--api-key compares a masked key by its mask")
    func expectedKeyAgainstMask() throws {
        let live = E.process(E.events(E.event()))
        let same = try Self.roundTripLine(live, settings: ValidationSettings(expectedAPIKey: E.apiKey))
        #expect(!E.ids(same).contains(RuleID.invalidAPIKey))
        let other = try Self.roundTripLine(live, settings: ValidationSettings(expectedAPIKey: "fedcba9876543210fedcba9876543210"))
        #expect(E.ids(other).contains(RuleID.invalidAPIKey))
    }

    @Test("a redacted HAR export reads back with the same answers (no 'recorded answers differ')")
    func harRoundTrip() throws {
        var items: [Processed] = []
        for checksum in [nil, "0000000000000000ffffffffffffffff"] {
            var c = E.legacy(events: "[" + E.legacyEvent() + "]", checksum: checksum)
            c.headers.append(HTTPHeader("Host", "127.0.0.1:8787"))
            items.append(E.process(c))
        }
        let har = HAR.write(items, tool: "ampscope", version: "test", redactKeys: true)
        #expect(!String(decoding: har, as: UTF8.self).contains(E.apiKey))
        let read = HAR.read(har, name: "export.har")
        #expect(read.captures.count == 2)
        for (c, live) in zip(read.captures, items) {
            #expect(c.redaction?.maskedKey == Redactor.mask(E.apiKey))
            let back = E.process(c)
            #expect(CheckSummary.answerMismatch(back) == nil, "\(back.answer.bodyText)")
            #expect(Self.verdicts(back) == Self.verdicts(live))
        }
    }

    // MARK: 7. Redaction leaks

    @Test("a masked Authorization: Basic keeps nothing of the credential")
    func basicAuthMasked() {
        let secret = Data("writekey-abcdef123456:".utf8).base64EncodedString()
        var c = E.events(E.event())
        c.headers.append(HTTPHeader("Authorization", "Basic " + secret))
        let shown = Redactor.redactedCapture(E.process(c))
        let value = shown.header("Authorization") ?? ""
        #expect(value == "Basic ****")
        #expect(!value.contains(String(secret.suffix(4))))
    }

    @Test("a key in a body ampscope does not decode as Amplitude's is masked")
    func keyInUnknownBody() {
        let body = #"{"apiKey":"\#(E.apiKey)","event":"Signed Up","nested":{"api_key":"\#(E.apiKey)"}}"#
        let p = E.process(E.json(body, path: "/track"))
        let shown = Redactor.redactedCapture(p)
        #expect(!String(decoding: shown.body, as: UTF8.self).contains(E.apiKey))
        #expect(String(decoding: shown.body, as: UTF8.self).contains(Redactor.mask(E.apiKey)))
        let form = E.process(E.form([("api_key", "my-test-key-123456"), ("x", "1")], path: "/collect"))
        #expect(!String(decoding: Redactor.redactedCapture(form).body, as: UTF8.self).contains("my-test-key-123456"))
    }

    @Test("a redacted capture line of a gzip request holds the decoded body, also without a decoded key")
    func gzipLineDecoded() {
        for (path, body) in [("/2/httpapi", E.body([E.event()])), ("/unknown", #"{"hello":"world"}"#)] {
            let gz = Inflate.gzip(Array(body.utf8))
            let c = E.jsonBytes(gz, path: path, headers: E.jsonHeaders + [HTTPHeader("Content-Encoding", "gzip")])
            let line = String(decoding: CaptureLine.write(E.process(c), seq: 1, redactKeys: true), as: UTF8.self)
            #expect(line.contains(#""body_base64":null"#), "\(path): \(line.prefix(300))")
            #expect(!line.contains(#""Content-Encoding""#))
            #expect(line.contains(path == "/unknown" ? "hello" : Redactor.mask(E.apiKey)))
        }
    }

    @Test("the key is masked in recorded and emulated answers of an export")
    func answersMasked() {
        var c = E.events(E.event())
        c.recordedResponse = RecordedResponse(status: 400, body: Array(#"{"code":400,"error":"Invalid API key: \#(E.apiKey)"}"#.utf8), origin: .upstream)
        let p = E.process(c, settings: ValidationSettings(expectedAPIKey: "fedcba9876543210fedcba9876543210"))
        #expect(p.answer.bodyText.contains(E.apiKey))
        let line = String(decoding: CaptureLine.write(p, seq: 1, redactKeys: true), as: UTF8.self)
        #expect(!line.contains(E.apiKey))
    }

    // MARK: 8. Answers other clients read

    @Test("the answer on an unknown path carries code, error and message (analytics-python reads code and message)")
    func unknownPathAnswer() throws {
        let p = E.process(E.json(#"{"batch":[{"type":"track","event":"Signed Up","userId":"user-1"}],"writeKey":"wk"}"#, path: "/v1/batchx"))
        #expect(p.answer.status == 404)
        let doc = try JSONDocument(parsing: p.answer.body)
        for key in ["code", "error", "message"] { #expect(doc.member(doc.root, named: key) != nil, "\(key)") }
        #expect(doc.member(doc.root, "code").flatMap { doc.int64($0) } == 404)
    }

    // MARK: 9. What was checked

    @Test("a good amplitude-js checksum is reported as verified in the JSON report")
    func checksumVerifiedInJSON() {
        let p = E.process(E.legacy(events: "[" + E.legacyEvent() + "]"))
        #expect(LegacyChecksum.verdict(p.request) == .verified)
        var report = JSONReport(version: "test")
        #expect(report.item(p).contains(#""checksum":"verified""#))
        let v2 = E.process(E.events(E.event()))
        #expect(!report.item(v2).contains(#""checksum""#))
        let bad = E.process(E.legacy(events: "[" + E.legacyEvent() + "]", checksum: "0000000000000000ffffffffffffffff"))
        #expect(report.item(bad).contains(#""checksum":"mismatch""#))
    }
}

struct FidelityTestError: Error, CustomStringConvertible {
    var description: String
}
