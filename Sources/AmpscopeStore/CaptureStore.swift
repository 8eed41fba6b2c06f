import AmpscopeCore
import Foundation
import GRDB

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
        case notFound(Int64)
        case unreadable(String)

        public var description: String {
            switch self {
            case .cannotOpen(let path, let why): return "cannot open the store at \(path): \(why)"
            case .notFound(let id): return "capture \(id) is not in the store"
            case .unreadable(let why): return why
            }
        }
    }

    public nonisolated let path: String?
    private let database: CaptureDatabase?
    private let sessionID: Int64
    private let ingest: Ingest
    /// The in-memory index; readable from any thread.
    public nonisolated let index = StoreIndex()
    /// A live capture ready to commit: its event summaries and database row are computed by the
    /// caller's thread before it joins the queue, so the serial commit loop only writes.
    private struct Prepared: @unchecked Sendable {  // DatabaseValue is immutable
        var processed: Processed
        var summaries: [EventSummary]
        var row: [DatabaseValue]
    }
    private var pending: [(Prepared, CheckedContinuation<Int64, Error>)] = []
    private var flushing = false
    private var subscribers: [Int: AsyncStream<Change>.Continuation] = [:]
    private var nextSubscriber = 0
    private var generation = 0
    /// Reads payloads back; usable from any thread (filters, exports) without the actor.
    public nonisolated let payloads: PayloadReader

    /// Opens (or creates) a store. `path == nil` keeps everything in memory (tests, `check`-like uses).
    /// Reopening an existing file appends a new session and loads its index.
    public init(path: String?, ingest: Ingest = Ingest(), sessionLabel: String = "") throws {
        self.path = path
        self.ingest = ingest
        var opened: CaptureDatabase?
        if let path {
            do {
                let dir = (path as NSString).deletingLastPathComponent
                if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
                let db = try CaptureDatabase(path: path)
                database = db
                opened = db
                sessionID = try db.startSession(label: sessionLabel)
                let entries = try db.loadEntries()
                index.mutate { idx in for e in entries { idx.add(stored: e) } }
            } catch {
                throw StoreError.cannotOpen(path, "\(error)")
            }
        } else {
            database = nil
            sessionID = 0
        }
        payloads = PayloadReader(database: opened, ingest: ingest, index: index)
    }

    // MARK: Writing

    /// Stores a live capture durably and returns its id. Returns only after the capture is
    /// committed to disk (in-memory stores: immediately). Throws when it cannot be stored
    /// (disk full, I/O error); the caller must then not acknowledge the request as accepted.
    public nonisolated func append(_ p: Processed) async throws -> Int64 {
        let summaries = EventSummary.extract(p)
        let row = database == nil ? [] : CaptureDatabase.encode(p, summaries: summaries)
        return try await enqueue(Prepared(processed: p, summaries: summaries, row: row))
    }

    private func enqueue(_ p: Prepared) async throws -> Int64 {
        guard database != nil else {
            let slot = payloads.keep(p.processed)
            let id = index.mutate {
                $0.add(capture: p.processed.capture, request: p.processed.request, answer: p.processed.answer,
                       summaries: p.summaries, location: .memory(slot: slot))
            }
            publish()
            return id
        }
        return try await withCheckedThrowingContinuation { cont in
            pending.append((p, cont))
            if !flushing {
                flushing = true
                Task { await self.flushLoop() }
            }
        }
    }

    private func flushLoop() async {
        while !pending.isEmpty {
            let batch = pending
            pending = []
            do {
                let ids = try await database!.insert(rows: batch.map(\.0.row), session: sessionID)
                let newIDs = index.mutate { idx in
                    batch.enumerated().map { i, item in
                        idx.add(capture: item.0.processed.capture, request: item.0.processed.request,
                                answer: item.0.processed.answer, summaries: item.0.summaries,
                                location: .database(rowID: ids[i]))
                    }
                }
                payloads.rememberRecent(zip(newIDs, batch).map { ($0, $1.0.processed) })
                for (item, id) in zip(batch, newIDs) { item.1.resume(returning: id) }
                publish()
            } catch {
                for item in batch { item.1.resume(throwing: error) }
            }
        }
        flushing = false
    }

    /// Registers a replayed file; its captures are then added with `.file(fileID:...)` locations.
    public func registerFile(_ path: String) -> Int32 { payloads.register(file: path) }

    /// Indexes captures of a replayed file without copying them into the database.
    /// `locations[i]` must locate `items[i]`'s line in a registered file (or be nil to keep it in memory).
    @discardableResult
    public func appendReplayed(_ items: [(Processed, PayloadLocation?)]) -> [Int64] {
        var resolved: [(Processed, PayloadLocation)] = []
        resolved.reserveCapacity(items.count)
        for (p, loc) in items {
            if let loc {
                resolved.append((p, loc))
            } else {
                resolved.append((p, .memory(slot: payloads.keep(p))))
            }
        }
        let ids = index.mutate { idx in resolved.map { idx.add($0.0, location: $0.1) } }
        for ((p, location), id) in zip(resolved, ids) {
            let contextual = p.findings.filter { $0.rule == RuleID.duplicateInsertID }
            if !contextual.isEmpty, case .file = location { payloads.remember(contextual, for: id) }
        }
        if !items.isEmpty { publish() }
        return ids
    }

    /// Empties the view: rows disappear from the index (live captures stay in the database file).
    public func clear() {
        index.mutate { $0.clear() }
        payloads.forgetMemory()
        generation += 1
        publish()
    }

    // MARK: Reading

    public var rowCount: Int { index.rowCount }
    public var captureCount: Int { index.captureCount }
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
