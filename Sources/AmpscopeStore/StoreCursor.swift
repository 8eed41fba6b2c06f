/// Where a follower of the store has got to: the one way to follow the change stream.
///
/// The UI's filtered view, the headless proxy printer and the SDK-debug join each read the rows
/// the store added since they last looked. A cursor keeps the row position, the store's
/// generation (a clear starts a new one, and the cursor starts again from row 0), and the last
/// capture seen, so a capture whose events are split over two reads is handed out once.
public struct StoreCursor: Sendable, Equatable {
    /// Rows of the index read so far.
    public private(set) var row = 0
    /// `CaptureStore.Change.generation` the position belongs to.
    public private(set) var generation = 0
    private var lastCapture: Int64?

    public init() {}

    /// Follows a change: a new generation (the store was cleared) starts again from the top.
    /// Returns true when it did.
    @discardableResult
    public mutating func sync(_ change: CaptureStore.Change) -> Bool {
        guard change.generation != generation else { return false }
        self = StoreCursor()
        generation = change.generation
        return true
    }

    /// Whether `index` has rows past the cursor.
    public func hasNew(in index: StoreIndex) -> Bool { row < index.rowCount }

    /// The next rows (at most `limit`, up to `end` or the index's end) and the captures that
    /// start in them, each once; the cursor moves past them.
    public mutating func next(in index: StoreIndex, upTo end: Int? = nil, limit: Int = 2048) -> (rows: [StreamRowRef], captures: [Int64]) {
        let total = min(end ?? index.rowCount, index.rowCount)
        guard row < total else { return ([], []) }
        let rows = index.rows(row..<min(total, row + limit))
        row += rows.count
        var captures: [Int64] = []
        var refs: [StreamRowRef] = []
        refs.reserveCapacity(rows.count)
        for r in rows {
            refs.append(StreamRowRef(captureID: r.captureID, eventIndex: r.event.index))
            if r.captureID != lastCapture {
                lastCapture = r.captureID
                captures.append(r.captureID)
            }
        }
        return (refs, captures)
    }

    /// Back to the first row of the same generation (a new filter is matched from the top).
    public mutating func rewind() {
        row = 0
        lastCapture = nil
    }

    /// Moves the cursor past `count` rows another reader already handled (row positions only).
    public mutating func advance(to row: Int) { self.row = max(self.row, row) }
}

/// A row the cursor handed out: which capture, which event of it (-1: the request itself).
public struct StreamRowRef: Sendable, Equatable {
    public var captureID: Int64
    public var eventIndex: Int
}
