import AmpscopeCore

/// Draws the whole screen from the state and the store's rows: `render(state, data) -> ScreenBuffer`.
///
/// Pure: cells carry style roles, and the terminal backend maps roles to the theme's colours,
/// so the same buffer serves every theme and the text snapshots in the tests.
public enum Renderer {
    public static func render(_ s: AppState, data: any StreamData) -> ScreenBuffer {
        var b = ScreenBuffer(size: s.size)
        let layout = Layout(size: s.size, focus: s.focus, zoomed: s.zoomed)
        if s.size.cols == 0 || s.size.rows == 0 { return b }
        if layout.tooSmall {
            tooSmall(&b, s.size)
            return b
        }
        header(&b, s, layout)
        if !layout.stream.isEmpty {
            if s.streamMode == .calls, let dbg = s.debug {
                CallsPane.draw(&b, s, dbg.calls, layout)
            } else {
                StreamPane.draw(&b, s, data, layout)
            }
        }
        if !layout.separator.isEmpty {
            for y in layout.separator.y..<layout.separator.maxY {
                b.put(Glyph("│", width: 1), x: layout.separator.x, y: y, role: .border)
            }
        }
        if !layout.inspector.isEmpty { InspectorPane.draw(&b, s, layout) }
        StatusLine.draw(&b, s, data, layout)
        switch s.overlay {
        case .help: Overlays.help(&b, s)
        case .setup: Overlays.setup(&b, s)
        case nil: break
        }
        return b
    }

    static func tooSmall(_ b: inout ScreenBuffer, _ size: Size) {
        let lines = ["ampscope", "The terminal is too small (\(size.cols)x\(size.rows)).",
                     "It needs at least \(Layout.minimum.cols)x\(Layout.minimum.rows); 80x24 or more is best."]
        for (i, l) in lines.enumerated() where i < size.rows {
            for (j, row) in TextLayout.wrap(l, width: max(1, size.cols)).enumerated() where i * 2 + j < size.rows {
                b.draw(row, x: 0, y: i * 2 + j, role: i == 0 ? .emptyTitle : .text)
            }
        }
    }

    static func header(_ b: inout ScreenBuffer, _ s: AppState, _ layout: Layout) {
        let r = layout.header
        b.fill(r, role: .header)
        var segs: [Segment] = [Segment(" ampscope ", .headerAccent)]
        if let url = s.config.ingestURL {
            segs.append(Segment(" point an SDK at ", .header))
            segs.append(Segment(url, .headerAccent))
        } else {
            segs.append(Segment(" replaying captured traffic", .header))
        }
        let right = "  s setup · ? help "
        let rw = DisplayWidth.of(right)
        let end = b.draw(segs, x: r.x, y: r.y, maxX: r.maxX - (r.width > 60 ? rw : 0))
        if r.width > 60 && end <= r.maxX - rw {
            b.draw(right, x: r.maxX - rw, y: r.y, maxX: r.maxX, role: .header)
        }
    }
}

// MARK: Stream pane

enum StreamPane {
    struct Columns {
        var mark = 1
        var time = 12
        var source = 10
        var endpoint = 8
        var type = 20
        var id = 16
        var status = 3
        var badge = 7
        /// The SDK call column (only while an SDK log is open).
        var sdk = 0
        var showSource = true
        var showEndpoint = true

        init(width: Int, sdkColumn: Bool = false) {
            // mark time src ep type id status badge, separated by single spaces.
            var fixed = mark + time + 1 + source + 1 + endpoint + 1 + status + 1 + badge + 1 + 1
            if sdkColumn {
                sdk = 11
                fixed += sdk + 1
            }
            if width - fixed < 28 { showSource = false; fixed -= source + 1 }
            if width - fixed < 28 { showEndpoint = false; fixed -= endpoint + 1 }
            if width - fixed < 24 { time = 8; fixed -= 4 }
            let flex = max(8, width - fixed)
            type = max(6, flex * 55 / 100)
            id = max(4, flex - type - 1)
        }
    }

