import AmpscopeCore
import Testing
@testable import AmpscopeUI

/// The stream's columns share the width by what they hold, and the user moves the split.
@Suite("Columns and split")
struct SplitAndColumnsTests {
    static func session(_ types: [String], size: Size) -> (UISession, UITest.Host) {
        let events = types.enumerated().map { i, t in
            "{\"event_type\":\"\(t)\",\"user_id\":\"user-\(10000 + i)\",\"insert_id\":\"id-\(i)\",\"time\":1795000000000}"
        }
        let body = "{\"api_key\":\"0123456789abcdef0123456789abcdef\",\"events\":[\(events.joined(separator: ","))]}"
        let (s, _, h) = UITest.session([UITest.processed(body)], size: size)
        return (s, h)
    }

    @Test("at 140 columns, event types of 21 to 30 characters are shown whole", arguments: [
        "Checkout Step Completed", "Subscription Plan Upgraded", "Onboarding Checklist Item Done",
    ])
    func longTypesAreNotCut(_ type: String) {
        #expect((21...30).contains(type.count))
        let (s, _) = Self.session([type, "Page Viewed"], size: Size(cols: 140, rows: 40))
        let screen = s.render()
        let listLines = screen.text.split(separator: "\n").dropFirst(3).prefix(2)
        #expect(listLines.contains { $0.contains(type) }, "the stream shows \(type) whole:\n\(screen.text)")
        // The stream took the room from the inspector, which keeps a usable width.
        let layout = Layout(s.state)
        #expect(layout.sideBySide)
        #expect(layout.inspector.width >= Layout.minimumPane)
    }

    @Test("short event types keep the default split")
    func shortTypesKeepTheDefault() {
        let (s, _) = Self.session(["Page Viewed", "Sign Up"], size: Size(cols: 140, rows: 40))
        let layout = Layout(s.state)
        #expect(layout.stream.width == Layout(size: s.state.size, focus: .stream, zoomed: false).stream.width)
    }

    @Test("< and > move the split; the mouse drags the separator")
    func keysAndMouseMoveTheSplit() {
        let (s, h) = Self.session(["Page Viewed"], size: Size(cols: 160, rows: 40))
        let before = Layout(s.state).stream.width
        h.press(.char(">"))
        let wider = Layout(s.state).stream.width
        #expect(wider > before)
        h.press(.char("<"))
        h.press(.char("<"))
        #expect(Layout(s.state).stream.width < wider)
        #expect(s.state.message?.text.contains("stream") == true)
        // Press on the separator, release at column 100: the stream ends there.
        let sep = Layout(s.state).separator
        h.send(.input(.mouse(MouseEvent(x: sep.x, y: sep.y + 3, kind: .press))))
        h.send(.input(.mouse(MouseEvent(x: 100, y: sep.y + 3, kind: .release))))
        let moved = Layout(s.state)
        #expect(abs(moved.stream.width - 100) <= 2, "stream width \(moved.stream.width)")
        // The split stays within bounds however far it is dragged.
        h.send(.input(.mouse(MouseEvent(x: moved.separator.x, y: 5, kind: .press))))
        h.send(.input(.mouse(MouseEvent(x: 2, y: 5, kind: .release))))
        #expect(Layout(s.state).stream.width >= Layout.minimumPane)
        #expect(s.render().isConsistent)
    }
}
