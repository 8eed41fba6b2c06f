import AmpscopeCore
import Testing
@testable import AmpscopeUI

/// Action sequences → state and effects.
@Suite("Reducer")
struct ReducerTests {
    /// Rows of the sample traffic, in order: batch#0 (Page Viewed), batch#1 (Button Clicked, error),
    /// batch#2 (Signed Up), identify#0, hostile#0, unknown#-1.
    func make(_ size: Size = Size(cols: 80, rows: 24)) -> (UISession, MemoryStreamData, UITest.Host) {
        let r = UITest.session(SampleTraffic.all, size: size)
        r.2.run(r.0.start())
        return r
    }

    func selectedType(_ s: UISession) -> String? {
        guard let id = s.state.selection, let p = s.data.position(of: id) else { return nil }
        return s.data.row(at: p)?.event.eventType
    }

    @Test("follow keeps the newest row selected; moving up pauses; new rows do not move a paused selection")
    func follow() {
        let (s, data, host) = make()
        #expect(s.state.following)
        #expect(s.state.selection == RowID(captureID: 4, index: -1))
        #expect(s.state.detail?.capture.id == 4)       // the detail was loaded
        host.press(.char("k"))
        #expect(!s.state.following)
        #expect(s.state.selection == RowID(captureID: 3, index: 0))
        data.append(SampleTraffic.batch)
        host.send(.dataChanged)
        #expect(s.state.selection == RowID(captureID: 3, index: 0))
        #expect(host.screen.contains("PAUSED +3 new"))
        host.press(.char("F"))
        #expect(s.state.following)
        #expect(s.state.selection == RowID(captureID: 5, index: 2))
        data.append(SampleTraffic.identify)
        host.send(.dataChanged)
        #expect(s.state.selection == RowID(captureID: 6, index: 0))
        // space pauses and resumes.
        host.press(.char(" "))
        #expect(!s.state.following)
        host.press(.char(" "))
        #expect(s.state.following)
    }

    @Test("motion keys: j k g G pgup pgdn")
    func motion() {
        let (s, _, host) = make()
        host.press(.char("g"))
        #expect(s.state.selection == RowID(captureID: 1, index: 0))
        #expect(s.state.selectionLine == 0)
        host.press(.char("j"))
        host.press(.down)
        #expect(s.state.selection == RowID(captureID: 1, index: 2))
        host.press(.char("k"))
        #expect(s.state.selection == RowID(captureID: 1, index: 1))
        host.press(.pageDown)
        #expect(s.state.selection == RowID(captureID: 4, index: -1))   // clamped at the end
        host.press(.pageUp)
        #expect(s.state.selection == RowID(captureID: 1, index: 0))
        host.press(.char("G"))
        #expect(s.state.selection == RowID(captureID: 4, index: -1))
        #expect(!s.state.following)                // G goes to the end but does not follow; F does
    }

    @Test("e and E jump between events with errors")
    func errors() {
        let (s, _, host) = make()
        host.press(.char("g"))
        host.press(.char("e"))
        #expect(selectedType(s) == "Button Clicked")
        host.press(.char("e"))
        #expect(selectedType(s) == "(unknown endpoint)")  // the request to an unknown path is an error too
        host.press(.char("e"))
        #expect(selectedType(s) == "Button Clicked")  // wraps around to the first error
        #expect(s.state.message?.text == "wrapped around to the first event with an error")
        host.press(.char("G"))  // the last row: the unknown-endpoint request
        host.press(.char("E"))
        #expect(selectedType(s) == "Button Clicked")
        host.press(.char("E"))
        #expect(selectedType(s) == "(unknown endpoint)")  // and backwards past the start
        #expect(s.state.message?.text == "wrapped around to the last event with an error")
    }

