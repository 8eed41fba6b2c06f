import AmpscopeCore
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
