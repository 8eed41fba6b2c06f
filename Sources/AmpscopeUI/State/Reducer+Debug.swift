import AmpscopeCore

/// The SDK debug side of the UI: the SDK-calls list, jumping between a call and its wire
/// events, the Debug tab's subject, and binding debug filter terms to the current debug data.
extension Reducer {
    /// `v`: the stream lists SDK calls, or wire events again. Each mode keeps its own selection;
    /// entering the calls list on an event that has a call selects that call.
    static func toggleStreamMode(_ s: inout AppState, wire: any StreamData) {
        guard let dbg = s.debug else {
            s.message = StatusMessage("no SDK log is open: ampscope --debug-log FILE (or -), replay a log file, or POST it to /ampscope/log",
                                      isError: true)
            return
        }
        var linked: Int?
        if s.streamMode == .events, let sel = s.selection {
            linked = dbg.rowNumber(forWire: WireEventRef(captureID: sel.captureID, index: sel.index))
        }
        swapMode(&s)
        if s.streamMode == .calls {
            syncCalls(&s)
            if s.tab == .payload { s.tab = .debug }
            if let n = linked { _ = selectRow(&s, RowID(captureID: Int64(n), index: SDKRow.streamIndex), in: s.calls) }
            let never = s.calls.neverSent
            s.message = StatusMessage("SDK calls: \(TextLayout.grouped(s.calls.allRows.count)) rows"
                                      + (never > 0 ? ", \(never) not seen on the wire" : "")
                                      + " · d jumps to the wire · v shows the wire events")
        } else {
            s.message = StatusMessage("wire events · d jumps to the SDK call · v lists the SDK calls")
        }
    }

    /// `d`: from a wire event to the SDK call that produced it; from an SDK call to its first
    /// wire event.
    static func jump(_ s: inout AppState, wire: any StreamData) {
        guard let dbg = s.debug else {
            s.message = StatusMessage("no SDK log is open, so no event has an SDK call (see Docs/debug.md)", isError: true)
            return
        }
        switch s.streamMode {
        case .events:
            guard let sel = s.selection else { s.message = StatusMessage("nothing selected"); return }
            guard sel.index >= 0, let n = dbg.rowNumber(forWire: WireEventRef(captureID: sel.captureID, index: sel.index)) else {
                s.message = StatusMessage(dbg.hasRecords
                    ? "no SDK call is joined to this event (the SDK log has nothing about it: filter !has:debug lists such events)"
                    : "no SDK log has been read yet, so no event has an SDK call", isError: true)
                return
            }
            swapMode(&s)
            syncCalls(&s)
            if !selectRow(&s, RowID(captureID: Int64(n), index: SDKRow.streamIndex), in: s.calls) {
                s.message = StatusMessage("its SDK call is hidden by the filter \(Sanitize.inline(s.view.filter.text, limit: 40))", isError: true)
                return
            }
            if s.tab == .payload { s.tab = .debug }
            s.message = StatusMessage("the SDK call of capture \(sel.captureID) event \(sel.index) · d goes back")
        case .calls:
            guard let row = s.selectedSDKRow else { s.message = StatusMessage("nothing selected"); return }
            guard let w = row.wire.first else {
                let why = row.fate.map { $0.label + ": " + Sanitize.inline($0.explanation, limit: 80) } ?? "this is not an event-producing call"
                s.message = StatusMessage("no wire event: " + why, isError: true)
                return
            }
            swapMode(&s)
            let id = RowID(captureID: w.captureID, index: w.index)
            if !selectRow(&s, id, in: wire) {
                s.message = StatusMessage("its wire event (capture \(w.captureID)) is not in the view: the filter or a clear hides it", isError: true)
                return
            }
            s.message = StatusMessage("capture \(w.captureID) event \(w.index)" + (row.wire.count > 1 ? " (attempt 1 of \(row.wire.count))" : "")
                                      + " · d goes back to the SDK call")
        }
    }

    /// Switches the mode, keeping each mode's cursor.
    static func swapMode(_ s: inout AppState) {
        let current = StreamCursor(selection: s.selection, selectionLine: s.selectionLine, following: s.following,
                                   pausedAtEvents: s.pausedAtEvents)
        s.selection = s.otherCursor.selection
        s.selectionLine = s.otherCursor.selectionLine
        s.following = s.otherCursor.following
        s.pausedAtEvents = s.otherCursor.pausedAtEvents
        s.otherCursor = current
        s.streamMode = s.streamMode == .events ? .calls : .events
    }

    /// Selects a row by id when the view has it (centred in the list); false when it does not.
    static func selectRow(_ s: inout AppState, _ id: RowID, in data: any StreamData) -> Bool {
        guard data.position(of: id) != nil else { return false }
        s.selection = id
        if s.following { s.pausedAtEvents = data.totals.events }
        s.following = false
        let layout = Layout(s)
        s.selectionLine = layout.listHeight / 2
        return true
    }

    /// The effect that applies a view to the store, with the debug data its debug terms read.
    static func viewEffect(_ s: inout AppState, _ v: StreamView) -> Effect {
        let table = debugTable(s, v)
        if table != nil { s.debugAppliedVersion = s.debug?.version }
        return .applyView(v, debug: table)
    }

    /// The SDK side of the wire events, when `v`'s filter has debug terms to read it.
    static func debugTable(_ s: AppState, _ v: StreamView) -> DebugRowTable? {
        v.filter.usesDebug ? s.debug?.rowTable : nil
    }

    /// Brings the SDK-calls list up to date with the snapshot and the view (calls mode only).
    static func syncCalls(_ s: inout AppState) {
        guard s.streamMode == .calls, let d = s.debug else { return }
        s.calls = s.calls.updated(snapshot: d, view: s.view)
    }

    /// Binds a stream search's debug terms to the rows it searches (SDK calls or wire events).
    static func bindSearch(_ s: inout AppState) {
        guard let dbg = s.debug, var search = s.search, let f = search.filter, f.usesDebug else { return }
        let lookup: any FilterDebugLookup = s.streamMode == .calls ? SDKRowTable(s.calls.allRows) : dbg.rowTable
        search.filter = f.bound(to: lookup)
        s.search = search
    }



}
