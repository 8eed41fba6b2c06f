import AmpscopeCore
import AmpscopeTestSupport
import Foundation
import Testing

/// `kill -9` during a replay load: `ampscope --store S --replay FILE` in tmux takes live requests
/// while it loads the file and is killed mid-load. A replay is indexed, not copied into the store
/// (Docs/replay.md), so the store must hold exactly the live requests that were acknowledged, each
/// whole, and nothing of the replay; started again on the same store with the same file, it shows
/// those requests and the whole file once, and appends new captures.
@Suite(.serialized) struct ReplayKillTests {
    static let requests = 10_000
    static let eventsPerRequest = 10

    /// Recorded milliseconds between two requests of the file. At `--speed 1` the whole file takes
    /// `requests × gapMs` of wall time to load (200 s): the 200 live requests and the kill must
    /// happen while it is still loading, however busy the machine (at 1 ms apart the load took
    /// 10 s, and a CI run with the whole suite beside it once finished the load first).
    static let gapMs = 20

    /// Capture lines: request `i` carries 10 events whose insert ids name it; received `gapMs` apart,
    /// so `--speed 1` loads them at about 50 requests (500 events) a second.
    static func captureFile(_ dir: URL) throws -> String {
        let url = dir.appendingPathComponent("load.jsonl")
        var out = #"{"ampscope_capture":1,"tool":"ReplayKillTests"}"# + "\n"
        out.reserveCapacity(requests * 2200)
        for i in 0..<requests {
            let events = (0..<eventsPerRequest).map { e in
                #"{"event_type":"Load Event","user_id":"user-load-"# + String(i % 97) + #"","device_id":"device-load-0001","time":"#
                    + String(1_795_000_000_000 + i * gapMs) + #","insert_id":"req-"# + String(i) + "-" + String(e) + #"","event_properties":{"n":"# + String(e) + "}}"
            }
            out += #"{"path":"/2/httpapi","method":"POST","received_ms":"# + String(1_795_000_000_000 + i * gapMs)
                + #","headers":[["Content-Type","application/json"]],"body":{"api_key":"0123456789abcdef0123456789abcdef","events":["#
                + events.joined(separator: ",") + "]}}\n"
        }
        try out.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// The requests of an `export --format jsonl` run: the insert ids and event count of each.
    static func exported(_ store: String) async throws -> (status: Int32, requests: [(inserts: [String], events: Int)], stderr: String) {
        let r = try await TestSupport.runOffPool(["export", store, "--format", "jsonl"])
        var out: [([String], Int)] = []
        for line in r.stdout.split(separator: "\n") {
            let doc = try JSONDocument(parsing: Array(line.utf8))
            guard doc.member(doc.root, named: "ampscope_capture") == nil else { continue }
            let events = doc.member(doc.root, named: "events_in_body").flatMap { doc.int64($0) }.map(Int.init) ?? -1
            var inserts: [String] = []
            func collect(_ d: JSONDocument, _ body: JSONDocument.Index) {
                if let list = d.member(body, named: "events") {
                    inserts = d.elements(list).compactMap { d.member($0, named: "insert_id").flatMap { d.stringValue($0) } }
                }
            }
            if let body = doc.member(doc.root, named: "body") {
                if let text = doc.stringValue(body) {
                    let b = try JSONDocument(parsing: Array(text.utf8))
                    collect(b, b.root)
                } else {
                    collect(doc, body)
                }
            }
            out.append((inserts, events))
        }
        return (r.status, out, r.stderr)
    }

    static func live(_ i: Int) -> [UInt8] {
        Array((#"{"api_key":"0123456789abcdef0123456789abcdef","events":[{"event_type":"Live Event","user_id":"user-live-0001","insert_id":"live-"#
               + String(i) + #"-0","event_properties":{"i":"# + String(i) + "}}]}").utf8)
    }

    @Test func killMinus9DuringAReplayLoadLosesNoAcknowledgedRequestAndShowsNothingHalfWritten() async throws {
        let dir = TestSupport.tempDir()
        let file = try await onOwnThread { try Self.captureFile(dir) }
        let store = dir.appendingPathComponent("load.sqlite").path
        let env = ["XDG_CONFIG_HOME": dir.path, "HOME": dir.path]
        let t = try TmuxSession(command: "\(TestSupport.binary) --listen 127.0.0.1:0 --store \(store) --replay \(file) --speed 1 --no-mouse",
                                directory: dir.path, cols: 160, rows: 40, environment: env)
        let screen = try await t.wait(for: "the load to start", timeout: 240) { $0.contains("loading ") && $0.contains("/2/httpapi") }
        let port = try #require(screen.firstRange(of: #/127\.0\.0\.1:(\d+)\/2\/httpapi/#).flatMap { Int(screen[$0].split(separator: ":")[1].prefix { $0.isNumber }) })
        // Live requests while the file loads; each acknowledged one must survive the kill.
        var acknowledged: [Int] = []
        for i in 0..<200 {
            let r: RawResponse
            do {
                r = try await onOwnThread { try RawHTTP.send(port: port, "POST", "/2/httpapi", headers: ["Content-Type: application/json"], body: Self.live(i)) }
            } catch {
                Issue.record("live request \(i) to port \(port): \(error); screen:\n\(t.screen())")
                throw error
            }
            if r.status == 200 { acknowledged.append(i) }
        }
        #expect(acknowledged.count == 200)
        let during = t.screen()
        let stillLoading = during.contains("loading ")
        #expect(stillLoading, "still loading when killed:\n\(during)")
        let pane = try t.tmux(["display-message", "-p", "-t", "t", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let children = try await runProgramOffPool("/usr/bin/pgrep", ["-P", pane, "-f", "ampscope"], timeout: 30)
        let pids = children.stdout.split(separator: "\n").compactMap { Int32($0) }
        #expect(pids.count == 1, "the ampscope process under the pane: \(children.stdout) \(children.stderr)")
        for pid in pids { kill(pid, SIGKILL) }
        try await t.wait(for: "ampscope to be gone", timeout: 60) { _ in pids.allSatisfy { kill($0, 0) != 0 } }

        // The store opens and holds exactly the acknowledged live requests, whole; nothing of the replay.
        let first = try await Self.exported(store)
        #expect(first.status == 0, "export after kill -9: \(first.stderr)")
        #expect(first.requests.map { $0.inserts } == acknowledged.map { ["live-\($0)-0"] }, "\(first.requests.count) requests in the store")
        #expect(first.requests.allSatisfy { $0.events == 1 })

        // Started again on the same store with the same file: the live requests and the whole file, once.
        let again = try TmuxSession(command: "\(TestSupport.binary) --listen 127.0.0.1:0 --store \(store) --replay \(file) --no-mouse",
                                    directory: dir.path, cols: 160, rows: 40, environment: env)
        let total = Self.requests * Self.eventsPerRequest
        let shown = try await again.wait(for: "the reopened store and the whole file", timeout: 300) {
            $0.contains("loaded \(total.formatted()) events")
        }
        #expect(shown.contains("\((total + acknowledged.count).formatted()) rows"), "the stream: \(shown)")
        try again.press("Q")
        try await again.wait(for: "ampscope to exit") { $0.contains("requests,") }

        // And it appends.
        let proxy = try await onOwnThread { try ProxyProcess(["--store", store]) }
        let answer = try await onOwnThread { try RawHTTP.send(port: proxy.port, "POST", "/2/httpapi", headers: ["Content-Type: application/json"], body: Self.live(999)) }
        let exit = try await onOwnThread { proxy.stop(signal: SIGTERM) }
        #expect(answer.status == 200)
        #expect(exit == 0, "proxy on the reopened store: \(proxy.stderr.suffix(500))")
        let second = try await Self.exported(store)
        #expect(second.status == 0)
        #expect(second.requests.count == acknowledged.count + 1)
        #expect(second.requests.last?.inserts == ["live-999-0"])
        // Every figure the checks above looked at, so a failure can be read from this line alone.
        print("replay kill -9: killed while loading \(Self.requests) requests (\(total) events) with \(acknowledged.count) live requests acknowledged "
              + "(still loading when killed: \(stillLoading), ampscope processes under the pane: \(pids.count)); "
              + "the store held \(first.requests.count) requests (export status \(first.status)); restarted, it showed \(total + acknowledged.count) rows: "
              + "\(shown.contains("\((total + acknowledged.count).formatted()) rows")); the append answered \(answer.status), the proxy exited \(exit), "
              + "and the store then held \(second.requests.count) requests")
    }
}
