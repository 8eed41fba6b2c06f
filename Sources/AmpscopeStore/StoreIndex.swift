import AmpscopeCore
import Dispatch
import Synchronization

/// The store's index, readable from any thread without waiting for the store actor.
///
/// The UI reads the rows it shows on every frame from its own thread; the store actor is the
/// only writer. A mutex keeps both consistent; reads of rows in memory copy out what they need
/// under it and return. Rows of segments that left memory (`SegmentedIndex`) are read back from
/// the store outside the lock, a segment at a time, and the last few read are kept.
public final class StoreIndex: Sendable {
    private let state: Guarded<SegmentedIndex>
    /// Reads a segment that left memory back from the store (nil: nothing ever leaves).
    private let loader: (@Sendable (ColdRef) throws -> CaptureIndex)?
    /// Segments read back, most recently used last: (segment uid, memo key, index).
    private let coldCache = Guarded<[(uid: Int, key: Int, index: CaptureIndex)]>([])
    static let coldCacheSize = 3
    /// Memo keys of segments read back (each read gets its own: memo tables never outlive what they describe).
    private static let loadKeys = Atomic<Int>(1 << 40)
    /// Segments read back from the store since start (status, benchmarks).
    private let coldReads = Atomic<Int>(0)

    init(bounds: IndexBounds = .unbounded, loader: (@Sendable (ColdRef) throws -> CaptureIndex)? = nil) {
        state = Guarded(SegmentedIndex(bounds: bounds, evicts: loader != nil))
        self.loader = loader
    }

    func mutate<T>(_ body: (inout SegmentedIndex) -> T) -> T { state.withLock { body(&$0) } }

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

    /// Segments in memory and in all; segments read back from the store so far.
    public var residency: (hot: Int, all: Int, reads: Int) {
        let (h, a) = state.withLock { ($0.hotSegmentCount, $0.segments.count) }
        return (h, a, coldReads.load(ordering: .relaxed))
    }

    // MARK: Segments that left memory

    /// A segment's index for reading: read back from the store when it left memory (nil if that
    /// fails: the rows are then left out). `key` identifies it for a filter's memo tables.
    private func readBack(_ ref: ColdRef) -> (key: Int, index: CaptureIndex)? {
        let hit = coldCache.withLock { c -> (Int, CaptureIndex)? in
            guard let i = c.firstIndex(where: { $0.uid == ref.uid }) else { return nil }
            let e = c.remove(at: i)
            c.append(e)
            return (e.key, e.index)
        }
        if let hit { return hit }
        guard let loader, let index = try? loader(ref), index.rowCount == ref.cold.rowCount else { return nil }
        coldReads.add(1, ordering: .relaxed)
        let key = Self.loadKeys.add(1, ordering: .relaxed).newValue
        coldCache.withLock { c in
            c.append((ref.uid, key, index))
            if c.count > Self.coldCacheSize { c.removeFirst() }
        }
        return (key, index)
    }

    /// What a read under the lock could not answer: segments that left memory, with the
    /// positions wanted from each (the segment's own), and where their answers go.
    private struct Pending {
        var ref: ColdRef
        var local: [Int] = []
        var slots: [Int] = []
    }

    /// `f(row)` for each position, in order, nil where there is no such row (or its segment
    /// could not be read back): rows in memory under the lock, the others after reading their
    /// segments back.
    private func collect<T>(_ positions: some Sequence<Int>, _ f: (CaptureIndex, Int) -> T) -> [T?] {
        var pending: [Int: Pending] = [:]
        var out: [T?] = state.withLock { s in
            var out: [T?] = []
            let n = s.rowCount
            var k = -1
            for p in positions {
                guard p >= 0 && p < n else {
                    out.append(nil)
                    continue
                }
                if k < 0 || p < s.segments[k].base || p >= s.segments[k].end { k = s.segment(ofRow: p) }
                let local = p - s.segments[k].base
                if let idx = s.segments[k].index {
                    out.append(f(idx, local))
                } else {
                    pending[k, default: Pending(ref: s.coldRef(k))].local.append(local)
                    pending[k]!.slots.append(out.count)
                    out.append(nil)
                }
            }
            return out
        }
        for (_, p) in pending {
            guard let (_, idx) = readBack(p.ref) else { continue }
            for (local, slot) in zip(p.local, p.slots) { out[slot] = f(idx, local) }
        }
        return out
    }

    public func row(_ i: Int) -> StreamRow? { collect(CollectionOfOne(i)) { $0.streamRow($1) }[0] }

    /// Rows `range` (clamped to what exists).
    public func rows(_ range: Range<Int>) -> [StreamRow] { collect(clamped(range)) { $0.streamRow($1) }.compactMap { $0 } }

    private func clamped(_ range: Range<Int>) -> Range<Int> {
        let hi = min(rowCount, range.upperBound)
        let lo = max(0, range.lowerBound)
        return lo < hi ? lo..<hi : 0..<0
    }

    /// Rows at the given positions (a filtered view's window); positions past the end are skipped.
    public func rows(at positions: some Collection<Int>) -> [StreamRow] { collect(positions) { $0.streamRow($1) }.compactMap { $0 } }

    /// `positions` without the mapped rows (Segment calls folded) and those past the end.
    public func droppingMapped(_ positions: [Int]) -> [Int] {
        zip(positions, collect(positions) { !$0.isMapped($1) }).compactMap { $1 == true ? $0 : nil }
    }

