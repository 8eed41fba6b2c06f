import AmpscopeCore

/// The UI's one state transition: `reduce(&state, action, data) -> [Effect]`.
///
/// Pure and synchronous: it reads the store only through `StreamData` (the rows of the view)
/// and asks for everything else (loading a detail, applying a filter, copying, exporting) by
/// returning effects. The host carries them out and reports back with actions.
public enum Reducer {
    public static func reduce(_ s: inout AppState, _ action: Action, data wire: any StreamData) -> [Effect] {
        var fx: [Effect] = []
        syncCalls(&s)
        let data = s.streamData(wire)
        switch action {
        case .input(let e):
            input(&s, e, data, &fx)
        case .command(let c):
            command(&s, c, data, &fx)
        case .dataChanged:
            break
        case .detailLoaded(let p):
            s.detail = p
            s.detailError = nil
            if s.detailRequested == nil { s.detailRequested = p.capture.id }
        case .detailFailed(let id, let m):
            if id == s.wireSelection?.captureID {
                s.detailError = m
            }
        case .message(let text, let isError):
            s.message = StatusMessage(text, isError: isError)
        case .profilesLoaded(let p):
            if p.captureID == s.wireSelection?.captureID || s.profiles == nil { s.profiles = p }
        case .diffLoaded(let d):
            if d.pair == s.diffPair { s.diffSubject = d }
        case .usersChanged(let list):
            s.users = list
            s.usersCursor = min(s.usersCursor, max(0, list.users.count - 1))
        case .planChanged(let list):
            s.plan = list
            s.planCursor = min(s.planCursor, max(0, list.rows.count - 1))
        case .goldenChanged(let marks):
            s.golden = marks
        case .debugChanged(let snapshot):
            s.debug = snapshot
            syncCalls(&s)
            // With SDK calls and no wire event at all (a log opened alone), show the calls.
            if s.streamMode == .events, !s.modeChosen, wire.totals.requests == 0, wire.count == 0,
               !snapshot.sdkRows.isEmpty {
                s.modeChosen = true
                s.pendingLink = .toggle
            }
            // A view whose debug terms read older debug data is applied again.
            if s.view.filter.usesDebug, s.debugAppliedVersion != snapshot.version {
                fx.append(viewEffect(&s, s.view))
            }
        case .cleared:
            s.marks = []
            s.detail = nil
            s.detailRequested = nil
            if s.streamMode == .calls {
                // The SDK calls stay; the wire events are gone.
                s.otherCursor = StreamCursor()
            } else {
                s.selection = nil
                s.selectionLine = 0
                s.pausedAtEvents = nil
            }
            if s.view.markedOnly {
                s.view.markedOnly = false
                s.view.marks = []
                fx.append(viewEffect(&s, s.view))
            }
        }
        if let link = s.pendingLink {
            s.pendingLink = nil
            switch link {
            case .toggle: toggleStreamMode(&s, wire: wire)
            case .jump: jump(&s, wire: wire)
            }
        }
        bindSearch(&s)
        normalize(&s, s.streamData(wire), &fx)
        return fx
    }

    // MARK: Input

    static func input(_ s: inout AppState, _ e: InputEvent, _ data: any StreamData, _ fx: inout [Effect]) {
        switch e {
        case .resize(let size):
            s.size = size
        case .mouse(let m):
            mouse(&s, m, data, &fx)
        case .key(let k):
            if s.prompt != nil {
                promptKey(&s, k, data, &fx)
                return
            }
            if let c = s.keys.command(for: k, in: s.keyContexts) {
                command(&s, c, data, &fx)
            } else if s.overlay == nil {
                s.message = StatusMessage("\(k) does nothing here: press ? for the keys")
            }
        }
    }

