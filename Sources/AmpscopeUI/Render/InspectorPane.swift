import AmpscopeCore

/// The inspector pane: tabs, the tab's context line and its body.
enum InspectorPane {
    static func draw(_ b: inout ScreenBuffer, _ s: AppState, _ layout: Layout) {
        let r = layout.inspector
        let focused = s.focus == .inspector
        let detail = Select.detailForSelection(s)
        let findings = detail.map { InspectorContent.findings($0, index: Select.recordIndex(s)) } ?? []
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
        if s.tab == .diff {
            let diff = s.diffSubject.flatMap { $0.pair == s.diffPair ? DiffContent.diff($0) : nil }
            b.draw(DiffContent.context(s.diffPair, diff, hideVolatile: s.diffHideVolatile), x: ctx.x, y: ctx.y, maxX: ctx.maxX, role: .textDim)
            let lines = DiffContent.lines(s.diffPair, s.diffSubject, hideVolatile: s.diffHideVolatile, width: body.width - 1)
            for i in 0..<body.height {
                guard let l = lines[safe: s.diffTop + i] else { break }
                b.draw(l, x: body.x + 1, y: body.y + i, maxX: body.maxX)
            }
            return
        }
        if s.tab == .user {
            let loaded = s.profiles?.captureID == s.wireSelection?.captureID
            b.draw(UserContent.context(Select.eventProfile(s), loaded: loaded), x: ctx.x, y: ctx.y, maxX: ctx.maxX, role: .textDim)
            let lines = Select.userLines(s, width: body.width - 1).rows
            for i in 0..<body.height {
                guard let l = lines[safe: s.userTop + i] else { break }
                b.draw(l, x: body.x + 1, y: body.y + i, maxX: body.maxX)
            }
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
            let rows = InspectorContent.findingRows(d, index: Select.recordIndex(s), width: body.width, cursor: s.findingsCursor)
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
        case .user, .diff:
            break
        case .mapping:
            b.draw(MappingContent.context(Select.loadedCapture(s), call: Select.mappingCall(s), destination: s.mappingDestination),
                   x: ctx.x, y: ctx.y, maxX: ctx.maxX, role: .textDim)
            let lines = Select.mappingLines(s, width: body.width - 1)
            for i in 0..<body.height {
                guard let l = lines[safe: s.mappingTop + i] else { break }
                b.draw(l, x: body.x + 1, y: body.y + i, maxX: body.maxX)
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
        let lines = Select.debugLines(s, width: body.width)
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
        let scopeNote = s.payload.scope == .request || (Select.recordIndex(s)) < 0 ? "request " : "event "
        let x = b.draw([Segment(" " + scopeNote, .textDim), Segment(ptr, .path)], x: ctx.x, y: ctx.y, maxX: ctx.maxX)
        if let h = s.payload.highlight, h != cur?.pointer, x + 4 < ctx.maxX {
            b.draw("  ◆ " + h, x: x, y: ctx.y, maxX: ctx.maxX, role: .jsonHighlight)
        }
        let style = Select.payloadStyle(s, d, Layout(s))
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
