import AmpscopeTestSupport
import AmpscopeCore
import AmpscopeProxy
import AmpscopeStore
import AmpscopeTerminal
import Foundation
import Testing
@testable import AmpscopeApp

/// The SDK debug side of the app: replayed logs and stored captures joined in one shared
/// session, `--debug-log` files followed across truncation and rotation, standard input and
/// `/dev/tty`, and the proxy's log endpoint.
@Suite("Debug sources in the app")
struct DebugAppTests {
    static let ts = TestSupport.fixtures.appendingPathComponent("typescript-node")

    static var tsScenarios: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: ts.appendingPathComponent("logs").path)) ?? []
        return names.filter { $0.hasSuffix(".console.log") }.map { String($0.dropLast(".console.log".count)) }.sorted()
    }

    struct Result {
        var code: Int
        var message: String
        var eventType: String
        var insertID: String?
    }

    static func results(_ name: String) -> [Result] {
        guard let data = try? Data(contentsOf: ts.appendingPathComponent("results/\(name).json")),
              let arr = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return arr.map { Result(code: $0["code"] as? Int ?? -1, message: $0["message"] as? String ?? "",
                                eventType: $0["event_type"] as? String ?? "", insertID: $0["insert_id"] as? String) }
    }

    /// Replays a scenario's log and requests the way `ampscope replay LOG REQUESTS` does, with a
    /// hub, and feeds the stored captures' wire events.
    static func replay(_ name: String) async throws -> (CaptureStore, DebugHub) {
        let ingest = Ingest()
        let store = try CaptureStore(path: nil, ingest: ingest)
        let shared = SharedIngest(ingest: ingest)
        let hub = DebugHub(store: store)
        let replayer = Replayer(store: store, ingest: shared, options: Replayer.Options())
        replayer.onDebugLines = { file, _, lines in hub.replayLines(file, lines) }
        replayer.onDebugEnd = { file in hub.replayEnded(file) }
        await replayer.run([ts.appendingPathComponent("logs/\(name).console.log").path,
                            ts.appendingPathComponent("requests/\(name).jsonl").path])
        hub.feedWire()
        return (store, hub)
    }

    @Test("every TypeScript fixture: each call is joined to its wire events in the store, and the calls never sent are listed as such",
          arguments: tsScenarios)
    func joinInTheApp(_ name: String) async throws {
        let (store, hub) = try await Self.replay(name)
        let results = Self.results(name)
        #expect(!results.isEmpty)
        let rows = store.index.rows(0..<store.index.rowCount).filter { $0.event.index >= 0 }
        #expect(!rows.isEmpty || results.allSatisfy { $0.insertID == nil })
        // Every stored wire event is explained by an SDK call.
        let infos = hub.session.rowInfo(rows.map { WireEventRef(captureID: $0.captureID, index: $0.event.index) })
        for (row, info) in zip(rows, infos) {
            #expect(info != nil, "\(name): capture \(row.captureID) event \(row.event.index) has no SDK call")
            #expect(info?.method != nil)
        }
        let sdkRows = hub.session.sdkRows()
        for res in results {
            if let iid = res.insertID {
                // The call's row carries every wire event with this insert_id, in store order.
                let onWire = rows.filter { $0.event.insertID == iid }.map { WireEventRef(captureID: $0.captureID, index: $0.event.index) }
                #expect(!onWire.isEmpty)
                let row = try #require(sdkRows.first { $0.insertID == iid }, "\(name): no SDK row for \(iid)")
                #expect(row.wire == onWire, "\(name) \(res.eventType)")
                #expect(row.method != nil)
                #expect(row.resultCode == res.code)
                if res.code == 200 { #expect(row.fate == .delivered(code: 200)) } else { #expect(row.fate?.keyword == "rejected") }
                // The Debug tab of each attempt shows the call.
                for ref in onWire {
                    let d = hub.session.detail(forWire: ref)
                    #expect(d.call?.call?.name == row.method)
                    #expect(d.attempts.map(\.ref) == onWire)
                }
                #expect(hub.session.rowNumber(forWire: onWire[0]) == row.number)
            } else {
                let row = try #require(sdkRows.first { $0.eventType == res.eventType && $0.fate?.keyword == "skipped" })
                #expect(row.wire.isEmpty)
                #expect(hub.session.detail(forRow: row.number)?.fate?.neverSent == true)
            }
        }
    }

    @Test("a followed --debug-log file: read, appended, truncated, rotated, deleted and recreated")
    func followerAcrossTruncationAndRotation() throws {
        let dir = TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("app.log").path
        let events = LockedEvents()
        let f = DebugLogFollower(path: path, name: "app.log") { events.add($0) }
        f.poll()
        #expect(events.take() == ["missing"])
        try Data("one\ntwo\n".utf8).write(to: URL(fileURLWithPath: path))
        f.poll()
        #expect(events.take() == ["one\ntwo\n"])
        f.poll()
        #expect(events.take().isEmpty, "nothing new")
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.seekToEnd()
        try h.write(contentsOf: Data("three\n".utf8))
        try h.close()
        f.poll()
        #expect(events.take() == ["three\n"])
        // Truncated in place (same inode), shorter than before.
        let t = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try t.truncate(atOffset: 0)
        try t.write(contentsOf: Data("new\n".utf8))
        try t.close()
        f.poll()
        #expect(events.take() == ["restarted: was truncated", "new\n"])
        // Rotated: renamed away, a new file under the name.
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try Data("rotated\n".utf8).write(to: URL(fileURLWithPath: path + ".tmp"))
        try FileManager.default.moveItem(atPath: path + ".tmp", toPath: path)
        f.poll()
        #expect(events.take() == ["restarted: was replaced (rotated)", "rotated\n"])
        // Deleted: wait; recreated: read from the start.
        try FileManager.default.removeItem(atPath: path)
        f.poll()
        #expect(events.take() == ["missing"])
        try Data("back\n".utf8).write(to: URL(fileURLWithPath: path))
        f.poll()
        let back = events.take()
        #expect(back.last == "back\n", "\(back)")
    }

    @Test("--debug-log FILE through the hub: a log written in pieces, then truncated and rewritten, gives the calls of both")
    func hubFollowsALog() async throws {
        let dir = TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("app.log").path
        let basic = try Data(contentsOf: Self.ts.appendingPathComponent("logs/ts_track_basic.console.log"))
        let other = try Data(contentsOf: Self.ts.appendingPathComponent("logs/ts_http_429_then_200.console.log"))
        // The first half of the first log (a JSON block cut in the middle).
        try basic.prefix(basic.count / 2).write(to: URL(fileURLWithPath: path))
        let store = try CaptureStore(path: nil)
        let hub = DebugHub(store: store)
        let messages = LockedMessages()
        hub.post = { a in if case .message(let m, _) = a { messages.add(m) } }
        hub.open([path])
        let tasks = await hub.start()
        defer { for t in tasks { t.cancel() } }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.seekToEnd()
        try h.write(contentsOf: basic.suffix(from: basic.count / 2))
        try h.close()
        try await Self.waitFor { hub.session.sdkRows().compactMap(\.method) == ["track", "flush"] }
        // Truncated (the follower notices: the size is below what it read), then rewritten with
        // another run's log.
        let t = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try t.truncate(atOffset: 0)
        try t.close()
        try await Self.waitFor { messages.all.contains { $0.contains("app.log was truncated") } }
        let a = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try a.write(contentsOf: other)
        try a.close()
        try await Self.waitFor { hub.session.sdkRows().compactMap(\.method) == ["track", "flush", "track", "track"] }
        let rows = hub.session.sdkRows()
        #expect(rows.allSatisfy { $0.source == "app.log" })
        #expect(rows.filter { $0.method == "track" }.map(\.headline) == ["track(\"Button Clicked\", {…}, {…})", "track(\"E1\", null, {…})", "track(\"E2\", null, {…})"])
    }

    /// Polls `condition` for up to `seconds` (the hub's timer and threads run on their own).
    static func waitFor(_ seconds: Double = 240, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { throw ProxyTestFailure("condition not met within \(seconds) s") }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    @Test("--debug-log - is refused when standard input is the terminal, and given once at most")
    func stdinOption() throws {
        let o = try DebugLogOptions.parse(["--debug-log", "-"])
        #expect(o.debugLog == ["-"])
        #expect(throws: (any Error).self) { try o.check(stdinIsTTY: true) }
        try o.check(stdinIsTTY: false)
        let twice = try DebugLogOptions.parse(["--debug-log", "-", "--debug-log", "-"])
        #expect(throws: (any Error).self) { try twice.check(stdinIsTTY: false) }
        let file = try DebugLogOptions.parse(["--debug-log", "app.log"])
        try file.check(stdinIsTTY: true)
    }

    @Test("curses reads keys from /dev/tty when standard input is a pipe, and says so when there is no terminal")
    func terminalDescriptors() throws {
        // Both terminals: copies of 0 and 1.
        let both = try CursesTerminal.terminalDescriptors(isTTY: { _ in true }, openTTY: { -1 })
        #expect(both.input >= 0 && both.output >= 0 && both.input != both.output)
        close(both.input)
        close(both.output)
        // Standard input is a pipe: keys from the controlling terminal, drawing on standard output.
        let fake = open("/dev/null", O_RDWR)
        #expect(fake >= 0)
        let piped = try CursesTerminal.terminalDescriptors(isTTY: { $0 == 1 }, openTTY: { fake })
        #expect(piped.input == fake)
        #expect(piped.output != fake)
        close(piped.output)
        // Standard output redirected as well: both on the terminal.
        let fake2 = open("/dev/null", O_RDWR)
        let none = try CursesTerminal.terminalDescriptors(isTTY: { _ in false }, openTTY: { fake2 })
        #expect(none.input == fake2)
        #expect(none.output != fake2 && none.output >= 0)
        close(none.input)
        close(none.output)
        // No terminal at all.
        do {
            _ = try CursesTerminal.terminalDescriptors(isTTY: { _ in false }, openTTY: { errno = ENXIO; return -1 })
            Issue.record("expected a failure")
        } catch {
            #expect(error.description.contains("/dev/tty"))
            #expect(error.description.contains("needs a terminal"))
        }
    }

    @Test("ampscope replay --debug-log - without any terminal fails with a clear message")
    func noTerminalAtAll() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setsid") else { return }
        let log = Self.ts.appendingPathComponent("logs/ts_track_basic.console.log").path
        // A new session has no controlling terminal, so /dev/tty cannot be opened.
        let r = try await runProgramOffPool("/usr/bin/setsid", ["-w", "sh", "-c", "\"$0\" replay --debug-log - < \"$1\" > /dev/null", TestSupport.binary, log],
                               timeout: 60, environment: ["TERM": "xterm-256color"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("needs a terminal"), "\(r.stderr)")
        #expect(r.stderr.contains("/dev/tty"), "\(r.stderr)")
    }

    @Test("ampscope replay needs files or --debug-log, and refuses stdin for both")
    func replayArguments() async throws {
        let none = try await TestSupport.runOffPool(["replay"])
        #expect(none.status != 0)
        #expect(none.stderr.contains("--debug-log"))
        let both = try await TestSupport.runOffPool(["replay", "-", "--debug-log", "-"])
        #expect(both.status != 0)
        #expect(both.stderr.contains("not both"))
    }

    @Test("POST /ampscope/log: text and JSON lines are joined to the events sent through the same proxy; answers, CORS and preflight")
    func proxyLogEndpoint() async throws {
        let ingest = Ingest()
        let store = try CaptureStore(path: nil, ingest: ingest)
        var config = ProxyConfiguration(host: "127.0.0.1", port: 0)
        let hub = DebugHub.make(store: store, options: try DebugLogOptions.parse([]), proxy: &config)
        let server = ProxyServer(configuration: config, store: store, ingest: SharedIngest(ingest: ingest))
        let bound = try await server.start()
        let tasks = await hub.start()
        defer { for t in tasks { t.cancel() } }
        let log = try String(contentsOf: Self.ts.appendingPathComponent("logs/ts_track_basic.console.log"), encoding: .utf8)
        let lines = log.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let half = lines.count / 2
        // The first half as text (a block may span requests), the rest as JSON lines with times.
        let text = try await onOwnThread { try RawHTTP.send(port: bound.port, "POST", "/ampscope/log?source=node",
                                                            headers: ["Content-Type: text/plain", "Origin: http://localhost:3000"],
                                                            body: Array(lines[..<half].joined(separator: "\n").utf8)) }
        #expect(text.status == 200)
        #expect(String(decoding: text.body, as: UTF8.self) == "{\"code\":200,\"lines\":\(half)}")
        #expect(text.header("Access-Control-Allow-Origin") == "*")
        var items: [String] = []
        for l in lines[half...] { items.append("{\"text\":" + JSONWriter.quoted(l) + ",\"time\":1795370765950}") }
        let jsonBody = Array(("{\"source\":\"node\",\"lines\":[" + items.joined(separator: ",") + "]}").utf8)
        let json = try await onOwnThread { try RawHTTP.send(port: bound.port, "POST", "/ampscope/log",
                                                            headers: ["Content-Type: application/json"], body: jsonBody) }
        #expect(json.status == 200)
        #expect(String(decoding: json.body, as: UTF8.self) == "{\"code\":200,\"lines\":\(lines.count - half)}")
        // Refused bodies answer in the same shape.
        let bad = try await onOwnThread { try RawHTTP.send(port: bound.port, "POST", "/ampscope/log",
                                                           headers: ["Content-Type: application/json"], body: Array("{nope".utf8)) }
        #expect(bad.status == 400)
        #expect(String(decoding: bad.body, as: UTF8.self).hasPrefix("{\"code\":400,\"error\":"))
        #expect(bad.header("Access-Control-Allow-Origin") == "*")
        let image = try await onOwnThread { try RawHTTP.send(port: bound.port, "POST", "/ampscope/log",
                                                             headers: ["Content-Type: image/png"], body: [1, 2, 3]) }
        #expect(image.status == 415)
        // The browser's preflight.
        let pre = try await onOwnThread { try RawHTTP.send(port: bound.port, "OPTIONS", "/ampscope/log",
                                                           headers: ["Origin: http://localhost:3000", "Access-Control-Request-Method: POST",
                                                                     "Access-Control-Request-Headers: content-type"], body: []) }
        #expect(pre.status == 204)
        #expect(pre.header("Access-Control-Allow-Methods")?.contains("POST") == true)
        #expect(pre.header("Access-Control-Allow-Origin") != nil)
        // The SDK's request, through the proxy.
        let reqLine = try String(contentsOf: Self.ts.appendingPathComponent("requests/ts_track_basic.jsonl"), encoding: .utf8)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(reqLine.utf8)) as? [String: Any])
        let body = try #require(obj["body"] as? String)
        let sent = try await onOwnThread { try RawHTTP.send(port: bound.port, "POST", "/2/httpapi",
                                                            headers: ["Content-Type: application/json"], body: Array(body.utf8)) }
        #expect(sent.status == 200)
        try await Self.waitFor { hub.session.rowInfo([WireEventRef(captureID: 1, index: 0)]).first??.method == "track" }
        let rows = hub.session.sdkRows()
        #expect(rows.map(\.source) == ["http:node", "http:node"])
        #expect(rows.first?.wire == [WireEventRef(captureID: 1, index: 0)])
        await server.shutdown()
    }
}

/// Collects follower events as strings.
final class LockedEvents: Sendable {
    private let items = Locked<[String]>([])
    func add(_ e: DebugLogFollower.Event) {
        let text: String
        switch e {
        case .bytes(let b): text = String(decoding: b, as: UTF8.self)
        case .restarted(let why): text = "restarted: " + why
        case .missing: text = "missing"
        }
        items.with { $0.append(text) }
    }
    func take() -> [String] {
        items.with { all in
            let out = all
            all = []
            return out
        }
    }
}

final class LockedMessages: Sendable {
    private let items = Locked<[String]>([])
    func add(_ m: String) { items.with { $0.append(m) } }
    var all: [String] { items.value }
}