    static func mouse(_ s: inout AppState, _ m: MouseEvent, _ data: any StreamData, _ fx: inout [Effect]) {
        guard s.config.mouse else { return }
        let layout = Layout(s)
        if s.overlay != nil {
            switch m.kind {
            case .wheelUp: s.overlayScroll = max(0, s.overlayScroll - 3)
            case .wheelDown: s.overlayScroll += 3
            case .press: s.overlay = nil
            case .release: break
            }
            return
        }
        let inStream = layout.stream.contains(x: m.x, y: m.y)
        let inInspector = layout.inspector.contains(x: m.x, y: m.y)
        // Dragging the separator (side by side) or the inspector's top border (stacked).
        let onSeparator = layout.sideBySide ? (layout.separator.contains(x: m.x, y: m.y))
            : (!layout.inspector.isEmpty && m.y == layout.inspector.y && m.x > layout.tabHits(findings: 99).last!.2)
        if m.kind == .press && onSeparator {
            s.draggingSplit = true
            return
        }
        if m.kind == .release && s.draggingSplit {
            s.draggingSplit = false
            let body = layout.sideBySide ? s.size.cols : max(1, s.size.rows - 3)
            let at = layout.sideBySide ? m.x : m.y - 1
            setSplit(&s, at * 100 / max(1, body))
            return
        }
        switch m.kind {
        case .wheelUp, .wheelDown:
            let delta = m.kind == .wheelUp ? -3 : 3
            if inStream {
                moveStream(&s, by: delta, data, keepLine: false)
            } else if inInspector {
                let saved = s.focus
                s.focus = .inspector
                for _ in 0..<abs(delta) { inspectorMove(&s, delta < 0 ? -1 : 1, data) }
                s.focus = saved
            }
        case .press:
            if inStream {
                s.focus = .stream
                if layout.streamList.contains(x: m.x, y: m.y), let pos = Select.currentPosition(s, data) {
                    let top = pos - s.selectionLine
                    let target = top + (m.y - layout.streamList.y)
                    if target < data.count { select(&s, position: target, data, line: m.y - layout.streamList.y) }
                }
            } else if inInspector {
                s.focus = .inspector
                if m.y == layout.inspector.y {
                    for (tab, x0, x1) in layout.tabHits(findings: Select.findingsCount(s)) where m.x >= x0 && m.x < x1 {
                        s.tab = tab
                    }
                } else if layout.inspectorBody.contains(x: m.x, y: m.y) {
                    clickInspector(&s, row: m.y - layout.inspectorBody.y, data)
                }
            }
        case .release:
            break
        }
    }

    // MARK: The split between the panes

    /// Moves the split by `delta` percent from where it is now.
    static func resizeSplit(_ s: inout AppState, by delta: Int) {
        let layout = Layout(s)
        let now: Int
        if layout.sideBySide {
            now = layout.stream.width * 100 / max(1, s.size.cols)
        } else {
            now = layout.stream.height * 100 / max(1, s.size.rows - 3)
        }
        setSplit(&s, now + delta)
    }

    static func setSplit(_ s: inout AppState, _ percent: Int) {
        let p = max(Layout.splitRange.lowerBound, min(Layout.splitRange.upperBound, percent))
        s.split = p
        s.zoomed = false
        s.message = StatusMessage("stream \(p)% · inspector \(100 - p)% (< > or drag the separator)")
    }

    // MARK: Commands

