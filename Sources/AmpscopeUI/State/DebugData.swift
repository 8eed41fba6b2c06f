import AmpscopeCore

/// The UI's handle on the SDK debug side: the shared session (fed by the app's log readers and
/// the wire watcher, thread-safe) and the SDK-calls list built from it.
///
/// Held in `AppState` by reference. The session may be read from any thread; `calls` is read and
/// synced on the UI thread only (like every `StreamData`), which is why this is
/// `@unchecked Sendable`.
public final class DebugContext: @unchecked Sendable {
    public let session: SharedDebugSession
    public let calls: SDKCallsData

    public init(session: SharedDebugSession) {
        self.session = session
        self.calls = SDKCallsData(session: session)
    }
}

/// The SDK-calls list as stream rows (`SDKRow.streamRow`): every event as the SDK saw it (with
/// its fate, joined to the wire or not), every other SDK call, and the warnings, errors and
/// unreadable lines no event claims.
///
/// Rows are numbered by `SDKRow.number` (`RowID.captureID`), in the order they appeared in the
/// logs. The stream filter applies to them too: debug terms read each row's own SDK side, event
/// columns read the SDK's event, and `prop.`/full-text terms read the SDK's final event (or the
/// call's arguments). `sync` recomputes the visible rows when the session or the view changed.
public final class SDKCallsData: StreamData {
    public let session: SharedDebugSession
    public private(set) var view: StreamView = .all
    private var rows: [SDKRow] = []
    private var streamRows: [StreamRow] = []
    private var visible: [Int] = []
    private var syncedVersion = -1
    private var syncedFilter = ""
    public private(set) var totals = StreamTotals()

    public init(session: SharedDebugSession) { self.session = session }

    /// Brings the rows up to date with the session and applies `view` (marks do not apply here:
    /// they belong to wire events).
    public func sync(view v: StreamView) {
        let version = session.version
        guard version != syncedVersion || v.filter.text != syncedFilter else { return }
        syncedVersion = version
        syncedFilter = v.filter.text
        view = StreamView(filter: v.filter)
        rows = session.sdkRows()
        streamRows = rows.map(\.streamRow)
        var t = StreamTotals()
        t.events = rows.count
        for r in rows {
            if r.errors > 0 { t.eventsWithErrors += 1 } else if r.problems > 0 { t.eventsWithWarnings += 1 }
        }
        totals = t
        if v.filter.isEmpty {
            visible = Array(rows.indices)
            return
        }
        let f = v.filter.bound(to: SDKRowTable(rows))
        var matches: [Int] = []
        var undecided: [Int] = []
        streamRows.withUnsafeBufferPointer { f.scan($0, matches: &matches, needsPayload: &undecided) }
        if !undecided.isEmpty {
            for i in undecided where f.matches(streamRows[i], payload: payload(rows[i])) { matches.append(i) }
            matches.sort()
        }
        visible = matches
    }

    /// What `prop.`/`uprop.` and full-text terms read for an SDK row.
    private func payload(_ r: SDKRow) -> FilterPayload? {
        guard let json = r.payloadJSON, let doc = try? JSONDocument(parsing: Array(json.utf8)) else { return nil }
        return FilterPayload(document: doc, record: nil)
    }

    public var count: Int { visible.count }

    public func row(at position: Int) -> StreamRow? {
        position >= 0 && position < visible.count ? streamRows[visible[position]] : nil
    }

    /// The SDK row with this number (binary search: numbers ascend).
    public func sdkRow(number: Int) -> SDKRow? {
        var lo = 0
        var hi = rows.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if rows[mid].number < number { lo = mid + 1 } else { hi = mid }
        }
        return lo < rows.count && rows[lo].number == number ? rows[lo] : nil
    }

    /// The SDK row at a position of the view.
    public func sdkRow(at position: Int) -> SDKRow? {
        position >= 0 && position < visible.count ? rows[visible[position]] : nil
    }

    /// Every SDK row (unfiltered), oldest first.
    public var allRows: [SDKRow] { rows }

    /// Rows whose event never reached the wire (skipped, rejected before sending, queued).
    public var neverSent: Int { rows.filter { r in if case .trace = r.kind { return r.wire.isEmpty } else { return false } }.count }
}
