import AmpscopeCore
import AmpscopeProxy
import AmpscopeStore
import Foundation
import Testing

/// `ampscope export` run as the real binary over a store built here.
@Suite struct ExportCommandTests {
    static let key = "0123456789abcdef0123456789abcdef"

    /// A store with JSON, gzip, form, upstream-answered and rejected requests.
    static func makeStore() async throws -> (path: String, originals: [Capture]) {
        let path = ProxyProcess.tempDir().appendingPathComponent("export.sqlite").path
        let store = try CaptureStore(path: path)
        func v2(_ events: String) -> [UInt8] { Array("{\"api_key\":\"\(key)\",\"events\":[\(events)]}".utf8) }
        let ev = { (t: String, u: String) in "{\"event_type\":\"\(t)\",\"user_id\":\"\(u)\",\"insert_id\":\"\(UUID().uuidString)\",\"time\":1795000000000}" }
        var captures: [Capture] = []
        captures.append(Capture(receivedAt: 1_795_000_000_000, source: .proxy, path: "/2/httpapi",
                                headers: [HTTPHeader("Host", "127.0.0.1:8787"), HTTPHeader("Content-Type", "application/json"),
                                          HTTPHeader("Authorization", "Bearer secret-token-123456")],
                                body: v2(ev("Checkout", "user-00001") + "," + ev("View", "user-00001")), client: "127.0.0.1:5000"))
        captures.append(Capture(receivedAt: 1_795_000_000_100, source: .proxy, path: "/batch",
                                headers: [HTTPHeader("Host", "127.0.0.1:8787"), HTTPHeader("Content-Type", "application/json"),
                                          HTTPHeader("Content-Encoding", "gzip")],
                                body: Inflate.gzip(v2(ev("Zipped", "user-00002")))))
        let ident = FormEncoding.encode([("api_key", key), ("identification", "[{\"user_id\":\"user-00003\",\"user_properties\":{\"$set\":{\"it's\":\"a \\\"quote\\\" 100%\"}}}]")])
        captures.append(Capture(receivedAt: 1_795_000_000_200, source: .proxy, path: "/identify",
                                headers: [HTTPHeader("Host", "127.0.0.1:8787"), HTTPHeader("Content-Type", "application/x-www-form-urlencoded")],
                                body: Array(ident.utf8)))
        var upstream = Capture(receivedAt: 1_795_000_000_300, source: .proxy, path: "/2/httpapi", query: "via=test",
                               headers: [HTTPHeader("Host", "127.0.0.1:8787"), HTTPHeader("Content-Type", "application/json")],
                               body: v2(ev("Short", "ab")))
        upstream.recordedResponse = RecordedResponse(status: 400, headers: [HTTPHeader("Content-Type", "application/json")],
                                                     body: Array("{\"code\":400,\"error\":\"Invalid id length for user_id or device_id\"}".utf8),
                                                     origin: .upstream, latencyMs: 42.5)
        captures.append(upstream)
        var ctx = ValidationContext()
        for c in captures { _ = try await store.append(Ingest().process(c, context: &ctx, now: c.receivedAt)) }
        await store.close()
        return (path, captures)
    }

    static func export(_ args: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runProgramOffPool(try ProxyProcess.binary(), ["export"] + args, timeout: 60)
    }

    @Test func jsonlRoundTripsThroughCheckAndMasksKeys() async throws {
        let (path, originals) = try await Self.makeStore()
        let out = ProxyProcess.tempDir().appendingPathComponent("out.jsonl").path
        let r = try await Self.export([path, "--format", "jsonl", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("exported 4 requests"))
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1 + originals.count)
        #expect(lines.first?.contains("\"ampscope_capture\"") == true)
        #expect(!text.contains(Self.key))
        #expect(!text.contains("secret-token-123456"))
        #expect(text.contains("0123************************cdef"))
        // The exported file is a valid input for `check`, with the same requests and outcome.
        let check = try await runProgramOffPool(try ProxyProcess.binary(), ["check", "--format", "json", out], timeout: 60)
        #expect(check.status == 1, "the short id is an error finding: \(check.stderr)")
        let doc = try JSONDocument(parsing: Array(check.stdout.utf8))
        let summary = try #require(doc.member(doc.root, "summary"))
        #expect(doc.member(summary, "requests").flatMap { doc.int64($0) } == 4)
        #expect(doc.member(summary, "events").flatMap { doc.int64($0) } == 5)
        // Unredacted keeps the raw bytes (gzip stays base64).
        let raw = try await Self.export([path, "--format", "jsonl", "--no-redact"])
        #expect(raw.stdout.contains(Self.key))
        #expect(raw.stdout.contains("\"body_base64\":\"H4sI"))
    }