    static func command(_ s: inout AppState, _ c: Command, _ data: any StreamData, _ fx: inout [Effect]) {
        if s.overlay != nil {
            switch c {
            case .down: s.overlayScroll += 1
            case .up: s.overlayScroll = max(0, s.overlayScroll - 1)
            case .pageDown: s.overlayScroll += max(1, s.size.rows - 6)
            case .pageUp: s.overlayScroll = max(0, s.overlayScroll - max(1, s.size.rows - 6))
            case .top: s.overlayScroll = 0
            case .back, .cancel: s.overlay = nil
            case .help: s.overlay = s.overlay == .help ? nil : .help; s.overlayScroll = 0
            case .setup: s.overlay = s.overlay == .setup ? nil : .setup; s.overlayScroll = 0
            case .quit: s.quitting = true; fx.append(.quit)
            default: break
            }
            return
        }
        let layout = Layout(s)
        if s.planOpen && s.focus == .stream && planCommand(&s, c, layout, &fx) { return }
        if s.usersOpen && s.focus == .stream && usersCommand(&s, c, layout, &fx) { return }
        switch c {
        case .down, .up, .pageDown, .pageUp, .top, .bottom:
            if s.focus == .inspector {
                inspectorMotion(&s, c, data, layout)
            } else {
                streamMotion(&s, c, data, layout)
            }
        case .nextPane, .previousPane:
            s.focus = s.focus == .stream ? .inspector : .stream
        case .open:
            s.focus = .inspector
        case .back:
            if s.focus == .inspector {
                s.focus = .stream
            } else {
                s.quitting = true
                fx.append(.quit)
            }
        case .quit:
            s.quitting = true
            fx.append(.quit)
        case .cancel:
            s.message = nil
            s.search = nil
            s.payload.highlight = nil
        case .search:
            s.prompt = PromptState(kind: .search)
        case .searchNext, .searchPrevious:
            searchStep(&s, forward: c == .searchNext, data, inclusive: false)
        case .filter:
            s.prompt = PromptState(kind: .filter, text: s.view.filter.text, previousFilter: s.view.filter)
            validateFilterPrompt(&s)
        case .nextError, .previousError:
            errorStep(&s, forward: c == .nextError, data)
        case .follow:
            s.following = true
            s.pausedAtEvents = nil
            s.message = StatusMessage("following the newest event")
        case .pause:
            if s.following {
                s.following = false
                s.pausedAtEvents = data.totals.events
                s.message = StatusMessage("paused: capture goes on; space or F follows again")
            } else {
                s.following = true
                s.pausedAtEvents = nil
                s.message = StatusMessage("following the newest event")
            }
        case .sdkCalls:
            s.pendingLink = .toggle
            s.modeChosen = true
        case .jump:
            s.pendingLink = .jump
            s.modeChosen = true
        case .mark where s.streamMode == .calls, .markedOnly where s.streamMode == .calls:
            s.message = StatusMessage("marks belong to wire events: v shows them again", isError: true)
        case .mark:
            guard let id = s.selection else { s.message = StatusMessage("nothing to mark yet"); return }
            if s.marks.contains(id) { s.marks.remove(id) } else { s.marks.insert(id) }
            s.message = StatusMessage(s.marks.contains(id) ? "marked (\(s.marks.count) in all; M shows only marked)" : "unmarked")
            if s.view.markedOnly {
                s.view = StreamView(filter: s.view.filter, markedOnly: true, marks: s.marks, hideMapped: s.view.hideMapped)
                fx.append(viewEffect(&s, s.view))
            }
        case .markedOnly:
            let on = !s.view.markedOnly
            s.view = StreamView(filter: s.view.filter, markedOnly: on, marks: s.marks, hideMapped: s.view.hideMapped)
            fx.append(viewEffect(&s, s.view))
            s.message = StatusMessage(on ? "showing marked events only (\(s.marks.count)); M shows all" : "showing all events")
        case .copy:
            copy(&s, data, &fx)
        case .copyPath:
            if let p = s.payload.cursor {
                fx.append(.copy(text: p, what: "JSON Pointer \(Sanitize.inline(p, limit: 60))"))
            }
        case .clear:
            fx.append(.clearStore)
            s.message = StatusMessage("clearing the capture store…")
        case .command:
            s.prompt = PromptState(kind: .command)
        case .help:
            s.overlay = .help
            s.overlayScroll = 0
        case .setup:
            s.overlay = .setup
            s.overlayScroll = 0
        case .zoom:
            s.zoomed.toggle()
        case .shrinkStream, .growStream:
            resizeSplit(&s, by: c == .growStream ? 3 : -3)
        case .nextTab, .previousTab:
            let all = InspectorTab.allCases
            let i = all.firstIndex(of: s.tab)!
            s.tab = all[(i + (c == .nextTab ? 1 : all.count - 1)) % all.count]
        case .tabPayload: s.tab = .payload
        case .tabFindings: s.tab = .findings
        case .tabRequest: s.tab = .request
        case .tabDebug: s.tab = .debug
        case .tabMapping: s.tab = .mapping
        case .tabUser: s.tab = .user
        case .tabDiff: s.tab = .diff
        case .volatile:
            s.diffHideVolatile.toggle()
            s.diffTop = 0
        case .users:
            s.usersOpen.toggle()
            s.planOpen = false
            s.focus = .stream
            s.message = StatusMessage(s.usersOpen ? "Users: enter shows a user's events · u goes back" : "events")
        case .plan:
            s.planOpen.toggle()
            s.usersOpen = false
            s.focus = .stream
            if !s.plan.hasPlan && s.planOpen {
                s.message = StatusMessage("no tracking plan: start ampscope (or replay) with --plan FILE (Docs/plan.md) · P goes back")
            } else {
                s.message = StatusMessage(s.planOpen ? "Plan: enter shows an event's instances · P goes back" : "events")
            }
        case .foldSegment:
            s.view = StreamView(filter: s.view.filter, markedOnly: s.view.markedOnly, marks: s.marks, hideMapped: !s.view.hideMapped)
            fx.append(viewEffect(&s, s.view))
            s.message = StatusMessage(s.view.hideMapped
                ? "Segment calls folded: their Amplitude records are counted on the call's row (a lists them again)"
                : "Amplitude records listed under each Segment call (a folds them)")
        case .switchDestination:
            s.mappingDestination = s.mappingDestination == .actions ? .classic : .actions
            s.mappingTop = 0
            s.message = StatusMessage("Mapping tab: \(s.mappingDestination.displayName)")
        case .expand, .collapse, .toggleFold, .foldAll, .unfoldAll, .scope:
            payloadCommand(&s, c, data, layout)
        case .wrap:
            s.payload.wrap.toggle()
            s.message = StatusMessage(s.payload.wrap ? "long strings wrap" : "long strings are cut to fit (w wraps them)")
        case .raw:
            s.requestRaw.toggle()
            s.requestTop = 0
            s.requestLeft = 0
        case .scrollLeft:
            s.requestLeft = max(0, s.requestLeft - 8)
        case .scrollRight:
            if !s.payload.wrap { s.requestLeft += 8 }
        }
    }

