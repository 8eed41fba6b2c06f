import AmpscopeCore

/// Selectors: what the screen shows, derived from the state alone.
///
/// Read by both the reducer and the renderer; neither calls into the other. Each is a function
/// of `AppState` (and the rows of the view it is given), with no locks and no shared objects.
enum Select {
    /// Position of the selection in the view (the nearest row when it is filtered out).
    static func currentPosition(_ s: AppState, _ data: any StreamData) -> Int? {
        guard data.count > 0 else { return nil }
        guard let id = s.selection else { return s.following ? data.count - 1 : 0 }
        return min(data.position(atOrAfter: id), data.count - 1)
    }

    /// The loaded capture when it belongs to the selection (a Segment capture for a mapped row).
    static func loadedCapture(_ s: AppState) -> Processed? {
        guard let d = s.detail, let sel = s.wireSelection, d.capture.id == sel.captureID else { return nil }
        return d
    }

    /// What the Payload, Findings and Request tabs show for the selection: the loaded capture,
    /// or for a mapped row the Amplitude request its destination sends (with the capture's id).
    static func detailForSelection(_ s: AppState) -> Processed? {
        guard let d = loadedCapture(s), let sel = s.wireSelection else { return nil }
        guard sel.sub > 0 else { return d }
        return d.segmentMapping?.record(call: sel.index, sub: sel.sub)?.inspected(captureID: d.capture.id)
    }

    /// The record the inspector shows in `detailForSelection` (-1: a request without records).
    static func recordIndex(_ s: AppState) -> Int {
        guard let sel = s.wireSelection else { return -1 }
        guard sel.sub > 0 else { return sel.index }
        return loadedCapture(s)?.segmentMapping?.record(call: sel.index, sub: sel.sub)?.record ?? -1
    }

    /// The Segment call the Mapping tab shows (the selection's call; -1 for none).
    static func mappingCall(_ s: AppState) -> Int { s.wireSelection?.index ?? -1 }

    /// The Mapping tab's lines at a width.
    static func mappingLines(_ s: AppState, width: Int) -> [[Segment]] {
        guard let p = loadedCapture(s), let sel = s.wireSelection else { return [] }
        let selected = sel.sub > 0 ? p.segmentMapping?.record(call: sel.index, sub: sel.sub) : nil
        return MappingContent.rows(p, call: sel.index, destination: s.mappingDestination, selected: selected, width: width,
                                   redact: s.config.redact)
    }

    /// The User tab's subject: the selected event's simulated profile (nil until loaded, or
    /// when the simulator has not seen it).
    static func eventProfile(_ s: AppState) -> EventProfile? {
        guard let p = s.profiles, let sel = s.wireSelection, p.captureID == sel.captureID, sel.sub == 0 else { return nil }
        return p.event(record: sel.index)
    }

    /// The User tab's lines at a width.
    static func userLines(_ s: AppState, width: Int) -> UserContent.Lines {
        let loaded = s.profiles?.captureID == s.wireSelection?.captureID
        return UserContent.lines(eventProfile(s), loaded: loaded, cursor: s.userProperty, width: width)
    }

    /// First row of the Users list on screen (the cursor kept visible, the list filled).
    static func usersTop(_ s: AppState, height: Int) -> Int {
        listTop(cursor: s.usersCursor, count: s.users.users.count, height: height)
    }

    /// First row of the Plan view on screen.
    static func planTop(_ s: AppState, height: Int) -> Int {
        listTop(cursor: s.planCursor, count: s.plan.rows.count, height: height)
    }

    /// A list's first row on screen: the cursor kept in the middle where it can be, the list filled.
    static func listTop(cursor: Int, count n: Int, height: Int) -> Int {
        max(0, min(min(cursor, max(0, n - 1)) - height / 2, n - height))
    }

    /// The pair the Diff tab compares: the two marked events, else the selection and the
    /// previous event of the same type and user in the view (nil: nothing to compare).
    static func diffPair(_ s: AppState, _ data: any StreamData) -> DiffPair? {
        if s.marks.count == 2 {
            let m = s.marks.sorted()
            return DiffPair(base: m[0], other: m[1], marked: true)
        }
        guard s.streamMode == .events, let sel = s.selection, let p = data.position(of: sel), let row = data.row(at: p),
              row.event.index >= 0 else { return nil }
        if let link = s.golden.links[sel] {
            return DiffPair(base: RowID(captureID: 0, index: link.record), other: sel, marked: false, golden: link)
        }
        let type = row.event.eventType, user = row.event.userID, device = row.event.deviceID
        guard let q = data.nextPosition(from: p - 1, forward: false, where: {
            $0.event.eventType == type && $0.event.userID == user && (user != nil || $0.event.deviceID == device) && $0.event.index >= 0
        }), let prev = data.row(at: q) else { return nil }
        return DiffPair(base: RowID(prev), other: sel, marked: false)
    }

    /// Findings the inspector lists for the selection.
    static func findingsCount(_ s: AppState) -> Int {
        guard let d = detailForSelection(s) else { return 0 }
        return InspectorContent.findings(d, index: recordIndex(s)).count
    }

    /// What the Debug tab is about (a key that changes with the selection).
    static func debugSubject(_ s: AppState) -> String? {
        guard let sel = s.selection else { return nil }
        return "\(s.streamMode.rawValue):\(sel)"
    }

    /// The Debug tab's content for the selection.
    static func debugDetail(_ s: AppState) -> DebugDetail? {
        guard let dbg = s.debug, let sel = s.selection else { return nil }
        switch s.streamMode {
        case .events: return dbg.detail(forWire: WireEventRef(captureID: sel.captureID, index: sel.index))
        case .calls: return dbg.detail(forRow: Int(sel.captureID))
        }
    }

    /// The Debug tab's lines at a width.
    static func debugLines(_ s: AppState, width: Int) -> [[Segment]] {
        InspectorContent.debug(debugDetail(s), debugOpen: s.debug != nil, config: s.config, width: width,
                               isSDKRow: s.streamMode == .calls)
    }

    /// How the payload tree is laid out for the inspector's width.
    static func payloadStyle(_ s: AppState, _ d: Processed, _ layout: Layout) -> PayloadTree.Style {
        PayloadTree.Style(width: layout.inspectorBody.width, wrap: s.payload.wrap,
                          maskPointer: s.config.redact && d.request.apiKey != nil ? d.request.apiKeyPointer : nil)
    }

    /// The stream pane width that shows the event types and ids of the rows on screen whole.
    /// 0 when the default split shows them already (or the user set the split).
    static func streamWants(_ s: AppState, _ data: any StreamData) -> Int {
        let base = Layout(size: s.size, focus: s.focus, zoomed: s.zoomed)
        guard base.sideBySide, s.split == nil, !base.stream.isEmpty, let pos = currentPosition(s, data) else { return 0 }
        let top = max(0, pos - s.selectionLine)
        let rows = data.rows(top..<min(data.count, top + base.listHeight))
        let need = StreamPane.Columns.Need(rows)
        let sdk = s.debug?.hasRecords ?? false
        func fits(_ w: Int) -> Bool { StreamPane.Columns(width: w, sdkColumn: sdk, need: need).type >= need.type }
        if fits(base.stream.width) { return 0 }
        let limit = s.size.cols * Layout.maxAutoShare / 100
        var w = base.stream.width + 1
        while w < limit && !fits(w) { w += 1 }
        return w
    }
}
