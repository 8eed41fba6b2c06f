import AmpscopeCore
import AmpscopeStore
import AmpscopeTestSupport
import Foundation
import Testing

/// Hostile bytes in every output: the payload corpus of Tests/Fixtures/hostile (made by
/// Scripts/gen-hostile-corpus) plus a 1 MiB string is sent through the real proxy binary over
/// loopback, then read back through every output a user sees: `proxy` lines and `--json`
/// lines, `export` jsonl / HAR / curl, and `check` (the replay readers) as text, JSON and JUnit.
/// No output may carry a control character, escape sequence, bidi override or zero-width
/// character as itself; JSON and XML must parse; the curl script must send exactly the captured
/// bytes and run nothing.
@Suite(.serialized) struct HostileOutputTests {
    static let apiKey = "0123456789abcdef0123456789abcdef"

    struct Payload {
        var name: String
        var bytes: [UInt8]
        var isUTF8: Bool { UTF8Check.firstInvalidOffset(bytes) == nil }
    }

    /// The corpus file plus `big-1mb`: the corpus repeated to 1 MiB (valid UTF-8 parts only).
    static func corpus() throws -> [Payload] {
        let path = Repo.root.appendingPathComponent("Tests/Fixtures/hostile/payloads.jsonl").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var out: [Payload] = []
        for line in text.split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            out.append(Payload(name: o["name"] as! String, bytes: [UInt8](Data(base64Encoded: o["b64"] as! String)!)))
        }
        var unit: [UInt8] = []
        for p in out where p.isUTF8 { unit += p.bytes }
        var big: [UInt8] = []
        while big.count < 1 << 20 { big += unit }
        // Cut on a scalar boundary.
        var end = 1 << 20
        while end < big.count && (big[end] & 0xC0) == 0x80 { end += 1 }
        out.append(Payload(name: "big-1mb", bytes: Array(big[..<end])))
        return out
    }

    /// A JSON string literal holding `bytes` with only what JSON requires escaped (`"`, `\`, C0),
    /// so C1, bidi and the rest arrive as raw UTF-8.
    static func jsonLiteral(_ bytes: [UInt8]) -> [UInt8] {
        var o: [UInt8] = [0x22]
        for b in bytes {
            switch b {
            case 0x22: o += [0x5C, 0x22]
            case 0x5C: o += [0x5C, 0x5C]
            case 0..<0x20: o += Array(String(format: "\\u%04x", b).utf8)
            default: o.append(b)
            }
        }
        return o + [0x22]
    }

    /// The requests of the corpus: a valid JSON upload per payload (payload as event type, property
    /// name and value), the payload raw inside the body (invalid JSON for most), and a header.
    static func requests(_ corpus: [Payload]) -> [(name: String, headers: [String], body: [UInt8])] {
        var r: [(String, [String], [UInt8])] = []
        for (i, p) in corpus.enumerated() {
            if p.isUTF8 {
                let lit = jsonLiteral(p.bytes)
                let body = Array("{\"api_key\":\"\(apiKey)\",\"events\":[{\"event_type\":".utf8) + lit
                    + Array(",\"user_id\":\"hostile-user-\(i)\",\"insert_id\":\"hostile-\(i)\",\"time\":1795000000000,\"event_properties\":{\"p\":".utf8)
                    + lit + [0x2C] + lit + Array(":1}}]}".utf8)
                r.append(("json-" + p.name, [], body))
            }
            if p.bytes.count < 4096 {
                let raw = Array("{\"api_key\":\"\(apiKey)\",\"events\":[{\"event_type\":\"".utf8) + p.bytes
                    + Array("\",\"user_id\":\"hostile-user-\(i)\"}]}".utf8)
                r.append(("raw-" + p.name, [], raw))
            }
        }
        // Header values: printable ASCII only travels in HTTP/1.1 headers, shell metacharacters included.
        for p in corpus where p.name.hasPrefix("shell-") && !p.bytes.contains(where: { $0 < 0x20 || $0 >= 0x7F }) {
            let body = Array("{\"api_key\":\"\(apiKey)\",\"events\":[{\"event_type\":\"Header\",\"user_id\":\"hostile-header-user\"}]}".utf8)
            r.append(("header-" + p.name, ["X-Hostile: " + String(decoding: p.bytes, as: UTF8.self)], body))
        }
        return r
    }

    /// nil when `bytes` is valid UTF-8 holding no scalar that acts on a terminal (line feeds allowed).
    static func terminalHazard(_ bytes: [UInt8]) -> String? {
        if let off = UTF8Check.firstInvalidOffset(bytes) { return "invalid UTF-8 at byte \(off)" }
        let s = String(decoding: bytes, as: UTF8.self)
        var line = 1
        for u in s.unicodeScalars {
            if u.value == 0x0A { line += 1; continue }
            if Sanitize.isUnsafe(u.value) {
                let l = s.split(separator: "\n", omittingEmptySubsequences: false)[line - 1]
                return "U+\(String(u.value, radix: 16, uppercase: true)) as itself on line \(line): \(Sanitize.inline(String(l), limit: 160))"
            }
        }
        return nil
    }

    // The checks below run on threads of their own: on multi-megabyte outputs they take seconds
    // in a debug build, and the cooperative pool (two threads here) is shared with other tests.
    static func expectTerminalSafe(_ bytes: [UInt8], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let hazard = try await onOwnThread { terminalHazard(bytes) }
        #expect(hazard == nil, "\(what): \(hazard ?? "")", sourceLocation: sourceLocation)
    }

    static func expectJSONLines(_ bytes: [UInt8], _ what: String, count: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (lines, bad) = try await onOwnThread { () -> ([ArraySlice<UInt8>], Int) in
            let lines = bytes.split(separator: 0x0A)
            var bad = 0
            for l in lines where (try? JSONSerialization.jsonObject(with: Data(l))) == nil { bad += 1 }
            return (lines, bad)
        }
        #expect(bad == 0, "\(what): \(bad) of \(lines.count) lines are not JSON", sourceLocation: sourceLocation)
        if let count { #expect(lines.count == count, "\(what): \(lines.count) lines, expected \(count)", sourceLocation: sourceLocation) }
    }

    /// Sends every request; returns how many the proxy answered 2xx.
    static func send(_ reqs: [(name: String, headers: [String], body: [UInt8])], port: Int) throws -> [String: Int] {
        var statuses: [String: Int] = [:]
        for r in reqs {
            let resp = try RawHTTP.send(port: port, "POST", "/2/httpapi", headers: ["Content-Type: application/json"] + r.headers, body: r.body)
            statuses[r.name] = resp.status
        }
        return statuses
    }

    @Test func hostileBytesNeverReachATerminalOrShellAndJSONAndXMLStayValid() async throws {
        let reqs = try await onOwnThread { () -> [(name: String, headers: [String], body: [UInt8])] in
            Self.requests(try Self.corpus())
        }
        let dir = ProxyProcess.tempDir()
        let store = dir.appendingPathComponent("hostile.sqlite").path
        let bin = try ProxyProcess.binary()

        // 1. The proxy's text lines, with a store.
        let text = try await onOwnThread { try ProxyProcess(["--store", store]) }
        let statuses = try await onOwnThread { try Self.send(reqs, port: text.port) }
        _ = try await onOwnThread { text.stop() }
        #expect(statuses.count == reqs.count)
        let headerAnswers = statuses.filter { $0.key.hasPrefix("header-") }
        #expect(!headerAnswers.isEmpty && headerAnswers.values.allSatisfy { $0 == 200 }, "header requests: \(headerAnswers)")
        let textOut = Array(text.stdout.utf8)
        try await Self.expectTerminalSafe(textOut, "proxy text lines")
        try await Self.expectTerminalSafe(Array(text.stderr.utf8), "proxy stderr")
        let textLines = textOut.split(separator: 0x0A).count
        #expect(textLines == reqs.count, "one proxy line per request: \(textLines) for \(reqs.count)")

        // 2. The proxy's --json lines.
        let json = try await onOwnThread { try ProxyProcess(["--json"]) }
        _ = try await onOwnThread { try Self.send(reqs, port: json.port) }
        _ = try await onOwnThread { json.stop() }
        let jsonOut = Array(json.stdout.utf8)
        try await Self.expectJSONLines(jsonOut, "proxy --json", count: reqs.count)
        try await Self.expectTerminalSafe(jsonOut, "proxy --json lines")

        // 3. export jsonl / har / curl.
        let jsonl = try await runProgramOffPool(bin, ["export", store, "--format", "jsonl"], timeout: 300)
        #expect(jsonl.status == 0, "export jsonl: \(jsonl.stderr)")
        try await Self.expectJSONLines(Array(jsonl.stdout.utf8), "export jsonl", count: reqs.count + 1)
        try await Self.expectTerminalSafe(Array(jsonl.stdout.utf8), "export jsonl")
        let jsonlFile = dir.appendingPathComponent("hostile.jsonl")
        try Data(jsonl.stdout.utf8).write(to: jsonlFile)

        let har = try await runProgramOffPool(bin, ["export", store, "--format", "har"], timeout: 300)
        #expect(har.status == 0, "export har: \(har.stderr)")
        let harBytes = Data(har.stdout.utf8)
        let entries = try await onOwnThread { () -> Int? in
            let harObject = try? JSONSerialization.jsonObject(with: harBytes) as? [String: Any]
            return ((harObject?["log"] as? [String: Any])?["entries"] as? [Any])?.count
        }
        #expect(entries == reqs.count, "HAR parses with one entry per request (\(entries.map(String.init) ?? "not JSON"))")
        try await Self.expectTerminalSafe(Array(har.stdout.utf8), "export har")

        // 4. check (the replay readers) of the exported captures, in each format.
        for format in ["text", "json", "junit"] {
            let r = try await runProgramOffPool(bin, ["check", jsonlFile.path, "--format", format], timeout: 300)
            #expect(r.status == 0 || r.status == 1, "check --format \(format) exit \(r.status): \(r.stderr)")
            #expect(!r.stdout.isEmpty)
            try await Self.expectTerminalSafe(Array(r.stdout.utf8), "check --format \(format)")
            try await Self.expectTerminalSafe(Array(r.stderr.utf8), "check --format \(format) stderr")
            if format == "json" {
                let doc = Data(r.stdout.utf8)
                let parses = try await onOwnThread { (try? JSONSerialization.jsonObject(with: doc)) != nil }
                #expect(parses, "check --format json is one JSON document")
            }
            if format == "junit" {
                let xml = dir.appendingPathComponent("hostile-junit.xml")
                try Data(r.stdout.utf8).write(to: xml)
                let parsed = try await runProgramOffPool("/usr/bin/env", ["python3", "-c",
                    "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); print(len(r.findall('.//testcase')))", xml.path], timeout: 120)
                #expect(parsed.status == 0, "JUnit XML must parse: \(parsed.stderr)")
                #expect(Int(parsed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == reqs.count, "one testcase per request: \(parsed.stdout)")
            }
        }

        // 5. curl: run the script against a loopback sink; it must send the captured bytes and run nothing.
        let curl = try await runProgramOffPool(bin, ["export", store, "--format", "curl", "--no-redact"], timeout: 300)
        #expect(curl.status == 0, "export curl: \(curl.stderr)")
        try await Self.expectTerminalSafe(Array(curl.stdout.utf8), "export curl script")
        let script = dir.appendingPathComponent("replay.sh")
        try Data(curl.stdout.utf8).write(to: script)
        let opened = try CaptureStore(path: store)
        var captured: [(body: [UInt8], hostile: String?)] = []
        for id in await opened.captureIDs() {
            let c = try await opened.processed(id).capture
            captured.append((c.body, c.header("X-Hostile")))
        }
        await opened.close()
        #expect(captured.count == reqs.count)
        let tmpPwnedBefore = FileManager.default.fileExists(atPath: "/tmp/pwned")
        for shell in ["/bin/bash", "/bin/sh"] where FileManager.default.isExecutableFile(atPath: shell) {
            let work = dir.appendingPathComponent("run-" + URL(fileURLWithPath: shell).lastPathComponent)
            let received = work.appendingPathComponent("received")
            try FileManager.default.createDirectory(at: received, withIntermediateDirectories: true)
            let receivedPath = received.path
            let sink = try await onOwnThread { try HTTPSink(dir: receivedPath) }
            defer { sink.stop() }
            let run = try await runProgramOffPool("/usr/bin/env", ["sh", "-c", "cd \"$1\" && exec \"$2\" \"$3\"", "sh", work.path, shell, script.path],
                                                  timeout: 600, environment: ["AMPSCOPE_BASE": "http://127.0.0.1:\(sink.port)"])
            #expect(run.status == 0, "\(shell) replay.sh exit \(run.status): \(Sanitize.inline(run.stderr, limit: 400))")
            #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("pwned").path), "\(shell): a payload ran `touch pwned`")
            if !tmpPwnedBefore { #expect(!FileManager.default.fileExists(atPath: "/tmp/pwned"), "\(shell): a payload ran `touch /tmp/pwned`") }
            let got = try await onOwnThread { try sink.requests() }
            #expect(got.count == captured.count, "\(shell): the sink got \(got.count) requests for \(captured.count) commands")
            let expected = captured.map { ($0.body, $0.hostile.map { Array($0.utf8) } ?? []) }
            let mismatched = try await onOwnThread { () -> [Int] in
                var m: [Int] = []
                for (i, (c, g)) in zip(expected, got).enumerated() where c.0 != g.body || c.1 != (g.hostile ?? []) { m.append(i + 1) }
                return m
            }
            #expect(mismatched.isEmpty, "\(shell): commands whose body or X-Hostile header differ from the capture: \(mismatched.prefix(20))")
        }
        try? FileManager.default.removeItem(at: dir)
    }
}

/// A loopback HTTP server (Python) that saves every request: N.body and N.hostile (the raw
/// X-Hostile header value), N counting from 1 in arrival order.
final class HTTPSink: @unchecked Sendable {
    static let program = """
    import base64, http.server, os, sys, threading
    out = sys.argv[1]
    n = [0]
    lock = threading.Lock()
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def handle_one(self):
            pass
        def do_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with lock:
                n[0] += 1
                k = n[0]
            h = self.headers.get("X-Hostile")
            with open(os.path.join(out, "%d.body" % k), "wb") as f: f.write(body)
            if h is not None:
                with open(os.path.join(out, "%d.hostile" % k), "wb") as f: f.write(h.encode("latin-1"))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
        do_POST = do_GET = do_PUT = do_any
        def log_message(self, *a): pass
    s = http.server.HTTPServer(("127.0.0.1", 0), H)
    print(s.server_address[1], flush=True)
    s.serve_forever()
    """

    let process = Process()
    let port: Int
    let dir: String

    init(dir: String) throws {
        self.dir = dir
        let out = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.program, dir]
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        try process.run()
        ChildReaper.register(pid: process.processIdentifier)
        var line: [UInt8] = []
        let h = out.fileHandleForReading
        while line.last != 0x0A {
            let d = h.readData(ofLength: 1)
            if d.isEmpty { break }
            line += d
        }
        guard let p = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw TestError("the HTTP sink did not start")
        }
        port = p
    }

    func requests() throws -> [(body: [UInt8], hostile: [UInt8]?)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".body") }
        return (1...max(1, names.count)).prefix(names.count).map { k in
            let b = FileManager.default.contents(atPath: "\(dir)/\(k).body").map { [UInt8]($0) } ?? []
            let h = FileManager.default.contents(atPath: "\(dir)/\(k).hostile").map { [UInt8]($0) }
            return (b, h)
        }
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        ChildReaper.unregister(pid: process.processIdentifier)
    }
}