    static func draw(_ b: inout ScreenBuffer, _ s: AppState, _ data: any StreamData, _ layout: Layout) {
        let r = layout.stream
        let focused = s.focus == .stream
        // Title row.
        b.fill(r.row(0), role: .border)
        var title = " Stream"
        let n = data.count
        let total = data.totals.events
        if s.view.isAll {
            title += " · \(TextLayout.grouped(n)) rows "
        } else {
            title += " · \(TextLayout.grouped(n)) of \(TextLayout.grouped(max(total, n))) shown "
        }
        if let p = data.pending { title += "· filtering… \(Int(p * 100))% " }
        else if data.view != s.view { title += "· filtering… " }
        let x = b.draw([Segment("─", .border), Segment(title, focused ? .paneTitleFocused : .paneTitle)], x: r.x, y: r.y, maxX: r.maxX)
        if x < r.maxX { b.fill(Rect(x: x, y: r.y, width: r.maxX - x, height: 1), role: .border, char: "─") }
        // Column header.
        let sdkInfo = s.debug.map { $0.session.hasRecords } ?? false
        let c = Columns(width: r.width, sdkColumn: sdkInfo)
        b.fill(r.row(1), role: .listHeader)
        var hdr: [String] = [" " + TextLayout.pad("TIME", c.time)]
        if c.showSource { hdr.append(TextLayout.pad("SOURCE", c.source)) }
        if c.showEndpoint { hdr.append(TextLayout.pad("ENDPOINT", c.endpoint)) }
        hdr.append(TextLayout.pad("EVENT TYPE", c.type))
        hdr.append(TextLayout.pad("USER / DEVICE", c.id))
        hdr.append(TextLayout.padLeft("ST", c.status))
        if c.sdk > 0 { hdr.append(TextLayout.pad("SDK CALL", c.sdk)) }
        hdr.append("FINDINGS")
        b.draw(hdr.joined(separator: " "), x: r.x, y: r.y + 1, maxX: r.maxX, role: .listHeader)
        let list = layout.streamList
        if n == 0 {
            empty(&b, s, data, list)
            return
        }
        let pos = Reducer.currentPosition(s, data) ?? 0
        let top = max(0, pos - s.selectionLine)
        let rows = data.rows(top..<min(n, top + list.height))
        // The SDK side of the visible rows, in one lock.
        let infos: [DebugRowInfo?] = c.sdk > 0
            ? (s.debug?.session.rowInfo(rows.map { WireEventRef(captureID: $0.captureID, index: $0.event.index) }) ?? [])
            : []
        for (i, row) in rows.enumerated() {
            let p = top + i
            let selected = p == pos
            drawRow(&b, row, y: list.y + i, x: list.x, width: list.width, c: c, s: s, selected: selected, focused: focused,
                    sdk: infos[safe: i] ?? nil)
        }
    }

    /// `track ✓`, `identify ✖`, `— none`: the SDK call joined to a wire row.
    static func sdkCell(_ info: DebugRowInfo?, _ row: StreamRow, width: Int, role: (StyleRole) -> StyleRole) -> Segment {
        guard row.event.index >= 0 else { return Segment(TextLayout.pad("", width) + " ", role(.textDim)) }
        guard let info else { return Segment(TextLayout.pad("— none", width) + " ", role(.textDim)) }
        let (icon, r): (String, StyleRole)
        switch info.fate {
        case "delivered": (icon, r) = ("✓", info.sdkProblems > 0 ? .severityWarning : .severityOK)
        case "rejected", "skipped": (icon, r) = ("✖", .severityError)
        case "sent": (icon, r) = (info.sdkProblems > 0 ? "▲" : "●", info.sdkProblems > 0 ? .severityWarning : .severityInfo)
        default: (icon, r) = ("?", .textDim)
        }
        let name = info.method ?? "(log)"
        return Segment(TextLayout.pad(TextLayout.pad(name, max(1, width - 2)) + " " + icon, width) + " ", role(r))
    }