    /// Positions in `range` whose row satisfies `predicate`. Rows in memory are read under the
    /// lock: callers scan large indexes in chunks so writers are not held up.
    public func positions(in range: Range<Int>, where predicate: (StreamRow) -> Bool) -> [Int] {
        let r = clamped(range)
        return zip(r, collect(r) { predicate($0.streamRow($1)) }).compactMap { $1 == true ? $0 : nil }
    }

    /// Filters compiled against the index, newest last (typing a filter scans each prefix once;
    /// the UI scans a filter in chunks, which reuse its memo tables).
    private let compiled = Guarded<[IndexFilter]>([])

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

    /// Decides `filter` over the rows in `range` from their columns, on up to `threads` threads
    /// (one segment each at a time), without holding the lock while deciding: segments in memory
    /// are scanned as copy-on-write snapshots, so writers are not held up, and segments that left
    /// memory are read back from the store first. Returns the positions that match and those that
    /// need their payload to decide, in order.
    ///
    /// Terms are decided on the index's integers (`IndexFilter`), once per distinct string, rule
    /// set or source; the verdicts equal `filter.evaluate` on each row's `StreamRow`.
    public func scan(_ filter: Filter, in range: Range<Int>, threads: Int = 2) -> (matches: [Int], needsPayload: [Int]) {
        let program = compiledFilter(filter)
        return scanPieces(range, threads) { key, index, part, matches, needs in
            program.scan(index, key: key, part, matches: &matches, needsPayload: &needs)
        }
    }

    /// The same as `scan` by building each row's `StreamRow` and asking `filter.scan` (the
    /// reference the index scan is tested and benchmarked against).
    public func scanRows(_ filter: Filter, in range: Range<Int>, threads: Int = 2) -> (matches: [Int], needsPayload: [Int]) {
        scanPieces(range, threads) { _, snapshot, part, matches, needs in
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

    /// A piece of a scan: a segment in memory (its snapshot) or one to read back, and the rows
    /// wanted from it in its own positions.
    private enum Piece: Sendable {
        case hot(key: Int, index: CaptureIndex, base: Int, local: Range<Int>)
        case cold(ColdRef, local: Range<Int>)
    }

    /// Scans the segments meeting `range` with `body` (segment-local positions), in parallel when
    /// `threads > 1`, and joins the results in row order as positions among all rows.
    private func scanPieces(_ range: Range<Int>, _ threads: Int,
                            _ body: @Sendable (Int, CaptureIndex, Range<Int>, inout [Int], inout [Int]) -> Void) -> (matches: [Int], needsPayload: [Int]) {
        let pieces: [Piece] = state.withLock { s in
            s.pieces(range).map { k, local in
                let seg = s.segments[k]
                if let idx = seg.index { return .hot(key: seg.uid, index: idx, base: seg.base, local: local) }
                return .cold(s.coldRef(k), local: local)
            }
        }
        guard !pieces.isEmpty else { return ([], []) }
        @Sendable func run(_ piece: Piece) -> ([Int], [Int]) {
            var matches: [Int] = []
            var needs: [Int] = []
            let key: Int, index: CaptureIndex, base: Int, local: Range<Int>
            switch piece {
            case .hot(let k, let i, let b, let l): (key, index, base, local) = (k, i, b, l)
            case .cold(let ref, let l):
                guard let (k, i) = readBack(ref) else { return ([], []) }
                (key, index, base, local) = (k, i, ref.base, l)
            }
            body(key, index, local, &matches, &needs)
            if base != 0 {
                for i in matches.indices { matches[i] += base }
                for i in needs.indices { needs[i] += base }
            }
            return (matches, needs)
        }
        if pieces.count == 1 || threads <= 1 {
            let results = pieces.map(run)
            return (results.flatMap(\.0), results.flatMap(\.1))
        }
        let results = Guarded([(Int, [Int], [Int])]())
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: min(threads, pieces.count)) { _ in
            while true {
                let k = next.add(1, ordering: .relaxed).oldValue
                guard k < pieces.count else { return }
                let (m, u) = run(pieces[k])
                results.withLock { $0.append((k, m, u)) }
            }
        }
        let ordered = results.withLock { $0 }.sorted { $0.0 < $1.0 }
        return (ordered.flatMap(\.1), ordered.flatMap(\.2))
    }

    /// First row of a capture.
    public func firstRow(ofCapture id: Int64) -> Int? {
        let found: FirstRow = state.withLock { s in
            guard let k = s.segment(ofCapture: id) else { return .none }
            let seg = s.segments[k]
            if let idx = seg.index { return .row(idx.firstRow(of: id).map { seg.base + $0 }) }
            return .cold(s.coldRef(k))
        }
        switch found {
        case .none: return nil
        case .row(let r): return r
        case .cold(let ref): return readBack(ref).flatMap { $0.index.firstRow(of: id) }.map { ref.base + $0 }
        }
    }

    /// What `firstRow` finds under the lock.
    private enum FirstRow {
        case none
        case row(Int?)
        case cold(ColdRef)
    }

    /// Where capture `id`'s full request can be read.
    func location(of id: Int64) -> PayloadLocation? { state.withLock { $0.location(of: id) } }

    /// Capture ids currently indexed, in order.
    public func captureIDs() -> [Int64] {
        let (first, next) = state.withLock { ($0.firstID, $0.nextID) }
        return Array(first..<next)
    }

    public var approximateBytes: Int {
        state.withLock { $0.approximateBytes } + coldCache.withLock { $0.reduce(0) { $0 + $1.index.approximateBytes } }
    }
}
