import AmpscopeCore
@testable import AmpscopeStore
import Foundation
import GRDB
import Testing

/// The store's WAL: checkpointed off the commit path, started over after a pause without any
/// waiting, and bounded under writes that never pause (`WALCheckpointer`).
@Suite struct WALCheckpointTests {
    /// A row with a body of about 16 KB (four WAL frames and more per row).
    static func row(_ i: Int) -> [DatabaseValue] {
        let filler = String(repeating: "x", count: 16_000)
        let c = Make.capture([Make.event("Big \(i)", insert: "\(filler)-\(i)")])
        let p = Make.processed(c)
        return CaptureDatabase.encode(p, summaries: EventSummary.extract(p))
    }

    static func walBytes(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int) ?? 0
    }

    /// Frames in the WAL since it last started over, and how many of them are copied, as a passive
    /// checkpoint from another connection reports them (it copies nothing the checkpointer has not).
    static func walFrames(_ path: String) throws -> (log: Int, copied: Int) {
        let q = try DatabaseQueue(path: path)
        return try q.writeWithoutTransaction { db in
            let r = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")!
            return (r[1] ?? 0, r[2] ?? 0)
        }
    }

    @Test func theWALStartsOverAfterAPauseWithoutARestartingCheckpoint() async throws {
        let path = Make.tempPath()
        // A hard limit no test reaches: only the writer's own restart can shorten the WAL.
        let db = try CaptureDatabase(path: path, walHardLimit: Int.max)
        let session = try db.startSession(label: "wal")
        for i in 0..<20 { _ = try db.insertNow(rows: (0..<5).map { Self.row(i * 5 + $0) }, session: session) }
        let written = try Self.walFrames(path).log
        #expect(written > 400, "100 rows of 16 KB fill hundreds of frames")
        // The pause: the checkpointer's passive checkpoints copy every frame (250 ms apart).
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let f = try Self.walFrames(path)
            if f.log == f.copied { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        // The next commit starts the WAL over: it holds only that commit's frames.
        _ = try db.insertNow(rows: [Self.row(1000)], session: session)
        let after = try Self.walFrames(path)
        #expect(after.log < 20, "the WAL held \(after.log) frames after the pause (\(written) before)")
        #expect(try db.captureCount() == 101)
    }

    @Test func aWALWrittenWithoutPausesStaysUnderItsHardLimit() async throws {
        let path = Make.tempPath()
        let limit = 1 << 20
        let db = try CaptureDatabase(path: path, walHardLimit: limit)
        let session = try db.startSession(label: "wal")
        let rows = (0..<8).map { Self.row($0) }
        // Commits a millisecond apart for 3 s (at least 24 MiB of frames), the WAL's size sampled
        // after each: a load that never pauses long enough for a checkpoint to copy everything.
        var largest = 0
        var commits = 0
        let end = Date().addingTimeInterval(3)
        while Date() < end || commits * rows.count * 16_000 < 24 << 20 {
            _ = try db.insertNow(rows: rows, session: session)
            commits += 1
            largest = max(largest, Self.walBytes(path))
            usleep(1000)
        }
        let bodies = commits * rows.count * 16_000
        // Between two of the checkpointer's ticks the WAL grows by what is written in 250 ms; it
        // never holds more than a fraction of what went through it. (Without the hard limit it
        // grew to 238 MB here, for 106 MB of bodies.)
        #expect(largest < bodies / 3, "WAL reached \(largest) bytes for \(bodies) bytes of bodies")
        #expect(try db.captureCount() == commits * rows.count)
    }
}
