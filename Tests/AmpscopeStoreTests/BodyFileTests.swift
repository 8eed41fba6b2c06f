import AmpscopeCore
@testable import AmpscopeStore
import Foundation
import GRDB
import Testing

/// Request bodies live in a file beside the database (`BodyFile`), written once instead of
/// twice through SQLite's WAL; rows of older stores keep theirs inline.
@Suite struct BodyFileTests {
    /// Captures with bodies of every kind: small, large (past SQLite's overflow pages), binary
    /// junk, and empty.
    static func captures() -> [Processed] {
        var out: [Processed] = []
        out.append(Make.processed(Make.capture([Make.event("Small", insert: "s1")])))
        let many = (0..<600).map { Make.event("Big \($0)", insert: "b\($0)") }
        out.append(Make.processed(Make.capture(many)))
        var junk = Capture(receivedAt: 1_795_000_000_001, source: .proxy, path: "/2/httpapi", body: [0xFF, 0x00, 0x1B, 0x5B, 0xC3])
        junk.headers = [HTTPHeader("Content-Type", "application/json")]
        out.append(Make.processed(junk))
        out.append(Make.processed(Capture(receivedAt: 1_795_000_000_002, source: .proxy, path: "/2/httpapi", body: [])))
        out.append(Make.processed(Make.capture([Make.event("Last", insert: "l1")])))
        return out
    }

    /// A closed store at a new path holding `captures()`, committed one by one.
    static func storeOfCaptures() async throws -> (path: String, items: [Processed]) {
        let path = Make.tempPath()
        let items = captures()
        let store = try CaptureStore(path: path)
        for p in items { _ = try await store.append(p) }
        await store.close()
        return (path, items)
    }

