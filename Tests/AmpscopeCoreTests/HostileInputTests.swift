import Testing
@testable import AmpscopeCore

struct HostileBody: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var testDescription: String { name }
}

@Suite("Hostile input")
struct HostileInputTests {
    /// One gzip member holding 16 MiB of zeros (about 16 KB compressed).
    static let zerosMember: [UInt8] = Inflate.gzip([UInt8](repeating: 0, count: 16 << 20), level: 9)

    /// Concatenated gzip members: `n` × 16 MiB once expanded (64 members = 1 GiB from about 1 MB).
    static func bomb(membersOf16MiB n: Int, encoding: String? = "gzip") -> Capture {
        var body: [UInt8] = []
        for _ in 0..<n { body += zerosMember }
        let headers = CoreTest.jsonHeaders + (encoding.map { [HTTPHeader("Content-Encoding", $0)] } ?? [])
        return CoreTest.jsonBytes(body, path: "/batch", headers: headers)
    }

    @Test("a 1 GiB gzip bomb stops at the cap with a clear finding")
    func gzipBomb() {
        let c = Self.bomb(membersOf16MiB: 64)
        #expect(c.body.count < 2 << 20, "the bomb is small on the wire")
        let p = CoreTest.process(c)
        expectFinding(p.findings, RuleID.payloadTooLarge, at: "", event: nil, severity: .error)
        let f = p.findings.first { $0.rule == RuleID.payloadTooLarge }
        #expect(f?.message.contains("32 MiB") == true)
        #expect(f?.message.contains("gzip bomb") == true)
        #expect(p.request.body.isEmpty, "nothing of the bomb is kept")
        #expect(p.answer.status == 413)
    }

    @Test("the cap is configurable and applies to deflate too")
    func smallCap() {
        let options = DecodeOptions(maxDecompressedBytes: 1 << 20)
        let gz = Self.bomb(membersOf16MiB: 1)
        let p = CoreTest.process(gz, options: options)
        expectFinding(p.findings, RuleID.payloadTooLarge, at: "", event: nil, severity: .error)
        let raw = Array(Self.zerosMember[10..<(Self.zerosMember.count - 8)])
        let d = CoreTest.process(CoreTest.jsonBytes(raw, headers: CoreTest.jsonHeaders + [HTTPHeader("Content-Encoding", "deflate")]), options: options)
        expectFinding(d.findings, RuleID.payloadTooLarge, at: "", event: nil, severity: .error)
    }

    @Test("a gzip bomb without a Content-Encoding header is stopped and reported as well")
    func bombWithoutHeader() {
        let p = CoreTest.process(Self.bomb(membersOf16MiB: 4, encoding: nil))
        expectFinding(p.findings, RuleID.payloadTooLarge, at: "", event: nil, severity: .error)
        #expect(p.answer.status == 413)
    }

    @Test("Inflate: round trip, truncation, corruption and the limit")
    func inflate() throws {
        let text = Array(String(repeating: "ampscope ", count: 10_000).utf8)
        let gz = Inflate.gzip(text)
        #expect(Inflate.looksGzipped(gz))
        #expect(try Inflate.gunzip(gz, limit: 1 << 20).get() == text)
        #expect(try Inflate.gunzip(gz + gz, limit: 1 << 20).get() == text + text, "concatenated members")
        guard case .failure(.truncated) = Inflate.gunzip(Array(gz.prefix(gz.count / 2)), limit: 1 << 20) else {
            Issue.record("a truncated stream must say so"); return
        }
        guard case .failure(.corrupt) = Inflate.gunzip([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF], limit: 1 << 20) else {
            Issue.record("corrupt data must say so"); return
        }
        #expect(Inflate.gunzip(gz, limit: 1000) == .failure(.tooLarge(limit: 1000)))
        #expect(try Inflate.gunzip(gz, limit: text.count).get() == text, "exactly at the limit is fine")
    }