/// The TUI in tmux replaying a store of hostile captures: nothing from a payload acts on the
/// terminal. `capture-pane -e` shows the cells with their attributes; after removing the SGR
/// attribute sequences tmux writes itself, no escape may remain, and the pane title and tmux's
/// paste buffers (OSC 0/2, OSC 52 with `set-clipboard on`) must be untouched.
@Suite(.serialized) struct HostileTUITests {
    static func strippingSGR(_ s: String) -> String {
        s.replacingOccurrences(of: "\u{1B}\\[[0-9;:]*m", with: "", options: .regularExpression)
    }

    @Test func noPayloadSequenceReachesTheTerminal() async throws {
        let corpus = try await onOwnThread { try HostileOutputTests.corpus() }.filter { $0.bytes.count < 4096 && $0.isUTF8 }
        let reqs = HostileOutputTests.requests(corpus).filter { $0.name.hasPrefix("json-") }
        let dir = TestSupport.tempDir()
        let store = dir.appendingPathComponent("hostile-tui.sqlite").path
        let proxy = try await onOwnThread { try ProxyProcess(["--store", store, "--quiet"]) }
        _ = try await onOwnThread { try HostileOutputTests.send(reqs, port: proxy.port) }
        #expect(try await onOwnThread { proxy.stop() } == 0)

        let tmux = try TmuxSession(command: "\(TestSupport.binary) replay \(store) --no-mouse", directory: dir.path,
                                   environment: ["XDG_CONFIG_HOME": dir.path])
        try tmux.tmux(["set-option", "-g", "set-clipboard", "on"], captureOutput: false)
        let titleBefore = try tmux.tmux(["display-message", "-p", "-t", "t", "#{pane_title}"])
        try await tmux.wait(for: "hostile rows, their escapes shown as text") { $0.contains("\\u001b") }
        var screens: [String] = []
        func capture() throws { screens.append(try tmux.tmux(["capture-pane", "-e", "-p", "-t", "t"])) }
        try capture()
        try tmux.press("G")
        for tab in ["1", "2", "3"] {
            try tmux.press(tab)
            for _ in 0..<4 {
                try tmux.press("k")
                try await Task.sleep(nanoseconds: 150_000_000)
                try capture()
            }
        }
        try tmux.press("Tab")
        for _ in 0..<4 { try tmux.press("j"); try await Task.sleep(nanoseconds: 150_000_000); try capture() }

        for (i, raw) in screens.enumerated() {
            let plain = Self.strippingSGR(raw)
            #expect(!plain.contains("\u{1B}"), "screen \(i): an escape sequence other than tmux's own SGR:\n\(Sanitize.visible(plain))")
            let hazard = HostileOutputTests.terminalHazard(Array(plain.utf8))
            #expect(hazard == nil, "screen \(i): \(hazard ?? "")")
        }
        let titleAfter = try tmux.tmux(["display-message", "-p", "-t", "t", "#{pane_title}"])
        #expect(titleAfter == titleBefore && !titleAfter.contains("pwned"), "the pane title changed: \(titleBefore) → \(titleAfter)")
        let buffers = try tmux.tmux(["list-buffers"])
        #expect(buffers.isEmpty, "a payload wrote tmux's clipboard (OSC 52): \(buffers)")
        try tmux.press("q")
    }
}
