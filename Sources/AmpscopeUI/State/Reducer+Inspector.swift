import AmpscopeCore

/// The inspector's tabs: cursor movement, folding, finding jumps.
extension Reducer {
    static func inspectorMotion(_ s: inout AppState, _ c: Command, _ data: any StreamData, _ layout: Layout) {
        let h = layout.inspectorHeight
        switch c {
        case .down: inspectorMove(&s, 1, data)
        case .up: inspectorMove(&s, -1, data)
        case .pageDown: inspectorMove(&s, h, data)
        case .pageUp: inspectorMove(&s, -h, data)
        case .top: inspectorMove(&s, Int.min / 2, data)
        case .bottom: inspectorMove(&s, Int.max / 2, data)
        default: break
        }
    }

    /// Moves the cursor (Payload, Findings) or scrolls (Request, Debug) by `delta` lines.
    static func inspectorMove(_ s: inout AppState, _ delta: Int, _ data: any StreamData) {
        let layout = Layout(s)
        switch s.tab {
        case .payload:
            let lines = s.payload.lines
            guard !lines.isEmpty else { return }
            let i = max(0, min(lines.count - 1, s.payload.cursorLine + delta))
            var target = i
            // Closing brackets are not cursor stops.
            while target < lines.count - 1 && lines[target].isClose && delta > 0 { target += 1 }
            while target > 0 && lines[target].isClose { target -= 1 }
            s.payload.cursor = lines[target].pointer
        case .findings:
            s.findingsCursor = max(0, min(Select.findingsCount(s) - 1, s.findingsCursor + delta))
        case .request:
            let total = requestLines(s, layout).count
            s.requestTop = max(0, min(max(0, total - layout.inspectorHeight), s.requestTop + delta))
        case .debug:
            let total = Select.debugLines(s, width: layout.inspectorBody.width).count
            s.debugTop = max(0, min(max(0, total - layout.inspectorHeight), s.debugTop + delta))
        case .mapping:
            let total = Select.mappingLines(s, width: layout.inspectorBody.width).count
            s.mappingTop = max(0, min(max(0, total - layout.inspectorHeight), s.mappingTop + delta))
        case .diff:
            let total = DiffContent.lines(s.diffPair, s.diffSubject, hideVolatile: s.diffHideVolatile, width: layout.inspectorBody.width).count
            s.diffTop = max(0, min(max(0, total - layout.inspectorHeight), s.diffTop + delta))
        case .user:
            let lines = Select.userLines(s, width: layout.inspectorBody.width)
            guard !lines.properties.isEmpty else {
                s.userTop = max(0, min(max(0, lines.rows.count - layout.inspectorHeight), s.userTop + delta))
                return
            }
            let at = s.userProperty.flatMap { lines.properties.firstIndex(of: $0) } ?? 0
            let next = max(0, min(lines.properties.count - 1, at + delta))
            s.userProperty = lines.properties[next]
            keepUserCursorVisible(&s, layout)
        }
    }

    static func requestLines(_ s: AppState, _ layout: Layout) -> [[Segment]] {
        guard let d = Select.detailForSelection(s) else { return [] }
        return InspectorContent.request(d, config: s.config, raw: s.requestRaw, wrap: s.payload.wrap, width: layout.inspectorBody.width,
                                        window: 0..<0)
    }