    static let bodies: [HostileBody] = {
        var rng = SplitMix64(seed: 7)
        let junk = (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let gz = Inflate.gzip(Array(CoreTest.body([CoreTest.event()]).utf8))
        return [
            HostileBody(name: "empty", bytes: []),
            HostileBody(name: "binary junk", bytes: junk),
            HostileBody(name: "NUL bytes", bytes: [UInt8](repeating: 0, count: 512)),
            HostileBody(name: "truncated gzip", bytes: Array(gz.prefix(gz.count - 12))),
            HostileBody(name: "gzip magic only", bytes: [0x1F, 0x8B]),
            HostileBody(name: "an open brace", bytes: Array("{".utf8)),
            HostileBody(name: "200k open brackets", bytes: [UInt8](repeating: UInt8(ascii: "["), count: 200_000)),
            HostileBody(name: "deep object nesting in an event", bytes: Array(("{\"api_key\":\"k\",\"events\":[{\"event_properties\":" + String(repeating: "{\"a\":", count: 600)).utf8)),
            HostileBody(name: "percent soup", bytes: Array("%%%&&&===%zz%0&identification=%ff%fe&api_key=%".utf8)),
            HostileBody(name: "invalid UTF-8", bytes: [0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80]),
            HostileBody(name: "terminal escapes", bytes: Array("\u{1B}[2J\u{1B}]0;pwned\u{07}\u{9B}31m".utf8)),
            HostileBody(name: "3 MB of text", bytes: [UInt8](repeating: UInt8(ascii: "A"), count: 3 << 20)),
            HostileBody(name: "JSON array of junk", bytes: Array("[1,\"x\",null,{\"e\":[]}]".utf8)),
        ]
    }()

    static let paths = ["/2/httpapi", "/batch", "/identify", "/groupidentify", "/usermap", "/", "/nope"]

    @Test("every endpoint answers hostile bodies with a located error, never a crash or a 200", arguments: bodies, [false, true])
    func hostile(_ body: HostileBody, _ claimGzip: Bool) {
        for path in Self.paths {
            var headers = [HTTPHeader("Content-Type", path.hasPrefix("/2") || path == "/batch" ? "application/json" : "application/x-www-form-urlencoded")]
            if claimGzip { headers.append(HTTPHeader("Content-Encoding", "gzip")) }
            let c = Capture(receivedAt: 0, source: .demo, path: path, headers: headers, body: body.bytes)
            let p = CoreTest.process(c)
            #expect(!CoreTest.errors(p).isEmpty, "\(path): \(CoreTest.describe(p.findings))")
            #expect(p.answer.status != 200, "\(path) answered 200")
            for f in p.findings {
                #expect(!f.message.unicodeScalars.contains { Sanitize.isUnsafe($0.value) }, "\(path): unsafe message \(f.message)")
            }
        }
    }

    @Test("nesting under the parser limit but over 40 levels is too-deep, not a crash")
    func deepButParseable() {
        let props = String(repeating: "{\"a\":", count: 500) + "1" + String(repeating: "}", count: 500)
        let p = CoreTest.process(CoreTest.events(CoreTest.event(["event_properties": props])))
        let deep = p.findings.filter { $0.rule == RuleID.tooDeep }
        #expect(deep.count == 1)
        #expect(deep.first?.event == 0)
        #expect(deep.first?.path == "/events/0/event_properties" + String(repeating: "/a", count: 40))
    }

    @Test("many long strings in one event: findings are capped")
    func manyLongStrings() {
        let long = String(repeating: "z", count: 1100)
        let props = "{" + (0..<50).map { "\"k\($0)\":\"\(long)\"" }.joined(separator: ",") + "}"
        let p = CoreTest.process(CoreTest.events(CoreTest.event(["event_properties": props])))
        let hits = p.findings.filter { $0.rule == RuleID.stringTooLong }
        #expect(hits.count == 21, "20 located findings and one summary")
        #expect(hits.last?.path == "/events/0")
    }
}