    // MARK: Users list

    /// Moves a list's cursor for a movement command (false for any other command).
    static func moveCursor(_ cursor: inout Int, _ c: Command, count n: Int, height h: Int) -> Bool {
        switch c {
        case .down: cursor = min(max(0, n - 1), cursor + 1)
        case .up: cursor = max(0, cursor - 1)
        case .pageDown: cursor = min(max(0, n - 1), cursor + h)
        case .pageUp: cursor = max(0, cursor - h)
        case .top: cursor = 0
        case .bottom: cursor = max(0, n - 1)
        default: return false
        }
        return true
    }

    /// Keys on the open Users list: moving, enter (the user's events), q (back to the stream).
    /// False for commands it leaves to the usual handling.
    static func usersCommand(_ s: inout AppState, _ c: Command, _ layout: Layout, _ fx: inout [Effect]) -> Bool {
        let n = s.users.users.count
        if moveCursor(&s.usersCursor, c, count: n, height: layout.listHeight) { return true }
        switch c {
        case .back: s.usersOpen = false
        case .open:
            guard let u = s.users.users[safe: min(s.usersCursor, n - 1)] else { return true }
            let text = UsersPane.filterText(u)
            guard !text.isEmpty, let f = try? Filter(text) else {
                s.message = StatusMessage("this user has no user_id or device_id to filter on", isError: true)
                return true
            }
            s.usersOpen = false
            setFilter(&s, f, &fx)
            s.following = true
            s.message = StatusMessage("user \(u.amplitudeID)'s events: filter \(Sanitize.inline(text, limit: 60)) · f edits it")
        default: return false
        }
        return true
    }

    // MARK: Plan view

    /// Keys on the open Plan view: moving, enter (the row's events), q (back to the stream).
    /// False for commands it leaves to the usual handling.
    static func planCommand(_ s: inout AppState, _ c: Command, _ layout: Layout, _ fx: inout [Effect]) -> Bool {
        let n = s.plan.rows.count
        if moveCursor(&s.planCursor, c, count: n, height: layout.listHeight) { return true }
        switch c {
        case .back: s.planOpen = false
        case .open:
            guard let r = s.plan.rows[safe: min(s.planCursor, n - 1)] else { return true }
            let text = "type=" + Filter.quoted(r.name)
            guard let f = try? Filter(text) else { return true }
            s.planOpen = false
            setFilter(&s, f, &fx)
            s.following = true
            s.message = StatusMessage(r.seen == 0
                ? "'\(Sanitize.inline(r.name, limit: 40))' was not seen yet: the filter shows it when it arrives · f edits it"
                : "\(Sanitize.inline(r.name, limit: 40)): filter \(Sanitize.inline(text, limit: 60)) · f edits it · P goes back to the plan")
        default: return false
        }
        return true
    }

    // MARK: Stream selection


    static func select(_ s: inout AppState, position: Int, _ data: any StreamData, line: Int? = nil) {
        guard data.count > 0 else { return }
        let p = max(0, min(position, data.count - 1))
        let old = Select.currentPosition(s, data) ?? p
        guard let row = data.row(at: p) else { return }
        s.selection = RowID(row)
        if let line {
            s.selectionLine = line
        } else {
            s.selectionLine += p - old
        }
        if p < data.count - 1 && s.following {
            s.following = false
            s.pausedAtEvents = data.totals.events
        }
    }