    static func clickInspector(_ s: inout AppState, row: Int, _ data: any StreamData) {
        let layout = Layout(s)
        switch s.tab {
        case .payload:
            guard let d = Select.detailForSelection(s), let doc = d.request.document else { return }
            let style = Select.payloadStyle(s, d, layout)
            var y = 0
            var i = s.payload.top
            while i < s.payload.lines.count {
                let hgt = PayloadTree.rows(s.payload.lines[i], doc, style).count
                if row < y + hgt {
                    var t = i
                    while t > 0 && s.payload.lines[t].isClose { t -= 1 }
                    s.payload.cursor = s.payload.lines[t].pointer
                    return
                }
                y += hgt
                i += 1
            }
        case .findings:
            guard let d = Select.detailForSelection(s) else { return }
            let rows = InspectorContent.findingRows(d, index: Select.recordIndex(s), width: layout.inspectorBody.width,
                                                    cursor: s.findingsCursor)
            if let r = rows[safe: s.findingsTop + row], let f = r.finding { s.findingsCursor = f }
        case .user:
            let lines = Select.userLines(s, width: layout.inspectorBody.width)
            if let i = lines.propertyRows.firstIndex(of: s.userTop + row) { s.userProperty = lines.properties[i] }
        case .request, .debug, .mapping, .diff:
            break
        }
    }


    static func payloadCommand(_ s: inout AppState, _ c: Command, _ data: any StreamData, _ layout: Layout) {
        if c == .toggleFold && s.tab == .findings {
            jumpToFinding(&s, layout)
            return
        }
        if c == .toggleFold && s.tab == .user {
            jumpToSetter(&s, data)
            return
        }
        guard s.tab == .payload else { return }
        if c == .scope {
            let anchor = s.payload.cursor
            s.payload.scope = s.payload.scope == .event ? .request : .event
            refreshPayload(&s, layout, force: true)
            if let a = anchor, s.payload.lines.contains(where: { $0.pointer == a }) { s.payload.cursor = a }
            s.message = StatusMessage(s.payload.scope == .request ? "showing the whole request (p: the event only)" : "showing the event (p: the whole request)")
            return
        }
        let lines = s.payload.lines
        guard let line = lines[safe: s.payload.cursorLine] else { return }
        let relative = s.payload.scope == .event
        let key = relative ? line.relative : line.pointer
        switch c {
        case .expand:
            if line.kind.isContainer && line.folded { s.payload.folded.remove(key) }
            else if line.kind.isContainer && line.childCount > 0 { inspectorMove(&s, 1, data) }
        case .collapse:
            if line.kind.isContainer && !line.folded && line.childCount > 0 && line.depth > 0 {
                s.payload.folded.insert(key)
            } else if let parent = lines[..<s.payload.cursorLine].last(where: { $0.depth == line.depth - 1 && !$0.isClose }) {
                s.payload.cursor = parent.pointer
            }
        case .toggleFold:
            guard line.kind.isContainer, line.childCount > 0, line.depth > 0 else { return }
            if line.folded { s.payload.folded.remove(key) } else { s.payload.folded.insert(key) }
        case .foldAll:
            let keys = PayloadTree.containerKeys(lines, relative: relative)
            s.payload.folded.formUnion(keys)
            // The cursor moves to its outermost folded ancestor.
            if let anc = lines.first(where: { !$0.isClose && $0.depth == 1 && (line.pointer == $0.pointer || line.pointer.hasPrefix($0.pointer + "/")) }) {
                s.payload.cursor = anc.pointer
            }
        case .unfoldAll:
            s.payload.folded = []
        default:
            break
        }
        refreshPayload(&s, layout)
    }

    /// Opens the Payload tab on the selected finding's path, unfolding what hides it.
    static func jumpToFinding(_ s: inout AppState, _ layout: Layout) {
        guard let d = Select.detailForSelection(s) else { return }
        let index = Select.recordIndex(s)
        let items = InspectorContent.findings(d, index: index)
        guard let f = items[safe: s.findingsCursor] else { return }
        let base = index >= 0 && index < d.request.records.count ? d.request.recordPointer(index) : ""
        let inEvent = index >= 0 && isPointer(f.path, within: base)
        s.payload.scope = inEvent ? .event : .request
        // Unfold every ancestor of the path.
        let tokens = JSONPointer.tokens(f.path)
        var p = ""
        for t in tokens {
            s.payload.foldedRequest.remove(p)
            if inEvent, isPointer(p, within: base) { s.payload.foldedEvent.remove(String(p.dropFirst(base.count))) }
            p += "/" + JSONPointer.escape(t)
        }
        s.tab = .payload
        s.focus = .inspector
        refreshPayload(&s, layout, force: true)
        // The deepest line whose pointer is the path or an ancestor of it.
        let target = s.payload.lines.filter { !$0.isClose && isPointer(f.path, within: $0.pointer) }.max { $0.pointer.count < $1.pointer.count }
        s.payload.cursor = target?.pointer ?? s.payload.lines.first?.pointer
        s.payload.highlight = f.path
        refreshPayload(&s, layout, force: true)
        s.message = StatusMessage("\(f.rule) at \(f.path.isEmpty ? "/" : Sanitize.inline(f.path, limit: 60))")
    }

