import AmpscopeCore

/// Identifies one stream row: the capture (request) it belongs to and the record index in it
/// (-1 for a request without records). Rows are ordered by capture id, then index.
public struct RowID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var captureID: Int64
    public var index: Int
    /// 0 for the record's own row; `MappedRowTag.sub` for a row of an Amplitude record that a
    /// Segment destination sends for call `index` (those follow the call's row).
    public var sub: Int

    public init(captureID: Int64, index: Int, sub: Int = 0) {
        self.captureID = captureID
        self.index = index
        self.sub = sub
    }

    public init(_ row: StreamRow) {
        captureID = row.captureID
        index = row.event.index
        sub = row.event.mapped?.sub ?? 0
    }

    public static func < (a: RowID, b: RowID) -> Bool {
        a.captureID != b.captureID ? a.captureID < b.captureID : a.index != b.index ? a.index < b.index : a.sub < b.sub
    }

    public var description: String { sub == 0 ? "\(captureID)#\(index)" : "\(captureID)#\(index).\(sub)" }
}

/// Which rows the stream shows: the filter, the marked-only switch and whether the Amplitude
/// records mapped from Segment calls are listed under their calls.
public struct StreamView: Sendable, Equatable, CustomStringConvertible {
    public var filter: Filter
    public var markedOnly: Bool
    /// The marked rows; only part of the view when `markedOnly` is on.
    public var marks: Set<RowID>
    /// Segment calls folded: their mapped rows are not listed (their findings stay counted on the call's row).
    public var hideMapped: Bool

    public init(filter: Filter = .all, markedOnly: Bool = false, marks: Set<RowID> = [], hideMapped: Bool = false) {
        self.filter = filter
        self.markedOnly = markedOnly
        self.marks = markedOnly ? marks : []
        self.hideMapped = hideMapped
    }

    public static let all = StreamView()

    public var isAll: Bool { filter.isEmpty && !markedOnly && !hideMapped }

    public static func == (a: StreamView, b: StreamView) -> Bool {
        a.filter.text == b.filter.text && a.markedOnly == b.markedOnly && a.marks == b.marks && a.hideMapped == b.hideMapped
    }

    public var description: String {
        var parts: [String] = []
        if !filter.isEmpty { parts.append("filter \(filter.text)") }
        if markedOnly { parts.append("marked only (\(marks.count))") }
        if hideMapped { parts.append("Segment calls folded") }
        return parts.isEmpty ? "all" : parts.joined(separator: ", ")
    }

    /// This view with its filter's debug terms reading `table` (the effect handlers call this
    /// when they apply a view; without debug terms or a table the view is returned as it is).
    public func bound(to table: (any FilterDebugLookup)?) -> StreamView {
        guard filter.usesDebug, let table else { return self }
        return StreamView(filter: filter.bound(to: table), markedOnly: markedOnly, marks: marks, hideMapped: hideMapped)
    }

    /// Decides a row with the payload at hand (`payload` is called only when the filter needs it).
    public func includes(_ row: StreamRow, payload: () -> FilterPayload?) -> Bool {
        if hideMapped && row.event.mapped != nil { return false }
        if markedOnly && !marks.contains(RowID(row)) { return false }
        switch filter.evaluate(row) {
        case .match: return true
        case .noMatch: return false
        case .needsPayload: return filter.matches(row, payload: payload())
        }
    }
}

/// Totals over the whole store (not just the view), for the status bar.
public struct StreamTotals: Equatable, Sendable {
    public var requests: Int
    public var events: Int
    /// Rows (events) with at least one error finding.
    public var eventsWithErrors: Int
    public var eventsWithWarnings: Int

    public init(requests: Int = 0, events: Int = 0, eventsWithErrors: Int = 0, eventsWithWarnings: Int = 0) {
        self.requests = requests
        self.events = events
        self.eventsWithErrors = eventsWithErrors
        self.eventsWithWarnings = eventsWithWarnings
    }
}

/// What the UI reads from the capture store, synchronously, on the UI thread.
///
/// The store applies a `StreamView` (asked for with `Effect.applyView`) and exposes the rows
/// of that view in `RowID` order. `view` says which view the rows reflect: while the store is
/// still computing a new one, it is the previous view, and the UI shows "filtering…".
/// Implementations must be cheap: `row(at:)` and `position(atOrAfter:)` run for every visible
/// row on every frame (the protocol extension gives a binary-search `position(atOrAfter:)` and
/// a linear `nextPosition` that an implementation may replace with faster ones).
public protocol StreamData: AnyObject {
    /// The view the rows below reflect.
    var view: StreamView { get }
    /// Rows in the view.
    var count: Int { get }
    /// The row at a position in the view (0-based, ascending `RowID`).
    func row(at position: Int) -> StreamRow?
    /// Totals over every stored row.
    var totals: StreamTotals { get }
    /// Progress (0...1) while a new view is being computed, nil when `view` is current.
    var pending: Double? { get }
    /// Position of the first row whose id is >= `id` (`count` when there is none).
    func position(atOrAfter id: RowID) -> Int
    /// The nearest position from `start` (inclusive) going forward or backward whose row satisfies `test`.
    func nextPosition(from start: Int, forward: Bool, where test: (StreamRow) -> Bool) -> Int?
}

