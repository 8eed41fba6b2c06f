import AmpscopeTestSupport
import Foundation
import AmpscopeCore
import Testing
@testable import AmpscopeUI

/// The SDK debug side of the UI, scripted over the recorded TypeScript SDK logs and their
/// requests: the Debug tab, the SDK-calls list, the jump key, debug filters, redaction.
@Suite("Debug tab and SDK calls")
struct DebugTabTests {
    static let small = Size(cols: 80, rows: 24)
    static let medium = Size(cols: 120, rows: 40)
    static let tall = Size(cols: 120, rows: 70)

    /// A session over a fixture's requests (optional) and its console log (optional), joined the
    /// way the app joins them: log lines fed to the shared session, each stored capture's wire
    /// events added as it is stored.
    static func session(_ name: String, requests: Bool = true, log: Bool = true, size: Size = medium,
                        config: UIConfig = UIConfig(storePath: "/tmp/ampscope/s.sqlite")) -> (UITest.Host, SharedDebugSession, MemoryStreamData) {
        let debug = SharedDebugSession()
        let data = MemoryStreamData()
        if requests {
            for p in UITest.fixture("typescript-node", name) {
                let id = data.append(p)
                var q = p
                q.capture.id = id
                debug.add(wire: DebugWireEvent.events(q, captureID: id))
            }
        }
        if log { feed(debug, name) }
        let s = UISession(config: config, data: data, size: size, debug: debug.snapshot())
        let h = UITest.Host(session: s, data: data)
        h.run(s.start())
        h.send(.debugChanged(debug.snapshot()))
        return (h, debug, data)
    }

    static func feed(_ debug: SharedDebugSession, _ name: String, source: String? = nil) {
        let text = String(decoding: Repo.fixtureBytes("typescript-node/logs/\(name).console.log"), as: UTF8.self)
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        debug.feed(source: source ?? "\(name).console.log", lines: lines)
        debug.finish(source: source ?? "\(name).console.log")
    }

    @Test("select the event, open Debug: the method, its arguments, the state diff and the fate are on the screen")
    func debugTabOfAJoinedEvent() {
        let (h, _, _) = Self.session("ts_track_basic", size: Self.tall)
        h.press(.char("g"))
        h.press(.char("4"))
        h.press(.tab)
        h.press(.char("z"))  // the inspector on the whole screen
        let screen = h.screen
        #expect(screen.contains("SDK side of capture 1 event 0"), "\(screen)")
        #expect(screen.contains("track  SDK call · typescript · ts_track_basic.console.log:31-86"), "\(screen)")
        #expect(screen.contains("took 33 ms"))
        #expect(screen.contains("✓ delivered 200"))
        #expect(screen.contains("joined by insert_id"))
        #expect(screen.contains("\"Button Clicked\","))
        #expect(screen.contains("\"button\": \"signup\","))
        #expect(screen.contains("timeline.queue.length  0  (unchanged)"), "\(screen)")
        #expect(screen.contains("▸ app     track  <runner>/run-ts.js:28:46"), "\(screen)")
        // The API key in the state dump is masked.
        #expect(screen.contains("\"0123************************cdef\""))
        #expect(!screen.contains("0123456789abcdef0123456789abcdef"))
        // The stream row shows the joined call.
        h.press(.char("z"))
        #expect(h.screen.contains("SDK CALL"))
        #expect(h.screen.contains("track     ✓"), "\(h.screen)")
    }

    @Test("--no-redact shows the API key in the state dump")
    func noRedact() {
        let (h, _, _) = Self.session("ts_track_basic", size: Self.tall, config: UIConfig(storePath: nil, redact: false))
        h.press(.char("4"))
        #expect(h.screen.contains("0123456789abcdef0123456789abcdef"))
    }

    @Test("a TypeScript log alone: the SDK calls list opens by itself; select a call and read its Debug tab")
    func logAlone() {
        let (h, _, _) = Self.session("ts_track_basic", requests: false, size: Self.tall)
        var screen = h.screen
        #expect(h.session.state.streamMode == .calls)
        #expect(screen.contains("SDK calls · 2 rows"), "\(screen)")
        #expect(screen.contains("flush()"))
        // The newest call (flush) is selected: its state diff is a change.
        #expect(screen.contains("timeline.queue.length  1 → 0"), "\(screen)")
        h.press(.char("k"))
        screen = h.screen
        #expect(screen.contains("SDK row 1 · track(\"Button Clicked\", {…}, {…})"), "\(screen)")
        #expect(screen.contains("\"Button Clicked\","))
        #expect(screen.contains("Wire  no wire event seen"))
        #expect(screen.contains("not seen"))
        // Other tabs say there is no wire event.
        h.press(.char("1"))
        #expect(h.screen.contains("This SDK row has no wire event"))
    }