    static func moveStream(_ s: inout AppState, by delta: Int, _ data: any StreamData, keepLine: Bool) {
        guard let p = Select.currentPosition(s, data) else { return }
        let line = s.selectionLine
        select(&s, position: p + delta, data)
        if keepLine { s.selectionLine = line }
    }

    static func streamMotion(_ s: inout AppState, _ c: Command, _ data: any StreamData, _ layout: Layout) {
        guard data.count > 0 else { return }
        let h = layout.listHeight
        switch c {
        case .down: moveStream(&s, by: 1, data, keepLine: false)
        case .up: moveStream(&s, by: -1, data, keepLine: false)
        case .pageDown: moveStream(&s, by: h, data, keepLine: true)
        case .pageUp: moveStream(&s, by: -h, data, keepLine: true)
        case .top: select(&s, position: 0, data, line: 0)
        case .bottom: select(&s, position: data.count - 1, data, line: h - 1)
        default: break
        }
    }

    static func searchStep(_ s: inout AppState, forward: Bool, _ data: any StreamData, inclusive: Bool) {
        guard let search = s.search else {
            s.message = StatusMessage("no search: press / to search")
            return
        }
        switch search.scope {
        case .payload:
            payloadSearch(&s, search.text, forward: forward, inclusive: inclusive)
        case .stream:
            guard let f = search.filter, let p = Select.currentPosition(s, data) else { return }
            let test: (StreamRow) -> Bool = { f.matchesColumns($0) }
            let start = inclusive ? p : p + (forward ? 1 : -1)
            var found = data.nextPosition(from: start, forward: forward, where: test)
            var wrapped = false
            if found == nil {
                found = data.nextPosition(from: forward ? 0 : data.count - 1, forward: forward, where: test)
                wrapped = found != nil
            }
            if let f = found {
                select(&s, position: f, data)
                s.message = StatusMessage(wrapped ? "search wrapped around: \(search.text)" : "/\(search.text)")
            } else {
                var m = "no row matches \(Sanitize.inline(search.text, limit: 40))"
                if search.filter?.mayNeedPayload == true { m += " (the stream search reads the columns; f filters on payloads)" }
                s.message = StatusMessage(m, isError: true)
            }
        }
    }

    /// `e` / `E`: the next (previous) event with an error, wrapping around at the end (start)
    /// like search does, so `e` from the live tail finds the errors above it.
    static func errorStep(_ s: inout AppState, forward: Bool, _ data: any StreamData) {
        guard let p = Select.currentPosition(s, data) else { return }
        let hasError: (StreamRow) -> Bool = { $0.event.counts.errors > 0 }
        if let f = data.nextPosition(from: p + (forward ? 1 : -1), forward: forward, where: hasError) {
            select(&s, position: f, data)
            s.message = nil
        } else if let f = data.nextPosition(from: forward ? 0 : data.count - 1, forward: forward, where: hasError), f != p {
            select(&s, position: f, data)
            s.message = StatusMessage(forward ? "wrapped around to the first event with an error" : "wrapped around to the last event with an error")
        } else {
            let onError = data.row(at: p).map(hasError) ?? false
            s.message = StatusMessage(onError ? "this is the only event with an error" : "no event with an error")
        }
    }

