import AmpscopeCore

/// How much of the index stays in memory (`SegmentedIndex`).
public struct IndexBounds: Sendable, Equatable {
    /// Rows per segment: a segment is sealed once it holds at least this many (a capture's rows
    /// never straddle two segments, so one may hold a few more).
    public var segmentRows: Int
    /// Sealed segments kept in memory whose captures are all in the SQLite store; beyond that the
    /// oldest of them leave memory and are read back from the store, one segment at a time, when
    /// a row of theirs is asked for. Segments holding replayed or in-memory captures never leave.
    public var hotSegments: Int

    public init(segmentRows: Int = 65_536, hotSegments: Int = 16) {
        self.segmentRows = max(1, segmentRows)
        self.hotSegments = max(0, hotSegments)
    }

    /// 16 sealed segments of 64 Ki rows: the newest million rows or so, some 100–150 MB.
    public static let standard = IndexBounds()
    /// Nothing leaves memory.
    public static let unbounded = IndexBounds(hotSegments: .max)
}

/// The store rows of a segment that left memory: a run of consecutive row ids (one writer, the
/// usual case) or, when another process wrote to the same file in between, the list.
enum StoreRowIDs: Sendable, Equatable {
    case run(first: Int64, count: Int)
    case list([Int64])

    init(_ ids: [Int64]) {
        if let first = ids.first, ids.last! - first == Int64(ids.count - 1),
           zip(ids, ids.dropFirst()).allSatisfy({ $0 + 1 == $1 }) {
            self = .run(first: first, count: ids.count)
        } else {
            self = .list(ids)
        }
    }

    subscript(slot: Int) -> Int64 {
        switch self {
        case .run(let first, _): return first + Int64(slot)
        case .list(let ids): return ids[slot]
        }
    }

    var count: Int {
        switch self {
        case .run(_, let n): return n
        case .list(let ids): return ids.count
        }
    }

    /// The smallest and largest id (ids ascend: the store assigns them in commit order).
    var span: ClosedRange<Int64>? {
        switch self {
        case .run(let first, let n): return n > 0 ? first...(first + Int64(n) - 1) : nil
        case .list(let ids): return ids.first.map { $0...ids.last! }
        }
    }

    var approximateBytes: Int {
        if case .list(let ids) = self { return ids.count * 8 }
        return 0
    }
}

/// A run of consecutive rows and captures of the index.
struct Segment: Sendable {
    /// Never reused (a filter's memo tables are kept per uid).
    let uid: Int
    /// Position of its first row among all rows.
    let base: Int
    /// Capture id of its first capture.
    let firstID: Int64
    /// In memory, or nil once it left (then `cold` says what it held).
    var index: CaptureIndex?
    var cold: Cold?

    /// What is kept of a segment that left memory.
    struct Cold: Sendable {
        var rowCount: Int
        var rowIDs: StoreRowIDs
        var events: Int
        var rowsWithErrors: Int
        var rowsWithWarnings: Int
    }

    var rowCount: Int { index?.rowCount ?? cold!.rowCount }
    var captureCount: Int { index?.captureCount ?? cold!.rowIDs.count }
    var end: Int { base + rowCount }
    var nextID: Int64 { firstID + Int64(captureCount) }
    var isHot: Bool { index != nil }
}

/// Where a segment that left memory is, without holding any of its rows (safe to copy out of
/// the index's lock).
struct ColdRef: Sendable {
    let uid: Int
    let base: Int
    let firstID: Int64
    let cold: Segment.Cold
}

/// The index of every row the store knows, in segments of about `bounds.segmentRows` rows. The
/// newest segment takes new rows; full ones are sealed, and when more than `bounds.hotSegments`
/// sealed segments whose captures are all in the SQLite store are in memory, the oldest of them
/// leave it: only their row count, store row ids and totals stay (`Segment.Cold`). Row positions
/// and capture ids stay dense across segments, so callers never see the split; reading a row
/// of a segment that left is `StoreIndex`'s job (it reads the segment back from the store).
///
/// Each segment interns its own strings, so memory held for user and device ids leaves with
/// the segment: a proxy under load for hours keeps a bounded index (`Docs/DECISIONS.md`,
/// "A bounded index").
struct SegmentedIndex: Sendable {
    let bounds: IndexBounds
    /// Whether segments may leave memory (there is a store to read them back from).
    let evicts: Bool
    /// Oldest first; the last one is open (takes new rows) and always in memory.
    private(set) var segments: [Segment]
    private var nextUID: Int
    /// Sealed in-memory segments whose captures are all in the store (candidates to leave).
    private var hotStored = 0
    /// Totals of the segments that left memory.
    private var coldEvents = 0
    private var coldErrors = 0
    private var coldWarnings = 0

    init(bounds: IndexBounds = .unbounded, evicts: Bool = false) {
        self.bounds = bounds
        self.evicts = evicts
        segments = [Segment(uid: 0, base: 0, firstID: 1, index: CaptureIndex(firstID: 1))]
        nextUID = 1
    }

    var rowCount: Int { segments[segments.count - 1].end }
    var firstID: Int64 { segments[0].firstID }
    var nextID: Int64 { segments[segments.count - 1].nextID }
    var captureCount: Int { Int(nextID - firstID) }

    var eventCount: Int { coldEvents + hotSum(\.eventCount) }
    var rowsWithErrors: Int { coldErrors + hotSum(\.rowsWithErrors) }
    var rowsWithWarnings: Int { coldWarnings + hotSum(\.rowsWithWarnings) }

    private func hotSum(_ k: KeyPath<CaptureIndex, Int>) -> Int {
        var n = 0
        for s in segments { if let i = s.index { n += i[keyPath: k] } }
        return n
    }