    @Test("the filter prompt applies row-only filters as you type, shows errors, and esc restores")
    func filterPrompt() {
        let (s, data, host) = make()
        host.press(.char("f"))
        #expect(s.state.prompt?.kind == .filter)
        host.type("type:sign")
        #expect(s.state.view.filter.text == "type:sign")
        #expect(data.count == 1)
        #expect(selectedType(s) == "Signed Up")
        // A bad filter keeps the previous one and points at the problem.
        host.type(" and tpye:x")
        #expect(s.state.prompt?.error?.position == 14)
        #expect(s.state.view.filter.text == "type:sign")
        #expect(data.count == 1)
        host.press(.enter)
        #expect(s.state.prompt != nil)             // stays open on an error
        #expect(s.state.message?.isError == true)
        // Esc goes back to the filter from before the prompt opened (none).
        host.press(.escape)
        #expect(s.state.prompt == nil)
        #expect(s.state.view.filter.isEmpty)
        #expect(data.count == 6)
        // Enter keeps a good filter; the selection stays on the same row (by id).
        host.press(.char("g"))
        host.press(.char("j"))
        host.press(.char("f"))
        host.type("severity:error\n")
        #expect(s.state.prompt == nil)
        #expect(data.count == 2)
        #expect(selectedType(s) == "Button Clicked")
        host.press(.char(":"))
        host.type("filter\n")
        #expect(s.state.view.filter.isEmpty)
        #expect(selectedType(s) == "Button Clicked")
    }

    @Test("payload filters apply on enter, not per keystroke")
    func payloadFilter() {
        let (s, data, host) = make()
        host.press(.char("f"))
        host.type("prop.button=buy")
        #expect(s.state.view.filter.isEmpty)
        #expect(data.count == 6)
        #expect(host.screen.contains("reads payloads: enter applies it"))
        host.press(.enter)
        #expect(data.count == 1)
        #expect(selectedType(s) == "Button Clicked")
    }

    @Test("search with / and n, N (columns), wrapping around")
    func search() {
        let (s, _, host) = make()
        host.press(.char("g"))
        host.press(.char("/"))
        host.type("user-0000\n")
        #expect(selectedType(s) == "Signed Up")          // next match after the selection
        host.press(.char("n"))
        #expect(selectedType(s) == "$identify")
        host.press(.char("n"))
        #expect(selectedType(s) == "Page Viewed")        // wrapped
        #expect(s.state.message?.text.contains("wrapped") == true)
        host.press(.char("N"))
        #expect(selectedType(s) == "$identify")
        host.press(.char("/"))
        host.type("nothing-like-it\n")
        #expect(s.state.message?.isError == true)
    }

    @Test("marks and marked-only")
    func marks() {
        let (s, data, host) = make()
        host.press(.char("g"))
        host.press(.char("m"))
        host.press(.char("j"))
        host.press(.char("j"))
        host.press(.char("m"))
        #expect(s.state.marks == [RowID(captureID: 1, index: 0), RowID(captureID: 1, index: 2)])
        host.press(.char("M"))
        #expect(s.state.view.markedOnly)
        #expect(data.count == 2)
        host.press(.char("m"))                           // unmark while marked-only: the view follows
        #expect(data.count == 1)
        host.press(.char("M"))
        #expect(data.count == 6)
        host.press(.char(":"))
        host.type("unmark\n")
        #expect(s.state.marks.isEmpty)
    }

    @Test("panes and tabs: enter, tab, q, 1-7, ] and [")
    func panes() {
        let (s, _, host) = make()
        host.press(.enter)
        #expect(s.state.focus == .inspector)
        host.press(.char("2"))
        #expect(s.state.tab == .findings)
        host.press(.char("]"))
        #expect(s.state.tab == .request)
        host.press(.char("]"))
        host.press(.char("]"))
        #expect(s.state.tab == .mapping)
        host.press(.char("]"))
        #expect(s.state.tab == .user)
        host.press(.char("]"))
        #expect(s.state.tab == .diff)
        host.press(.char("]"))
        #expect(s.state.tab == .payload)
        host.press(.char("["))
        #expect(s.state.tab == .diff)
        host.press(.char("["))
        #expect(s.state.tab == .user)
        host.press(.char("["))
        #expect(s.state.tab == .mapping)
        host.press(.char("["))
        #expect(s.state.tab == .debug)
        host.press(.char("5"))
        #expect(s.state.tab == .mapping)
        host.press(.char("4"))
        host.press(.char("q"))
        #expect(s.state.focus == .stream)
        #expect(!host.quit)
        host.press(.tab)
        #expect(s.state.focus == .inspector)
        host.press(.backTab)
        #expect(s.state.focus == .stream)
        host.press(.char("q"))
        #expect(host.quit)
    }

