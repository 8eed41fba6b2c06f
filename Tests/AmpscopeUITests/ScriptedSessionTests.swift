import AmpscopeCore
import Testing
@testable import AmpscopeUI

/// The whole UI core driven headlessly over a replay of the recorded real-SDK traffic:
/// captures are processed by the one ingestion path, keys are typed, the screen is read.
@Suite("Scripted session over real SDK traffic")
struct ScriptedSessionTests {
    static let scenarios: [(String, String)] = [
        ("python-sdk", "track_basic"), ("python-sdk", "identify_all_ops"), ("python-sdk", "revenue"),
        ("python-sdk", "short_user_id"), ("python-sdk", "nested_arrays"), ("python-sdk", "http_400_invalid_api_key"),
        ("typescript-node", "ts_identify_all_ops"), ("typescript-node", "ts_http_413_split"),
    ]

    func replay() -> [Processed] { Self.scenarios.flatMap { UITest.fixture($0.0, $0.1) } }

    @Test("the fixtures are there")
    func fixturesPresent() {
        #expect(replay().count >= 10, "fixtures not found under \(UITest.fixturesRoot.path)")
    }

    @Test("events appear, a filter narrows them, the short-id event's findings name id-too-short")
    func session() throws {
        let traffic = replay()
        try #require(!traffic.isEmpty)
        let (s, data, h) = UITest.session(traffic, size: Size(cols: 120, rows: 40))
        h.run(s.start())
        let total = data.count
        var screen = h.screen
        #expect(screen.contains("\(TextLayout.grouped(data.totals.events)) events"))
        #expect(screen.contains("FOLLOW"))
        #expect(s.state.detail != nil)

        // The filter narrows the stream as it is typed.
        h.press(.char("f"))
        h.type("user:user-0000")
        #expect(data.count < total)
        #expect(data.count > 0)
        for p in 0..<data.count { #expect(data.row(at: p)?.event.userID?.contains("user-0000") == true) }
        h.press(.enter)
        screen = h.screen
        #expect(screen.contains("filter: user:user-0000"))
        #expect(screen.contains("of \(TextLayout.grouped(total)) shown"))

        // Clear it, then find the event with a short user_id by its finding.
        h.press(.char(":"))
        h.type("filter rule:id-too-short\n")
        #expect(data.count >= 1)
        h.press(.char("g"))
        h.press(.char("2"))
        screen = h.screen
        #expect(screen.contains("id-too-short"))
        #expect(screen.contains("/events/"))
        // Enter on the finding opens the payload at the user_id.
        h.press(.tab)
        h.press(.enter)
        #expect(s.state.tab == .payload)
        #expect(s.state.payload.highlight?.hasSuffix("/user_id") == true)
        screen = h.screen
        #expect(screen.contains("\"user_id\""))

        // Back to everything; e walks the errors, y copies an event.
        h.press(.char("q"))
        h.press(.char(":"))
        h.type("filter\n")
        #expect(data.count == total)
        h.press(.char("g"))
        h.press(.char("e"))
        let firstError = s.state.selection
        #expect(firstError != nil)
        if let id = firstError, let p = data.position(of: id) { #expect((data.row(at: p)?.event.counts.errors ?? 0) > 0) }
        h.press(.char("y"))
        #expect(h.copied.last?.contains("\"event_type\"") == true)

        // The request tab shows the recorded answer next to ampscope's.
        h.press(.char("3"))
        h.press(.tab)
        h.press(.char("G"))
        screen = h.screen
        #expect(screen.contains("ampscope's emulated answer"))
        #expect(screen.contains("recorded answer (from the file)"))

        // Every frame of the session kept its grid consistent.
        #expect(s.render().isConsistent)
        h.press(.char("Q"))
        #expect(h.quit)
    }

    @Test("live traffic arriving while paused and following")
    func live() {
        let traffic = replay()
        let (s, data, h) = UITest.session([], size: Size(cols: 80, rows: 24))
        h.run(s.start())
        #expect(h.screen.contains("No events yet."))
        for (i, p) in traffic.enumerated() {
            data.append(p)
            h.send(.dataChanged)
            if i == 3 { h.press(.char(" ")) }   // pause after four requests
        }
        #expect(!s.state.following)
        #expect(h.screen.contains("PAUSED +"))
        let paused = s.state.selection
        h.press(.char("F"))
        #expect(s.state.selection != paused)
        #expect(s.state.selection.map { data.position(of: $0) } == data.count - 1)
    }
}
