import Foundation
import Testing
@testable import AmpscopeCore

/// Capture format 2: request bodies that are JSON objects or arrays are written as embedded JSON
/// and read back in one parse (`JSONDocument.subdocument`), byte-exact, with the same decoding.
@Suite("Capture format 2 (embedded JSON bodies)")
struct CaptureFormatV2Tests {
    static func reparse(_ line: [UInt8]) throws -> CaptureLine.Parsed {
        try #require(try CaptureLine.parseLine(line, name: "v2.jsonl", line: 1).get())
    }

    static func sameRequest(_ a: Capture, _ b: Capture, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.body == b.body, "body bytes", sourceLocation: sourceLocation)
        #expect(a.method == b.method && a.path == b.path && a.query == b.query, sourceLocation: sourceLocation)
        #expect(a.headers == b.headers && a.client == b.client && a.receivedAt == b.receivedAt, sourceLocation: sourceLocation)
        #expect(a.httpVersion == b.httpVersion && a.recordedResponse == b.recordedResponse, sourceLocation: sourceLocation)
    }

    /// Decoding and judging with the line's parse gives what parsing the body again gives.
    static func sameJudgement(_ c: Capture, _ parsed: JSONDocument?, sourceLocation: SourceLocation = #_sourceLocation) {
        let ingest = Ingest()
        var c1 = ValidationContext()
        var c2 = ValidationContext()
        let plain = ingest.process(c, context: &c1, now: CoreTest.now)
        let once = ingest.judge(c, ingest.decode(c, parsedBody: parsed), context: &c2, now: CoreTest.now)
        #expect(plain.findings == once.findings, sourceLocation: sourceLocation)
        #expect(plain.request.records == once.request.records, sourceLocation: sourceLocation)
        #expect(plain.request.apiKey == once.request.apiKey, sourceLocation: sourceLocation)
        #expect(plain.answer.status == once.answer.status && plain.answer.body == once.answer.body, sourceLocation: sourceLocation)
        #expect(plain.request.document?.bytes == once.request.document?.bytes, sourceLocation: sourceLocation)
    }

    @Test("every fixture request round-trips through a format-2 line, with its body embedded", arguments: CoreTest.fixtureFiles())
    func fixturesRoundTrip(_ url: URL) throws {
        var ctx = ValidationContext()
        let ingest = Ingest()
        var embedded = 0
        let captures = try CoreTest.captures(url)
        for (i, original) in captures.enumerated() {
            let p = ingest.process(original, context: &ctx, now: original.receivedAt)
            let line = Report.terminalSafeJSON(CaptureLine.write(p, seq: i + 1, redactKeys: false))
            let text = String(decoding: line, as: UTF8.self)
            let back = try Self.reparse(line)
            Self.sameRequest(back.capture, original)
            if CaptureLine.embedsExactly(original.body) {
                #expect(text.contains(",\"body\":{") || text.contains(",\"body\":["), "\(url.lastPathComponent) #\(i + 1): body embedded")
                let doc = try #require(back.body)
                #expect(doc.bytes == back.capture.body)
                embedded += 1
            } else {
                #expect(back.body == nil)
            }
            Self.sameJudgement(back.capture, back.body)
            // Writing what was read gives the same line again.
            let again = ingest.process(back.capture, context: &ctx, now: back.capture.receivedAt)
            var shifted = back.capture
            shifted.source = original.source
            #expect(Report.terminalSafeJSON(CaptureLine.write(Processed(capture: shifted, request: again.request, findings: p.findings, answer: p.answer),
                                                               seq: i + 1, redactKeys: false)) == line)
        }
        // Both SDKs send one-line JSON: every request of every fixture is embedded.
        #expect(embedded == captures.count)
    }

    @Test("the fixtures hold requests, so the round trip above checks embedded bodies")
    func fixturesHaveRequests() throws {
        let counts = try CoreTest.fixtureFiles().map { try CoreTest.captures($0).count }
        #expect(counts.reduce(0, +) > 50)
        #expect(counts.filter { $0 > 0 }.count >= 30)
    }

    static func capture(body: String, headers: [HTTPHeader] = [HTTPHeader("Content-Type", "application/json")],
                        path: String = "/2/httpapi") -> Capture {
        Capture(receivedAt: CoreTest.now, source: .proxy, method: "POST", path: path, headers: headers, body: Array(body.utf8))
    }

    static func lineFor(_ c: Capture) -> [UInt8] {
        Report.terminalSafeJSON(CaptureLine.write(CoreTest.process(c), seq: 1, redactKeys: false))
    }

    @Test("bodies that would not read back byte-exact stay strings", arguments: [
        "{\n  \"api_key\": \"0123456789abcdef\",\n  \"events\": [{\"event_type\": \"a\", \"user_id\": \"user-1\"}]\n}",  // pretty-printed: several lines
        " {\"api_key\":\"0123456789abcdef\",\"events\":[]}",  // whitespace around the value
        "{\"api_key\":\"0123456789abcdef\",\"events\":[]}\r\n",
        "{\"api_key\":\"0123456789abcdef\",\"events\":[{\"event_type\":\"a\u{85}b\",\"user_id\":\"user-1\"}]}",  // C1 control: an export escapes it
        "{\"api_key\":\"0123456789abcdef\",\"events\":[{\"event_type\":\"\u{202E}evil\",\"user_id\":\"user-1\"}]}",  // bidi override
        "{\"api_key\":\"0123\",\"events\":[",  // not JSON
        "\"just a string\"",  // JSON, but not a container
        "api_key=0123&event=%7B%7D",  // a form
    ])
    func notEmbedded(_ body: String) throws {
        let c = Self.capture(body: body)
        let line = Self.lineFor(c)
        let back = try Self.reparse(line)
        #expect(back.body == nil)
        #expect(back.capture.body == Array(body.utf8))
        #expect(String(decoding: line, as: UTF8.self).contains("\"body\":\""))
    }

    @Test("JSON bodies of every endpoint family embed and decode the same", arguments: [
        ("/2/httpapi", "{\"api_key\":\"0123456789abcdef\",\"events\":[{\"event_type\":\"Ünïcödé — ok\",\"user_id\":\"user-1\",\"event_properties\":{\"a\":[1,2.5e3,true,null,{\"b\":\"\\\"q\\\"\"}]}}]}"),
        ("/batch", "{\"api_key\":\"0123456789abcdef\",\"events\":[{\"event_type\":\"a\",\"device_id\":\"dev-12345\"}],\"options\":{\"min_id_length\":3}}"),
        ("/2/httpapi", "[{\"event_type\":\"not an object body\"}]"),
        ("/", "{\"api_key\":\"0123456789abcdef\",\"events\":[{\"event_type\":\"misrouted\",\"user_id\":\"user-1\"}]}"),
        ("/v1/batch", "{\"writeKey\":\"wk\",\"batch\":[{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"u-1\",\"messageId\":\"m-1\",\"properties\":{\"revenue\":9.5}}]}"),
        ("/v1/t", "{\"writeKey\":\"wk\",\"type\":\"track\",\"event\":\"Clicked\",\"anonymousId\":\"anon-1\"}"),
    ])
    func embeddedDecodesTheSame(_ path: String, _ body: String) throws {
        let c = Self.capture(body: body, path: path)
        let line = Self.lineFor(c)
        #expect(String(decoding: line, as: UTF8.self).contains("\"body\":" + body))
        let back = try Self.reparse(line)
        let doc = try #require(back.body)
        #expect(back.capture.body == Array(body.utf8))
        #expect(doc.bytes == back.capture.body)
        Self.sameJudgement(back.capture, doc)
    }

    @Test("a parsed body is ignored where a content encoding must be undone first")
    func parsedBodyIgnoredUnderEncoding() throws {
        let body = "{\"api_key\":\"0123456789abcdef\",\"events\":[{\"event_type\":\"a\",\"user_id\":\"user-1\"}]}"
        let wrong = try JSONDocument(parsing: "{\"api_key\":\"other\",\"events\":[]}")
        // A body that claims gzip but is plain text: the decoder must judge the bytes, not the hint.
        let c = Self.capture(body: body, headers: [HTTPHeader("Content-Encoding", "gzip")])
        let r = DecoderRegistry.standard.decode(c, parsedBody: wrong)
        #expect(r.apiKey == nil)
        // A hint whose bytes are not the body is not used either.
        let plain = DecoderRegistry.standard.decode(Self.capture(body: body), parsedBody: wrong)
        #expect(plain.apiKey == "0123456789abcdef")
        #expect(plain.records.count == 1)
    }

    @Test("a sub-document has the tape a fresh parse of its bytes gives, for every container of random documents")
    func subdocumentEqualsFreshParse() throws {
        var rng = SplitMix64(seed: 0xC0FFEE)
        func value(_ depth: Int) -> String {
            let pick = Int(rng.next() % (depth > 4 ? 5 : 8))
            switch pick {
            case 0: return String(Int64(bitPattern: rng.next()) % 100_000)
            case 1: return "\"s\\\"\\u00e9\(rng.next() % 1000)\""
            case 2: return ["true", "false", "null", "1.5e-3", "\"\""].randomElement(using: &rng)!
            case 3: return "\"" + String(repeating: "x", count: Int(rng.next() % 1500)) + "\""
            case 4: return "\"plain\""
            case 5, 6:
                let n = Int(rng.next() % 5)
                return "{" + (0..<n).map { "\"k\($0)\" : " + value(depth + 1) }.joined(separator: ", ") + "}"
            default:
                let n = Int(rng.next() % 5)
                return "[" + (0..<n).map { _ in value(depth + 1) }.joined(separator: ",") + "]"
            }
        }
        for _ in 0..<200 {
            let text = "{\"body\": " + value(0) + ", \"after\": [1, {\"z\": [[]]}]}"
            let doc = try JSONDocument(parsing: text)
            for i in 0..<doc.valueCount where doc.kind(i).isContainer {
                let sub = doc.subdocument(i)
                let fresh = try JSONDocument(parsing: Array(doc.rawBytes(i)))
                #expect(sub.bytes == fresh.bytes)
                #expect(sub.valueCount == fresh.valueCount)
                for k in 0..<fresh.valueCount {
                    let (x, y) = (sub.tape[k], fresh.tape[k])
                    #expect(x.kind == y.kind && x.flags == y.flags && x.height == y.height && x.a == y.a && x.b == y.b && x.c == y.c,
                            "entry \(k) of container \(i) in \(text)")
                }
            }
        }
    }
}
