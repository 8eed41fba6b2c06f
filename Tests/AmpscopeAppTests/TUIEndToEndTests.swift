import AmpscopeTestSupport
import Foundation
import Testing

/// The real `ampscope` binary in tmux, fed by the real Amplitude Python SDK (issue 4's
/// end-to-end check): events appear, a filter narrows them, the Findings tab names
/// `id-too-short` for the event with a 3-character user id.
@Suite(.serialized) struct TUIEndToEndTests {
    /// The Python interpreter with PyPI's amplitude-analytics (Scripts/test provisions it).
    static var python: String? {
        if let p = ProcessInfo.processInfo.environment["AMPSCOPE_PYTHON"], !p.isEmpty { return p }
        let venv = TestSupport.repoRoot.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }

    @Test func realSDKTrafficAppearsFiltersAndShowsFindings() async throws {
        guard let python = Self.python else {
            Issue.record("No Python with amplitude-analytics: run Scripts/test (it creates .venv) or set AMPSCOPE_PYTHON")
            return
        }
        let dir = TestSupport.tempDir()
        let store = dir.appendingPathComponent("tui.sqlite").path
        let frames = dir.appendingPathComponent("frames.txt").path
        let tmux = try TmuxSession(command: "\(TestSupport.binary) --listen 127.0.0.1:0 --store \(store) --no-mouse",
                                   directory: dir.path, environment: ["XDG_CONFIG_HOME": dir.path, "AMPSCOPE_FRAME_STATS": frames])
        // The header names the address the proxy bound.
        let first = try await tmux.wait(for: "the proxy address in the header") { $0.contains("http://127.0.0.1:") && $0.contains("/2/httpapi") }
        let port = try #require(Self.port(in: first), "no port on screen:\n\(first)")

        // Real SDK traffic.
        let script = TestSupport.repoRoot.appendingPathComponent("Tests/e2e/python/tui_traffic.py").path
        let (sdkStatus, sdkOutput): (Int32, String) = try await onOwnThread {
            let r = try Programs.run(python, [script, "http://127.0.0.1:\(port)"], timeout: 120)
            return (r.status, r.stdout)
        }
        #expect(sdkStatus == 0, "SDK script failed: \(sdkOutput)")
        #expect(sdkOutput.contains("\"event_type\": \"Too Short\"") && sdkOutput.contains("\"code\": 400"),
                "the SDK reports the short-id event rejected with 400: \(sdkOutput)")

        // The events appear.
        let events = try await tmux.wait(for: "the SDK's events in the stream") {
            $0.contains("Signup Completed") && $0.contains("Too Short") && $0.contains("Page Viewed") && $0.contains("$identify")
        }
        #expect(events.contains("abc"))

        // A filter narrows them to the short-id event.
        try tmux.press("f")
        try await tmux.wait(for: "the filter prompt") { $0.contains("filter") }
        try tmux.type("type:short")
        try tmux.press("Enter")
        let filtered = try await tmux.wait(for: "the filtered stream") { s in
            s.contains("Too Short") && !s.contains("Signup Completed") && !s.contains("Page Viewed")
        }
        #expect(filtered.contains("1 of "), "the stream title says how many rows the filter shows:\n\(filtered)")

        // The Findings tab of the selected event names the rule and the path.
        try tmux.press("Enter")
        try tmux.press("2")
        let findings = try await tmux.wait(for: "id-too-short in the Findings tab") { $0.contains("id-too-short") }
        #expect(findings.contains("/events/1/user_id") || findings.contains("user_id"))

        try tmux.press("q")
        try tmux.press("q")
        try await tmux.wait(for: "ampscope to exit and print its summary") { $0.contains("requests,") && $0.contains(store) }
        // The UI's own frame counter was written as it quit: every frame drawn, with its times.
        let counted = (try? String(contentsOfFile: frames, encoding: .utf8)) ?? ""
        let drawn = counted.split(separator: " ").dropFirst(2).first.flatMap { Int($0) } ?? 0
        #expect(counted.hasPrefix("ampscope: frames: ") && counted.contains(" p99 ") && drawn >= 5, "frame counter: \(counted)")
    }

    /// Segment's real Python library against the live UI: a call's row with the Amplitude record
    /// Actions sends under it, the fold key, and the Mapping tab with its destination switch.
    @Test func segmentCallsShowWhatAmplitudeReceives() async throws {
        guard let python = Self.python else {
            Issue.record("No Python with segment-analytics-python: run Scripts/test (it creates .venv) or set AMPSCOPE_PYTHON")
            return
        }
        let dir = TestSupport.tempDir()
        let store = dir.appendingPathComponent("tui-segment.sqlite").path
        let tmux = try TmuxSession(command: "\(TestSupport.binary) --listen 127.0.0.1:0 --store \(store) --no-mouse",
                                   directory: dir.path, cols: 160, rows: 45, environment: ["XDG_CONFIG_HOME": dir.path])
        let first = try await tmux.wait(for: "the proxy address in the header") { $0.contains("http://127.0.0.1:") && $0.contains("/2/httpapi") }
        let port = try #require(Self.port(in: first), "no port on screen:\n\(first)")

        let script = TestSupport.repoRoot.appendingPathComponent("Tests/e2e/python/segment_tui.py").path
        let (status, output): (Int32, String) = try await onOwnThread {
            let r = try Programs.run(python, [script, "http://127.0.0.1:\(port)"], timeout: 120)
            return (r.status, r.stdout + r.stderr)
        }
        #expect(status == 0, "the Segment script failed: \(output)")

        // Each call's row, with the Amplitude record Actions sends under it.
        let rows = try await tmux.wait(for: "the Segment calls and their mapped rows") {
            $0.contains("track Checkout Started") && $0.contains("↳ Checkout Started") && $0.contains("↳ $identify")
        }
        #expect(rows.contains("segment"), "the call's row names the Segment endpoint:\n\(rows)")
        // Fold and unfold.
        try tmux.press("a")
        try await tmux.wait(for: "the mapped rows folded away") { !$0.contains("↳ Checkout Started") && $0.contains("track Checkout Started") }
        try tmux.press("a")
        try await tmux.wait(for: "the mapped rows again") { $0.contains("↳ Checkout Started") }
        // The identify call's Mapping tab: what Actions sends, and the finding its short id gets.
        try tmux.press("f")
        try await tmux.wait(for: "the filter prompt") { $0.contains("filter") }
        try tmux.type("segment:identify")
        try tmux.press("Enter")
        try await tmux.wait(for: "the identify call only") { !$0.contains("Checkout Started") && $0.contains("↳ $identify") }
        try tmux.press("g")
        try tmux.press("5")
        let mapping = try await tmux.wait(for: "the Mapping tab") { $0.contains("identify → Amplitude (Actions)") && $0.contains("Identify User") }
        #expect(mapping.contains("/identification/user_id") || mapping.contains("user_id"), "field provenance:\n\(mapping)")
        #expect(mapping.contains("id-too-short"), "the mapped identify's finding:\n\(mapping)")
        try tmux.press("Tab")
        try tmux.press("t")
        try await tmux.wait(for: "the classic destination's requests") { $0.contains("identify → Amplitude (classic)") && $0.contains("classic identify") }

        try tmux.press("q")
        try tmux.press("q")
        try await tmux.wait(for: "ampscope to exit and print its summary") { $0.contains("requests,") && $0.contains(store) }
    }

    static func port(in screen: String) -> Int? {
        guard let r = screen.range(of: "http://127.0.0.1:") else { return nil }
        return Int(screen[r.upperBound...].prefix { $0.isNumber })
    }
}