    static func drawRow(_ b: inout ScreenBuffer, _ row: StreamRow, y: Int, x: Int, width: Int, c: Columns, s: AppState,
                        selected: Bool, focused: Bool, sdk: DebugRowInfo? = nil) {
        let id = RowID(row)
        let marked = s.marks.contains(id)
        let base: StyleRole = selected ? (focused ? .listSelected : .listSelectedUnfocused) : .listRow
        func role(_ r: StyleRole) -> StyleRole { selected ? base : r }
        b.fill(Rect(x: x, y: y, width: width, height: 1), role: base)
        var segs: [Segment] = []
        segs.append(Segment(marked ? "●" : " ", role(.listMarked)))
        let clock = TimeFormat.clock(row.receivedAt, offsetSeconds: s.config.utcOffsetSeconds)
        segs.append(Segment(TextLayout.pad(c.time == 8 ? String(clock.prefix(8)) : clock, c.time) + " ", role(.listTime)))
        if c.showSource { segs.append(Segment(TextLayout.pad(row.sourceName, c.source) + " ", role(.listSource))) }
        if c.showEndpoint { segs.append(Segment(TextLayout.pad(row.endpoint.shortName, c.endpoint) + " ", role(.listSource))) }
        let isRequestRow = row.event.index < 0
        segs.append(Segment(TextLayout.pad(row.event.eventType, c.type) + " ", role(isRequestRow ? .listRequest : .listType)))
        var who = ""
        if let u = row.event.userID { who = u } else if let d = row.event.deviceID { who = "d:" + d }
        if isRequestRow && who.isEmpty { who = "\(row.requestEvents) records" }
        segs.append(Segment(TextLayout.pad(who, c.id) + " ", role(.listID)))
        segs.append(Segment(TextLayout.padLeft(String(row.status), c.status) + " ",
                            role((200..<300).contains(row.status) ? .httpSuccess : .httpError)))
        if c.sdk > 0 { segs.append(sdkCell(sdk, row, width: c.sdk, role: role)) }
        segs.append(contentsOf: badge(row.event.counts, selected: selected, base: base))
        b.draw(segs, x: x, y: y, maxX: x + width)
    }

    static func badge(_ counts: FindingCounts, selected: Bool, base: StyleRole) -> [Segment] {
        func role(_ r: StyleRole) -> StyleRole { selected ? base : r }
        var out: [Segment] = []
        if counts.errors > 0 { out.append(Segment("✖\(counts.errors) ", role(.severityError))) }
        if counts.warnings > 0 { out.append(Segment("▲\(counts.warnings) ", role(.severityWarning))) }
        if counts.errors == 0 && counts.warnings == 0 {
            out.append(counts.infos > 0 ? Segment("i\(counts.infos)", role(.severityInfo)) : Segment("✓", role(.severityOK)))
        }
        return out
    }

    static func empty(_ b: inout ScreenBuffer, _ s: AppState, _ data: any StreamData, _ r: Rect) {
        var lines: [[Segment]] = []
        if data.totals.events > 0 || data.totals.requests > 0 {
            if s.view.markedOnly && s.marks.isEmpty {
                lines = [[Segment("No marked events.", .emptyTitle)],
                         [Segment("m", .emptyKey), Segment(" marks the selected event; ", .text), Segment("M", .emptyKey), Segment(" shows every event again.", .text)]]
            } else {
                lines = [[Segment("No event matches the filter.", .emptyTitle)],
                         [Segment("\(TextLayout.grouped(data.totals.events)) events are hidden by ", .text),
                          Segment(s.view.description, .statusFilter)],
                         [Segment("f", .emptyKey), Segment(" edits the filter, ", .text), Segment(":filter", .emptyKey),
                          Segment(" alone clears it.", .text)]]
            }
        } else {
            lines.append([Segment("No events yet.", .emptyTitle)])
            lines.append([])
            if let dbg = s.debug, dbg.session.hasRecords {
                lines.append([Segment("The SDK log is being read: ", .text), Segment("v", .emptyKey),
                              Segment(" lists its calls (with their Debug tab) while no request has arrived.", .text)])
                lines.append([])
            }
            if let url = s.config.ingestURL {
                lines.append([Segment("Point an Amplitude SDK at ", .text), Segment(url, .emptyKey)])
                lines.append([Segment("(", .text), Segment("s", .emptyKey), Segment(" shows setup lines for the Browser, Node and Python SDKs,", .text)])
                lines.append([Segment(" amplitude-js and the npm amplitude package)", .text)])
                lines.append([])
            }
            lines.append([Segment("See every pane at work with generated traffic: ", .text), Segment(s.config.demoCommand, .emptyKey)])
            lines.append([Segment("Keys: ", .text), Segment("?", .emptyKey), Segment(" help · ", .text), Segment("q", .emptyKey), Segment(" quit", .text)])
        }
        var y = r.y + (r.height > lines.count + 2 ? 1 : 0)
        for l in lines {
            guard y < r.maxY else { break }
            for row in InspectorContent.wrapSegments(l, width: max(1, r.width - 4)) {
                guard y < r.maxY else { break }
                b.draw(row, x: r.x + 2, y: y, maxX: r.maxX)
                y += 1
            }
        }
    }
}