    static func permissions(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func bodiesAreWrittenOnceToTheirFileAndReadBackAfterAReopen() async throws {
        let (path, items) = try await Self.storeOfCaptures()
        let bodiesPath = BodyFile.path(forStore: path)
        let nonEmpty = items.map(\.capture.body).filter { !$0.isEmpty }
        // Every non-empty body once, back to back, in the order committed; owner-only.
        let file = try [UInt8](Data(contentsOf: URL(fileURLWithPath: bodiesPath)))
        let holdsTheBodies = file == nonEmpty.flatMap { $0 }  // (compared apart: a failure would print both files)
        #expect(holdsTheBodies, "the bodies file holds \(file.count) bytes, not the \(nonEmpty.map(\.count)) sent")
        #expect(try Self.permissions(bodiesPath) == 0o600)
        // The rows name their bodies' places and hold none themselves (the empty one stays inline).
        let q = try DatabaseQueue(path: path)
        let rows = try await q.read { db in
            try Row.fetchAll(db, sql: "SELECT length(body) AS inline, body_offset, body_length FROM capture ORDER BY id")
        }
        #expect(rows.count == items.count)
        var expectedOffset: Int64 = 0
        for (row, p) in zip(rows, items) {
            #expect(row["inline"] as Int? == 0)
            if p.capture.body.isEmpty {
                #expect(row["body_offset"] as Int64? == nil)
            } else {
                #expect(row["body_offset"] as Int64? == expectedOffset && row["body_length"] as Int? == p.capture.body.count)
                expectedOffset += Int64(p.capture.body.count)
            }
        }
        // Read back through a reopened store (nothing cached from the writes) and a snapshot reader.
        let reopened = try CaptureStore(path: path)
        let ids = reopened.index.captureIDs()
        #expect(ids.count == items.count)
        for (id, p) in zip(ids, items) {
            let same = try await reopened.processed(id).capture.body == p.capture.body
            #expect(same, "capture \(id) reads back with another body")
        }
        let snapshot = try StoreSnapshotReader(path: path).all()
        let sameSnapshot = snapshot.map(\.capture.body) == items.map(\.capture.body)
        #expect(sameSnapshot, "the snapshot reader reads other bodies")
        // Appending after the reopen goes on at the file's end.
        let more = Make.processed(Make.capture([Make.event("After", insert: "a1")]))
        let id = try await reopened.append(more)
        await reopened.close()
        let grown = try [UInt8](Data(contentsOf: URL(fileURLWithPath: bodiesPath))) == nonEmpty.flatMap { $0 } + more.capture.body
        #expect(grown, "the next body goes at the file's end")
        let again = try CaptureStore(path: path)
        #expect(try await again.processed(id).capture.body == more.capture.body)
    }

    /// A new store's files are all owner-only (captured bodies, headers and user data); an
    /// existing store keeps the mode it has.
    @Test func aNewStoreIsOwnerOnly() async throws {
        let path = Make.tempPath()
        let store = try CaptureStore(path: path)
        _ = try await store.append(Self.captures()[0])
        for file in [path, path + "-wal", path + "-shm", BodyFile.path(forStore: path)] {
            #expect(try Self.permissions(file) == 0o600, "\(file)")
        }
        await store.close()
        let shared = Make.tempPath()
        #expect(FileManager.default.createFile(atPath: shared, contents: nil, attributes: [.posixPermissions: 0o640]))
        _ = try CaptureStore(path: shared)
        #expect(try Self.permissions(shared) == 0o640)
    }

    /// The index on `capture.received_at` served no query and cost every commit: a new store has
    /// none, and opening an earlier store drops it.
    @Test func noIndexOnReceivedAt() async throws {
        func indexes(_ path: String) throws -> [String] {
            try DatabaseQueue(path: path).read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'capture'")
            }
        }
        let path = Make.tempPath()
        let store = try CaptureStore(path: path)
        _ = try await store.append(Self.captures()[0])
        await store.close()
        #expect(try indexes(path).isEmpty)
        // As a store of schema 3 has it.
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "CREATE INDEX capture_received ON capture(received_at)")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v4-no-received-index'")
        }
        #expect(try indexes(path) == ["capture_received"])
        let reopened = try CaptureStore(path: path)
        #expect(await reopened.captureCount == 1)
        await reopened.close()
        #expect(try indexes(path).isEmpty)
    }

    /// Rows written before bodies moved out (the body in the row, no place) read as before.
    @Test func inlineBodiesOfAnEarlierStoreStillRead() async throws {
        let (path, items) = try await Self.storeOfCaptures()
        // Move every body back into its row and forget the file, as a store of schema 2 has it.
        let q = try DatabaseQueue(path: path)
        let file = try Data(contentsOf: URL(fileURLWithPath: BodyFile.path(forStore: path)))
        try await q.write { db in
            for row in try Row.fetchAll(db, sql: "SELECT id, body_offset, body_length FROM capture WHERE body_offset IS NOT NULL") {
                let offset = Int(row["body_offset"] as Int64), length: Int = row["body_length"]
                try db.execute(sql: "UPDATE capture SET body = ?, body_offset = NULL, body_length = NULL WHERE id = ?",
                               arguments: [file.subdata(in: offset..<(offset + length)), row["id"] as Int64])
            }
        }
        try FileManager.default.removeItem(atPath: BodyFile.path(forStore: path))
        let snapshot = try StoreSnapshotReader(path: path).all()
        #expect(snapshot.map(\.capture.body) == items.map(\.capture.body))
        let reopened = try CaptureStore(path: path)
        for (id, p) in zip(reopened.index.captureIDs(), items) {
            #expect(try await reopened.processed(id).capture.body == p.capture.body)
        }
    }

    /// A bodies file cut short (a power loss, a copy of the .sqlite alone) makes the rows whose
    /// bodies are gone fail to read with a reason naming the file; the others still read.
    @Test func aBodyMissingFromTheFileIsAClearError() async throws {
        let (path, items) = try await Self.storeOfCaptures()
        let bodiesPath = BodyFile.path(forStore: path)
        let first = items[0].capture.body.count
        #expect(truncate(bodiesPath, off_t(first)) == 0)
        // Read-only first (nothing recorded), then read-write (the lost stretch is recorded).
        let snapshotError = #expect(throws: (any Error).self) { try StoreSnapshotReader(path: path).all() }
        #expect("\(snapshotError.map { "\($0)" } ?? "")".contains(bodiesPath))
        let store = try CaptureStore(path: path)
        let ids = store.index.captureIDs()
        #expect(try await store.processed(ids[0]).capture.body == items[0].capture.body)
        do {
            _ = try await store.processed(ids[1])
            Issue.record("a body past the file's end was read")
        } catch {
            #expect("\(error)".contains("was lost") && "\(error)".contains(bodiesPath), "\(error)")
        }
        // A row that claims more than the file holds fails before anything that size is allocated.
        let q = try DatabaseQueue(path: path)
        try await q.write { db in try db.execute(sql: "UPDATE capture SET body_length = ? WHERE id = (SELECT MIN(id) FROM capture)", arguments: [Int64(1) << 40]) }
        let damaged = try CaptureStore(path: path)
        do {
            _ = try await damaged.processed(ids[0])
            Issue.record("a body of 1 TiB was read")
        } catch {
            #expect("\(error)".contains(bodiesPath), "\(error)")
        }
        // Places no file has: negative, or an end past Int64 (a trap if added unchecked).
        for (offset, length) in [(Int64.max - 10, Int64(100)), (Int64(-5), Int64(10)), (Int64(0), Int64(-1))] {
            try await q.write { db in
                try db.execute(sql: "UPDATE capture SET body_offset = ?, body_length = ? WHERE id = (SELECT MIN(id) FROM capture)",
                               arguments: [offset, length])
            }
            let store = try CaptureStore(path: path)
            do {
                _ = try await store.processed(ids[0])
                Issue.record("a body at \(offset), \(length) was read")
            } catch {
                #expect("\(error)".contains(bodiesPath), "\(error)")
            }
        }
        // Opens that write nothing record the lost stretch once.
        let gaps = try await q.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM body_gap") }
        #expect(gaps == 1)
    }

    /// Appending to a store whose bodies file lost its end (or went missing) never makes an old
    /// row read a new body: new bodies go after everything the rows name, and the lost stretch
    /// is recorded, so it reads as lost after any number of reopens instead of as the hole's zeros.
    @Test(arguments: [false, true])
    func appendingAfterALossNeverServesAnotherBody(fileDeleted: Bool) async throws {
        let (path, items) = try await Self.storeOfCaptures()
        let bodiesPath = BodyFile.path(forStore: path)
        let kept = fileDeleted ? 0 : items[0].capture.body.count
        if fileDeleted { try FileManager.default.removeItem(atPath: bodiesPath) } else { #expect(truncate(bodiesPath, off_t(kept)) == 0) }
        let named = items.map(\.capture.body.count).reduce(0, +)
        let more = Make.processed(Make.capture([Make.event("After the loss", insert: "x1")]))
        let newID: Int64
        do {
            let store = try CaptureStore(path: path)
            newID = try await store.append(more)
            await store.close()
        }
        // The new body sits after all the rows named, with the lost stretch a hole before it.
        let size = (try FileManager.default.attributesOfItem(atPath: bodiesPath)[.size] as? NSNumber)?.intValue
        #expect(size == named + more.capture.body.count)
        for _ in 0..<2 {
            let store = try CaptureStore(path: path)
            let ids = store.index.captureIDs()
            for (id, p) in zip(ids, items) where !p.capture.body.isEmpty {
                do {
                    let body = try await store.processed(id).capture.body
                    #expect(!fileDeleted && id == ids[0] && body == p.capture.body, "capture \(id) read \(body.count) bytes")
                } catch {
                    #expect("\(error)".contains("was lost"), "\(error)")
                }
            }
            let back = try await store.processed(newID).capture.body
            #expect(back == more.capture.body)
            await store.close()
        }
        let snapshot = try? StoreSnapshotReader(path: path).all()
        #expect(snapshot == nil, "a snapshot of a store with lost bodies reads them as lost, not as other bytes")
    }

    /// A batch whose transaction fails leaves its bodies unreferenced; what follows reads right.
    @Test func aFailedBatchLeavesNoRowAndTheNextOneReads() async throws {
        let path = Make.tempPath()
        let db = try CaptureDatabase(path: path)
        let session = try db.startSession(label: "t")
        let items = Self.captures()
        var bad = CaptureDatabase.encode(items[0], summaries: EventSummary.extract(items[0]))
        bad[CaptureDatabase.Column.method.rawValue] = .null  // NOT NULL: the insert fails
        #expect(throws: DatabaseError.self) { try db.insertNow(rows: [bad], bodies: [items[0].capture.body], session: session) }
        let good = items[1]
        let ids = try db.insertNow(rows: [CaptureDatabase.encode(good, summaries: EventSummary.extract(good))], bodies: [good.capture.body],
                                   session: session)
        let ingest = Ingest()
        let back = try db.load(rowID: ids[0], decoders: ingest.decoders, options: ingest.decodeOptions)
        #expect(back?.capture.body == good.capture.body)
        #expect(try db.rowIDs() == ids)
    }
}
