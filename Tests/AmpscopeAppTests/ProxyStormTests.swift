import AmpscopeCore
import AmpscopeStore
import AmpscopeTestSupport
import Foundation
import Synchronization
import Testing

/// A hostile storm beside a real client: 10 000 malformed requests (random bytes, broken HTTP,
/// huge headers, gzip bombs, half-closed and abandoned sockets, slow senders) from several
/// connections at once, while the official Python SDK sends 1 000 events through the same
/// `ampscope proxy`. Every SDK event must be answered 200 and stored, the proxy must keep
/// serving, and its memory must come back to where it was before the storm.
@Suite(.serialized) struct ProxyStormTests {
    /// Resident memory of a process in KiB (Linux `/proc`), 0 when unknown.
    static func rssKiB(_ pid: Int32) -> Int {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// What the storm's connections got back.
    struct Tally: Sendable {
        var answered: [Int: Int] = [:]
        var closedWithoutAnswer = 0
        var connectFailures = 0
        var total: Int { answered.values.reduce(0, +) + closedWithoutAnswer + connectFailures }
        mutating func add(_ o: Tally) {
            for (k, v) in o.answered { answered[k, default: 0] += v }
            closedWithoutAnswer += o.closedWithoutAnswer
            connectFailures += o.connectFailures
        }
    }

    /// One gzip member of 16 MiB of zeros (about 16 KB on the wire).
    static let zeros = Inflate.gzip([UInt8](repeating: 0, count: 16 << 20), level: 9)

    /// The `i`-th malformed request: the bytes sent, and whether the sending side is shut down after.
    static func hostile(_ i: Int, random: inout SplitMix64) -> (bytes: [UInt8], halfClose: Bool, abandon: Bool) {
        func post(_ path: String, _ headers: [String], _ body: [UInt8]) -> [UInt8] {
            Array(("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers.map { $0 + "\r\n" }.joined()
                   + "Content-Length: \(body.count)\r\n\r\n").utf8) + body
        }
        switch i % 10 {
        case 0: return ((0..<(1 + Int(random.next() % 2048))).map { _ in UInt8(truncatingIfNeeded: random.next()) }, false, false)
        case 1: return (Array("BLAH\u{1b}[2J /\r\n\r\n".utf8), false, false)
        case 2: return (Array("POST /2/httpapi HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".utf8), false, false)
        case 3: return (Array(("GET /2/httpapi HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 96 * 1024) + "\r\n\r\n").utf8), false, false)
        case 4:
            // A gzip bomb every 100th request (64 MiB expanded, far past the cap), junk JSON otherwise.
            if i % 100 == 4 { return (post("/2/httpapi", ["Content-Type: application/json", "Content-Encoding: gzip"], (0..<4).flatMap { _ in zeros }), false, false) }
            return (post("/2/httpapi", ["Content-Type: application/json"], Array(#"{"api_key":"k","events":[{"event_type":"#.utf8) + [0xFF, 0x00, 0x1B]), false, false)
        case 5: return (Array("POST /2/httpapi HTTP/1.1\r\nHost: x\r\nContent-Len".utf8), true, false)
        case 6: return (Array("POST /batch HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{\"api_key\":".utf8), false, true)
        case 7: return (Array("POST /2/httpapi HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n".utf8), false, false)
        case 8: return (post("/2/httpapi", ["Content-Type: application/x-www-form-urlencoded"], Array("e=%ZZ&client=&&=\u{0}".utf8)), false, false)
        default: return (Array("\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}".utf8), false, false)
        }
    }

    /// Sends requests `range` one connection each; each connection waits for an answer or the close.
    static func storm(port: Int, _ range: Range<Int>, seed: UInt64) -> Tally {
        var t = Tally()
        var random = SplitMix64(seed: seed)
        for i in range {
            let h = hostile(i, random: &random)
            guard let c = try? RawClient(port: port, timeout: 60) else { t.connectFailures += 1; continue }
            try? c.send(h.bytes)
            if h.halfClose { shutdown(c.fd, Int32(SHUT_WR)) }
            if h.abandon { t.closedWithoutAnswer += 1; continue }  // closed by deinit, mid-body
            if let r = try? c.readResponse() { t.answered[r.status, default: 0] += 1 } else { t.closedWithoutAnswer += 1 }
        }
        return t
    }

    /// Connections that send a request one byte at a time, then give up.
    static func slowSenders(port: Int, connections: Int, seconds: Double) {
        let clients = (0..<connections).compactMap { _ in try? RawClient(port: port, timeout: 5) }
        let request = Array("POST /2/httpapi HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{".utf8)
        let end = Date().addingTimeInterval(seconds)
        var i = 0
        while Date() < end {
            for c in clients { try? c.send([request[i % request.count]]) }
            i += 1
            Thread.sleep(forTimeInterval: 0.25)
        }
    }

    @Test func hostileStormBesideTheRealPythonSDK() async throws {
        guard let python = ProxySDKTests.python() else {
            Issue.record(Comment(rawValue: ProxySDKTests.howTo))
            return
        }
        let check = try await runProgramOffPool(python, ["-c", "import amplitude"], timeout: 60)
        guard check.status == 0 else {
            Issue.record(Comment(rawValue: "\(python) cannot import amplitude: \(check.stderr.suffix(300)); " + ProxySDKTests.howTo))
            return
        }
        let dir = ProxyProcess.tempDir()
        let storePath = dir.appendingPathComponent("storm.sqlite").path
        let proxy = try await onOwnThread { try ProxyProcess(["--store", storePath]) }
        var stopped = false
        defer { if !stopped { proxy.stop(signal: SIGKILL, timeout: 5) } }
        let port = proxy.port
        let pid = proxy.process.processIdentifier

        // Warm up with a round of the storm's own kinds, so that what the allocator keeps for
        // them is counted in the level before the storm.
        let warm = try await onOwnThread { Self.storm(port: port, 0..<400, seed: 99) }
        #expect(warm.connectFailures == 0)
        let before = Self.rssKiB(pid)

        // The SDK and the storm at once: 4 storm connections at a time, 8 slow senders.
        let total = 10_000
        let workers = 4
        let started = Date()
        async let sdk = runProgramOffPool(python, [ProxyProcess.repoRoot.appendingPathComponent("Tests/e2e/python/storm_sdk.py").path,
                                                   "http://127.0.0.1:\(port)"], timeout: 300)
        async let slow: Void = onOwnThread { Self.slowSenders(port: port, connections: 8, seconds: 10) }
        let tallies = try await withThrowingTaskGroup(of: Tally.self) { g in
            for w in 0..<workers {
                let range = (total * w / workers)..<(total * (w + 1) / workers)
                g.addTask { try await onOwnThread { Self.storm(port: port, range, seed: UInt64(w + 1)) } }
            }
            var all = Tally()
            for try await t in g { all.add(t) }
            return all
        }
        let stormSeconds = Date().timeIntervalSince(started)
        let run = try await sdk
        _ = try await slow
        // Settle: abandoned connections time out on the proxy's side.
        try await Task.sleep(nanoseconds: 3_000_000_000)
        let after = Self.rssKiB(pid)

        #expect(tallies.total == total)
        #expect(tallies.connectFailures == 0, "the proxy kept accepting connections")
        #expect(proxy.process.isRunning, "the proxy is still running: \(proxy.stderr.suffix(500))")
        let answeredOK = tallies.answered.filter { (200..<300).contains($0.key) }.values.reduce(0, +)
        #expect(answeredOK == 0, "no malformed request was acknowledged with a 2xx: \(tallies.answered)")

        // The SDK: every event answered 200.
        #expect(run.status == 0, "SDK script: \(run.stderr.suffix(1500))")
        let doc = try JSONDocument(parsing: Array(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines).utf8))
        let sent = doc.member(doc.root, named: "sent").map { doc.elements($0).compactMap { doc.stringValue($0) } } ?? []
        let codes = doc.member(doc.root, named: "codes").map { o in doc.members(o).map { (doc.string($0.0), doc.int64($0.1) ?? 0) } } ?? []
        #expect(sent.count == 1000)
        #expect(codes.count == 1 && codes.first?.0 == "200" && codes.first?.1 == 1000, "SDK callbacks: \(codes)")
        #expect(doc.member(doc.root, named: "settled").map { doc.kind($0) == .true } == true)

        // Still serving after the storm.
        let final = try await onOwnThread {
            try RawHTTP.send(port: port, "POST", "/2/httpapi", headers: ["Content-Type: application/json"],
                             body: Array(#"{"api_key":"0123456789abcdef0123456789abcdef","events":[{"event_type":"After Storm","user_id":"user-after-01"}]}"#.utf8))
        }
        #expect(final.status == 200)
        let exit = try await onOwnThread { proxy.stop(signal: SIGTERM) }
        stopped = true
        #expect(exit == 0, "proxy exit status \(exit): \(proxy.stderr.suffix(500))")

        // The store: every SDK event, once.
        let store = try CaptureStore(path: storePath)
        var inserts: [String: Int] = [:]
        for id in await store.captureIDs() {
            let p = try await store.processed(id)
            guard p.capture.header("User-Agent")?.hasPrefix("Python-urllib/") == true else { continue }
            for s in EventSummary.extract(p) { if let i = s.insertID { inserts[i, default: 0] += 1 } }
        }
        await store.close()
        #expect(Set(inserts.keys) == Set(sent), "\(Set(sent).subtracting(inserts.keys).count) SDK events missing from the store")
        #expect(inserts.values.allSatisfy { $0 == 1 }, "no SDK event stored twice")

        // Memory back to its level: within 64 MiB of before (one bomb's expansion is 32 MiB at the cap).
        let grew = after - before
        print("storm: \(total) malformed requests over \(workers) connections at a time + 8 slow senders beside 1000 SDK events in "
              + String(format: "%.1f", stormSeconds) + " s; answers \(tallies.answered.sorted { $0.key < $1.key }), "
              + "\(tallies.closedWithoutAnswer) closed or abandoned; proxy RSS \(before / 1024) MiB before, \(after / 1024) MiB after")
        #expect(grew < 64 * 1024, "RSS grew by \(grew / 1024) MiB over the storm (\(before / 1024) → \(after / 1024) MiB)")
    }
}

