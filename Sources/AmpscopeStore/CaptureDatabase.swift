import AmpscopeCore
import Foundation
import GRDB
import GRDBSQLite

/// The SQLite file behind a store: raw requests, answers, findings and per-event summaries.
///
/// WAL journal with `synchronous=NORMAL`: a committed transaction survives the process being
/// killed (it is in the WAL, which SQLite replays on open); only a power loss can take the last
/// few commits. The proxy acknowledges a request only after its transaction committed.
///
/// The WAL is checkpointed by a background connection (`WALCheckpointer`), not by the commit
/// that happens to cross SQLite's threshold: that commit would otherwise copy megabytes into the
/// database file and wait for its fsync while the proxy's clients wait for their answers.
final class CaptureDatabase: Sendable {
    let pool: DatabasePool
    let path: String
    /// Where request bodies go (`BodyFile`); rows of older stores keep theirs inline.
    let bodies: BodyFile
    private let checkpointer: WALCheckpointer?

    /// What the WAL checkpointer has done so far (nil for a read-only store).
    var walStats: WALStats? { checkpointer?.stats }

    static let schemaVersion = 1

    /// `walHardLimit`: the WAL size above which the checkpointer resets it even though the
    /// writer must wait; `checkpointEvery`: how often it checkpoints (`WALCheckpointer`; tests
    /// pass smaller ones).
    init(path: String, readOnly: Bool = false, walHardLimit: Int = WALCheckpointer.hardLimitBytes,
         checkpointEvery: DispatchTimeInterval = WALCheckpointer.interval) throws {
        self.path = path
        // A new store is made owner-only: it holds captured bodies, headers and user data. SQLite
        // gives its WAL and shared-memory files the database file's mode, and `BodyFile` makes
        // its file 0600, so all four are.
        if !readOnly {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
        }
        var config = Configuration()
        config.label = "ampscope-store"
        config.readonly = readOnly
        // The busy timeout comes first: a connection's first statement may wait for another
        // process's checkpoint (opening a store while a proxy writes it failed with "database is
        // locked" at `PRAGMA synchronous` when the timeout was set after it).
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA busy_timeout = 5000")
            if !readOnly {
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
                // When the WAL starts over, a file larger than this is cut back to it (see
                // `keptFileBytes`).
                try db.execute(sql: "PRAGMA journal_size_limit = \(WALCheckpointer.keptFileBytes)")
            }
        }
        pool = try DatabasePool(path: path, configuration: config)
        if readOnly {
            guard try pool.read({ try Self.migrator.hasCompletedMigrations($0) }) else { throw NeedsUpgrade() }
        } else {
            try Self.migrate(pool)
        }
        // How far the rows say the bodies file goes, and the stretches of it known to be lost.
        let (recordedEnd, gaps) = try pool.read { db -> (Int64, [Range<Int64>]) in
            guard try db.tableExists("body_file") else { return (0, []) }
            let end = try Int64.fetchOne(db, sql: "SELECT end_offset FROM body_file WHERE id = 1") ?? 0
            let gaps = try Row.fetchAll(db, sql: "SELECT start, stop FROM body_gap").compactMap { row -> Range<Int64>? in
                let (a, b): (Int64, Int64) = (row["start"], row["stop"])
                return a < b ? a..<b : nil
            }
            return (end, gaps)
        }
        let bodies = try BodyFile(storePath: path, readOnly: readOnly, recordedEnd: recordedEnd, gaps: gaps)
        if !readOnly, let lost = bodies.lostAtOpen {
            // The file is shorter than the rows say (a power loss, the database copied without it):
            // new bodies go after what the rows name, and the stretch in between is recorded so
            // that it reads as lost, not as the zeros of the hole it becomes.
            try pool.write { db in
                // Once: opens that write nothing find the same stretch again.
                try db.execute(sql: """
                    INSERT INTO body_gap (start, stop) SELECT ?, ?
                    WHERE NOT EXISTS (SELECT 1 FROM body_gap WHERE start = ? AND stop = ?)
                    """, arguments: [lost.lowerBound, lost.upperBound, lost.lowerBound, lost.upperBound])
            }
        }
        self.bodies = bodies
        checkpointer = readOnly ? nil : try WALCheckpointer(path: path, hardLimit: walHardLimit, interval: checkpointEvery,
                                                              beforePass: { bodies.sync() })
    }

    private static func migrate(_ pool: DatabasePool) throws {
        try migrator.migrate(pool)
    }

    /// A store read-only needs every migration done already: it cannot upgrade itself.
    struct NeedsUpgrade: Error {}

    private static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE session (
                    id INTEGER PRIMARY KEY,
                    started_at INTEGER NOT NULL,
                    tool TEXT NOT NULL,
                    label TEXT NOT NULL DEFAULT ''
                );
                CREATE TABLE capture (
                    id INTEGER PRIMARY KEY,
                    session_id INTEGER NOT NULL REFERENCES session(id),
                    received_at INTEGER NOT NULL,
                    source_kind TEXT NOT NULL,
                    source_name TEXT NOT NULL,
                    source_line INTEGER,
                    client TEXT,
                    method TEXT NOT NULL,
                    path TEXT NOT NULL,
                    query TEXT NOT NULL,
                    http_version TEXT NOT NULL,
                    headers TEXT NOT NULL,
                    body BLOB NOT NULL,
                    endpoint TEXT NOT NULL,
                    decoder TEXT NOT NULL,
                    api_key_masked TEXT,
                    event_count INTEGER NOT NULL,
                    emulated_status INTEGER NOT NULL,
                    emulated_type TEXT NOT NULL,
                    emulated_body BLOB NOT NULL,
                    response_status INTEGER,
                    response_origin TEXT,
                    response_headers TEXT,
                    response_body BLOB,
                    response_error TEXT,
                    response_latency_ms REAL,
                    errors INTEGER NOT NULL,
                    warnings INTEGER NOT NULL,
                    infos INTEGER NOT NULL,
                    findings TEXT NOT NULL,
                    summaries TEXT NOT NULL
                );
                CREATE INDEX capture_received ON capture(received_at);
                """)
        }
        // What the index is built from, in rows of its own: reading it from `capture` meant
        // reading every request's body too (its last column sits after the body's overflow
        // pages), so opening a 30 GB store read 30 GB. Rows of earlier stores are copied over.
        m.registerMigration("v2-capture-index") { db in
            try db.execute(sql: """
                CREATE TABLE capture_index (
                    id INTEGER PRIMARY KEY,
                    received_at INTEGER NOT NULL,
                    source_kind TEXT NOT NULL,
                    source_name TEXT NOT NULL,
                    method TEXT NOT NULL,
                    endpoint TEXT NOT NULL,
                    api_key_masked TEXT,
                    event_count INTEGER NOT NULL,
                    emulated_status INTEGER NOT NULL,
                    response_status INTEGER,
                    response_origin TEXT,
                    summaries TEXT NOT NULL,
                    -- Rows, event rows, rows with errors, rows with warnings (NULL for rows copied
                    -- from a schema-1 store: then counted from the summaries).
                    row_count INTEGER,
                    event_rows INTEGER,
                    error_rows INTEGER,
                    warning_rows INTEGER
                );
                INSERT INTO capture_index (id, received_at, source_kind, source_name, method, endpoint, api_key_masked,
                        event_count, emulated_status, response_status, response_origin, summaries)
                    SELECT id, received_at, source_kind, source_name, method, endpoint, api_key_masked, event_count,
                           emulated_status, response_status, response_origin, summaries FROM capture;
                UPDATE capture SET summaries = '';
                """)
        }
        // Request bodies in a file of their own (`BodyFile`): a row names its body's place there;
        // NULL keeps the body in `body`, as every row of an earlier store does.
        // `body_file.end_offset`: the end of the last body a committed row names (kept with each
        // commit), so that a file found shorter at the next open is noticed; `body_gap`: stretches
        // of the file found lost that way (`BodyFile.lostAtOpen`).
        m.registerMigration("v3-body-file") { db in
            try db.execute(sql: """
                ALTER TABLE capture ADD COLUMN body_offset INTEGER;
                ALTER TABLE capture ADD COLUMN body_length INTEGER;
                CREATE TABLE body_file (id INTEGER PRIMARY KEY CHECK (id = 1), end_offset INTEGER NOT NULL);
                INSERT INTO body_file (id, end_offset) VALUES (1, 0);
                CREATE TABLE body_gap (start INTEGER NOT NULL, stop INTEGER NOT NULL);
                """)
        }
        // `capture_received` served no query (the index in memory and `capture_index` order by
        // id): it cost every commit a B-tree insert and a page in the WAL.
        m.registerMigration("v4-no-received-index") { db in
            try db.execute(sql: "DROP INDEX IF EXISTS capture_received")
        }
        return m
    }

    func startSession(label: String) throws -> Int64 {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO session (started_at, tool, label) VALUES (?, ?, ?)",
                           arguments: [Int64(Date().timeIntervalSince1970 * 1000), "ampscope \(AmpscopeVersion.current)", label])
            return db.lastInsertedRowID
        }
    }

    /// Inserts rows made by `encode`, with their request bodies (`bodies[i]` is row i's), in one
    /// transaction, blocking (the store's writer thread), and returns the row ids in order.
    func insertNow(rows: [[DatabaseValue]], bodies: [[UInt8]], session: Int64) throws -> [Int64] {
        precondition(rows.count == bodies.count, "one body per row")
        let places = try placeBodies(bodies)
        return try pool.write { db in try Self.insert(rows: rows, places: places, session: session, db) }
    }

    /// Writes the non-empty bodies to the bodies file, before (and outside) the transaction that
    /// names them: (offset, length) per row, nil for an empty body (kept inline, as an empty blob).
    private func placeBodies(_ all: [[UInt8]]) throws -> [(Int64, Int)?] {
        let nonEmpty = all.filter { !$0.isEmpty }
        if nonEmpty.isEmpty { return all.map { _ in nil } }
        var offsets = try bodies.append(nonEmpty).makeIterator()
        return all.map { b in b.isEmpty ? nil : (offsets.next()!, b.count) }
    }

    private static func insert(rows: [[DatabaseValue]], places: [(Int64, Int)?], session: Int64, _ db: Database) throws -> [Int64] {
        var ids: [Int64] = []
        ids.reserveCapacity(rows.count)
        let stmt = try db.cachedStatement(sql: """
            INSERT INTO capture (session_id, received_at, source_kind, source_name, source_line, client, method, path,
                query, http_version, headers, body, endpoint, decoder, api_key_masked, event_count, emulated_status,
                emulated_type, emulated_body, response_status, response_origin, response_headers, response_body,
                response_error, response_latency_ms, errors, warnings, infos, findings, summaries, body_offset, body_length)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)
            """)
        let index = try db.cachedStatement(sql: """
            INSERT INTO capture_index (id, received_at, source_kind, source_name, method, endpoint, api_key_masked,
                event_count, emulated_status, response_status, response_origin, summaries, row_count, event_rows,
                error_rows, warning_rows)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (r, place) in zip(rows, places) {
            // session_id, the columns before the summaries (which go to capture_index only), the
            // body's place (NULL, NULL for an empty body, kept inline).
            var binder = DirectBinder(stmt)
            binder.bind(session.databaseValue)
            for i in 0..<Column.summaries.rawValue { binder.bind(r[i]) }
            binder.bind(place.map { $0.0.databaseValue } ?? .null)
            binder.bind(place.map { $0.1.databaseValue } ?? .null)
            try binder.run(db)
            let id = db.lastInsertedRowID
            var indexBinder = DirectBinder(index)
            indexBinder.bind(id.databaseValue)
            for c in Column.indexed { indexBinder.bind(r[c.rawValue]) }
            try indexBinder.run(db)
            ids.append(id)
        }
        if let end = places.compactMap({ $0.map { $0.0 + Int64($0.1) } }).max() {
            try db.cachedStatement(sql: "UPDATE body_file SET end_offset = MAX(end_offset, ?) WHERE id = 1").execute(arguments: [end])
        }
        return ids
    }

    private static let emptyBody = Data().databaseValue

    /// Positions in `encode`'s values (the `capture` columns after `session_id`).
    enum Column: Int {
        case receivedAt = 0, sourceKind = 1, sourceName = 2, method = 5, body = 10, endpoint = 11, apiKeyMasked = 13,
             eventCount = 14, emulatedStatus = 15, responseStatus = 18, responseOrigin = 19, summaries = 28,
             rowCount = 29, eventRows = 30, errorRows = 31, warningRows = 32

        /// The columns `capture_index` copies, in its order (after `id`).
        static let indexed: [Column] = [.receivedAt, .sourceKind, .sourceName, .method, .endpoint, .apiKeyMasked,
                                        .eventCount, .emulatedStatus, .responseStatus, .responseOrigin, .summaries,
                                        .rowCount, .eventRows, .errorRows, .warningRows]
    }

    /// The column values of one capture (all but `session_id`; the body is an empty blob here: it
    /// goes to the bodies file, `insertNow`). `summaries` is `EventSummary.extract(p)`, passed in
    /// because the index needs it too.
    static func encode(_ p: Processed, summaries: [EventSummary]) -> [DatabaseValue] {
        let c = p.capture
        let r = c.recordedResponse
        let counts = p.counts
        var findings = JSONWriter()
        findings.beginArray()
        for f in p.findings { Report.writeFinding(f, &findings) }
        findings.endArray()
        let values: [DatabaseValue] = [
            c.receivedAt.databaseValue, c.source.kind.rawValue.databaseValue, c.source.name.databaseValue,
            c.source.line.databaseValue, c.client.databaseValue, c.method.databaseValue, c.path.databaseValue,
            c.query.databaseValue, c.httpVersion.databaseValue, headersJSON(c.headers).databaseValue,
            emptyBody, p.request.endpoint.rawValue.databaseValue, p.request.decoder.databaseValue,
            p.request.apiKey.map(Redactor.mask).databaseValue, p.request.records.count.databaseValue,
            p.answer.status.databaseValue, p.answer.contentType.databaseValue, Data(p.answer.body).databaseValue,
            r?.status.databaseValue ?? .null, r?.origin.rawValue.databaseValue ?? .null,
            r.map { headersJSON($0.headers) }.databaseValue, r.map { Data($0.body) }.databaseValue,
            r?.error.databaseValue ?? .null, r?.latencyMs.databaseValue ?? .null,
            counts.errors.databaseValue, counts.warnings.databaseValue, counts.infos.databaseValue,
            findings.text.databaseValue, summariesJSON(summaries).databaseValue,
        ]
        let rowCounts: [DatabaseValue] = RowCounts(summaries).values.map(\.databaseValue)
        return values + rowCounts
    }

    static func headersJSON(_ headers: [HTTPHeader]) -> String {
        var w = JSONWriter()
        w.beginArray()
        for h in headers {
            w.beginArray()
            w.string(h.name)
            w.string(h.value)
            w.endArray()
        }
        w.endArray()
        return w.text
    }

    static func parseHeaders(_ s: String?) -> [HTTPHeader] {
        guard let s, let doc = try? JSONDocument(parsing: s), doc.kind(doc.root) == .array else { return [] }
        return doc.elements(doc.root).compactMap { pair in
            let parts = doc.kind(pair) == .array ? Array(doc.elements(pair)) : []
            return parts.count == 2 ? HTTPHeader(doc.string(parts[0]), doc.string(parts[1])) : nil
        }
    }

    /// Compact summaries: `[[index, type, user, device, insert, time, session, errors, warnings, infos, "rule,rule"], ...]`;
    /// a mapped row adds `[destination, ordinal, call type or null, endpoint, status]`.
    static func summariesJSON(_ s: [EventSummary]) -> String {
        var w = JSONWriter()
        w.beginArray()
        for e in s {
            w.beginArray()
            w.int(e.index)
            w.string(e.eventType)
            if let u = e.userID { w.string(u) } else { w.null() }
            if let d = e.deviceID { w.string(d) } else { w.null() }
            if let i = e.insertID { w.string(i) } else { w.null() }
            if let t = e.time { w.int64(t) } else { w.null() }
            if let t = e.sessionID { w.int64(t) } else { w.null() }
            w.int(e.counts.errors)
            w.int(e.counts.warnings)
            w.int(e.counts.infos)
            w.string(e.rules.joined(separator: ","))
            if let m = e.mapped {
                w.beginArray()
                w.string(m.destination.rawValue)
                w.int(m.ordinal)
                if let t = m.callType { w.string(t.rawValue) } else { w.null() }
                w.string(m.endpoint.rawValue)
                w.int(m.status)
                w.endArray()
            }
            w.endArray()
        }
        w.endArray()
        return w.text
    }

    static func parseSummaries(_ s: String) -> [EventSummary] {
        guard let doc = try? JSONDocument(parsing: s), doc.kind(doc.root) == .array else { return [] }
        return doc.elements(doc.root).compactMap { e in
            let f = doc.kind(e) == .array ? Array(doc.elements(e)) : []
            guard f.count == 11 || f.count == 12 else { return nil }
            var mapped: MappedRowTag?
            if f.count == 12, doc.kind(f[11]) == .array {
                let m = Array(doc.elements(f[11]))
                if m.count == 5, let d = SegmentDestination(rawValue: doc.string(m[0])), let e = Endpoint(rawValue: doc.string(m[3])) {
                    mapped = MappedRowTag(destination: d, ordinal: Int(doc.int64(m[1]) ?? 0),
                                          callType: doc.stringValue(m[2]).flatMap(SegmentCallType.init(rawValue:)),
                                          endpoint: e, status: Int(doc.int64(m[4]) ?? 0))
                }
            }
            var counts = FindingCounts()
            counts.errors = Int(doc.int64(f[7]) ?? 0)
            counts.warnings = Int(doc.int64(f[8]) ?? 0)
            counts.infos = Int(doc.int64(f[9]) ?? 0)
            let rules = doc.string(f[10])
            return EventSummary(index: Int(doc.int64(f[0]) ?? -1), eventType: doc.string(f[1]), userID: doc.stringValue(f[2]),
                                deviceID: doc.stringValue(f[3]), insertID: doc.stringValue(f[4]), time: doc.int64(f[5]),
                                sessionID: doc.int64(f[6]), counts: counts,
                                rules: rules.isEmpty ? [] : rules.split(separator: ",").map(String.init), mapped: mapped)
        }
    }

    /// Index data of the captures whose rows are in `span` (all when nil), in id order, one at a
    /// time (reopening a store of any size without holding it all).
    func forEachEntry(in span: ClosedRange<Int64>? = nil, _ body: (StoredEntry) throws -> Void) throws {
        try pool.read { db in
            let columns = """
                SELECT id, received_at, event_count, emulated_status, response_status, response_origin, endpoint,
                       source_kind, source_name, method, api_key_masked, summaries FROM capture_index
                """
            let cursor = if let span {
                try Row.fetchCursor(db, sql: columns + " WHERE id BETWEEN ? AND ? ORDER BY id", arguments: [span.lowerBound, span.upperBound])
            } else {
                try Row.fetchCursor(db, sql: columns + " ORDER BY id")
            }
            while let row = try cursor.next() {
                let emulated: Int = row["emulated_status"]
                let origin = (row["response_origin"] as String?).flatMap(RecordedResponse.Origin.init(rawValue:))
                try body(StoredEntry(
                    location: .database(rowID: row["id"]), receivedAt: row["received_at"], requestEvents: row["event_count"],
                    status: row["response_status"] ?? emulated, emulatedStatus: emulated,
                    endpoint: Endpoint(rawValue: row["endpoint"]) ?? .unknown,
                    sourceKind: CaptureSource.Kind(rawValue: row["source_kind"]) ?? .proxy, sourceName: row["source_name"],
                    origin: origin, method: row["method"], apiKeyMasked: row["api_key_masked"],
                    summaries: Self.parseSummaries(row["summaries"])))
            }
        }
    }

    /// Each capture's row id and row counts, in id order (opening a store: the segments that will
    /// not stay in memory are described from these alone, without parsing their summaries).
    func forEachCount(_ body: (Int64, RowCounts) throws -> Void) throws {
        try pool.read { db in
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT id, row_count, event_rows, error_rows, warning_rows,
                       CASE WHEN row_count IS NULL THEN summaries END AS summaries
                FROM capture_index ORDER BY id
                """)
            while let row = try cursor.next() {
                let id: Int64 = row[0]
                if let rows: Int = row[1] {
                    try body(id, RowCounts(rows: rows, events: row[2] ?? 0, errors: row[3] ?? 0, warnings: row[4] ?? 0))
                } else {
                    try body(id, RowCounts(Self.parseSummaries(row[5] ?? "")))
                }
            }
        }
    }

    /// Builds again, from the stored summaries, a segment of the index that left memory: the
    /// same rows, in the same order, as when it was first indexed.
    func readSegment(_ ref: ColdRef) throws -> CaptureIndex {
        var index = CaptureIndex(firstID: ref.firstID)
        guard let span = ref.cold.rowIDs.span else { return index }
        var wanted: Set<Int64>?
        if case .list(let ids) = ref.cold.rowIDs { wanted = Set(ids) }
        try forEachEntry(in: span) { e in
            if let wanted, case .database(let id) = e.location, !wanted.contains(id) { return }
            index.add(stored: e)
        }
        return index
    }

    /// Reads one capture back with its stored answer and findings.
    func load(rowID: Int64, decoders: DecoderRegistry, options: DecodeOptions) throws -> Processed? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM capture WHERE id = ?", arguments: [rowID]) else { return nil }
            var capture = Capture(
                receivedAt: row["received_at"],
                source: CaptureSource(kind: CaptureSource.Kind(rawValue: row["source_kind"]) ?? .proxy,
                                      name: row["source_name"], line: row["source_line"]),
                method: row["method"], path: row["path"], query: row["query"], httpVersion: row["http_version"],
                headers: Self.parseHeaders(row["headers"]), body: try Self.body(of: row, in: bodies),
                client: row["client"])
            if let status: Int = row["response_status"] {
                capture.recordedResponse = RecordedResponse(
                    status: status, headers: Self.parseHeaders(row["response_headers"]),
                    body: [UInt8](row["response_body"] as Data? ?? Data()),
                    origin: (row["response_origin"] as String?).flatMap(RecordedResponse.Origin.init(rawValue:)) ?? .upstream,
                    error: row["response_error"], latencyMs: row["response_latency_ms"])
            }
            let request = decoders.decode(capture, options: options)
            let answer = EmulatedAnswer(status: row["emulated_status"], contentType: row["emulated_type"],
                                        body: [UInt8](row["emulated_body"] as Data? ?? Data()))
            return Processed(capture: capture, request: request, findings: Self.parseFindings(row["findings"]), answer: answer)
        }
    }

    /// A row's request body: from the bodies file where the row names a place in it, else inline.
    private static func body(of row: Row, in bodies: BodyFile) throws -> [UInt8] {
        if let offset: Int64 = row["body_offset"] {
            do {
                return try bodies.read(offset: offset, length: row["body_length"] ?? 0)
            } catch {
                throw CaptureStore.StoreError.unreadable("\(error)")
            }
        }
        return [UInt8](row["body"] as Data? ?? Data())
    }

    static func parseFindings(_ s: String) -> [Finding] {
        guard let doc = try? JSONDocument(parsing: s), doc.kind(doc.root) == .array else { return [] }
        return doc.elements(doc.root).compactMap { f in
            guard doc.kind(f) == .object else { return nil }
            func str(_ k: StaticString) -> String { doc.member(f, k).flatMap { doc.stringValue($0) } ?? "" }
            return Finding(rule: str("rule"), severity: Severity(rawValue: str("severity")) ?? .info, path: str("path"),
                           event: doc.member(f, "event").flatMap { doc.int64($0) }.map(Int.init), message: str("message"))
        }
    }

    /// Every capture's row id, ascending.
    func rowIDs() throws -> [Int64] {
        try pool.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM capture ORDER BY id") }
    }

    func captureCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM capture") ?? 0 }
    }
}

/// Checkpoints a WAL database from its own connection, off the commit path.
///
/// Every 250 ms a passive checkpoint copies the WAL's frames into the database file; it never
/// blocks the writer. Once every frame is copied, the writer's next transaction starts the WAL
/// over by itself (SQLite does so when no reader still needs the old frames), so the WAL resets
/// at no cost whenever the load pauses, even for a moment. A load that never pauses, or readers
/// that are always somewhere in the WAL (the TUI reads the store while it is written), keep it
/// growing. Past `hardLimit` the checkpointer then resets it itself with a restarting
/// checkpoint, which holds the write lock while it copies what is left and syncs both files:
///
/// - It does so only right after a passive pass that left at most `smallRemainder` to copy, so
///   the writer waits for a few MiB of copying, not for everything written during a long pass.
/// - It never waits for readers or for the writer (busy timeout 0 for that one statement): when
///   either is busy it gives up at once and tries again at the next tick. Waiting is what
///   stalled the TUI's writer for up to a second at 1 GiB (Docs/hardening.md, "The TUI leg on
///   the merged main"): a restarting checkpoint waits for readers *while holding the write lock*.
/// - Past `4 × hardLimit` it stops waiting for a small remainder (the WAL must not grow without
///   bound on a disk), still without waiting for readers.
///
/// It used to restart at 64 MiB whatever was left, which under the proxy bench's load was every
/// second or two and made the proxy's p99 50–100 ms (Docs/proxy.md, "Checkpoints").
final class WALCheckpointer: @unchecked Sendable {  // the timer is only touched in init/deinit
    private let connection: DatabaseQueue
    private let timer: DispatchSourceTimer
    /// A read-only descriptor of the database file, for the sync before a restart (-1: none).
    private let databaseFile: Int32
    /// The stats, shared by the timer's handler (which writes them) and `stats` (which reads them).
    private final class Counters: Sendable { let value = Guarded(WALStats()) }
    private let counters = Counters()
    static let interval = DispatchTimeInterval.milliseconds(250)
    static let hardLimitBytes = 1 << 30
    /// The most a passive pass may leave uncopied for a restart to follow it.
    static let smallRemainderBytes = 4 << 20
    /// `journal_size_limit`: the most of the WAL file kept when it starts over. Above the hard
    /// limit, so a WAL reset at 1 GiB keeps its file and the next one writes over it: cutting
    /// 1 GiB of file back (at 64 MiB) was done by the writer at its first commit after each
    /// restart and made the soak's TUI leg's p99 396–500 ms (54 ms without it). Only a WAL that
    /// grew far past the limit is cut back.
    static let keptFileBytes = hardLimitBytes + (64 << 20)

    /// What one tick did: a passive pass only, or a restart after it that reset the WAL or gave
    /// up because a reader or the writer was busy.
    enum Step: Equatable { case passive, restarted, restartGaveUp }

    /// `beforePass` runs at each tick before the passive pass (the store syncs its bodies file
    /// there, so the rows a pass copies into the database file have their bodies on disk).
    init(path: String, hardLimit: Int = hardLimitBytes, smallRemainder: Int = smallRemainderBytes,
         interval: DispatchTimeInterval = interval, beforePass: @escaping @Sendable () -> Void = {}) throws {
        var config = Configuration()
        config.label = "ampscope-checkpoint"
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA busy_timeout = 5000") }
        connection = try DatabaseQueue(path: path, configuration: config)
        databaseFile = open(path, O_RDONLY | O_CLOEXEC)
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "ampscope-checkpoint", qos: .utility))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(50))
        let connection = self.connection
        let counters = self.counters
        let databaseFile = self.databaseFile
        timer.setEventHandler {
            beforePass()
            var stats = counters.value.withLock { $0 }
            _ = try? connection.writeWithoutTransaction { db in
                try Self.tick(db, hardLimit: hardLimit, smallRemainder: smallRemainder, stats: &stats) {
                    if databaseFile >= 0 { _ = fdatasync(databaseFile) }
                }
            }
            counters.value.withLock { $0 = stats }
        }
        // After a running handler is done with it.
        timer.setCancelHandler { if databaseFile >= 0 { close(databaseFile) } }
        timer.resume()
    }

    /// One passive pass, then (past the limit, when the pass left little) catching-up passes and
    /// a restart; what it did is counted into `stats`.
    /// `presync` runs just before the restart, holding no lock of SQLite's: it writes the
    /// database file's dirty pages to disk (`fdatasync` on a descriptor of our own), so that the
    /// restart's own sync of the file, which runs under the write lock, finds little left. Passive
    /// passes under a steady load never sync the database file (SQLite syncs it only after a pass
    /// that copied the whole WAL), so a restart had up to 1 GiB of copied pages to flush while
    /// every writer waited.
    static func tick(_ db: Database, hardLimit: Int, smallRemainder: Int, stats: inout WALStats,
                     presync: () -> Void = {}) throws -> Step {
        // (busy, frames in the WAL since its last reset, frames checkpointed)
        guard let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") else { return .passive }
        let frames: Int = row[1] ?? 0
        let copied: Int = row[2] ?? 0
        let frameBytes = (try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096) + 24
        let wal = frames * frameBytes
        let left = max(0, frames - copied) * frameBytes
        stats.passes += 1
        stats.walBytes = wal
        stats.largestWALBytes = max(stats.largestWALBytes, wal)
        guard wal > hardLimit, left <= smallRemainder || wal / 4 > hardLimit else { return .passive }
        // Catch up first: what the writer committed while that pass ran is what the restart would
        // copy under the write lock (the soak's TUI leg: restarts of up to 464 ms after one pass).
        // Passive passes follow each other until one had little to copy, so little can have come
        // in meanwhile; at most three, then the next tick tries again.
        var lastFrames = frames
        var lastCopied = copied
        var caughtUp = false
        for _ in 0..<3 {
            guard let r = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") else { return .passive }
            stats.passes += 1
            let (log, done): (Int, Int) = (r[1] ?? 0, r[2] ?? 0)
            // The writer started the WAL over by itself meanwhile: nothing to restart.
            if log < lastFrames { stats.walBytes = log * frameBytes; return .passive }
            let justCopied = max(0, done - lastCopied) * frameBytes
            (lastFrames, lastCopied) = (log, done)
            if (log - done) * frameBytes <= smallRemainder && justCopied <= smallRemainder / 4 { caughtUp = true; break }
        }
        guard caughtUp || wal / 4 > hardLimit else { return .passive }
        let synced = DispatchTime.now().uptimeNanoseconds
        presync()
        stats.longestPresyncMs = max(stats.longestPresyncMs, Double(DispatchTime.now().uptimeNanoseconds - synced) / 1e6)
        try db.execute(sql: "PRAGMA busy_timeout = 0")
        defer { try? db.execute(sql: "PRAGMA busy_timeout = 5000") }
        let start = DispatchTime.now().uptimeNanoseconds
        // When it gives up, SQLITE_BUSY comes back as the row's first column, not as an error.
        let busy: Int = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(RESTART)")?[0] ?? 1
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        stats.longestRestartMs = max(stats.longestRestartMs, ms)
        if busy == 0 {
            stats.restarts += 1
            stats.walBytes = 0
            return .restarted
        }
        stats.restartsGivenUp += 1
        return .restartGaveUp
    }

    /// What it has done so far.
    var stats: WALStats { counters.value.withLock { $0 } }

    deinit { timer.cancel() }
}

/// What a store's WAL checkpointer has done since the store was opened (`GET /ampscope/status`,
/// `"wal"`): how large the WAL got, how often it was reset by a restarting checkpoint, how often a
/// restart gave up because a reader or the writer was busy, and how long the longest restart held
/// the write lock (the writer waits that long).
public struct WALStats: Sendable, Equatable {
    public var passes = 0
    public var restarts = 0
    public var restartsGivenUp = 0
    public var longestRestartMs = 0.0
    /// The longest sync of the database file before a restart (no lock held; nobody waits).
    public var longestPresyncMs = 0.0
    public var walBytes = 0
    public var largestWALBytes = 0
    public init() {}
}

/// How many index rows a capture has, and how many of them are events, have errors, have warnings
/// (what `CaptureIndex` counts as it adds them).
struct RowCounts: Sendable, Equatable {
    var rows: Int
    var events: Int
    var errors: Int
    var warnings: Int

    init(rows: Int, events: Int, errors: Int, warnings: Int) {
        (self.rows, self.events, self.errors, self.warnings) = (rows, events, errors, warnings)
    }

    init(_ summaries: [EventSummary]) {
        rows = summaries.count
        events = summaries.count { $0.index >= 0 && $0.mapped == nil }
        errors = summaries.count { $0.counts.errors > 0 }
        warnings = summaries.count { $0.counts.warnings > 0 }
    }

    var values: [Int] { [rows, events, errors, warnings] }

    static let zero = RowCounts(rows: 0, events: 0, errors: 0, warnings: 0)

    static func += (a: inout RowCounts, b: RowCounts) {
        a.rows += b.rows
        a.events += b.events
        a.errors += b.errors
        a.warnings += b.warnings
    }
}

/// Binds a row's values straight to a cached insert statement with SQLite's C API and runs it:
/// GRDB's `execute(arguments:)` builds a `StatementArguments` (an array and a dictionary) and
/// checks them against the statement for every row, about an eighth of the writer's time under
/// the proxy bench. The statements are ours and their parameters are counted by the caller's
/// loop; a miscount is a programming error caught by the precondition. Strings and blobs are
/// copied by SQLite at bind time (`SQLITE_TRANSIENT`), as GRDB does for statements this long.
struct DirectBinder {
    private let statement: Statement
    private var next: Int32 = 1
    private static let emptyText: StaticString = ""

    init(_ statement: Statement) {
        self.statement = statement
        sqlite3_reset(statement.sqliteStatement)
    }

    mutating func bind(_ value: DatabaseValue) {
        let s = statement.sqliteStatement
        let i = next
        next += 1
        switch value.storage {
        case .null: sqlite3_bind_null(s, i)
        case .int64(let v): sqlite3_bind_int64(s, i, v)
        case .double(let v): sqlite3_bind_double(s, i, v)
        case .string(var v):
            // A NULL pointer would bind NULL, not the empty string.
            v.withUTF8 { u in
                let text = u.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(Self.emptyText.utf8Start)
                _ = sqlite3_bind_text(s, i, text.assumingMemoryBound(to: CChar.self), Int32(u.count), directBinderTransient)
            }
        case .blob(let v):
            v.withUnsafeBytes { b in
                if let base = b.baseAddress, b.count > 0 {
                    _ = sqlite3_bind_blob(s, i, base, Int32(b.count), directBinderTransient)
                } else {
                    _ = sqlite3_bind_zeroblob(s, i, 0)  // empty, not NULL
                }
            }
        }
    }

    /// Steps the statement once (an insert) and resets it; an error (a full disk) is thrown as
    /// GRDB's `DatabaseError`, as `execute` would.
    func run(_ db: Database) throws {
        let s = statement.sqliteStatement
        precondition(next - 1 == sqlite3_bind_parameter_count(s), "\(next - 1) values for \(sqlite3_bind_parameter_count(s)) parameters")
        let code = sqlite3_step(s)
        // The message is read before the reset, which would leave it to the next call.
        let message = code == SQLITE_DONE ? nil : String(cString: sqlite3_errmsg(db.sqliteConnection))
        sqlite3_reset(s)
        if let message {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }
}

/// SQLite's `SQLITE_TRANSIENT` (a macro C leaves to Swift as nothing): copy the value at bind time.
private let directBinderTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
