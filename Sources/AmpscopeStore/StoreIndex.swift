import AmpscopeCore
import Dispatch
import Synchronization

/// The store's in-memory index, readable from any thread without waiting for the store actor.
///
/// The UI reads the rows it shows on every frame from its own thread; the store actor is the
/// only writer. A mutex keeps both consistent; reads copy out what they need and return.
public final class StoreIndex: Sendable {
    private let state = Mutex(CaptureIndex())

    init() {}

    func mutate<T>(_ body: (inout CaptureIndex) -> T) -> T { state.withLock { body(&$0) } }

    public var rowCount: Int { state.withLock { $0.rowCount } }
    public var captureCount: Int { state.withLock { $0.captureCount } }

    public struct Totals: Sendable, Equatable {
        public var requests: Int
        public var events: Int
        public var rowsWithErrors: Int
        public var rowsWithWarnings: Int
    }

    public var totals: Totals {
        state.withLock { Totals(requests: $0.captureCount, events: $0.eventCount, rowsWithErrors: $0.rowsWithErrors, rowsWithWarnings: $0.rowsWithWarnings) }
    }

    public func row(_ i: Int) -> StreamRow? {
        state.withLock { i >= 0 && i < $0.rowCount ? $0.streamRow(i) : nil }
    }

    /// Rows `range` (clamped to what exists).
    public func rows(_ range: Range<Int>) -> [StreamRow] {
        state.withLock { idx in
            let lo = max(0, range.lowerBound)
            let hi = min(idx.rowCount, range.upperBound)
            return lo < hi ? (lo..<hi).map { idx.streamRow($0) } : []
        }
    }

    /// Rows at the given positions (a filtered view's window); positions past the end are skipped.
    public func rows(at positions: some Collection<Int>) -> [StreamRow] {
        state.withLock { idx in positions.compactMap { $0 >= 0 && $0 < idx.rowCount ? idx.streamRow($0) : nil } }
    }

    /// `positions` without the mapped rows (Segment calls folded). One lock for the lot.
    public func droppingMapped(_ positions: [Int]) -> [Int] {
        state.withLock { idx in positions.filter { $0 >= 0 && $0 < idx.rowCount && !idx.isMapped($0) } }
    }

    /// Positions in `range` whose row satisfies `predicate`. Holds the lock for the whole range:
    /// callers scan large indexes in chunks so writers are not held up.
    public func positions(in range: Range<Int>, where predicate: (StreamRow) -> Bool) -> [Int] {
        state.withLock { idx in
            let lo = max(0, range.lowerBound)
            let hi = min(idx.rowCount, range.upperBound)
            guard lo < hi else { return [] }
            var out: [Int] = []
            for i in lo..<hi where predicate(idx.streamRow(i)) { out.append(i) }
            return out
        }
    }

    /// Filters compiled against the index, newest last (typing a filter scans each prefix once;
    /// the UI scans a filter in chunks, which reuse its memo tables).
    private let compiled = Mutex<[IndexFilter]>([])

    private func compiledFilter(_ filter: Filter) -> IndexFilter {
        let plan = filter.plan
        if let hit = compiled.withLock({ $0.last { $0.plan === plan } }) { return hit }
        let f = IndexFilter(filter)
        compiled.withLock { c in
            c.append(f)
            if c.count > 4 { c.removeFirst() }
        }
        return f
    }

    /// Decides `filter` over the rows in `range` from their columns, on `threads` threads, without
    /// holding the lock (it scans a copy-on-write snapshot, so writers are not held up).
    /// Returns the positions that match and those that need their payload to decide, in order.
    ///
    /// Terms are decided on the index's integers (`IndexFilter`), once per distinct string, rule
    /// set or source; the verdicts equal `filter.evaluate` on each row's `StreamRow`.
    public func scan(_ filter: Filter, in range: Range<Int>, threads: Int = 2) -> (matches: [Int], needsPayload: [Int]) {
        let program = compiledFilter(filter)
        return Self.scanParts(state.withLock { $0 }, range, threads) { snapshot, part, matches, needs in
            program.scan(snapshot, part, matches: &matches, needsPayload: &needs)
        }
    }

    /// The same as `scan` by building each row's `StreamRow` and asking `filter.scan` (the
    /// reference the index scan is tested and benchmarked against).
    public func scanRows(_ filter: Filter, in range: Range<Int>, threads: Int = 2) -> (matches: [Int], needsPayload: [Int]) {
        Self.scanParts(state.withLock { $0 }, range, threads) { snapshot, part, matches, needs in
            var buffer: [StreamRow] = []
            buffer.reserveCapacity(4096)
            var i = part.lowerBound
            while i < part.upperBound {
                let end = min(part.upperBound, i + 4096)
                buffer.removeAll(keepingCapacity: true)
                for j in i..<end { buffer.append(snapshot.streamRow(j)) }
                buffer.withUnsafeBufferPointer { filter.scan($0, offset: i, matches: &matches, needsPayload: &needs) }
                i = end
            }
        }
    }

    /// Splits `range` (clamped to the snapshot) into up to `threads` parts of at least 64 Ki rows,
    /// scans them in parallel with `body`, and joins the results in row order.
    private static func scanParts(_ snapshot: CaptureIndex, _ range: Range<Int>, _ threads: Int,
                                  _ body: @Sendable (CaptureIndex, Range<Int>, inout [Int], inout [Int]) -> Void) -> (matches: [Int], needsPayload: [Int]) {
        let lo = max(0, range.lowerBound)
        let hi = min(snapshot.rowCount, range.upperBound)
        guard lo < hi else { return ([], []) }
        let parts = max(1, min(threads, (hi - lo) / 65_536 + 1))
        if parts == 1 {
            var matches: [Int] = []
            var needs: [Int] = []
            body(snapshot, lo..<hi, &matches, &needs)
            return (matches, needs)
        }
        let step = (hi - lo + parts - 1) / parts
        let results = Mutex([(Int, [Int], [Int])]())
        DispatchQueue.concurrentPerform(iterations: parts) { k in
            let a = lo + k * step
            let b = min(hi, a + step)
            guard a < b else { return }
            var matches: [Int] = []
            var needs: [Int] = []
            body(snapshot, a..<b, &matches, &needs)
            results.withLock { $0.append((k, matches, needs)) }
        }
        let ordered = results.withLock { $0 }.sorted { $0.0 < $1.0 }
        return (ordered.flatMap(\.1), ordered.flatMap(\.2))
    }

    /// First row of a capture.
    public func firstRow(ofCapture id: Int64) -> Int? { state.withLock { $0.firstRow(of: id) } }

    /// Capture ids currently indexed, in order.
    public func captureIDs() -> [Int64] {
        state.withLock { idx in
            let first = idx.nextID - Int64(idx.captureCount)
            return (0..<idx.captureCount).map { first + Int64($0) }
        }
    }

    var approximateBytes: Int { state.withLock { $0.approximateBytes } }
}