// MARK: Inspector pane

enum InspectorPane {
    static func draw(_ b: inout ScreenBuffer, _ s: AppState, _ layout: Layout) {
        let r = layout.inspector
        let focused = s.focus == .inspector
        let detail = Reducer.detailForSelection(s)
        let findings = detail.map { InspectorContent.findings($0, index: s.wireSelection?.index ?? -1) } ?? []
        // Tab row.
        b.fill(r.row(0), role: .border, char: "─")
        for (tab, x0, _) in layout.tabHits(findings: findings.count) {
            let label = Layout.tabLabel(tab, findings: findings.count)
            let role: StyleRole = tab == s.tab ? (focused ? .tabActive : .tab) : .tab
            var end = b.draw(label, x: x0, y: r.y, maxX: r.maxX, role: role)
            if tab == .findings && !findings.isEmpty && tab != s.tab, let worst = FindingCounts(findings).worst {
                // Colour the count by the worst severity.
                let countText = "(\(findings.count))"
                let cx = x0 + DisplayWidth.of(label) - DisplayWidth.of(countText) - 1
                end = b.draw(countText, x: cx, y: r.y, maxX: r.maxX,
                             role: worst == .error ? .severityError : worst == .warning ? .severityWarning : .severityInfo)
            }
            _ = end
        }
        // Context row.
        let ctx = r.row(1)
        b.fill(ctx, role: .text)
        let body = layout.inspectorBody
        if s.tab == .debug {
            debugTab(&b, s, ctx, body)
            return
        }
        if s.streamMode == .calls, s.selection != nil, s.wireSelection == nil {
            b.draw(" This SDK row has no wire event: its Debug tab (4) tells why.", x: ctx.x, y: ctx.y, maxX: ctx.maxX, role: .textDim)
            return
        }
        guard let sel = s.wireSelection else {
            b.draw(" Select an event in the stream to inspect it.", x: ctx.x, y: ctx.y, maxX: ctx.maxX, role: .textDim)
            return
        }
        guard let d = detail else {
            if let e = s.detailError {
                b.draw(" Could not load capture \(sel.captureID): \(e)", x: ctx.x, y: ctx.y, maxX: ctx.maxX, role: .messageError)
            } else {
                b.draw(" loading capture \(sel.captureID)…", x: ctx.x, y: ctx.y, maxX: ctx.maxX, role: .textDim)
            }
            return
        }
        switch s.tab {
        case .payload: payload(&b, s, d, ctx, body)
        case .findings:
            let errors = findings.filter { $0.severity == .error }.count
            let warnings = findings.filter { $0.severity == .warning }.count
            b.draw(" \(findings.count) finding\(findings.count == 1 ? "" : "s") · \(errors) error\(errors == 1 ? "" : "s") · \(warnings) warning\(warnings == 1 ? "" : "s")",
                   x: ctx.x, y: ctx.y, maxX: ctx.maxX, role: .textDim)
            let rows = InspectorContent.findingRows(d, index: sel.index, width: body.width, cursor: s.findingsCursor)
            for i in 0..<body.height {
                guard let row = rows[safe: s.findingsTop + i] else { break }
                let y = body.y + i
                let isCursor = row.finding == s.findingsCursor && row.finding != nil
                if isCursor && focused { b.fill(body.row(i), role: .text) }
                b.draw(row.segments, x: body.x, y: y, maxX: body.maxX)
            }
        case .request:
            b.draw(" \(d.capture.method) \(d.request.endpoint.displayName) · \(s.requestRaw ? "raw" : "pretty") body · answer \(d.answer.status)"
                   + (d.capture.recordedResponse.map { " / real \($0.status)" } ?? ""),
                   x: ctx.x, y: ctx.y, maxX: ctx.maxX, role: .textDim)
            let lines = InspectorContent.request(d, config: s.config, raw: s.requestRaw, wrap: s.payload.wrap, width: body.width,
                                                 window: s.requestTop..<(s.requestTop + body.height))
            for i in 0..<body.height {
                guard let l = lines[safe: s.requestTop + i] else { break }
                b.draw(l, x: body.x, y: body.y + i, maxX: body.maxX, skip: s.requestLeft)
            }
        case .debug:
            break
        }
    }

