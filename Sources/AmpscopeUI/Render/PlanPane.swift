import AmpscopeCore

/// The Plan view (`P`): every planned event with how often it was seen, how many of those
/// instances kept to the plan, when last, and its planned properties never seen; unplanned
/// events after them. Drawn where the stream is; enter filters the stream to a row's events.
enum PlanPane {
    static func draw(_ b: inout ScreenBuffer, _ s: AppState, _ layout: Layout) {
        let r = layout.stream
        let plan = s.plan
        b.fill(r.row(0), role: .border)
        var title = " Plan"
        if let source = plan.source {
            title += " · \(Sanitize.inline(source, limit: 40)) · \(plan.figure)"
            if plan.unplannedCount > 0 { title += " · \(TextLayout.grouped(plan.unplannedCount)) unplanned" }
        }
        Renderer.paneTitle(&b, r, title + " ", focused: s.focus == .stream)
        b.fill(r.row(1), role: .listHeader)
        let w = r.width
        let fixed = 2 + 11 + 1 + 7 + 1 + 7 + 1 + 12 + 1
        // The names get the room they need (up to 40 columns) before the never-seen properties do.
        let longest = plan.rows.reduce(5) { max($0, DisplayWidth.of(Sanitize.inline($1.name, limit: 200))) }
        let nameWidth = max(10, min(min(40, longest), w - fixed - 4))
        let propsWidth = max(0, w - fixed - nameWidth - 1)
        let header = "   " + TextLayout.pad("EVENT", nameWidth) + " " + TextLayout.pad("STATUS", 11) + " " + TextLayout.padLeft("SEEN", 7)
            + " " + TextLayout.padLeft("VALID", 7) + " " + TextLayout.pad("LAST SEEN", 12) + " " + "PROPERTIES NEVER SEEN"
        b.draw(header, x: r.x, y: r.y + 1, maxX: r.maxX, role: .listHeader)
        let list = layout.streamList
        guard plan.hasPlan else {
            let lines: [[Segment]] = [
                [Segment("No tracking plan.", .emptyTitle)],
                [Segment("Start with ", .text), Segment("--plan FILE", .emptyKey), Segment(" (ampscope, ampscope replay; Docs/plan.md) to see", .text)],
                [Segment("which planned events arrived, which kept to the plan, and which never came.", .text)],
                [Segment("P", .emptyKey), Segment(" goes back to the events.", .text)],
            ]
            for (i, l) in lines.enumerated() where i < list.height { b.draw(l, x: list.x + 2, y: list.y + i, maxX: list.maxX) }
            return
        }
        guard !plan.rows.isEmpty else {
            b.draw("  The plan names no events yet (P goes back to the events).", x: list.x, y: list.y, maxX: list.maxX, role: .textDim)
            return
        }
        let cursor = min(s.planCursor, plan.rows.count - 1)
        let top = Select.planTop(s, height: list.height)
        for i in 0..<list.height {
            let p = top + i
            guard p < plan.rows.count else { break }
            let row = plan.rows[p]
            let selected = p == cursor
            let base: StyleRole = selected ? (s.focus == .stream ? .listSelected : .listSelectedUnfocused) : .listRow
            func role(_ x: StyleRole) -> StyleRole { selected ? base : x }
            let y = list.y + i
            b.fill(Rect(x: list.x, y: y, width: list.width, height: 1), role: base)
            let mark = PlanCoverageList.mark(row)
            let markRole: StyleRole = switch mark {
            case "✓": .severityOK
            case "!": .severityError
            case "✗", "?": .severityWarning
            default: .textDim
            }
            let dim = row.seen == 0
            var segs = [
                Segment(" " + mark + " ", role(markRole)),
                Segment(TextLayout.pad(Sanitize.inline(row.name, limit: 200), nameWidth) + " ", role(dim ? .textDim : .listType)),
                Segment(TextLayout.pad(row.status?.rawValue ?? "unplanned", 11) + " ", role(row.status == nil ? .severityWarning : .textDim)),
                Segment(TextLayout.padLeft(TextLayout.grouped(row.seen), 7) + " ", role(.text)),
                Segment(TextLayout.padLeft(row.status == nil ? "" : TextLayout.grouped(row.valid), 7) + " ",
                        role(row.invalid > 0 && row.status != nil ? .severityError : .text)),
                // Requests read from raw bodies carry no time of receipt (0).
                Segment(TextLayout.pad(row.lastSeen.map { $0 > 0 ? TimeFormat.clock($0, offsetSeconds: s.config.utcOffsetSeconds) : "-" } ?? "never", 12) + " ",
                        role(row.lastSeen == nil ? .textDim : .listTime)),
            ]
            if propsWidth > 0 {
                let never = row.neverSeenProperties
                let text = row.seen == 0 ? (row.plannedProperties > 0 ? "(\(row.plannedProperties) planned)" : "")
                    : never.isEmpty ? (row.plannedProperties > 0 ? "all \(row.plannedProperties) seen" : "")
                    : never.map { Sanitize.inline($0, limit: 40) }.joined(separator: ", ")
                segs.append(Segment(TextLayout.pad(text, propsWidth), role(never.isEmpty ? .textDim : .severityWarning)))
            }
            b.draw(segs, x: list.x, y: y, maxX: list.maxX)
        }
    }

}