    static func copy(_ s: inout AppState, _ data: any StreamData, _ fx: inout [Effect]) {
        if s.streamMode == .calls, s.focus == .inspector, s.tab == .debug || s.wireSelection == nil {
            let lines = Select.debugLines(s, width: 200)
            fx.append(.copy(text: lines.map { $0.map(\.text).joined() }.joined(separator: "\n"), what: "the Debug tab"))
            return
        }
        guard let d = Select.detailForSelection(s) else {
            s.message = StatusMessage(s.selection == nil ? "nothing selected" : "still loading the event", isError: true)
            return
        }
        let index = Select.recordIndex(s)
        if s.focus == .inspector {
            switch s.tab {
            case .payload:
                if let doc = d.request.document, let line = s.payload.lines[safe: s.payload.cursorLine] {
                    var text = JSONPretty.text(doc, line.node)
                    if s.config.redact, line.pointer == d.request.apiKeyPointer, let k = d.request.apiKey {
                        text = "\"" + Redactor.mask(k) + "\""
                    }
                    fx.append(.copy(text: text, what: "the value at \(line.pointer.isEmpty ? "/" : Sanitize.inline(line.pointer, limit: 60))"))
                    return
                }
            case .findings:
                let items = InspectorContent.findings(d, index: index)
                if let f = items[safe: s.findingsCursor] {
                    fx.append(.copy(text: "\(f.severity.rawValue) \(f.rule) \(f.path): \(f.message)", what: "finding \(f.rule)"))
                    return
                }
            case .request:
                let body = s.config.redact ? Redactor.redactBody(d) : (d.request.body.isEmpty ? d.capture.body : d.request.body)
                fx.append(.copy(text: String(decoding: body, as: UTF8.self), what: "the request body"))
                return
            case .diff:
                let lines = DiffContent.lines(s.diffPair, s.diffSubject, hideVolatile: s.diffHideVolatile, width: 200)
                fx.append(.copy(text: lines.map { $0.map(\.text).joined() }.joined(separator: "\n"), what: "the Diff tab"))
                return
            case .user:
                let lines = Select.userLines(s, width: 200).rows
                fx.append(.copy(text: lines.map { $0.map(\.text).joined() }.joined(separator: "\n"), what: "the User tab"))
                return
            case .mapping:
                let lines = Select.mappingLines(s, width: 200)
                fx.append(.copy(text: lines.map { $0.map(\.text).joined() }.joined(separator: "\n"), what: "the Mapping tab"))
                return
            case .debug:
                let lines = Select.debugLines(s, width: 200)
                let text = lines.map { $0.map(\.text).joined() }.joined(separator: "\n")
                fx.append(.copy(text: text, what: "the Debug tab"))
                return
            }
        }
        if let doc = d.request.document, index >= 0, index < d.request.records.count {
            fx.append(.copy(text: JSONPretty.text(doc, d.request.records[index]), what: "event \(index) of capture \(d.capture.id)"))
        } else {
            let body = s.config.redact ? Redactor.redactBody(d) : d.capture.body
            fx.append(.copy(text: String(decoding: body, as: UTF8.self), what: "the request body"))
        }
    }



    // MARK: Normalisation after every action

    static func normalize(_ s: inout AppState, _ data: any StreamData, _ fx: inout [Effect]) {
        syncCalls(&s)
        let layout = Layout(s)
        let h = layout.listHeight
        let n = data.count
        if n == 0 {
            s.selectionLine = 0
        } else {
            if s.following {
                if let last = data.row(at: n - 1) { s.selection = RowID(last) }
                s.selectionLine = h - 1
            } else if s.selection == nil, let first = data.row(at: 0) {
                s.selection = RowID(first)
                s.selectionLine = 0
            }
            let p = Select.currentPosition(s, data) ?? 0
            if let row = data.row(at: p), RowID(row) != s.selection, !s.following {
                // The selected row is not in the view (filtered out): select the nearest one.
                s.selection = RowID(row)
            }
            // Keep the selection on screen and the list filled.
            var line = max(0, min(s.selectionLine, h - 1, p))
            let top = p - line
            if top + h > n { line = min(p, max(line, p - max(0, n - h))) }
            s.selectionLine = line
        }
        // The width the rows on screen want (the layout widens the stream to it when it can).
        s.streamWants = s.streamMode == .events && n > 0 ? Select.streamWants(s, data) : 0
        // Detail of the selection (calls mode: of the selected call's wire event).
        if let sel = s.wireSelection {
            if s.detailRequested != sel.captureID {
                s.detailRequested = sel.captureID
                s.detailError = nil
                fx.append(.loadDetail(captureID: sel.captureID))
            }
            if s.profilesRequested != sel.captureID {
                s.profilesRequested = sel.captureID
                fx.append(.loadProfiles(captureID: sel.captureID))
            }
        }
        // The Debug tab starts at the top for each new subject.
        let subject = Select.debugSubject(s)
        if subject != s.debugSubject {
            s.debugSubject = subject
            s.debugTop = 0
        }
        refreshPayload(&s, layout)
        if s.tab == .user { keepUserCursorVisible(&s, layout) }
        if s.tab == .diff {
            let pair = Select.diffPair(s, data)
            if pair != s.diffPair {
                s.diffPair = pair
                s.diffTop = 0
                if let pair { fx.append(.loadDiff(pair)) }
            }
        }
        s.findingsCursor = max(0, min(s.findingsCursor, max(0, Select.findingsCount(s) - 1)))
        if s.overlay != nil { s.overlayScroll = max(0, s.overlayScroll) }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { i >= 0 && i < count ? self[i] : nil }
}