    /// The Debug tab: the SDK call behind the selection (works without a loaded capture, and
    /// for SDK rows that never reached the wire).
    static func debugTab(_ b: inout ScreenBuffer, _ s: AppState, _ ctx: Rect, _ body: Rect) {
        var context = " SDK debug log"
        if let row = s.selectedSDKRow {
            context = " SDK row \(row.number) · " + Sanitize.inline(row.headline, limit: 200)
        } else if s.debug == nil {
            context = " SDK debug log: none is open"
        } else if s.streamMode == .events, let sel = s.selection {
            context = " SDK side of capture \(sel.captureID)" + (sel.index >= 0 ? " event \(sel.index)" : " (a request without events)")
        } else if s.selection == nil {
            context = " Select an event or an SDK call to see what the SDK logged."
        }
        b.draw(context, x: ctx.x, y: ctx.y, maxX: ctx.maxX, role: .textDim)
        let lines = Reducer.debugLines(s, width: body.width)
        for i in 0..<body.height {
            guard let l = lines[safe: s.debugTop + i] else { break }
            b.draw(l, x: body.x + 1, y: body.y + i, maxX: body.maxX)
        }
    }

    static func payload(_ b: inout ScreenBuffer, _ s: AppState, _ d: Processed, _ ctx: Rect, _ body: Rect) {
        guard let doc = d.request.document, !s.payload.lines.isEmpty else {
            b.draw(" The body is not JSON (\(d.request.endpoint.displayName)); the Request tab shows it raw.", x: ctx.x, y: ctx.y,
                   maxX: ctx.maxX, role: .textDim)
            return
        }
        let cursorLine = s.payload.cursorLine
        let cur = s.payload.lines[safe: cursorLine]
        var ptr = cur?.pointer ?? ""
        if ptr.isEmpty { ptr = "/" }
        let scopeNote = s.payload.scope == .request || (s.wireSelection?.index ?? -1) < 0 ? "request " : "event "
        let x = b.draw([Segment(" " + scopeNote, .textDim), Segment(ptr, .path)], x: ctx.x, y: ctx.y, maxX: ctx.maxX)
        if let h = s.payload.highlight, h != cur?.pointer, x + 4 < ctx.maxX {
            b.draw("  ◆ " + h, x: x, y: ctx.y, maxX: ctx.maxX, role: .jsonHighlight)
        }
        let style = Reducer.payloadStyle(s, d, Layout(size: s.size, focus: s.focus, zoomed: s.zoomed))
        let searchNeedle = s.search?.scope == .payload ? s.search?.text.lowercased() : nil
        var y = body.y
        var i = s.payload.top
        while y < body.maxY, i < s.payload.lines.count {
            let line = s.payload.lines[i]
            let rows = PayloadTree.rows(line, doc, style)
            let isCursor = i == cursorLine
            let highlighted = s.payload.highlight.map { line.pointer == $0 && !line.isClose } ?? false
            let matched = searchNeedle.map { !$0.isEmpty && !line.isClose && PayloadTree.searchText(line, doc).lowercased().contains($0) } ?? false
            for row in rows {
                guard y < body.maxY else { break }
                var segs = row
                if isCursor || highlighted || matched {
                    let role: StyleRole = isCursor ? (s.focus == .inspector ? .jsonCursor : .listSelectedUnfocused)
                        : highlighted ? .jsonHighlight : .searchMatch
                    // Keep the indentation plain, colour the content.
                    segs = segs.enumerated().map { $0.offset == 0 ? $0.element : Segment($0.element.text, role) }
                    if isCursor { b.fill(Rect(x: body.x, y: y, width: body.width, height: 1), role: .text) }
                }
                let end = b.draw(segs, x: body.x, y: y, maxX: body.maxX)
                if isCursor && highlighted && end < body.maxX { b.draw(" ◆", x: end, y: y, maxX: body.maxX, role: .jsonHighlight) }
                y += 1
            }
            i += 1
        }
    }
}

