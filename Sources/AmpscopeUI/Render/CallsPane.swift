import AmpscopeCore

/// The stream pane in SDK-calls mode (`v`): one row per event the SDK handled (with its fate
/// and the wire events that carried it, or `none`), per other SDK call, and per warning, error or
/// unreadable line of the logs that no event claims.
enum CallsPane {
    struct Columns {
        var mark = 1
        var time = 12
        var source = 12
        var call = 20
        var fate = 15
        var wire = 12
        var showSource = true

        init(width: Int) {
            var fixed = mark + time + 1 + source + 1 + fate + 1 + wire + 1
            if width - fixed < 24 { showSource = false; fixed -= source + 1 }
            if width - fixed < 20 { wire = 8; fixed -= 4 }
            if width - fixed < 16 { time = 8; fixed -= 4 }
            call = max(6, width - fixed)
        }
    }

    static func draw(_ b: inout ScreenBuffer, _ s: AppState, _ data: SDKCallsList, _ layout: Layout) {
        let r = layout.stream
        let focused = s.focus == .stream
        b.fill(r.row(0), role: .border)
        let n = data.count
        let all = data.allRows.count
        var title = " SDK calls"
        title += data.view.isAll ? " · \(TextLayout.grouped(n)) rows " : " · \(TextLayout.grouped(n)) of \(TextLayout.grouped(all)) shown "
        let never = data.neverSent
        if never > 0 { title += "· \(TextLayout.grouped(never)) not seen on the wire " }
        Renderer.paneTitle(&b, r, title, focused: focused)
        let c = Columns(width: r.width)
        b.fill(r.row(1), role: .listHeader)
        var hdr: [String] = [" " + TextLayout.pad("TIME", c.time)]
        if c.showSource { hdr.append(TextLayout.pad("LOG", c.source)) }
        hdr.append(TextLayout.pad("SDK CALL", c.call))
        hdr.append(TextLayout.pad("FATE", c.fate))
        hdr.append("WIRE")
        b.draw(hdr.joined(separator: " "), x: r.x, y: r.y + 1, maxX: r.maxX, role: .listHeader)
        let list = layout.streamList
        if n == 0 {
            empty(&b, s, data, list)
            return
        }
        let pos = Select.currentPosition(s, data) ?? 0
        let top = max(0, pos - s.selectionLine)
        for i in 0..<list.height {
            let p = top + i
            guard p < n, let row = data.sdkRow(at: p) else { break }
            drawRow(&b, row, y: list.y + i, x: list.x, width: list.width, c: c, s: s, selected: p == pos, focused: focused)
        }
    }

    static func drawRow(_ b: inout ScreenBuffer, _ row: SDKRow, y: Int, x: Int, width: Int, c: Columns, s: AppState,
                        selected: Bool, focused: Bool) {
        let base: StyleRole = selected ? (focused ? .listSelected : .listSelectedUnfocused) : .listRow
        func role(_ r: StyleRole) -> StyleRole { selected ? base : r }
        b.fill(Rect(x: x, y: y, width: width, height: 1), role: base)
        var segs: [Segment] = [Segment(" ", base)]
        let clock = row.time.map { TimeFormat.clock($0, offsetSeconds: s.config.utcOffsetSeconds) } ?? ""
        segs.append(Segment(TextLayout.pad(c.time == 8 ? String(clock.prefix(8)) : clock, c.time) + " ", role(.listTime)))
        if c.showSource { segs.append(Segment(TextLayout.pad(row.source, c.source) + " ", role(.listSource))) }
        let callRole: StyleRole
        switch row.kind {
        case .trace, .call: callRole = .listType
        case .message: callRole = row.errors > 0 ? .severityError : .severityWarning
        case .problem: callRole = .severityError
        }
        var headline = row.headline
        if case .trace = row.kind, row.method == nil, let t = row.eventType { headline = "(log) " + t }
        if case .message = row.kind { headline = (row.errors > 0 ? "✖ " : "▲ ") + headline }
        if case .problem = row.kind { headline = "unreadable: " + headline }
        segs.append(Segment(TextLayout.pad(Sanitize.inline(headline, limit: 400), c.call) + " ", role(callRole)))
        if let f = row.fate {
            let (icon, r) = InspectorContent.fateIcon(f)
            segs.append(Segment(TextLayout.pad(icon + " " + f.label, c.fate) + " ", role(r)))
        } else {
            segs.append(Segment(TextLayout.pad("", c.fate) + " ", base))
        }
        let wire: String
        let wireRole: StyleRole
        if let first = row.wire.first {
            wire = "#\(first.captureID)/\(first.index)" + (row.wire.count > 1 ? " +\(row.wire.count - 1)" : "")
            wireRole = .listID
        } else if let f = row.fate {
            switch f {
            case .skipped: wire = "never sent"
            case .queued: wire = "queued"
            default: wire = "not seen"
            }
            wireRole = f.neverSent || f == .unknown ? .severityError : .severityWarning
        } else {
            wire = ""
            wireRole = .textDim
        }
        segs.append(Segment(TextLayout.pad(wire, c.wire), role(wireRole)))
        b.draw(segs, x: x, y: y, maxX: x + width)
    }

    static func empty(_ b: inout ScreenBuffer, _ s: AppState, _ data: SDKCallsList, _ r: Rect) {
        var lines: [[Segment]] = []
        if !data.allRows.isEmpty {
            lines = [[Segment("No SDK call matches the filter.", .emptyTitle)],
                     [Segment("f", .emptyKey), Segment(" edits the filter, ", .text), Segment("v", .emptyKey), Segment(" shows the wire events.", .text)]]
        } else {
            lines = [[Segment("No SDK calls yet.", .emptyTitle)], [],
                     [Segment("Run the app with the SDK's logLevel at Debug and give ampscope its output:", .text)],
                     [Segment("  node app.js 2>&1 | ampscope --debug-log -", .emptyKey)],
                     [Segment("  ampscope --debug-log app.log", .emptyKey)],
                     [Segment("or POST the lines to /ampscope/log (Docs/debug.md). ", .text), Segment("v", .emptyKey),
                      Segment(" shows the wire events.", .text)]]
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
