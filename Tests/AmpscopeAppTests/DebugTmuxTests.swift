import Foundation
import Testing

/// End to end in a real terminal: a recorded TypeScript SDK log piped into the built binary
/// (`cat LOG | ampscope replay --debug-log -`) inside tmux; the UI reads its keys from the
/// terminal while the log comes on standard input. The test selects a call, opens the Debug
/// tab and reads the method, the arguments and the state diff off `tmux capture-pane`.
@Suite("Debug tab in tmux", .serialized)
struct DebugTmuxTests {
    static func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    @Test("pipe a TypeScript SDK log in, select a call, open the Debug tab: method, args and state diff on screen")
    func pipedLogDebugTab() async throws {
        let home = TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: home) }
        let log = TestSupport.fixtures.appendingPathComponent("typescript-node/logs/ts_http_429_then_200.console.log").path
        // Fixed TERM, and a config dir of our own (no user key file or theme).
        // TmuxSession spawns tmux with posix_spawn (Foundation's Process never returns for the
        // command that daemonises the tmux server).
        let cmd = "cat \(Self.shellQuote(log)) | \(Self.shellQuote(TestSupport.binary)) replay --debug-log -; echo AMPSCOPE-EXITED $?"
        let t = try TmuxSession(command: "sh -c " + Self.shellQuote(cmd), directory: home.path, cols: 160, rows: 50,
                                environment: ["TERM": "xterm-256color", "XDG_CONFIG_HOME": home.path, "HOME": home.path])

        // With SDK calls and no request, the SDK calls list opens by itself.
        var s = try await t.wait(for: "the SDK calls list") { $0.contains("SDK calls · 2 rows") }
        #expect(s.contains("track(\"E1\", null, {…})"))
        #expect(s.contains("track(\"E2\", null, {…})"))
        // Select the first call, then the second, and open the Debug tab.
        try t.press("g")
        s = try await t.wait(for: "the first call selected") { $0.contains("SDK row 1 · track(\"E1\"") }
        try t.press("j")
        try t.press("4")
        s = try await t.wait(for: "the Debug tab of the second call") { $0.contains("SDK row 2 · track(\"E2\"") && $0.contains("timeline.queue.length  1 → 0") }
        // The method, its arguments and the state diff.
        #expect(s.contains("track  SDK call · typescript · stdin:"), "\(s)")
        #expect(s.contains("Arguments"))
        #expect(s.contains("\"E2\","), "\(s)")
        #expect(s.contains("\"user_id\": \"user-00001\","), "\(s)")
        #expect(s.contains("timeline.queue.length  1 → 0"), "\(s)")
        #expect(s.contains("✓ delivered 200"))
        #expect(s.contains("\"0123************************cdef\""), "the API key in the state is masked")
        #expect(!s.contains("0123456789abcdef0123456789abcdef"))
        // The first call's state did not change.
        try t.press("k")
        // Waits for the whole new frame (header and body), not a capture taken mid-redraw.
        s = try await t.wait(for: "the first call's Debug tab") {
            $0.contains("SDK row 1 · track(\"E1\"") && $0.contains("timeline.queue.length  0  (unchanged)")
        }
        #expect(s.contains("State before"), "\(s)")
        // q from the inspector goes back, Q quits; the terminal is restored and the exit status is 0.
        try t.press("Q")
        s = try await t.wait(for: "ampscope to exit") { $0.contains("AMPSCOPE-EXITED") }
        #expect(s.contains("AMPSCOPE-EXITED 0"), "\(s)")
    }
}