// MARK: Status bar and bottom line

enum StatusLine {
    static func draw(_ b: inout ScreenBuffer, _ s: AppState, _ data: any StreamData, _ layout: Layout) {
        let r = layout.status
        b.fill(r, role: .statusBar)
        let t = data.totals
        var left: [Segment] = [
            Segment(" " + TextLayout.grouped(t.events), .statusCount), Segment(t.events == 1 ? " event " : " events ", .statusBar),
            Segment("✖ " + TextLayout.grouped(t.eventsWithErrors), t.eventsWithErrors > 0 ? .statusCount : .statusBar),
            Segment(" ▲ " + TextLayout.grouped(t.eventsWithWarnings) + " ", .statusBar),
        ]
        if s.following {
            left.append(Segment(" FOLLOW ", .statusFollow))
        } else {
            var p = " PAUSED "
            if let at = s.pausedAtEvents, t.events > at { p = " PAUSED +\(TextLayout.grouped(t.events - at)) new " }
            left.append(Segment(p, .statusPaused))
        }
        if !s.view.filter.isEmpty {
            left.append(Segment(" filter: ", .statusBar))
            left.append(Segment(Sanitize.inline(s.view.filter.text, limit: 60), .statusFilter))
        }
        if s.view.markedOnly { left.append(Segment(" marked only", .statusFilter)) }
        if !s.marks.isEmpty { left.append(Segment(" ● \(s.marks.count)", .statusBar)) }
        if let search = s.search { left.append(Segment(" /" + Sanitize.inline(search.text, limit: 30), .statusBar)) }
        if let dbg = s.debug, dbg.session.hasRecords {
            let rows = dbg.session.sdkRows().count
            left.append(Segment(s.streamMode == .calls ? " SDK CALLS " : " ", s.streamMode == .calls ? .statusFollow : .statusBar))
            if s.streamMode == .events && rows > 0 {
                left.append(Segment("SDK \(TextLayout.grouped(rows)) row\(rows == 1 ? "" : "s") (v)", .statusBar))
            } else if s.streamMode == .events {
                left.append(Segment("SDK log open (v)", .statusBar))
            }
        }
        let leftEnd = b.draw(left, x: r.x, y: r.y, maxX: r.maxX)
        // Right side: proxy and store, dropping the proxy first and shortening the path from the left.
        let store = "store " + (s.config.storePath ?? "in memory")
        var choices: [String] = []
        if let p = s.config.proxyAddress { choices.append("proxy \(p) · \(store) ") }
        choices.append(store + " ")
        let room = r.maxX - leftEnd - 2
        if let fit = choices.first(where: { DisplayWidth.of($0) <= room }) {
            b.draw(fit, x: r.maxX - DisplayWidth.of(fit), y: r.y, maxX: r.maxX, role: .statusBar)
        } else if room >= 16 {
            let text = Sanitize.inlineTail(store, limit: room - 1) + " "
            b.draw(text, x: r.maxX - DisplayWidth.of(text), y: r.y, maxX: r.maxX, role: .statusBar)
        }
        bottom(&b, s, layout)
    }