    @Test("d jumps from a wire event to its SDK call and back; v switches lists keeping each selection")
    func jumpAndToggle() throws {
        // Three requests (429, 429, 200), each with the events E1 and E2.
        let (h, _, data) = Self.session("ts_http_429_then_200")
        #expect(data.count == 6)
        h.press(.char("g"))
        let first = try #require(h.session.state.selection)
        h.press(.char("d"))
        #expect(h.session.state.streamMode == .calls)
        let row = try #require(h.session.state.selectedSDKRow)
        #expect(row.method == "track")
        #expect(row.wire.count == 3, "every attempt (retries) belongs to the call: \(row.wire)")
        #expect(row.wire.first == WireEventRef(captureID: first.captureID, index: first.index))
        #expect(h.screen.contains("#1/0 +2"), "\(h.screen)")
        h.press(.char("d"))
        #expect(h.session.state.streamMode == .events)
        #expect(h.session.state.selection == first)
        // From E1's last attempt (capture 3) to the same call.
        h.press(.char("G"))
        h.press(.char("k"))
        #expect(h.session.state.selection == RowID(captureID: 3, index: 0))
        h.press(.char("d"))
        #expect(h.session.state.selectedSDKRow?.number == row.number)
        h.press(.char("v"))
        #expect(h.session.state.streamMode == .events)
        #expect(h.session.state.selection == RowID(captureID: 3, index: 0), "v restores the events selection")
    }

    @Test("a rejected call and a skipped call are listed with their fate; d on a call without a wire event says why")
    func rejectedAndSkipped() {
        let (h, debug, _) = Self.session("ts_invalid_event_no_ids")
        h.press(.char("v"))
        let rows = debug.sdkRows()
        let skipped = rows.first { $0.fate?.keyword == "skipped" }
        #expect(skipped != nil)
        #expect(skipped?.wire.isEmpty == true)
        #expect(h.screen.contains("never sent"), "\(h.screen)")
        // Select the skipped call and jump: no wire event.
        if let n = skipped?.number, let pos = h.session.state.calls.position(of: RowID(captureID: Int64(n), index: SDKRow.streamIndex)) {
            h.press(.char("g"))
            for _ in 0..<pos { h.press(.char("j")) }
            h.press(.char("4"))
            #expect(h.screen.contains("✖ skipped"), "\(h.screen)")
            #expect(h.screen.contains("never sent: empty event type"), "\(h.screen)")
            h.press(.char("d"))
            #expect(h.session.state.streamMode == .calls)
            #expect(h.session.state.message?.text.contains("no wire event: skipped") == true)
        } else {
            Issue.record("the skipped call is not in the list")
        }
        // The rejected scenario: the call, its warnings and its final error.
        let (h2, _, _) = Self.session("ts_http_429_max_retries", size: Self.tall)
        h2.press(.char("v"))
        h2.press(.char("4"))
        let screen = h2.screen
        #expect(screen.contains("✖ rejected 500"), "\(screen)")
        #expect(screen.contains("SDK warnings and errors about it"), "\(screen)")
        #expect(screen.contains("Event rejected due to exceeded retry count"))
    }

    @Test("debug filters: sdk:, fate:, has: in the events list and in the SDK calls list")
    func debugFilters() {
        let (h, debug, data) = Self.session("ts_invalid_event_no_ids")
        let all = data.count
        h.press(.char("f"))
        h.type("has:debug\n")
        #expect(data.count == all && all > 0)
        h.press(.char(":"))
        h.type("filter !has:debug\n")
        #expect(data.count == 0)
        h.press(.char(":"))
        h.type("filter sdk:track\n")
        #expect(data.count == all)
        h.press(.char(":"))
        h.type("filter sdk:identify\n")
        #expect(data.count == 0)
        // The SDK calls list: the skipped call only.
        h.press(.char(":"))
        h.type("filter fate:skipped\n")
        h.press(.char("v"))
        let calls = h.session.state.calls
        #expect(calls.count == 1)
        #expect(calls.sdkRow(at: 0)?.fate?.keyword == "skipped")
        h.press(.char(":"))
        h.type("filter !has:wire\n")
        #expect(h.session.state.calls.count == debug.sdkRows().filter { $0.wire.isEmpty }.count)
        h.press(.char(":"))
        h.type("filter has:call type:\"\"\n")
        #expect(h.session.state.calls.count >= 1)
        // A bad value says what is allowed.
        h.press(.char(":"))
        h.type("filter fate:lost\n")
        #expect(h.session.state.message?.text.contains("unknown fate") == true)
    }

    @Test("render reads the state only: the live session changing between two renders changes nothing until its snapshot is sent")
    func renderIsAFunctionOfState() {
        let (h, debug, _) = Self.session("ts_track_basic", log: false)
        h.press(.char("4"))
        let first = h.session.render()
        let again = h.session.render()
        #expect(first == again)
        // The live session moves on (as the log readers feed it from their threads)…
        Self.feed(debug, "ts_track_basic")
        #expect(debug.hasRecords)
        // …and the same state draws the same cells.
        #expect(h.session.render() == first)
        // Once the host sends the new snapshot, the screen shows it.
        h.send(.debugChanged(debug.snapshot()))
        let updated = h.session.render()
        #expect(updated != first)
        #expect(updated.text.contains("track"))
    }