    @Test("a finding jumps to its path in the payload, unfolding and highlighting it")
    func findingJump() {
        let (s, _, host) = make()
        host.press(.char("g"))
        host.press(.char("e"))                            // Button Clicked: id-too-short
        host.press(.enter)
        host.press(.char("-"))                            // fold everything first
        host.press(.char("2"))
        let findings = InspectorContent.findings(s.state.detail!, index: 1)
        #expect(findings.first?.rule == "id-too-short")
        host.press(.enter)
        #expect(s.state.tab == .payload)
        #expect(s.state.payload.highlight == findings.first?.path)
        #expect(s.state.payload.cursor == findings.first?.path)
        #expect(host.screen.contains("◆"))
    }

    @Test("payload folding: h folds, l unfolds, - folds all, + unfolds all, p shows the whole request")
    func folding() {
        let (s, _, host) = make()
        host.press(.char("g"))
        host.press(.enter)
        let full = s.state.payload.lines.count
        #expect(s.state.payload.cursor == "/events/0")
        host.press(.char("-"))
        #expect(s.state.payload.lines.count < full)
        #expect(s.state.payload.lines.contains { $0.folded && $0.pointer == "/events/0/event_properties" })
        host.press(.char("+"))
        #expect(s.state.payload.lines.count == full)
        // Move to event_properties and fold it with h.
        while s.state.payload.cursor != "/events/0/event_properties" { host.press(.char("j")) }
        host.press(.char("h"))
        #expect(s.state.payload.lines.first { $0.pointer == "/events/0/event_properties" }?.folded == true)
        host.press(.char("l"))
        #expect(s.state.payload.lines.first { $0.pointer == "/events/0/event_properties" }?.folded == false)
        // Folds are kept by relative path from event to event.
        host.press(.char("h"))
        host.press(.tab)
        host.press(.char("j"))
        #expect(s.state.payload.lines.first { $0.pointer == "/events/1/event_properties" }?.folded == true)
        host.press(.tab)
        host.press(.char("p"))
        #expect(s.state.payload.scope == .request)
        #expect(s.state.payload.lines.first?.pointer == "")
        #expect(s.state.payload.cursor == "/events/1")
    }

    @Test("help and setup overlays close with q and esc, and do not quit")
    func overlays() {
        let (s, _, host) = make()
        host.press(.char("?"))
        #expect(s.state.overlay == .help)
        #expect(host.screen.contains("Move down one line"))
        host.press(.char("j"))
        #expect(s.state.overlayScroll == 1)
        host.press(.char("q"))
        #expect(s.state.overlay == nil)
        #expect(!host.quit)
        host.press(.char("s"))
        #expect(s.state.overlay == .setup)
        #expect(host.screen.contains("serverUrl: 'http://127.0.0.1:8787/2/httpapi'"))
        host.press(.escape)
        #expect(s.state.overlay == nil)
    }

    @Test(": commands, completion and errors")
    func commands() {
        let (s, _, host) = make()
        host.press(.char(":"))
        host.type("exp")
        host.press(.tab)
        #expect(s.state.prompt?.string == "export ")
        host.type("bad.jsonl\n")
        #expect(host.exported == ["bad.jsonl"])
        host.press(.char(":"))
        host.type("theme light\n")
        #expect(host.themes == ["light"])
        host.press(.char(":"))
        host.type("mouse off\n")
        #expect(host.mouse == false)
        #expect(!s.state.config.mouse)
        host.press(.char(":"))
        host.type("bogus\n")
        #expect(s.state.message?.isError == true)
        #expect(s.state.message?.text.contains("unknown command :bogus") == true)
        host.press(.char(":"))
        host.type("export\n")
        #expect(s.state.message?.text.contains("needs a file name") == true)
        host.press(.char(":"))
        host.type("goto 2\n")
        #expect(selectedType(s) == "$identify")
        host.press(.char(":"))
        host.press(.up)                                   // history
        #expect(s.state.prompt?.string == "goto 2")
        host.press(.escape)
        host.press(.char(":"))
        host.type("q\n")
        #expect(host.quit)
    }