    var hotSegmentCount: Int { segments.count(where: \.isHot) }

    // MARK: Adding

    /// Adds a processed capture; returns its capture id.
    @discardableResult
    mutating func add(_ p: Processed, location: PayloadLocation) -> Int64 {
        add(capture: p.capture, request: p.request, answer: p.answer, summaries: EventSummary.extract(p), location: location)
    }

    mutating func add(capture c: Capture, request r: DecodedRequest, answer: EmulatedAnswer,
                      summaries: [EventSummary], location: PayloadLocation) -> Int64 {
        let id = segments[segments.count - 1].index!.add(capture: c, request: r, answer: answer, summaries: summaries, location: location)
        sealIfFull()
        return id
    }

    /// Re-adds a capture from stored summaries (reopening a store).
    mutating func add(stored e: StoredEntry) {
        segments[segments.count - 1].index!.add(stored: e)
        sealIfFull()
    }

    private mutating func sealIfFull() {
        let last = segments.count - 1
        guard segments[last].index!.rowCount >= bounds.segmentRows else { return }
        if segments[last].index!.entriesOutsideDatabase == 0 { hotStored += 1 }
        let next = segments[last].nextID
        segments.append(Segment(uid: nextUID, base: segments[last].end, firstID: next, index: CaptureIndex(firstID: next)))
        nextUID += 1
        guard evicts else { return }
        var i = 0
        while hotStored > bounds.hotSegments && i < segments.count - 1 {
            if let rowIDs = segments[i].index?.databaseRowIDs() {
                let idx = segments[i].index!
                segments[i].cold = Segment.Cold(rowCount: idx.rowCount, rowIDs: StoreRowIDs(rowIDs), events: idx.eventCount,
                                                rowsWithErrors: idx.rowsWithErrors, rowsWithWarnings: idx.rowsWithWarnings)
                coldEvents += idx.eventCount
                coldErrors += idx.rowsWithErrors
                coldWarnings += idx.rowsWithWarnings
                segments[i].index = nil
                hotStored -= 1
            }
            i += 1
        }
    }

    /// Adds, in place of the (empty) open segment, a segment that is not in memory: captures with
    /// store rows `rowIDs` holding `counts` rows (opening a store, for the segments that would
    /// leave memory anyway; `CaptureStore.load`).
    mutating func appendCold(_ rowIDs: StoreRowIDs, _ counts: RowCounts) {
        let last = segments.count - 1
        precondition(segments[last].captureCount == 0, "cold segments are added before any row")
        let s = segments[last]
        segments[last].index = nil
        segments[last].cold = Segment.Cold(rowCount: counts.rows, rowIDs: rowIDs, events: counts.events,
                                           rowsWithErrors: counts.errors, rowsWithWarnings: counts.warnings)
        coldEvents += counts.events
        coldErrors += counts.errors
        coldWarnings += counts.warnings
        let next = s.firstID + Int64(rowIDs.count)
        segments.append(Segment(uid: nextUID, base: s.base + counts.rows, firstID: next, index: CaptureIndex(firstID: next)))
        nextUID += 1
    }

    /// Forgets every row (the store's rows stay on disk); capture ids and segment uids go on increasing.
    mutating func clear() {
        let next = nextID
        segments = [Segment(uid: nextUID, base: 0, firstID: next, index: CaptureIndex(firstID: next))]
        nextUID += 1
        hotStored = 0
        coldEvents = 0
        coldErrors = 0
        coldWarnings = 0
    }

    // MARK: Finding things

    /// The segment holding row `position` (which must be below `rowCount`).
    func segment(ofRow position: Int) -> Int { last(atMost: position, \.base) }

    /// The segment holding capture `id`, if it is indexed.
    func segment(ofCapture id: Int64) -> Int? {
        guard id >= firstID && id < nextID else { return nil }
        return last(atMost: id, \.firstID)
    }

    /// The last segment whose `key` is at most `value` (keys ascend with the segments).
    private func last<K: Comparable>(atMost value: K, _ key: KeyPath<Segment, K>) -> Int {
        var lo = 0
        var hi = segments.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if segments[mid][keyPath: key] <= value { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    func coldRef(_ k: Int) -> ColdRef {
        let s = segments[k]
        return ColdRef(uid: s.uid, base: s.base, firstID: s.firstID, cold: s.cold!)
    }

    /// Segments meeting `range` (clamped to the rows), each with the part of it in the segment's own positions.
    func pieces(_ range: Range<Int>) -> [(segment: Int, local: Range<Int>)] {
        let lo = max(0, range.lowerBound)
        let hi = min(rowCount, range.upperBound)
        guard lo < hi else { return [] }
        var out: [(Int, Range<Int>)] = []
        var k = segment(ofRow: lo)
        while k < segments.count && segments[k].base < hi {
            let s = segments[k]
            let a = max(lo, s.base) - s.base
            let b = min(hi, s.end) - s.base
            if a < b { out.append((k, a..<b)) }
            k += 1
        }
        return out
    }

    /// Where capture `id`'s payload is (segments that left memory were all in the store).
    func location(of id: Int64) -> PayloadLocation? {
        guard let k = segment(ofCapture: id) else { return nil }
        let slot = Int(id - segments[k].firstID)
        if let idx = segments[k].index { return idx.entries[slot].location }
        return .database(rowID: segments[k].cold!.rowIDs[slot])
    }

    /// Bytes held by the segments in memory and the descriptions of the others.
    var approximateBytes: Int {
        segments.reduce(0) { n, s in
            n + (s.index?.approximateBytes ?? 0) + (s.cold?.rowIDs.approximateBytes ?? 0) + MemoryLayout<Segment>.stride
        }
    }
}