    @Test("a debug filter is applied again when the SDK log changes")
    func debugFilterFollowsTheLog() {
        let (h, debug, data) = Self.session("ts_track_basic", log: false)
        h.press(.char("f"))
        h.type("has:debug\n")
        #expect(data.count == 0)
        Self.feed(debug, "ts_track_basic")
        h.send(.debugChanged(debug.snapshot()))
        #expect(data.count == 1, "the event is joined now, so it matches")
    }

    @Test("a wire event with no SDK call says so, and the SDK CALL column shows none")
    func unjoinedWire() {
        let debug = SharedDebugSession()
        let data = MemoryStreamData()
        for p in UITest.fixture("typescript-node", "ts_track_basic") {
            let id = data.append(p)
            var q = p
            q.capture.id = id
            debug.add(wire: DebugWireEvent.events(q, captureID: id))
        }
        // Another scenario's log: nothing in it is about this event.
        Self.feed(debug, "ts_identify_all_ops")
        let s = UISession(config: UIConfig(storePath: nil), data: data, size: Self.medium, debug: debug.snapshot())
        let h = UITest.Host(session: s, data: data)
        h.run(s.start())
        h.send(.debugChanged(debug.snapshot()))
        #expect(h.session.state.streamMode == .events)
        h.press(.char("4"))
        #expect(h.screen.contains("No SDK call is joined to this event."))
        #expect(h.screen.contains("— none"))
        h.press(.char("d"))
        #expect(h.session.state.message?.text.contains("no SDK call is joined") == true)
    }

    @Test("hostile text in a log is escaped and the grid stays consistent")
    func hostileLog() {
        let debug = SharedDebugSession()
        let evil = "Amplitude Logger [Debug]: {\"type\":\"invoke public method\",\"name\":\"track\\u001b[2J\",\"args\":[\"\\u001b]52;c;AAAA\\u0007\\u202e\",{\"k\\n\":\"v\\u0000\"}],\"stacktrace\":[\"at \\u001b[31mmain (/app/x.js:1:2)\"],\"time\":{\"start\":\"2026-11-22T18:06:05.914Z\",\"end\":\"2026-11-22T18:06:05.947Z\"},\"states\":{\"before\":{\"a\\u001b\":1},\"after\":{\"a\\u001b\":2}}}"
        debug.feed(source: "evil\u{1b}[31m.log", line: Array(evil.utf8))
        debug.feed(source: "evil\u{1b}[31m.log", line: Array("Amplitude Logger [Error]: boom \u{1b}[2J\u{7}".utf8))
        debug.feed(source: "evil\u{1b}[31m.log", line: [0x41, 0x6D, 0x70, 0xFF, 0xFE, 0x0A])
        debug.finish(source: "evil\u{1b}[31m.log")
        let data = MemoryStreamData()
        for size in [Self.small, Self.medium, Size(cols: 30, rows: 8)] {
            let s = UISession(data: data, size: size, debug: debug.snapshot())
            let h = UITest.Host(session: s, data: data)
            h.run(s.start())
            h.send(.debugChanged(debug.snapshot()))
            for k: Key in [.char("g"), .char("4"), .tab, .char("j"), .char("G"), .char("z"), .char("k"), .char("j"), .char("j")] {
                h.press(k)
                let b = h.session.render()
                #expect(b.isConsistent)
                for y in 0..<size.rows {
                    #expect(b.printedWidth(y) == size.cols)
                    #expect(!b.line(y).unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || (0x202A...0x202E).contains($0.value) })
                }
            }
        }
    }

    @Test("copy on the Debug tab copies its text; scrolling stays within bounds")
    func copyAndScroll() {
        let (h, _, _) = Self.session("ts_track_basic", size: Self.small)
        h.press(.char("4"))
        h.press(.tab)
        for _ in 0..<500 { h.press(.char("j")) }
        let top = h.session.state.debugTop
        #expect(top > 0)
        h.press(.char("j"))
        #expect(h.session.state.debugTop == top, "no scrolling past the end")
        h.press(.char("g"))
        #expect(h.session.state.debugTop == 0)
        h.press(.char("y"))
        #expect(h.copied.last?.contains("timeline.queue.length") == true)
        #expect(h.copied.last?.contains("0123456789abcdef0123456789abcdef") == false)
    }

    @Test("screens for the guide: the Debug tab of a joined event, the SDK calls list")
    func guideScreens() {
        let wide = Size(cols: 200, rows: 50)
        let (h, _, _) = Self.session("ts_http_429_then_200", size: wide)
        h.press(.char("G"))
        h.press(.char("4"))
        Snapshot.check("debug-joined-\(wide)", h.session.render())
        let (h2, _, _) = Self.session("ts_invalid_event_no_ids", size: Self.medium)
        h2.press(.char("v"))
        h2.press(.char("g"))
        Snapshot.check("sdk-calls-\(Self.medium)", h2.session.render())
    }
}