    static func bottom(_ b: inout ScreenBuffer, _ s: AppState, _ layout: Layout) {
        let r = layout.bottom
        b.fill(r, role: .text)
        if let p = s.prompt {
            let leader = p.kind.leader
            let text = p.string
            // Scroll the input so the cursor stays visible.
            let leaderW = DisplayWidth.of(leader)
            let avail = max(4, r.width - leaderW - 1)
            let beforeCursor = String(String.UnicodeScalarView(p.text[..<p.cursor]))
            let cw = DisplayWidth.of(beforeCursor)
            let skip = max(0, cw - avail + 1)
            b.draw(leader, x: r.x, y: r.y, maxX: r.maxX, role: .prompt)
            b.draw(text, x: r.x + leaderW, y: r.y, maxX: r.maxX, role: .prompt, skip: skip)
            let cx = r.x + leaderW + cw - skip
            if cx < r.maxX {
                let under = cx < b.size.cols ? b[cx, r.y] : Cell.blank
                b.put(Glyph(under.width == 0 || under.text.isEmpty ? " " : under.text, width: max(1, Int(under.width))),
                      x: cx, y: r.y, role: .listSelected)
            }
            if let e = p.error {
                // Underline the bad part and say why, on the status row.
                let pre = String(String.UnicodeScalarView(p.text.prefix(e.position)))
                let ex = r.x + leaderW + DisplayWidth.of(pre) - skip
                let bad = String(String.UnicodeScalarView(p.text.dropFirst(e.position).prefix(e.length)))
                if ex >= r.x + leaderW && ex < r.maxX && !bad.isEmpty {
                    b.draw(bad, x: ex, y: r.y, maxX: r.maxX, role: .promptError)
                }
                let st = layout.status
                b.fill(st, role: .statusBar)
                let arrowX = max(st.x, min(st.maxX - 1, ex))
                let msg = e.message
                if arrowX + 2 + DisplayWidth.of(msg) <= st.maxX {
                    b.draw("^ " + msg, x: arrowX, y: st.y, maxX: st.maxX, role: .messageError)
                } else {
                    b.draw(" column \(e.position + 1): " + msg, x: st.x, y: st.y, maxX: st.maxX, role: .messageError)
                }
            } else if p.kind == .filter, let f = try? Filter(text), f.mayNeedPayload {
                let st = layout.status
                b.fill(st, role: .statusBar)
                b.draw(" reads payloads: enter applies it", x: st.x, y: st.y, maxX: st.maxX, role: .statusBar)
            }
            return
        }
        if let m = s.message {
            b.draw(" " + m.text, x: r.x, y: r.y, maxX: r.maxX, role: m.isError ? .messageError : .message)
            return
        }
        hints(&b, s, r)
    }

    static func hints(_ b: inout ScreenBuffer, _ s: AppState, _ r: Rect) {
        let ctx = s.keyContexts
        var cmds: [Command]
        switch s.focus {
        case .stream:
            cmds = [.help, .open, .filter, .search, .nextError, s.following ? .pause : .follow]
            if s.debug != nil { cmds += [.sdkCalls, .jump] }
            cmds += [.mark, .copy, .command, .back]
        case .inspector:
            switch s.tab {
            case .payload: cmds = [.help, .nextTab, .toggleFold, .wrap, .scope, .search, .copy, .nextError, .back]
            case .findings: cmds = [.help, .nextTab, .toggleFold, .copy, .nextError, .back]
            case .request: cmds = [.help, .nextTab, .raw, .wrap, .copy, .back]
            case .debug: cmds = [.help, .nextTab, .jump, .sdkCalls, .copy, .back]
            }
        }
        var segs: [Segment] = []
        for c in cmds {
            guard let k = s.keys.key(for: c, in: ctx) else { continue }
            var label = c.hint
            if c == .toggleFold && s.tab == .findings { label = "go to path" }
            if c == .back { label = s.focus == .stream ? "quit" : "back" }
            if c == .sdkCalls && s.streamMode == .calls { label = "wire events" }
            segs.append(Segment(" " + k.description, .hintKey))
            segs.append(Segment(" " + label + " ", .hintText))
        }
        var x = r.x
        for i in stride(from: 0, to: segs.count, by: 2) {
            let w = DisplayWidth.of(segs[i].text) + DisplayWidth.of(segs[i + 1].text)
            guard x + w <= r.maxX else { break }
            x = b.draw([segs[i], segs[i + 1]], x: x, y: r.y, maxX: r.maxX)
        }
    }
}

// MARK: Overlays

enum Overlays {
    static func frame(_ b: inout ScreenBuffer, _ s: AppState, width: Int, title: String) -> Rect {
        let w = min(s.size.cols - 2, width)
        let h = max(3, s.size.rows - 2)
        let r = Rect(x: (s.size.cols - w) / 2, y: 1, width: w, height: h)
        b.fill(r, role: .overlay)
        b.box(r, role: .overlayBorder, title: title, titleRole: .overlayTitle)
        return r.inset(1)
    }

