import AmpscopeCore
import AmpscopeTestSupport
import Foundation
import Testing
@testable import AmpscopeUI

/// Paths, fixture traffic and snapshot files for the UI tests.
enum UITest {
    static let testsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repoRoot = testsDir.deletingLastPathComponent().deletingLastPathComponent()
    static let snapshotsDir = testsDir.appendingPathComponent("__Snapshots__", isDirectory: true)
    static let fixturesRoot = Repo.fixtures

    /// Every processed capture of one fixture file, in order (a missing file is a failed expectation).
    static func fixture(_ sdk: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> [Processed] {
        let bytes = Repo.fixtureBytes("\(sdk)/requests/\(name).jsonl", sourceLocation: sourceLocation)
        var ctx = ValidationContext(settings: ValidationSettings())
        let ingest = Ingest()
        var out: [Processed] = []
        var line = 0
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            line += 1
            if end > start, case .success(let c?) = CaptureLine.parse(bytes[start..<end], name: name + ".jsonl", line: line) {
                out.append(ingest.process(c, context: &ctx, now: c.receivedAt))
            }
            start = end + 1
        }
        return out
    }

    /// A capture built from a JSON body, processed.
    static func processed(_ body: String, path: String = "/2/httpapi", receivedAt: Int64 = 1_763_800_000_000,
                          headers: [HTTPHeader] = [HTTPHeader("Content-Type", "application/json")],
                          response: RecordedResponse? = nil, source: CaptureSource = .proxy) -> Processed {
        var c = Capture(receivedAt: receivedAt, source: source, path: path, headers: headers, body: Array(body.utf8))
        c.client = "127.0.0.1:50123"
        c.recordedResponse = response
        var ctx = ValidationContext(settings: ValidationSettings())
        return Ingest().process(c, context: &ctx, now: receivedAt)
    }

    /// A session over the given captures; effects are carried out like the real host would.
    static func session(_ captures: [Processed], size: Size = Size(cols: 80, rows: 24), config: UIConfig = UIConfig()) -> (UISession, MemoryStreamData, Host) {
        let data = MemoryStreamData()
        for p in captures { data.append(p) }
        let s = UISession(config: config, data: data, size: size)
        let host = Host(session: s, data: data)
        host.run(s.send(.dataChanged))
        return (s, data, host)
    }

    /// Carries out effects against the in-memory data, as the real glue does against the store.
    final class Host {
        let session: UISession
        let data: MemoryStreamData
        var copied: [String] = []
        var exported: [String] = []
        var quit = false
        var mouse: Bool?
        var themes: [String] = []
        /// The golden run's requests by golden event index (`--golden`; the host's follower holds them).
        var goldenRequest: (Int) -> Processed? = { _ in nil }

        init(session: UISession, data: MemoryStreamData) {
            self.session = session
            self.data = data
        }

        func run(_ effects: [Effect]) {
            var queue = effects
            while !queue.isEmpty {
                let e = queue.removeFirst()
                switch e {
                case .loadDetail(let id):
                    if let p = data.detail(id) { queue += session.send(.detailLoaded(p)) }
                    else { queue += session.send(.detailFailed(captureID: id, message: "not found")) }
                case .loadDiff(let pair):
                    if let link = pair.golden {
                        if let a = goldenRequest(link.golden), let b = data.detail(pair.other.captureID) {
                            queue += session.send(.diffLoaded(DiffSubject(pair: pair, base: a, other: b)))
                        }
                    } else if let a = data.detail(pair.base.captureID), let b = data.detail(pair.other.captureID) {
                        queue += session.send(.diffLoaded(DiffSubject(pair: pair, base: a, other: b)))
                    }
                case .loadProfiles(let id):
                    queue += session.send(.profilesLoaded(data.profiles(id)))
                    queue += session.send(.usersChanged(data.users()))
                case .applyView(let v, let debug):
                    data.apply(v.bound(to: debug))
                    queue += session.send(.dataChanged)
                case .copy(let text, _): copied.append(text)
                case .export(let path, _, _): exported.append(path)
                case .clearStore:
                    data.clear()
                    queue += session.send(.cleared)
                case .loadTheme(let t): themes.append(t)
                case .setMouse(let on): mouse = on
                case .quit: quit = true
                }
            }
        }

        func press(_ k: Key) { run(session.press(k)) }
        func type(_ t: String) { run(session.type(t)) }
        func send(_ a: Action) { run(session.send(a)) }
        var screen: String { session.render().text }
    }
}

/// Text snapshots kept in `__Snapshots__/NAME.txt`; `AMPSCOPE_RECORD_SNAPSHOTS=1` rewrites them.
enum Snapshot {
    static var recording: Bool { ProcessInfo.processInfo.environment["AMPSCOPE_RECORD_SNAPSHOTS"] == "1" }

    static func render(_ name: String, _ b: ScreenBuffer, styles: Bool) -> String {
        var s = "# \(name) · \(b.size.cols)x\(b.size.rows) · text as tmux capture-pane shows it (trailing spaces trimmed)\n"
        s += b.text + "\n"
        if styles { s += "# style runs per row (columns inclusive)\n" + b.styleRuns + "\n" }
        return s
    }

    static func check(_ name: String, _ b: ScreenBuffer, styles: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        let url = UITest.snapshotsDir.appendingPathComponent(name + ".txt")
        let actual = render(name, b, styles: styles)
        #expect(b.isConsistent, "wide-glyph invariant broken in \(name)", sourceLocation: sourceLocation)
        let existing = try? String(contentsOf: url, encoding: .utf8)
        if recording || existing == nil {
            try? FileManager.default.createDirectory(at: UITest.snapshotsDir, withIntermediateDirectories: true)
            try? actual.write(to: url, atomically: true, encoding: .utf8)
            if existing == nil && !recording {
                Issue.record("recorded a new snapshot \(name).txt: check it and run again", sourceLocation: sourceLocation)
            }
            return
        }
        if existing != actual {
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let e = existing!.split(separator: "\n", omittingEmptySubsequences: false)
            var where_ = "lengths differ (\(a.count) vs \(e.count) lines)"
            for i in 0..<min(a.count, e.count) where a[i] != e[i] {
                where_ = "line \(i + 1):\n  expected: \(e[i])\n  actual:   \(a[i])"
                break
            }
            Issue.record("snapshot \(name) differs (AMPSCOPE_RECORD_SNAPSHOTS=1 rewrites it) at \(where_)", sourceLocation: sourceLocation)
        }
    }
}
