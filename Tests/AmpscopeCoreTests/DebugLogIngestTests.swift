import Foundation
import Testing
@testable import AmpscopeCore

@Suite("Debug log ingest endpoint and session")
struct DebugLogIngestTests {
    func decode(_ body: String, type: String?, encoding: String? = nil, query: String = "") -> Result<LogIngestRequest, LogIngest.Failure> {
        LogIngest.decode(body: Array(body.utf8), contentType: type, contentEncoding: encoding, query: query)
    }

    @Test func plainText() throws {
        let r = try decode("Amplitude Logger [Log]: a\r\nAmplitude Logger [Log]: b\n", type: "text/plain; charset=utf-8", query: "source=web-app").get()
        #expect(r.source == "http:web-app")
        #expect(r.lines.map { String(decoding: $0.text, as: UTF8.self) } == ["Amplitude Logger [Log]: a\r", "Amplitude Logger [Log]: b"])
        let none = try decode("x", type: nil).get()
        #expect(none.source == "http" && none.lines.count == 1)
    }

    @Test func jsonForms() throws {
        let body = """
        {"source": "node", "lines": ["Amplitude Logger [Debug]: {\\n  \\"name\\": \\"flush\\"\\n}",
          {"text": "Amplitude Logger [Log]: Event tracked successfully", "time": 1763834765921},
          {"text": "INFO:amplitude:x", "time": "2026-11-22T18:06:05.921Z"}]}
        """
        let r = try decode(body, type: "application/json").get()
        #expect(r.source == "http:node")
        #expect(r.lines.count == 5)  // the first item holds three lines
        #expect(r.lines[3].time == 1_763_834_765_921)
        #expect(r.lines[4].time == Timestamp.parseISO8601("2026-11-22T18:06:05.921Z"))
        let arr = try decode("[\"a\", \"b\"]", type: "application/json").get()
        #expect(arr.lines.count == 2 && arr.source == "http")
        // JSON sent as text/plain by a browser, told by the query.
        let forced = try decode("{\"lines\":[\"q\"]}", type: "text/plain", query: "source=web&format=json").get()
        #expect(forced.lines.map(\.text) == [Array("q".utf8)] && forced.source == "http:web")
        #expect(try decode("{\"lines\":[\"q\"]}", type: "text/plain").get().lines.count == 1)  // one text line
        #expect(throws: LogIngest.Failure.self) { try decode("x", type: "text/plain", query: "format=xml").get() }
        // No content type but clearly JSON.
        #expect(try decode("{\"lines\":[\"z\"]}", type: nil).get().lines.count == 1)
    }

    @Test func refusals() {
        #expect(throws: LogIngest.Failure.self) { try decode("{not json", type: "application/json").get() }
        #expect(throws: LogIngest.Failure.self) { try decode("{\"lines\": [1]}", type: "application/json").get() }
        #expect(throws: LogIngest.Failure.self) { try decode("{\"other\": []}", type: "application/json").get() }
        if case .failure(let f) = decode("x", type: "image/png") { #expect(f.status == 415) } else { Issue.record("accepted image/png") }
        if case .failure(let f) = decode("x", type: "text/plain", encoding: "br") { #expect(f.status == 415) } else { Issue.record("accepted br") }
        if case .failure(let f) = decode("not gzip", type: "text/plain", encoding: "gzip") { #expect(f.status == 400) } else { Issue.record("accepted bad gzip") }
        let many = String(repeating: "a\n", count: LogIngest.maxLines + 1)
        if case .failure(let f) = decode(many, type: "text/plain") { #expect(f.status == 413) } else { Issue.record("accepted too many lines") }
        let body = String(decoding: LogIngest.failureBody(LogIngest.Failure(status: 400, reason: "bad \"x\"")), as: UTF8.self)
        #expect(body == "{\"code\":400,\"error\":\"bad \\\"x\\\"\"}")
        #expect(String(decoding: LogIngest.acceptedBody(lines: 3), as: UTF8.self) == "{\"code\":200,\"lines\":3}")
    }

    @Test func gzipAndHostileSourceNames() throws {
        let gz = Inflate.gzip(Array("Amplitude Logger [Log]: a\n".utf8))
        let r = try LogIngest.decode(body: gz, contentType: "text/plain", contentEncoding: "gzip", query: "source=%1b%5b31m%e2%80%aeevil").get()
        #expect(r.lines.count == 1)
        #expect(r.source == "http:31mevil")
        #expect(try decode("a", type: "text/plain", query: "source=%1b").get().source == "http")
    }

    /// A fixture log shipped through the endpoint in small JSON requests gives the same records
    /// as reading the file, and joins the same way.
    @Test func fixtureThroughTheEndpoint() throws {
        let name = "ts_http_429_throttled_quota"
        let rel = "typescript-node/logs/\(name).console.log"
        let (fileRecords, _) = DebugFixtures.parse(rel, source: "http:node")
        let lines = LineSplitter(DebugFixtures.bytes(rel)).map { String(decoding: $0.text, as: UTF8.self) }
        var session = DebugSession()
        var i = 0
        while i < lines.count {
            var w = JSONWriter()
            w.beginObject(); w.field("source", "node"); w.key("lines"); w.beginArray()
            for l in lines[i..<min(lines.count, i + 7)] { w.string(l) }
            w.endArray(); w.endObject()
            let req = try LogIngest.decode(body: w.bytes, contentType: "application/json").get()
            session.ingest(req, receivedAt: 1000 + Int64(i))
            i += 7
        }
        session.finish(source: "http:node")
        let got = session.joiner.records
        #expect(got.count == fileRecords.count)
        for (a, b) in zip(got, fileRecords) {
            #expect(a.text == b.text && a.kind == b.kind && a.line == b.line && a.endLine == b.endLine && a.call == b.call)
            #expect(a.receivedAt != nil)
        }
        session.add(wire: DebugFixtures.wire("typescript-node/requests/\(name).jsonl"))
        #expect(session.joiner.wireWithoutTrace.isEmpty)
        #expect(session.joiner.traces.count == 3)
        #expect(session.sources == ["http:node"])
        #expect(session.problems.isEmpty)
        let info = try #require(session.joiner.traces.first { $0.eventType == "T1" }.flatMap { $0.wire.first }.flatMap { session.joiner.rowInfo(forWire: $0) })
        #expect(info.method == "track" && info.fate == "rejected" && info.sdkProblems == 2)
    }

    @Test func sessionKeepsSourcesApartAndFlushesIdleOnes() {
        var s = DebugSession()
        s.feed(source: "a", bytes: Array("Amplitude Logger [Debug]: {\n  \"name\": \"flush\",\n".utf8))
        s.feed(source: "b", bytes: Array("ERROR:amplitude:Invalid API Key\n".utf8))
        #expect(s.joiner.records.isEmpty)
        s.feed(source: "a", bytes: Array("  \"args\": []\n}\n".utf8))
        #expect(s.joiner.records.map(\.source) == ["a"])
        #expect(s.flushIdle().count == 1)
        #expect(s.joiner.records.map(\.source) == ["a", "b"])
        #expect(s.stats.map(\.source) == ["a", "b"])
        #expect(s.stats[0].stats.sdkLines == 4)
    }
}