    @Test("copy: the event, the value under the cursor, a finding")
    func copy() {
        let (s, _, host) = make()
        host.press(.char("g"))
        host.press(.char("y"))
        #expect(host.copied.last?.contains("\"event_type\": \"Page Viewed\"") == true)
        host.press(.enter)
        host.press(.char("j"))                            // time
        host.press(.char("y"))
        #expect(host.copied.last == "1763800000000" || host.copied.last?.hasPrefix("\"") == true)
        host.press(.char("3"))
        host.press(.char("y"))
        #expect(host.copied.last?.contains("0123************************cdef") == true)   // redacted body
        #expect(host.copied.last?.contains(SampleTraffic.key) == false)
        _ = s
    }

    @Test("clear asks the store and forgets marks and selection")
    func clear() {
        let (s, data, host) = make()
        host.press(.char("m"))
        host.press(.char("c"))
        #expect(data.count == 0)
        #expect(s.state.marks.isEmpty)
        #expect(s.state.selection == nil)
        #expect(host.screen.contains("No events yet."))
    }

    @Test("mouse: click selects, wheel scrolls, tab labels switch tabs; --no-mouse ignores it")
    func mouse() {
        let (s, _, host) = make()
        host.press(.char("g"))
        let layout = Layout(size: s.state.size, focus: s.state.focus, zoomed: false)
        host.send(.input(.mouse(MouseEvent(x: 5, y: layout.streamList.y + 2, kind: .press))))
        #expect(s.state.selection == RowID(captureID: 1, index: 2))
        host.send(.input(.mouse(MouseEvent(x: 5, y: layout.streamList.y, kind: .wheelDown))))
        #expect(s.state.selection == RowID(captureID: 4, index: -1))
        host.send(.input(.mouse(MouseEvent(x: 5, y: layout.streamList.y, kind: .wheelUp))))
        #expect(s.state.selection == RowID(captureID: 1, index: 2))
        let hits = layout.tabHits(findings: Select.findingsCount(s.state))
        let request = hits.first { $0.0 == .request }!
        host.send(.input(.mouse(MouseEvent(x: request.1 + 1, y: layout.inspector.y, kind: .press))))
        #expect(s.state.tab == .request)
        #expect(s.state.focus == .inspector)
        host.press(.char(":"))
        host.type("mouse off\n")
        let before = s.state.selection
        host.send(.input(.mouse(MouseEvent(x: 5, y: layout.streamList.y, kind: .press))))
        #expect(s.state.selection == before)
    }

    @Test("resize keeps the selection on screen at any size")
    func resize() {
        let (s, _, host) = make()
        for size in [Size(cols: 200, rows: 50), Size(cols: 30, rows: 8), Size(cols: 12, rows: 3), Size(cols: 0, rows: 0),
                     Size(cols: 80, rows: 24), Size(cols: 133, rows: 9)] {
            host.send(.input(.resize(size)))
            let layout = Layout(size: size, focus: s.state.focus, zoomed: s.state.zoomed)
            #expect(s.state.selectionLine < max(1, layout.listHeight))
            let b = s.render()
            #expect(b.size == size)
            #expect(b.isConsistent)
        }
        #expect(Layout(size: Size(cols: 12, rows: 3), focus: .stream, zoomed: false).tooSmall)
    }

    @Test("unbound keys say so; the key table can be replaced")
    func keys() throws {
        let (s, _, host) = make()
        host.press(.char("x"))
        #expect(s.state.message?.text.contains("x does nothing here") == true)
        var state = s.state
        state.keys = try KeyConfigParser.apply("stream x = mark", to: .standard)
        let fx = Reducer.reduce(&state, .input(.key(.char("x"))), data: s.data)
        #expect(fx.isEmpty)
        #expect(state.marks.count == 1)
    }

    @Test("a detail that fails to load is reported in the inspector")
    func detailFailure() {
        let data = MemoryStreamData()
        data.append(SampleTraffic.batch)
        let s = UISession(data: data)
        let fx = s.start()
        #expect(fx.contains(.loadDetail(captureID: 1)))
        s.send(.detailFailed(captureID: 1, message: "disk on fire"))
        #expect(s.render().text.contains("Could not load capture 1: disk on fire"))
    }
}