    /// The User tab's cursor line stays on screen.
    static func keepUserCursorVisible(_ s: inout AppState, _ layout: Layout) {
        let lines = Select.userLines(s, width: layout.inspectorBody.width)
        let h = layout.inspectorHeight
        guard let i = s.userProperty.flatMap({ lines.properties.firstIndex(of: $0) }) else {
            s.userTop = max(0, min(s.userTop, max(0, lines.rows.count - h)))
            return
        }
        let row = lines.propertyRows[i]
        if row < s.userTop { s.userTop = max(0, row - 1) }
        if row >= s.userTop + h { s.userTop = row - h + 1 }
    }

    /// User tab, enter: select the event that last set the property under the cursor before the
    /// selected one (pressed again, the one before that), so its history can be walked back.
    static func jumpToSetter(_ s: inout AppState, _ data: any StreamData) {
        guard let e = Select.eventProfile(s) else { return }
        let name = s.userProperty ?? e.properties.first?.name
        guard let name, let touches = e.history[name], !touches.isEmpty else {
            s.message = StatusMessage("no property under the cursor, or no event set it", isError: true)
            return
        }
        let earlier = touches.filter { $0.change.event + 1 < e.ordinal && $0.change.applied }
        guard let t = earlier.last ?? touches.first(where: { $0.change.event + 1 < e.ordinal }) else {
            s.message = StatusMessage("this event is the first to touch \(Sanitize.inline(name, limit: 40))")
            return
        }
        let id = RowID(captureID: t.capture, index: t.record)
        guard selectRow(&s, id, in: data) else {
            s.message = StatusMessage("event \(t.change.event + 1) (capture \(t.capture)) is not in the view: the filter hides it", isError: true)
            return
        }
        s.userProperty = name
        s.message = StatusMessage("event \(t.change.event + 1): \(t.change.operation) \(Sanitize.inline(name, limit: 40)) · enter goes further back")
    }

    /// True when `pointer` is `base` or inside it (token boundaries respected).
    static func isPointer(_ pointer: String, within base: String) -> Bool {
        base.isEmpty || pointer == base || pointer.hasPrefix(base + "/")
    }

    static func payloadSearch(_ s: inout AppState, _ text: String, forward: Bool, inclusive: Bool) {
        guard let d = Select.detailForSelection(s), let doc = d.request.document else { return }
        let lines = s.payload.lines
        guard !lines.isEmpty else { return }
        let needle = text.lowercased()
        let start = s.payload.cursorLine
        let n = lines.count
        for step in (inclusive ? 0 : 1)...n {
            let i = ((start + (forward ? step : -step)) % n + n) % n
            let l = lines[i]
            if !l.isClose, PayloadTree.searchText(l, doc).lowercased().contains(needle) {
                s.payload.cursor = l.pointer
                s.message = StatusMessage("/\(Sanitize.inline(text, limit: 40)) at \(l.pointer.isEmpty ? "/" : Sanitize.inline(l.pointer, limit: 60))")
                return
            }
        }
        s.message = StatusMessage("no match for \(Sanitize.inline(text, limit: 40)) in this payload", isError: true)
    }

