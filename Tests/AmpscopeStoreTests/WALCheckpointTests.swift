import AmpscopeCore
@testable import AmpscopeStore
import Foundation
import GRDB
import Testing
import AmpscopeTestSupport

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
        // No restarting checkpoint and no checkpointer tick during the test: only the writer's own
        // restart can shorten the WAL.
        let db = try CaptureDatabase(path: path, walHardLimit: Int.max, checkpointEvery: .seconds(3600))
        let session = try db.startSession(label: "wal")
        let rows = (0..<100).map { Self.row($0) }
        for i in 0..<20 { _ = try db.insertNow(rows: Array(rows[(i * 5)..<(i * 5 + 5)]), session: session) }
        // The pause: a passive checkpoint (here from another connection) copies every frame.
        let written = try Self.walFrames(path)
        #expect(written.log > 400, "100 rows of 16 KB fill hundreds of frames")
        #expect(written.copied == written.log)
        // The next commit starts the WAL over: it holds only that commit's frames.
        _ = try db.insertNow(rows: [Self.row(1000)], session: session)
        let after = try Self.walFrames(path)
        #expect(after.log < 20, "the WAL held \(after.log) frames after the pause (\(written.log) before)")
        #expect(try db.captureCount() == 101)
    }

    @Test func aWALWrittenWithoutPausesStaysUnderItsHardLimit() async throws {
        try await onThread { try Self.writeWithoutPauses() }
    }

    static func writeWithoutPauses() throws {
        let path = Make.tempPath()
        let limit = 1 << 20
        // Checkpoints every 10 ms, so that what one tick lets in stays small beside the bodies.
        let db = try CaptureDatabase(path: path, walHardLimit: limit, checkpointEvery: .milliseconds(10))
        let session = try db.startSession(label: "wal")
        let rows = (0..<8).map { Self.row($0) }
        // Commits a millisecond apart until 64 MiB of bodies went through (the WAL takes more than
        // twice that: summaries, findings and the pages around them), the WAL's size sampled after
        // each: a load that never pauses long enough for a checkpoint to copy everything.
        //
        // What the checkpointer promises is a bound in ticks: past the limit, the WAL grows only by
        // what comes in before a tick restarts it. How much comes in during a tick depends on the
        // machine, not on the checkpointer: on a busy one its thread waits for a core, or its sync
        // of the database file waits behind other tests' writes (a 44 MB WAL once, in CI). So the
        // writer commits freely, about four commits per tick here, but never more than
        // `perTick` while the checkpointer has not finished a tick: the load is the same on a quiet
        // machine, and the bound checked is the checkpointer's, whatever the machine's speed.
        let perTick = 8
        var largest = 0
        var commits = 0
        var sinceTick = 0
        var ticks = db.walStats?.passes ?? 0
        while commits * rows.count * 16_000 < 64 << 20 {
            let waitStart = DispatchTime.now().uptimeNanoseconds
            while sinceTick >= perTick {
                let passes = db.walStats?.passes ?? 0
                if passes != ticks { (ticks, sinceTick) = (passes, 0); break }
                if DispatchTime.now().uptimeNanoseconds - waitStart > 120_000_000_000 {
                    throw TestError("the checkpointer finished no tick in 120 s")
                }
                usleep(500)
            }
            _ = try db.insertNow(rows: rows, session: session)
            commits += 1
            sinceTick += 1
            let passes = db.walStats?.passes ?? 0
            if passes != ticks { (ticks, sinceTick) = (passes, 0) }
            largest = max(largest, Self.walBytes(path))
            usleep(1000)
        }
        let bodies = commits * rows.count * 16_000
        let stats = db.walStats ?? WALStats()
        print("WAL without pauses: largest \(largest) bytes for \(bodies) bytes of bodies in \(commits) commits; \(stats.restarts) restarts, \(stats.restartsGivenUp) given up, longest sync before one \(stats.longestPresyncMs) ms")
        // At most `perTick` commits (about 2.5 MB of WAL) come in per tick, and a restart follows
        // the first tick whose passive pass leaves little, or any past four times the limit (one
        // gives up only when it finds the writer inside a commit). Without the hard limit the WAL
        // grows to more than twice the bodies (238 MB for 106 MB).
        if largest >= bodies / 2 { throw TestError("WAL reached \(largest) bytes for \(bodies) bytes of bodies") }
        let count = try db.captureCount()
        if count != commits * rows.count { throw TestError("\(count) rows stored of \(commits * rows.count)") }
    }

    @Test func aReaderInTheWALNeverMakesTheWriterWaitForARestart() async throws {
        try await onThread { try Self.writeBesideAReader() }
    }

    /// A restarting checkpoint holds the write lock while it waits for readers to leave the WAL; in
    /// the TUI, where the store is read while it is written, that stalled the writer for up to a
    /// second. Here a reader keeps a snapshot open while commits take the WAL far past its limit:
    /// the checkpointer must give up on restarting rather than wait. When it waited (its busy
    /// timeout is 5 s) a commit took about 5 s, or failed as busy.
    static func writeBesideAReader() throws {
        let path = Make.tempPath()
        let db = try CaptureDatabase(path: path, walHardLimit: 1 << 20, checkpointEvery: .milliseconds(10))
        let session = try db.startSession(label: "wal")
        let rows = (0..<8).map { Self.row($0) }
        _ = try db.insertNow(rows: rows, session: session)
        let reader = try DatabaseQueue(path: path)
        var longest = 0.0
        var commits = 0
        var readerCount = 0
        var failure: Error?
        try reader.inDatabase { r in
            // A read transaction: its snapshot stays where the WAL is now until it ends (and it
            // ends whatever happens: GRDB refuses to leave a transaction open).
            try r.execute(sql: "BEGIN")
            defer { try? r.execute(sql: "ROLLBACK") }
            do {
                readerCount = try Int.fetchOne(r, sql: "SELECT COUNT(*) FROM capture") ?? -1
                // 16 MiB of bodies: far past the 1 MiB limit and past four times it, where the
                // checkpointer restarts whatever a passive pass left.
                while commits * rows.count * 16_000 < 16 << 20 {
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = try db.insertNow(rows: rows, session: session)
                    longest = max(longest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    commits += 1
                    usleep(1000)
                }
                // The reader still sees its snapshot.
                let still = try Int.fetchOne(r, sql: "SELECT COUNT(*) FROM capture") ?? -1
                if still != readerCount { throw TestError("the reader's snapshot moved: \(readerCount) then \(still)") }
            } catch {
                failure = error
            }
        }
        if let failure { throw TestError("after \(commits) commits beside the reader: \(failure)") }
        if readerCount != rows.count { throw TestError("the reader saw \(readerCount) rows, not \(rows.count)") }
        // A commit takes a millisecond or two; 2.5 s is far from that on a busy machine and far
        // from the 5 s of a restart that waits for the reader.
        if longest > 2.5 { throw TestError("the longest commit beside the reader took \(longest) s") }
        let count = try db.captureCount()
        if count != (commits + 1) * rows.count { throw TestError("\(count) rows stored of \((commits + 1) * rows.count)") }
    }

    @Test func theCheckpointersStepsPastTheLimit() throws {
        // Below the limit: a passive pass only. Past it with nothing left to copy: a restart.
        // With a reader holding a snapshot: the restart gives up at once instead of waiting.
        let path = Make.tempPath()
        let db = try CaptureDatabase(path: path, walHardLimit: Int.max, checkpointEvery: .seconds(3600))
        let session = try db.startSession(label: "wal")
        let rows = (0..<8).map { Self.row($0) }
        let q = try DatabaseQueue(path: path)
        _ = try db.insertNow(rows: rows, session: session)
        var stats = WALStats()
        // The database file is synced before a restart, and only then.
        var presyncs = 0
        let presync = { presyncs += 1 }
        #expect(try q.writeWithoutTransaction { try WALCheckpointer.tick($0, hardLimit: 1 << 30, smallRemainder: 4 << 20, stats: &stats, presync: presync) } == .passive)
        #expect(stats.passes == 1 && stats.restarts == 0 && stats.walBytes > 8 * 16_000 && stats.largestWALBytes == stats.walBytes)
        #expect(presyncs == 0)
        #expect(try q.writeWithoutTransaction { try WALCheckpointer.tick($0, hardLimit: 1 << 10, smallRemainder: 4 << 20, stats: &stats, presync: presync) } == .restarted)
        #expect(stats.passes >= 2 && stats.restarts == 1 && stats.restartsGivenUp == 0 && stats.walBytes == 0 && stats.largestWALBytes > 0)
        #expect(presyncs == 1)
        // The next commit writes from the WAL's start: it holds only that commit's frames.
        _ = try db.insertNow(rows: rows, session: session)
        #expect(try Self.walFrames(path).log < 80, "the WAL after a restart and one commit")
        let reader = try DatabaseQueue(path: path)
        try reader.inDatabase { r in
            try r.execute(sql: "BEGIN")
            _ = try Int.fetchOne(r, sql: "SELECT COUNT(*) FROM capture")
            _ = try db.insertNow(rows: rows, session: session)
            let start = DispatchTime.now().uptimeNanoseconds
            let step = try q.writeWithoutTransaction { try WALCheckpointer.tick($0, hardLimit: 1 << 10, smallRemainder: 4 << 20, stats: &stats) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            #expect(step == .restartGaveUp)
            #expect(stats.restarts == 1 && stats.restartsGivenUp == 1)
            #expect(seconds < 2.5, "the tick waited \(seconds) s for the reader")
            try r.execute(sql: "COMMIT")
        }
        #expect(try db.captureCount() == 24)
    }
}

extension CaptureDatabase {
    /// Rows without request bodies: these tests grow the WAL through the rows themselves.
    fileprivate func insertNow(rows: [[DatabaseValue]], session: Int64) throws -> [Int64] {
        try insertNow(rows: rows, bodies: rows.map { _ in [] }, session: session)
    }
}
