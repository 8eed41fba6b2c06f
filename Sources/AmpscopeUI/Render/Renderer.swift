import AmpscopeCore

/// Draws the whole screen from the state and the store's rows: `render(state, data) -> ScreenBuffer`.
///
/// Pure: cells carry style roles, and the terminal backend maps roles to the theme's colours,
/// so the same buffer serves every theme and the text snapshots in the tests.
public enum Renderer {
    public static func render(_ s: AppState, data: any StreamData) -> ScreenBuffer {
        var b = ScreenBuffer(size: s.size)
        let layout = Layout(s)
        if s.size.cols == 0 || s.size.rows == 0 { return b }
        if layout.tooSmall {
            tooSmall(&b, s.size)
            return b
        }
        header(&b, s, layout)
        if !layout.stream.isEmpty {
            if s.planOpen {
                PlanPane.draw(&b, s, layout)
            } else if s.usersOpen {
                UsersPane.draw(&b, s, layout)
            } else if s.streamMode == .calls, s.debug != nil {
                CallsPane.draw(&b, s, s.calls, layout)
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

    /// A pane's title row: `─ Title ───…` on the pane's first row.
    static func paneTitle(_ b: inout ScreenBuffer, _ r: Rect, _ title: String, focused: Bool) {
        let x = b.draw([Segment("─", .border), Segment(title, focused ? .paneTitleFocused : .paneTitle)], x: r.x, y: r.y, maxX: r.maxX)
        if x < r.maxX { b.fill(Rect(x: x, y: r.y, width: r.maxX - x, height: 1), role: .border, char: "─") }
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
        var end = b.draw(segs, x: r.x, y: r.y, maxX: r.maxX - (r.width > 60 ? rw : 0))
        // The plan's coverage and the golden run's figure, when they fit beside the address.
        let limit = r.maxX - (r.width > 60 ? rw : 0)
        func figure(_ label: String, _ value: String, _ more: String = "") {
            let segs = [Segment("  \(label) ", .header), Segment(value, .headerAccent), Segment(more, .header)]
            if end + segs.reduce(0, { $0 + DisplayWidth.of($1.text) }) <= limit { end = b.draw(segs, x: end, y: r.y, maxX: r.maxX) }
        }
        if s.plan.hasPlan { figure("plan", s.plan.figure, s.plan.problemCount > 0 ? " · \(s.plan.problemCount) !" : "") }
        if s.golden.hasGolden { figure("golden", s.golden.figure) }
        if r.width > 60 && end <= r.maxX - rw {
            b.draw(right, x: r.maxX - rw, y: r.y, maxX: r.maxX, role: .header)
        }
    }
}