    /// Rebuilds the payload lines when the selection, scope or folds changed, and keeps the cursor visible.
    static func refreshPayload(_ s: inout AppState, _ layout: Layout, force: Bool = false) {
        guard let d = Select.detailForSelection(s), let doc = d.request.document, let sel = s.wireSelection else {
            s.payload.lines = []
            s.payload.source = nil
            return
        }
        let index = Select.recordIndex(s)
        let hasRecord = index >= 0 && index < d.request.records.count
        let scope: PayloadState.Scope = hasRecord ? s.payload.scope : .request
        let src = PayloadSource(captureID: d.capture.id, record: index, sub: sel.sub, scope: scope, folded: s.payload.folded)
        if force || src != s.payload.source {
            let old = s.payload.source
            let selectionChanged = old?.captureID != src.captureID || old?.record != src.record || old?.sub != src.sub
            let root = scope == .event ? d.request.records[index] : doc.root
            let base = scope == .event ? d.request.recordPointer(index) : ""
            s.payload.lines = PayloadTree.lines(doc, root: root, basePointer: base,
                                                folded: scope == .event ? s.payload.foldedEvent : s.payload.foldedRequest,
                                                foldKeysAreRelative: scope == .event)
            s.payload.source = src
            if selectionChanged {
                s.payload.top = 0
                s.payload.highlight = nil
                s.findingsCursor = 0
                s.findingsTop = 0
                s.requestTop = 0
                s.requestLeft = 0
                s.debugTop = 0
                if old?.captureID != src.captureID || old?.record != src.record { s.mappingTop = 0; s.userTop = 0 }
                if scope == .request && hasRecord {
                    s.payload.cursor = d.request.recordPointer(index)
                } else {
                    s.payload.cursor = s.payload.lines.first?.pointer
                }
            }
            if let c = s.payload.cursor, !s.payload.lines.contains(where: { $0.pointer == c && !$0.isClose }) {
                // The cursor's line is folded away: move to its nearest visible ancestor.
                let anc = s.payload.lines.filter { !$0.isClose && isPointer(c, within: $0.pointer) }.max { $0.pointer.count < $1.pointer.count }
                s.payload.cursor = anc?.pointer ?? s.payload.lines.first?.pointer
            }
            if s.payload.cursor == nil { s.payload.cursor = s.payload.lines.first?.pointer }
        }
        // Keep the cursor line on screen (wrapped strings take several rows).
        let h = layout.inspectorHeight
        let cur = s.payload.cursorLine
        var top = min(s.payload.top, cur)
        let style = Select.payloadStyle(s, d, layout)
        func height(_ i: Int) -> Int { s.payload.wrap ? PayloadTree.rows(s.payload.lines[i], doc, style).count : 1 }
        var used = 0
        var i = cur
        while i >= top {
            used += height(i)
            if used > h { top = i + 1; break }
            i -= 1
        }
        top = min(top, cur)
        // Do not leave empty rows at the end when the tree is short enough.
        if !s.payload.wrap { top = max(0, min(top, max(0, s.payload.lines.count - h))) }
        s.payload.top = max(0, min(top, cur))
        // Findings list scroll, request scroll: only for the tab on screen (they cost a build).
        if s.tab == .findings {
            let rows = InspectorContent.findingRows(d, index: index, width: layout.inspectorBody.width, cursor: s.findingsCursor)
            if let first = rows.firstIndex(where: { $0.finding == s.findingsCursor }) {
                let last = rows.lastIndex(where: { $0.finding == s.findingsCursor }) ?? first
                if first < s.findingsTop { s.findingsTop = first }
                if last >= s.findingsTop + h { s.findingsTop = max(0, last - h + 1) }
            }
        }
        if s.tab == .request {
            let total = InspectorContent.request(d, config: s.config, raw: s.requestRaw, wrap: s.payload.wrap,
                                                 width: layout.inspectorBody.width, window: 0..<0).count
            s.requestTop = max(0, min(s.requestTop, max(0, total - h)))
        }
    }
}