    /// Every file of the store's directory with its bytes.
    static func files(beside path: String) throws -> [String: Data] {
        let dir = (path as NSString).deletingLastPathComponent
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent(name))
        }
        return out
    }

    @Test("export reads the store without writing to it: the database and bodies files are byte for byte as before")
    func exportLeavesTheStoreAsItWas() async throws {
        let (path, _) = try await Self.makeStore()
        // The store's own connections may still be winding down (a last checkpoint): wait until
        // its files stop changing, then take them as the reference.
        var before = try Self.files(beside: path)
        for _ in 0..<40 {
            try await Task.sleep(nanoseconds: 250_000_000)
            let now = try Self.files(beside: path)
            if now == before { break }
            before = now
        }
        #expect(before.keys.contains("export.sqlite"))
        for format in ["jsonl", "har"] {
            let r = try await Self.export([path, "--format", format, "--filter", "type:Checkout"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("Checkout") && !r.stdout.contains("Zipped"))
        }
        let after = try Self.files(beside: path)
        // The database and bodies files are as they were; a reader may leave SQLite's shared
        // memory file and an empty write-ahead log beside them (as the proxy does while it runs).
        for (name, bytes) in before { #expect(after[name] == bytes, "\(name) changed") }
        #expect(Set(after.keys).subtracting(before.keys).isSubset(of: ["export.sqlite-wal", "export.sqlite-shm"]), "\(after.keys.sorted())")
        #expect(after["export.sqlite-wal"].map(\.isEmpty) ?? true, "nothing was written to the write-ahead log")
        // The store still opens for writing afterwards, and holds what it held.
        let store = try CaptureStore(path: path)
        #expect(store.index.captureIDs().count == 4)
        await store.close()
    }

    @Test func harIsAValidHAR12Document() async throws {
        let (path, originals) = try await Self.makeStore()
        let r = try await Self.export([path, "--format", "har"])
        #expect(r.status == 0, "\(r.stderr)")
        let problems = HARSpec.validate(Array(r.stdout.utf8))
        #expect(problems.isEmpty, "\(problems)")
        let doc = try JSONDocument(parsing: Array(r.stdout.utf8))
        let entries = try #require(doc.member(doc.root, "log").flatMap { doc.member($0, "entries") })
        #expect(Array(doc.elements(entries)).count == originals.count)
        #expect(!r.stdout.contains(Self.key))
        // The upstream's answer is the response; the query string is listed.
        let last = try #require(Array(doc.elements(entries)).last)
        let resp = try #require(doc.member(last, "response"))
        #expect(doc.member(resp, "status").flatMap { doc.int64($0) } == 400)
        let qs = try #require(doc.member(last, "request").flatMap { doc.member($0, "queryString") })
        #expect(Array(doc.elements(qs)).count == 1)
        // ampscope reads its own HAR back.
        let file = ProxyProcess.tempDir().appendingPathComponent("out.har").path
        try r.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        let check = try await runProgramOffPool(try ProxyProcess.binary(), ["check", "--format", "json", file], timeout: 60)
        let cdoc = try JSONDocument(parsing: Array(check.stdout.utf8))
        #expect(cdoc.member(cdoc.root, "summary").flatMap { cdoc.member($0, "requests") }.flatMap { cdoc.int64($0) } == 4)
    }

    @Test func curlScriptReplaysEveryRequestByteForByte() async throws {
        let (path, originals) = try await Self.makeStore()
        let script = ProxyProcess.tempDir().appendingPathComponent("replay.sh").path
        let r = try await Self.export([path, "--format", "curl", "--no-redact", "-o", script])
        #expect(r.status == 0, "\(r.stderr)")
        // Replay into a fresh sink proxy and compare what it captured.
        let target = try CaptureStore(path: nil)
        var config = ProxyConfiguration(host: "127.0.0.1", port: 0, eventLoopThreads: 1)
        config.limits.idleTimeout = 5
        let server = ProxyServer(configuration: config, store: target)
        let bound = try await server.start()
        let run = try await onOwnThread {
            try runProgram("/bin/sh", [script], timeout: 60, environment: ["AMPSCOPE_BASE": bound.baseURL])
        }
        #expect(run.status == 0, "\(run.stderr)")
        var replayed: [Capture] = []
        for id in await target.captureIDs() { replayed.append(try await target.processed(id).capture) }
        await server.shutdown()
        #expect(replayed.count == originals.count)
        for (a, b) in zip(originals, replayed) {
            #expect(a.method == b.method)
            #expect(a.path == b.path)
            #expect(a.query == b.query)
            #expect(a.body == b.body, "\(a.path): body differs")
            for h in a.headers where !["host", "content-length"].contains(h.name.lowercased()) {
                #expect(b.header(h.name) == h.value, "\(h.name)")
            }
        }
        // Redacted by default, with a note.
        let masked = try await Self.export([path, "--format", "curl"])
        #expect(!masked.stdout.contains(Self.key))
        #expect(masked.stdout.contains("API keys are masked"))
    }

    @Test func filterSelectsRequestsAndBadInputIsReported() async throws {
        let (path, _) = try await Self.makeStore()
        let r = try await Self.export([path, "--format", "jsonl", "--filter", "type:Checkout"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.last?.contains("Checkout") == true)
        #expect(lines.last?.contains("View") == true)  // the whole request is exported
        let errs = try await Self.export([path, "--format", "jsonl", "--filter", "severity:error"])
        #expect(errs.stdout.split(separator: "\n").count == 2)
        let bad = try await Self.export([path, "--filter", "(type:x", "--format", "har"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--filter"))
        // SDK debug terms have nothing to read in a store: refused, not an empty export.
        for debugTerm in ["sdk:track", "fate:rejected", "!has:wire"] {
            let debug = try await Self.export([path, "--filter", debugTerm])
            #expect(debug.status != 0, "\(debugTerm)")
            #expect(debug.stdout.isEmpty, "\(debugTerm)")
            #expect(debug.stderr.contains("SDK debug logs"), "\(debugTerm): \(debug.stderr)")
        }
        let missing = try await Self.export(["/nonexistent/store.sqlite"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no store at"))
    }

    /// A store copied without its bodies file (`STORE-bodies`): the export says how many requests
    /// could not be read and why, and exits 1; nothing is exported with a made-up body.
    @Test func aStoreWithoutItsBodiesFileSaysSo() async throws {
        let (path, originals) = try await Self.makeStore()
        try FileManager.default.removeItem(atPath: path + "-bodies")
        let r = try await Self.export([path, "--format", "jsonl"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 1 + originals.filter { $0.body.isEmpty }.count)
        #expect(r.stderr.contains("could not be read back"), "\(r.stderr)")
        // Read-only, the export names the missing file (a writer records the stretch as lost instead).
        #expect(r.stderr.contains(path + "-bodies") && r.stderr.contains("which is missing"), "\(r.stderr)")
    }
}

/// Structural validation of a HAR 1.2 document (http://www.softwareishard.com/blog/har-12-spec/):
/// every required field present with the required JSON type.
enum HARSpec {
    static func validate(_ bytes: [UInt8]) -> [String] {
        var problems: [String] = []
        guard let doc = try? JSONDocument(parsing: bytes) else { return ["not JSON"] }
        func need(_ o: Int, _ key: String, _ kinds: [JSONKind], _ at: String) -> Int? {
            guard let v = doc.member(o, named: key) else { problems.append("\(at).\(key) missing"); return nil }
            if !kinds.contains(doc.kind(v)) { problems.append("\(at).\(key) has kind \(doc.kind(v))") }
            return v
        }
        let str: [JSONKind] = [.string]
        let num: [JSONKind] = [.number]
        let arr: [JSONKind] = [.array]
        let obj: [JSONKind] = [.object]
        func headerList(_ o: Int, _ key: String, _ at: String) {
            guard let list = need(o, key, arr, at) else { return }
            for h in doc.elements(list) {
                _ = need(h, "name", str, "\(at).\(key)[]")
                _ = need(h, "value", str, "\(at).\(key)[]")
            }
        }
        guard let log = need(doc.root, "log", obj, "") else { return problems }
        if let v = need(log, "version", str, "log"), doc.string(v) != "1.2" { problems.append("log.version is not 1.2") }
        if let c = need(log, "creator", obj, "log") {
            _ = need(c, "name", str, "log.creator")
            _ = need(c, "version", str, "log.creator")
        }
        if let pages = doc.member(log, "pages"), doc.kind(pages) != .array { problems.append("log.pages is not an array") }
        guard let entries = need(log, "entries", arr, "log") else { return problems }
        for (i, e) in doc.elements(entries).enumerated() {
            let at = "entries[\(i)]"
            if let s = need(e, "startedDateTime", str, at), Timestamp.parseISO8601(doc.string(s)) == nil {
                problems.append("\(at).startedDateTime is not ISO 8601")
            }
            _ = need(e, "time", num, at)
            if let rq = need(e, "request", obj, at) {
                let a = at + ".request"
                _ = need(rq, "method", str, a)
                if let u = need(rq, "url", str, a), !doc.string(u).hasPrefix("http") { problems.append("\(a).url is not absolute") }
                _ = need(rq, "httpVersion", str, a)
                _ = need(rq, "cookies", arr, a)
                headerList(rq, "headers", a)
                headerList(rq, "queryString", a)
                _ = need(rq, "headersSize", num, a)
                _ = need(rq, "bodySize", num, a)
                if let pd = doc.member(rq, "postData") {
                    _ = need(pd, "mimeType", str, a + ".postData")
                    _ = need(pd, "text", str, a + ".postData")
                }
            }
            if let rs = need(e, "response", obj, at) {
                let a = at + ".response"
                _ = need(rs, "status", num, a)
                _ = need(rs, "statusText", str, a)
                _ = need(rs, "httpVersion", str, a)
                _ = need(rs, "cookies", arr, a)
                headerList(rs, "headers", a)
                if let c = need(rs, "content", obj, a) {
                    _ = need(c, "size", num, a + ".content")
                    _ = need(c, "mimeType", str, a + ".content")
                }
                _ = need(rs, "redirectURL", str, a)
                _ = need(rs, "headersSize", num, a)
                _ = need(rs, "bodySize", num, a)
            }
            _ = need(e, "cache", obj, at)
            if let t = need(e, "timings", obj, at) {
                for k in ["send", "wait", "receive"] { _ = need(t, k, num, at + ".timings") }
            }
        }
        return problems
    }
}