extension StreamData {
    public var pending: Double? { nil }

    public func position(atOrAfter id: RowID) -> Int {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if let r = row(at: mid), RowID(r) < id { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    public func nextPosition(from start: Int, forward: Bool, where test: (StreamRow) -> Bool) -> Int? {
        var i = start
        while i >= 0 && i < count {
            if let r = row(at: i), test(r) { return i }
            i += forward ? 1 : -1
        }
        return nil
    }

    /// The exact position of a row, if it is in the view.
    public func position(of id: RowID) -> Int? {
        let p = position(atOrAfter: id)
        guard p < count, let r = row(at: p), RowID(r) == id else { return nil }
        return p
    }

    /// Rows in a range of positions (clamped).
    public func rows(_ range: Range<Int>) -> [StreamRow] {
        let lo = max(0, range.lowerBound), hi = min(count, range.upperBound)
        guard lo < hi else { return [] }
        return (lo..<hi).compactMap { row(at: $0) }
    }
}

/// An in-memory `StreamData` over processed captures: tests, the scripted sessions and small
/// replays. Views are applied synchronously (payload filters included).
public final class MemoryStreamData: StreamData {
    public private(set) var view: StreamView = .all
    private var all: [StreamRow] = []
    private var visible: [Int] = []  // positions in `all`
    private var processed: [Int64: Processed] = [:]
    private var nextID: Int64 = 1
    public private(set) var totals = StreamTotals()
    /// The profiles of every capture appended, simulated as they arrive.
    private var simulator = ProfileSimulator()

    public init() {}

    /// Stores a processed capture under the next id and returns the id.
    @discardableResult
    public func append(_ p: Processed) -> Int64 {
        let id = nextID
        nextID += 1
        var q = p
        q.capture.id = id
        processed[id] = q
        simulator.apply(q, captureID: id)
        let rows = StreamRow.rows(q, id: id)
        totals.requests += 1
        for r in rows {
            if r.event.index >= 0 && r.event.mapped == nil { totals.events += 1 }
            if r.event.counts.errors > 0 { totals.eventsWithErrors += 1 }
            if r.event.counts.warnings > 0 { totals.eventsWithWarnings += 1 }
            all.append(r)
            if include(r) { visible.append(all.count - 1) }
        }
        return id
    }

    /// Appends ready-made rows (benchmarks; no payloads).
    public func appendRows(_ rows: [StreamRow]) {
        for r in rows {
            all.append(r)
            if r.event.index >= 0 && r.event.mapped == nil { totals.events += 1 }
            if r.event.counts.errors > 0 { totals.eventsWithErrors += 1 }
            if r.event.counts.warnings > 0 { totals.eventsWithWarnings += 1 }
            if include(r) { visible.append(all.count - 1) }
        }
        totals.requests = Int(Set(all.map(\.captureID)).count)
    }

    func include(_ r: StreamRow) -> Bool {
        view.includes(r) { processed[r.captureID].flatMap { FilterPayload($0, row: r) } }
    }

    /// Applies a view now: the rows' columns first (in place), payloads only for the rows that need them.
    /// Profile terms read the profiles simulated so far.
    public func apply(_ given: StreamView) {
        var v = given
        if v.filter.usesDebug {
            v.filter = v.filter.bound(to: FilterLookups(debug: v.filter.debug, profiles: simulator))
        }
        view = v
        if v.isAll {
            visible = Array(all.indices)
            return
        }
        var matches: [Int] = []
        var undecided: [Int] = []
        all.withUnsafeBufferPointer { v.filter.scan($0, matches: &matches, needsPayload: &undecided) }
        if !undecided.isEmpty {
            for i in undecided {
                let r = all[i]
                if v.filter.matches(r, payload: processed[r.captureID].flatMap { FilterPayload($0, row: r) }) {
                    matches.append(i)
                }
            }
            matches.sort()
        }
        if v.hideMapped { matches.removeAll { all[$0].event.mapped != nil } }
        if v.markedOnly { matches.removeAll { !v.marks.contains(RowID(all[$0])) } }
        visible = matches
    }

    /// Every user as the simulation resolves them now.
    public func users() -> UsersList { UsersList(version: simulator.eventCount, users: simulator.resolvedUsers) }

    /// The simulated profiles of a capture's events.
    public func profiles(_ id: Int64) -> CaptureProfiles {
        let n = processed[id]?.request.records.count ?? 0
        return CaptureProfiles(captureID: id, events: (0..<n).compactMap { simulator.eventProfile(capture: id, record: $0) })
    }

    public func clear() {
        all = []
        visible = []
        processed = [:]
        simulator = ProfileSimulator()
        totals = StreamTotals()
    }

    public var count: Int { visible.count }

    public func row(at position: Int) -> StreamRow? {
        position >= 0 && position < visible.count ? all[visible[position]] : nil
    }

    /// The processed capture (what `Effect.loadDetail` loads).
    public func detail(_ captureID: Int64) -> Processed? { processed[captureID] }
}
