import AmpscopeCore

/// The stream pane: the list of wire events (one row per event) with its column header.
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

        /// Columns for a pane `width` wide. `need` is what the visible rows hold (the widest
        /// event type and user or device): the event type gets room before the ids do, so a
        /// long type is not cut while the id column has more than its own rows need.
        /// `golden`: the badge has room for the golden run's mark (`≠N`, `+extra`).
        init(width: Int, sdkColumn: Bool = false, golden: Bool = false, need: Need = Need()) {
            // mark time src ep type id status badge, separated by single spaces.
            var fixed = Self.fixedWidth(sdkColumn: sdkColumn)
            if sdkColumn { sdk = 11 }
            if golden { badge += Self.goldenWidth; fixed += Self.goldenWidth }
            // SOURCE and ENDPOINT give way when the type and id columns would be narrower than
            // 28, or than the rows' event types need (beside an id column of up to 16).
            let flexWanted = max(28, need.type + 1 + min(max(8, need.id), 16))
            if width - fixed < flexWanted { showSource = false; fixed -= source + 1 }
            if width - fixed < flexWanted { showEndpoint = false; fixed -= endpoint + 1 }
            if width - fixed < 24 { time = 8; fixed -= 4 }
            let flex = max(8, width - fixed)
            type = max(6, flex * 55 / 100)
            id = max(4, flex - type - 1)
            if need.type > type {
                // Take from the id column what its rows do not use.
                type = max(type, min(need.type, flex - 1 - min(id, max(8, need.id))))
                id = max(4, flex - type - 1)
            }
        }

        static let goldenWidth = 7

        /// Everything but the event type and id columns, with every column shown.
        static func fixedWidth(sdkColumn: Bool) -> Int {
            let c = Columns(bare: ())
            return c.mark + c.time + 1 + c.source + 1 + c.endpoint + 1 + c.status + 1 + c.badge + 1 + 1 + (sdkColumn ? 11 + 1 : 0)
        }

        private init(bare: ()) {}

        /// What the rows on screen hold: the widest event type and user or device (capped).
        struct Need: Equatable {
            var type = 0
            var id = 0
            static let maxType = 40
            static let maxID = 36

            init() {}

            init(_ rows: [StreamRow]) {
                for r in rows {
                    type = max(type, min(Need.maxType, DisplayWidth.of(Sanitize.inline(StreamPane.typeText(r), limit: Need.maxType))))
                    id = max(id, min(Need.maxID, DisplayWidth.of(Sanitize.inline(StreamPane.who(r), limit: Need.maxID))))
                }
            }

        }
    }

    /// The event type column's text: a mapped row (an Amplitude record a Segment destination
    /// sends for the call above it) is indented under its call, the classic destination named.
    static func typeText(_ row: StreamRow) -> String {
        guard let m = row.event.mapped else { return row.event.eventType }
        return (m.destination == .classic ? "↳ classic: " : "↳ ") + row.event.eventType
    }

    /// The user or device column's text for a row.
    static func who(_ row: StreamRow) -> String {
        if let u = row.event.userID { return u }
        if let d = row.event.deviceID { return "d:" + d }
        return row.event.index < 0 ? "\(row.requestEvents) records" : ""
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
        Renderer.paneTitle(&b, r, title, focused: focused)
        // Column header.
        let sdkInfo = s.debug?.hasRecords ?? false
        let list = layout.streamList
        let pos = Select.currentPosition(s, data) ?? 0
        let top = max(0, pos - s.selectionLine)
        let rows = n == 0 ? [] : data.rows(top..<min(n, top + list.height))
        let c = Columns(width: r.width, sdkColumn: sdkInfo, golden: s.golden.hasGolden, need: Columns.Need(rows))
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
        if n == 0 {
            empty(&b, s, data, list)
            return
        }
        // The SDK side of the visible rows, from the state's debug snapshot.
        let infos: [DebugRowInfo?] = c.sdk > 0
            ? rows.map { s.debug?.rowInfo(forWire: WireEventRef(captureID: $0.captureID, index: $0.event.index)) }
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
        segs.append(Segment(TextLayout.pad(typeText(row), c.type) + " ",
                            role(isRequestRow ? .listRequest : row.event.mapped != nil ? .listSource : .listType)))
        segs.append(Segment(TextLayout.pad(who(row), c.id) + " ", role(.listID)))
        segs.append(Segment(TextLayout.padLeft(String(row.status), c.status) + " ",
                            role((200..<300).contains(row.status) ? .httpSuccess : .httpError)))
        if c.sdk > 0 { segs.append(sdkCell(sdk, row, width: c.sdk, role: role)) }
        segs.append(contentsOf: badge(row.event.counts, selected: selected, base: base))
        if s.golden.hasGolden {
            // Against the golden run: ≠N differences from the paired golden event, +extra none paired.
            if let link = s.golden.links[id], link.differences > 0 {
                segs.append(Segment(" ≠\(link.differences)", role(.severityWarning)))
            } else if s.golden.extra.contains(id) {
                segs.append(Segment(" +extra", role(.severityInfo)))
            }
        }
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
            if s.debug?.hasRecords == true {
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
