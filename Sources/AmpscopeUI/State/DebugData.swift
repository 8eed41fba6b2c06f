import AmpscopeCore

/// The SDK-calls list as stream rows (`SDKRow.streamRow`), for one debug snapshot and one view:
/// every event as the SDK saw it (with its fate, joined to the wire or not), every other SDK
/// call, and the warnings, errors and unreadable lines no event claims.
///
/// An immutable value (a class only because `StreamData` is one): the reducer makes a new list
/// when the snapshot or the filter changed (`SDKCallsList.make`), and render reads it as it is.
/// Rows are numbered by `SDKRow.number` (`RowID.captureID`), in the order they appeared in the
/// logs. The stream filter applies to them too: debug terms read each row's own SDK side, event
/// columns read the SDK's event, and `prop.`/full-text terms read the SDK's final event (or the
/// call's arguments). Marks do not apply here: they belong to wire events.
public final class SDKCallsList: StreamData, Sendable {
    public let view: StreamView
    /// `DebugSnapshot.version` the rows come from.
    public let version: Int
    private let rows: [SDKRow]
    private let streamRows: [StreamRow]
    private let visible: [Int]
    public let totals: StreamTotals

    /// An empty list (no debug log).
    public static let empty = SDKCallsList(snapshot: .empty, view: .all)

    public init(snapshot: DebugSnapshot, view v: StreamView) {
        version = snapshot.version
        view = StreamView(filter: v.filter)
        rows = snapshot.sdkRows
        let streamRows = rows.map(\.streamRow)
        self.streamRows = streamRows
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
            for i in undecided where f.matches(streamRows[i], payload: Self.payload(rows[i])) { matches.append(i) }
            matches.sort()
        }
        visible = matches
    }

    /// This list when it already reflects the snapshot and the view's filter, else a new one.
    public func updated(snapshot: DebugSnapshot, view v: StreamView) -> SDKCallsList {
        version == snapshot.version && view.filter.text == v.filter.text ? self : SDKCallsList(snapshot: snapshot, view: v)
    }

    /// What `prop.`/`uprop.` and full-text terms read for an SDK row.
    private static func payload(_ r: SDKRow) -> FilterPayload? {
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
