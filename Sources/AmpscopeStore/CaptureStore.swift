import AmpscopeCore
import Foundation
import GRDB
import Synchronization

/// The spine of ampscope: owns every capture, persists live ones before they are acknowledged,
/// keeps a compact in-memory index, serves windows of rows and payloads on demand, and
/// publishes a coalesced change stream.
///
/// Live captures (proxy, demo) go to SQLite with group commit: appends that arrive while a
/// transaction is being written join the next one, and each `append` returns only once its
/// own transaction has committed. Replayed capture-line files are indexed by file offset and
/// read back on demand, so a million-event log never has to be copied or held in memory.
public actor CaptureStore {
    /// A change notification: subscribers re-read what they show. Coalesced: a slow subscriber
    /// sees only the latest state, never a backlog.
    public struct Change: Sendable, Equatable {
        public var rowCount: Int
        public var captureCount: Int
        /// Increments on `clear()`, so a subscriber knows earlier rows are gone.
        public var generation: Int

        public init(rowCount: Int, captureCount: Int, generation: Int) {
            self.rowCount = rowCount
            self.captureCount = captureCount
            self.generation = generation
        }
    }

    public struct Stats: Sendable, Equatable {
        public var rowCount: Int
        public var captureCount: Int
        public var path: String?
        public var indexBytes: Int
    }

    public enum StoreError: Error, CustomStringConvertible {
        case cannotOpen(String, String)
        /// Opened read-only, a store from an older ampscope that must be upgraded (opened for
        /// writing) first.
        case needsUpgrade(String)
        case notFound(Int64)
        case unreadable(String)

        public var description: String {
            switch self {
            case .cannotOpen(let path, let why): return "cannot open the store at \(path): \(why)"
            case .needsUpgrade(let path): return "the store at \(path) was written by an older ampscope: open it for writing once to upgrade it"
            case .notFound(let id): return "capture \(id) is not in the store"
            case .unreadable(let why): return why
            }
        }
    }

    public nonisolated let path: String?
    private let database: CaptureDatabase?
    private let sessionID: Int64
    private let ingest: Ingest
    /// The index of every row; readable from any thread. Bounded in memory for a store on disk.
    public nonisolated let index: StoreIndex

    /// What the store tells its followers (the profile simulator) as captures are indexed.
    public enum Commit: Sendable {
        /// Captures now in the index, with their ids (ascending within one call; calls from
        /// several writers may arrive out of order).
        case captures([(Int64, Processed)])
        /// The index was emptied (ids go on increasing).
        case cleared
    }
    /// The follower, in a class box. Stored straight in the lock's generic payload, the closure
    /// came back from every `withLock { $0 }` wrapped in one more re-abstraction thunk, which the
    /// lock then kept: each commit made the next call one thunk deeper (a heap context each), so
    /// with the TUI following the store the writer thread spent most of its time in a chain of
    /// thousands of thunks and memory grew with every commit (the soak's TUI leg; the proxy
    /// alone has no follower). `ProfileFollower.Poster` is the same box for the same reason.
    private final class Follower: Sendable {
        let call: @Sendable (Commit) -> Void
        init(_ call: @escaping @Sendable (Commit) -> Void) { self.call = call }
    }
    private let follower = Guarded<Follower?>(nil)

    /// Calls `f` with every capture once it is indexed (on the committing thread: keep it short,
    /// e.g. hand the work to a queue), and when the store is cleared. One follower at a time.
    public nonisolated func follow(_ f: @escaping @Sendable (Commit) -> Void) {
        let box = Follower(f)
        follower.withLock { $0 = box }
    }

    /// Tells the follower, if there is one (the change is built only then).
    private nonisolated func notify(_ c: @autoclosure () -> Commit) {
        if let f = follower.withLock({ $0 }) { f.call(c()) }
    }
    /// A queued capture with what the writer makes of it: its event summaries and database row.
    private struct Prepared {
        var processed: Processed
        var summaries: [EventSummary]
        var row: [DatabaseValue]
    }
    private struct WriteQueue {
        var pending: [(Processed, @Sendable (Result<Int64, Error>) -> Void)] = []
        var flushing = false
    }
    private nonisolated let writeQueue = Guarded(WriteQueue())
    /// The one thread that commits live captures (GRDB's write is synchronous there).
    private nonisolated let writer = DispatchQueue(label: "ampscope-store-writer", qos: .userInitiated)
    private nonisolated let publishPending = Atomic<Bool>(false)
    private nonisolated let writerCounters = Guarded(WriterStats())
    /// What the writer has done since the store was opened (`GET /ampscope/status`, `"writer"`;
    /// nil for a store in memory, which has no writer).
    public nonisolated var writerStats: WriterStats? { database == nil ? nil : writerCounters.withLock { $0 } }
    private var subscribers: [Int: AsyncStream<Change>.Continuation] = [:]
    private var nextSubscriber = 0
    private var generation = 0
    /// Reads payloads back; usable from any thread (filters, exports) without the actor.
    public nonisolated let payloads: PayloadReader

    /// Opens (or creates) a store. `path == nil` keeps everything in memory (tests, `check`-like uses).
    /// Reopening an existing file appends a new session and loads its index. With a file,
    /// `bounds` says how much of the index stays in memory (the rest is read back from the file).
    /// `readOnly`: an existing store, opened to read only (`ampscope export`): no session is
    /// added, nothing is checkpointed or repaired, and appending fails. A store from an older
    /// ampscope throws `needsUpgrade`.
    public init(path: String?, ingest: Ingest = Ingest(), sessionLabel: String = "", bounds: IndexBounds = .standard,
                readOnly: Bool = false) throws {
        self.path = path
        self.ingest = ingest
        var opened: CaptureDatabase?
        if let path {
            do {
                let dir = (path as NSString).deletingLastPathComponent
                if !dir.isEmpty && !readOnly { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
                let db = try CaptureDatabase(path: path, readOnly: readOnly)
                database = db
                opened = db
                sessionID = readOnly ? 0 : try db.startSession(label: sessionLabel)
                let index = StoreIndex(bounds: bounds, loader: { try db.readSegment($0) })
                self.index = index
                capturesParsedAtOpen = try Self.load(db, into: index, bounds: bounds)
            } catch is CaptureDatabase.NeedsUpgrade {
                throw StoreError.needsUpgrade(path)
            } catch {
                throw StoreError.cannotOpen(path, "\(error)")
            }
        } else {
            database = nil
            sessionID = 0
            index = StoreIndex()
            capturesParsedAtOpen = 0
        }
        payloads = PayloadReader(database: opened, ingest: ingest, index: index)
    }

    /// Captures whose summaries were parsed when the store was opened (the others are in
    /// segments described from their row counts alone).
    nonisolated let capturesParsedAtOpen: Int

    /// Indexes an existing store: segment boundaries are found from each capture's row count
    /// (one pass over small rows); segments beyond the newest `bounds.hotSegments` are added as
    /// not in memory, without parsing their summaries, and only the newest are built. The
    /// segments are the ones adding every capture in order would give. Returns how many
    /// captures were parsed.
    private static func load(_ db: CaptureDatabase, into index: StoreIndex, bounds: IndexBounds) throws -> Int {
        // Store rows from which the index is built in memory (nil: all of them).
        var parseFrom: ClosedRange<Int64>?
        if bounds.hotSegments != .max {
            var planned: [(ids: StoreRowIDs, counts: RowCounts)] = []
            var ids: [Int64] = []
            var counts = RowCounts.zero
            try db.forEachCount { id, c in
                ids.append(id)
                counts += c
                if counts.rows >= bounds.segmentRows {
                    planned.append((StoreRowIDs(ids), counts))
                    ids.removeAll(keepingCapacity: true)
                    counts = .zero
                }
            }
            let cold = max(0, planned.count - bounds.hotSegments)
            index.mutate { idx in for p in planned[0..<cold] { idx.appendCold(p.ids, p.counts) } }
            guard let first = cold < planned.count ? planned[cold].ids.span?.lowerBound : ids.first else { return 0 }
            parseFrom = first...Int64.max
        }
        var parsed = 0
        try db.forEachEntry(in: parseFrom) { e in
            index.mutate { $0.add(stored: e) }
            parsed += 1
        }
        return parsed
    }

    // MARK: Writing

    /// Stores a live capture durably and returns its id. Returns only after the capture is
    /// committed to disk (in-memory stores: immediately). Throws when it cannot be stored
    /// (disk full, I/O error); the caller must then not acknowledge the request as accepted.
    public nonisolated func append(_ p: Processed) async throws -> Int64 {
        try await withCheckedThrowingContinuation { cont in
            append(p) { cont.resume(with: $0) }
        }
    }

    /// The same without Swift concurrency, for callers on an event loop (the proxy): `done` is
    /// called once the capture is committed (or could not be), on the store's writer thread
    /// (in-memory stores: at once, on the caller's thread). The event summaries and the
    /// database row are made on the writer thread, with the batch: the caller (an event loop,
    /// which also reads requests and writes answers) is the busier thread under load
    /// (Docs/proxy.md, "The writer makes the rows"). An idle writer starts on the capture at once;
    /// captures appended while it commits go into its next transaction (group commit).
    public nonisolated func append(_ p: Processed, done: @escaping @Sendable (Result<Int64, Error>) -> Void) {
        guard database != nil else {
            let summaries = EventSummary.extract(p)
            let slot = payloads.keep(p)
            let id = index.mutate {
                $0.add(capture: p.capture, request: p.request, answer: p.answer, summaries: summaries, location: .memory(slot: slot))
            }
            notify(.captures([(id, p)]))
            publishSoon()
            done(.success(id))
            return
        }
        let start = writeQueue.withLock { q -> Bool in
            q.pending.append((p, done))
            if q.flushing { return false }
            q.flushing = true
            return true
        }
        if start { writer.async { self.flushLoop() } }
    }

    /// Tests: holds the writer thread until the returned closure is called; captures appended
    /// meanwhile queue, and go into one transaction once it is released.
    nonisolated func pauseWriter() -> @Sendable () -> Void {
        let held = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        writer.async {
            held.signal()
            release.wait()
        }
        held.wait()
        return { release.signal() }
    }

    /// Group commit, on the writer thread: whatever queued while a transaction was being
    /// written goes into the next one, and each capture's `done` runs after its commit.
    private nonisolated func flushLoop() {
        while true {
            let queued = writeQueue.withLock { q -> [(Processed, @Sendable (Result<Int64, Error>) -> Void)] in
                let b = q.pending
                q.pending = []
                if b.isEmpty { q.flushing = false }
                return b
            }
            if queued.isEmpty { return }
            let batch = queued.map { p, done in
                let summaries = EventSummary.extract(p)
                return (Prepared(processed: p, summaries: summaries, row: CaptureDatabase.encode(p, summaries: summaries)), done)
            }
            do {
                let (wall, cpu) = (DispatchTime.now().uptimeNanoseconds, WriterStats.threadCPUNanoseconds())
                let ids = try database!.insertNow(rows: batch.map { $0.0.row }, bodies: batch.map { $0.0.processed.capture.body }, session: sessionID)
                let (wallAfter, cpuAfter) = (DispatchTime.now().uptimeNanoseconds, WriterStats.threadCPUNanoseconds())
                writerCounters.withLock {
                    $0.commits += 1
                    $0.captures += batch.count
                    $0.largestBatch = max($0.largestBatch, batch.count)
                    $0.commitWallNanoseconds += wallAfter &- wall
                    $0.commitCPUNanoseconds += cpuAfter &- cpu
                    $0.longestCommitNanoseconds = max($0.longestCommitNanoseconds, wallAfter &- wall)
                }
                let newIDs = index.mutate { idx in
                    batch.enumerated().map { i, item in
                        idx.add(capture: item.0.processed.capture, request: item.0.processed.request,
                                answer: item.0.processed.answer, summaries: item.0.summaries,
                                location: .database(rowID: ids[i]))
                    }
                }
                let committed = zip(newIDs, batch).map { ($0, $1.0.processed) }
                payloads.rememberRecent(committed)
                notify(.captures(committed))
                for (item, id) in zip(batch, newIDs) { item.1(.success(id)) }
                publishSoon()
            } catch {
                for item in batch { item.1(.failure(error)) }
            }
        }
    }

    /// Publishes the current state from any thread; calls that come while one is pending merge
    /// (subscribers read the state as it is when the publication runs).
    private nonisolated func publishSoon() {
        guard publishPending.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        Task { await self.publishPendingChange() }
    }

    private func publishPendingChange() {
        publishPending.store(false, ordering: .releasing)
        publish()
    }

    /// Registers a replayed file; its captures are then added with `.file(fileID:...)` locations.
    public func registerFile(_ path: String) -> Int32 { payloads.register(file: path) }

    /// Indexes captures of a replayed file without copying them into the database.
    /// `locations[i]` must locate `items[i]`'s line in a registered file (or be nil to keep it in memory).
    @discardableResult
    public func appendReplayed(_ items: [(Processed, PayloadLocation?)]) -> [Int64] {
        appendReplayed(items, summaries: items.map { EventSummary.extract($0.0) })
    }

    /// As `appendReplayed(_:)`, with `summaries[i] == EventSummary.extract(items[i].0)` already
    /// computed (the replayer extracts them on its decode threads, outside the store's lock).
    @discardableResult
    public func appendReplayed(_ items: [(Processed, PayloadLocation?)], summaries: [[EventSummary]]) -> [Int64] {
        precondition(items.count == summaries.count, "one summary list per replayed capture")
        // Items are read in place by position: copying a `Processed` (a tuple array's element,
        // a zip's pair) retains and releases each of its many references, per capture.
        var locations: [PayloadLocation] = []
        locations.reserveCapacity(items.count)
        for i in items.indices {
            locations.append(items[i].1 ?? .memory(slot: payloads.keep(items[i].0)))
        }
        let ids = index.mutate { idx in
            items.indices.map { i in
                idx.add(capture: items[i].0.capture, request: items[i].0.request, answer: items[i].0.answer,
                        summaries: summaries[i], location: locations[i])
            }
        }
        // File-backed captures are read back by decoding their bytes; their judgement is kept.
        var judged: [(Int64, [Finding])] = []
        for i in items.indices where !items[i].0.findings.isEmpty {
            if case .file = locations[i] { judged.append((ids[i], items[i].0.findings)) }
        }
        payloads.remember(judged: judged)
        notify(.captures(items.indices.map { (ids[$0], items[$0].0) }))
        if !items.isEmpty { publish() }
        return ids
    }

    /// Empties the view: rows disappear from the index (live captures stay in the database file).
    public func clear() {
        index.mutate { $0.clear() }
        payloads.forgetMemory()
        notify(.cleared)
        generation += 1
        publish()
    }

    // MARK: Reading

    public var rowCount: Int { index.rowCount }
    public var captureCount: Int { index.captureCount }
    /// What the store's WAL checkpointer has done (nil for a store in memory).
    public nonisolated var walStats: WALStats? { database?.walStats }
    public var stats: Stats { Stats(rowCount: index.rowCount, captureCount: index.captureCount, path: path, indexBytes: index.approximateBytes) }

    public func row(_ i: Int) -> StreamRow? { index.row(i) }
    public func rows(_ range: Range<Int>) -> [StreamRow] { index.rows(range) }
    public func firstRow(ofCapture id: Int64) -> Int? { index.firstRow(ofCapture: id) }
    /// Capture ids in order (exports).
    public func captureIDs() -> [Int64] { index.captureIDs() }

    /// The full capture, re-decoded, with the findings and emulated answer it was stored with.
    public func processed(_ id: Int64) async throws -> Processed { try payloads.processed(id) }

    // MARK: Changes

    /// A stream of coalesced changes; it starts with the current state.
    public func subscribe() -> AsyncStream<Change> {
        let (stream, cont) = AsyncStream<Change>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let key = nextSubscriber
        nextSubscriber += 1
        subscribers[key] = cont
        cont.yield(currentChange)
        cont.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(key) }
        }
        return stream
    }

    private func unsubscribe(_ key: Int) { subscribers[key] = nil }

    private var currentChange: Change {
        let (rows, captures) = index.mutate { ($0.rowCount, $0.captureCount) }
        return Change(rowCount: rows, captureCount: captures, generation: generation)
    }

    private func publish() {
        let c = currentChange
        for s in subscribers.values { s.yield(c) }
    }

    /// Ends every subscription (shutdown).
    public func close() {
        for s in subscribers.values { s.finish() }
        subscribers.removeAll()
    }
}

/// What a store's writer has done since the store was opened: how many transactions it committed,
/// how many captures they held (group commit: what queued while one was written goes into the
/// next), and the time spent in them, on the clock and on the writer's CPU.
public struct WriterStats: Sendable, Equatable {
    public var commits = 0
    public var captures = 0
    public var largestBatch = 0
    public var commitWallNanoseconds: UInt64 = 0
    public var commitCPUNanoseconds: UInt64 = 0
    public var longestCommitNanoseconds: UInt64 = 0
    public init() {}

    /// CPU time of the calling thread.
    static func threadCPUNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }
}