    static func scrolled(_ b: inout ScreenBuffer, _ rows: [[Segment]], in r: Rect, scroll: Int, footer: String) {
        let h = r.height - 1
        let maxScroll = max(0, rows.count - h)
        let top = min(scroll, maxScroll)
        for i in 0..<max(0, h) {
            guard let row = rows[safe: top + i] else { break }
            b.draw(row, x: r.x + 1, y: r.y + i, maxX: r.maxX - 1)
        }
        let more = rows.count > h ? " (\(top + 1)-\(min(rows.count, top + h)) of \(rows.count), j/k scroll)" : ""
        b.draw(footer + more, x: r.x + 1, y: r.maxY - 1, maxX: r.maxX - 1, role: .overlayTitle)
    }

    static func help(_ b: inout ScreenBuffer, _ s: AppState) {
        let r = frame(&b, s, width: 96, title: "Keys")
        var rows: [[Segment]] = []
        let keyW = 22
        for (ctx, entries) in s.keys.helpSections() where ctx != .help {
            rows.append([Segment(ctx.title, .overlayTitle)])
            for e in entries {
                rows.append([Segment("  " + TextLayout.pad(e.keys, keyW), .overlayKey), Segment(e.help, .overlay)])
            }
            rows.append([])
        }
        rows.append([Segment("Commands (type : then a command)", .overlayTitle)])
        for c in Reducer.promptCommands {
            rows.append([Segment("  " + TextLayout.pad(":" + c.name + (c.argument.isEmpty ? "" : " " + c.argument), keyW), .overlayKey),
                         Segment(c.help, .overlay)])
        }
        rows.append([])
        rows.append([Segment("Filters: type:Foo user:bob status:4xx severity:error rule:id-too-short prop.plan=pro", .overlay)])
        rows.append([Segment("         !, and, or, ( ), \"quoted text\", ~regex, < >; bare words search the text", .overlay)])
        rows.append([Segment("SDK log: sdk:track fate:rejected has:debug has:call has:sdkwarn !has:wire (Docs/debug.md)", .overlay)])
        scrolled(&b, rows.flatMap { InspectorContent.wrapSegments($0, width: max(10, r.width - 2)) }, in: r, scroll: s.overlayScroll,
                 footer: "q or esc closes")
    }

    static func setup(_ b: inout ScreenBuffer, _ s: AppState) {
        let r = frame(&b, s, width: 100, title: "Point an SDK at ampscope")
        let base = s.config.proxyAddress ?? "127.0.0.1:8787"
        let url = "http://\(base)/2/httpapi"
        var rows: [[Segment]] = []
        func t(_ x: String, _ role: StyleRole = .overlay) { rows.append([Segment(x, role)]) }
        if s.config.proxyAddress == nil {
            t("No proxy is listening in this session; start ampscope without files to capture live traffic.", .messageError)
            rows.append([])
        }
        t("ampscope answers like Amplitude; nothing leaves this machine unless you forward.")
        rows.append([])
        t("Browser SDK (@amplitude/analytics-browser)", .overlayTitle)
        t("  amplitude.init(API_KEY, { serverUrl: '\(url)' });", .overlayKey)
        t("Node SDK (@amplitude/analytics-node)", .overlayTitle)
        t("  init(API_KEY, { serverUrl: '\(url)' });", .overlayKey)
        t("Python SDK (amplitude-analytics)", .overlayTitle)
        t("  from amplitude import Amplitude, Config", .overlayKey)
        t("  client = Amplitude(API_KEY, Config(server_url='\(url)'))", .overlayKey)
        t("amplitude-js 8.x (legacy browser SDK)", .overlayTitle)
        t("  amplitude.getInstance().init(API_KEY, null, { apiEndpoint: '\(base)', forceHttps: false });", .overlayKey)
        t("npm package \"amplitude\" (Node)", .overlayTitle)
        t("  new Amplitude(API_KEY, { tokenEndpoint: 'http://\(base)' })", .overlayKey)
        t("  or set AMPLITUDE_TOKEN_ENDPOINT=http://\(base)", .overlayKey)
        rows.append([])
        t("The batch endpoint works too: http://\(base)/batch (useBatch / use_batch).")
        scrolled(&b, rows.flatMap { InspectorContent.wrapSegments($0, width: max(10, r.width - 2)) }, in: r, scroll: s.overlayScroll,
                 footer: "q or esc closes")
    }
}
