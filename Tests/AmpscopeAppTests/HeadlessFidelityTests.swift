import AmpscopeCore
import AmpscopeProxy
import Foundation
import Testing
@testable import AmpscopeApp

/// `ampscope proxy` output shows what was checked (issue 10, item 9).
@Suite("Headless output: checksum and preflights")
struct HeadlessFidelityTests {
    static let key = "0123456789abcdef0123456789abcdef"

    /// A demo amplitude-js upload (correct MD5), or with a checksum of zeros.
    static func legacy(checksumOK: Bool) -> Processed {
        var demo = DemoTraffic(apiKey: key)
        var c = demo.request(.legacy, bad: false)
        if !checksumOK { c.body = Array("checksum=".utf8) + Array(repeating: UInt8(ascii: "0"), count: 32) + c.body.dropFirst(41) }
        var ctx = ValidationContext()
        return Ingest().process(c, context: &ctx, now: c.receivedAt)
    }

    @Test("proxy --json lines say checksum verified for a good amplitude-js upload, mismatch for a bad one, nothing for HTTP V2")
    func checksumInJSONLine() throws {
        for (ok, word) in [(true, "verified"), (false, "mismatch")] {
            let line = ProxyJSONLine.write(Self.legacy(checksumOK: ok), id: 1, redact: true)
            let doc = try JSONDocument(parsing: line)
            #expect(doc.member(doc.root, "checksum").flatMap { doc.stringValue($0) } == word)
            #expect(!String(decoding: line, as: UTF8.self).contains(Self.key))
        }
        let v2 = Capture(receivedAt: 1_795_371_070_000, source: .proxy, path: "/2/httpapi",
                         headers: [HTTPHeader("Content-Type", "application/json")],
                         body: Array(#"{"api_key":"\#(Self.key)","events":[{"event_type":"A","user_id":"user-12345","insert_id":"i-1"}]}"#.utf8))
        var ctx = ValidationContext()
        let line = ProxyJSONLine.write(Ingest().process(v2, context: &ctx, now: 0), id: 2, redact: true)
        let doc = try JSONDocument(parsing: line)
        #expect(doc.member(doc.root, "checksum") == nil)
    }

    @Test("a preflight prints as a text line and as an NDJSON object marked preflight")
    func preflightLines() throws {
        let seen = PreflightSeen(receivedAt: 1_795_371_070_000, client: "127.0.0.1:50764", target: "/",
                                 origin: "http://localhost:3000\u{1B}[31m", requestMethod: "POST",
                                 requestHeaders: "content-type,cross-origin-resource-policy", status: 204)
        let text = PreflightLine.text(seen, color: false)
        #expect(text.contains("OPTIONS /  preflight → 204"))
        #expect(text.contains("headers content-type,cross-origin-resource-policy"))
        #expect(!text.contains("\u{1B}"), "captured text reaches the terminal escaped")
        let json = PreflightLine.json(seen)
        #expect(json.hasSuffix("\n"))
        let doc = try JSONDocument(parsing: Array(json.utf8.dropLast()))
        #expect(doc.member(doc.root, "preflight").map { doc.kind($0) } == .true)
        #expect(doc.member(doc.root, "request_headers").flatMap { doc.stringValue($0) } == "content-type,cross-origin-resource-policy")
    }
}
