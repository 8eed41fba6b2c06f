import AmpscopeCore
@testable import AmpscopeStore
import Foundation
import AmpscopeTestSupport
import Testing

/// Builds processed captures from small V2 bodies.
enum Make {
    static func capture(_ events: [String], at t: Int64 = 1_795_000_000_000, key: String = "0123456789abcdef0123456789abcdef") -> Capture {
        let body = "{\"api_key\":\"\(key)\",\"events\":[\(events.joined(separator: ","))]}"
        return Capture(receivedAt: t, source: .proxy, path: "/2/httpapi",
                       headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8))
    }

    static func event(_ type: String, user: String = "user-00001", insert: String? = nil) -> String {
        var s = "{\"event_type\":\"\(type)\",\"user_id\":\"\(user)\",\"time\":1795000000000"
        if let insert { s += ",\"insert_id\":\"\(insert)\"" }
        return s + "}"
    }

    static func processed(_ c: Capture) -> Processed {
        var ctx = ValidationContext()
        return Ingest().process(c, context: &ctx, now: c.receivedAt)
    }

    static func tempPath(_ name: String = "store") -> String {
        TempDir.make("ampscope-tests").appendingPathComponent("\(name).sqlite").path
    }
}

@Suite struct CaptureStoreTests {
    @Test func appendIndexesEveryEventAndReadsPayloadBack() async throws {
        let store = try CaptureStore(path: Make.tempPath())
        let p = Make.processed(Make.capture([Make.event("A", insert: "i1"), Make.event("B", user: "abc", insert: "i2")]))
        let id = try await store.append(p)
        #expect(await store.rowCount == 2)
        #expect(await store.captureCount == 1)
        let rows = await store.rows(0..<10)
        #expect(rows.map(\.event.eventType) == ["A", "B"])
        #expect(rows[1].event.counts.errors == 1)
        #expect(rows[1].event.rules.contains(RuleID.idTooShort))
        #expect(rows[0].status == 400)  // the whole request is rejected
        #expect(rows[0].apiKeyMasked == "0123************************cdef")
        let back = try await store.processed(id)
        #expect(back.capture.body == p.capture.body)
        #expect(back.findings == p.findings)
        #expect(back.answer == p.answer)
        #expect(back.request.records.count == 2)
    }

    @Test func insertIDsAreKeptPerRowAbsentOnesStayAbsentAndTheyOutliveAReopen() async throws {
        let path = Make.tempPath()
        let long = String(repeating: "é", count: 40_000)  // 80 000 UTF-8 bytes: cut in the index only
        do {
            let store = try CaptureStore(path: path)
            _ = try await store.append(Make.processed(Make.capture([
                Make.event("A", insert: "0b6f-ü-1"), Make.event("B"), Make.event("C", insert: long),
                Make.event("D", insert: "0b6f-ü-1"),
            ])))
            let rows = await store.rows(0..<10)
            #expect(rows.map { $0.event.insertID?.prefix(20) } == ["0b6f-ü-1", nil, "éééééééééééééééééééé", "0b6f-ü-1"])
            // Cut to 65 535 bytes on a character boundary: 32 767 whole characters.
            #expect(rows[2].event.insertID == String(repeating: "é", count: 32_767))
            await store.clear()
            _ = try await store.append(Make.processed(Make.capture([Make.event("E", insert: "after-clear")])))
            #expect(await store.rows(0..<10).map(\.event.insertID) == ["after-clear"])
        }
        let again = try CaptureStore(path: path)
        #expect(await again.rows(0..<10).map(\.event.insertID).prefix(2) == ["0b6f-ü-1", nil])
    }

    @Test func reopeningAppendsAndKeepsTheIndex() async throws {
        let path = Make.tempPath()
        do {
            let store = try CaptureStore(path: path)
            for i in 0..<5 { _ = try await store.append(Make.processed(Make.capture([Make.event("E\(i)")]))) }
        }
        let again = try CaptureStore(path: path)
        #expect(await again.rowCount == 5)
        _ = try await again.append(Make.processed(Make.capture([Make.event("E5")])))
        let types = await again.rows(0..<10).map(\.event.eventType)
        #expect(types == ["E0", "E1", "E2", "E3", "E4", "E5"])
        let ids = await again.captureIDs()
        let last = try await again.processed(ids.last!)
        #expect(String(decoding: last.capture.body, as: UTF8.self).contains("E5"))
    }

    /// Group commit: captures appended while the writer is busy wait, then go into one transaction.
    @Test func capturesQueuedWhileTheWriterIsBusyShareOneTransaction() async throws {
        let store = try CaptureStore(path: Make.tempPath())
        let done = Locked<[Int64]>([])
        let release = store.pauseWriter()
        for i in 0..<12 {
            store.append(Make.processed(Make.capture([Make.event("Q\(i)")]))) { result in
                if case .success(let id) = result { done.with { $0.append(id) } }
            }
        }
        // The writer is held: the captures wait.
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(done.value.isEmpty)
        #expect(store.writerStats?.commits == 0)
        release()
        let deadline = Date().addingTimeInterval(30)
        while done.value.count < 12 && Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(done.value.count == 12)
        #expect(store.writerStats?.commits == 1, "the twelve were written in one transaction")
        #expect(store.writerStats?.captures == 12 && store.writerStats?.largestBatch == 12)
        #expect(await store.rows(0..<20).map(\.event.eventType) == (0..<12).map { "Q\($0)" })
        // An idle writer takes the next capture at once, in a transaction of its own.
        _ = try await store.append(Make.processed(Make.capture([Make.event("R")])))
        #expect(store.writerStats?.commits == 2)
        #expect(store.writerStats?.captures == 13)
        // A store in memory has no writer.
        #expect(try CaptureStore(path: nil).writerStats == nil)
    }

    @Test func concurrentAppendsAllCommitWithDistinctIDs() async throws {
        let path = Make.tempPath()
        let store = try CaptureStore(path: path)
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<300 {
                group.addTask { try await store.append(Make.processed(Make.capture([Make.event("C\(i)")]))) }
            }
            var out: [Int64] = []
            for try await id in group { out.append(id) }
            return out
        }
        #expect(Set(ids).count == 300)
        // Every acknowledged append is in the file, seen by a fresh reader.
        let db = try CaptureDatabase(path: path)
        #expect(try db.captureCount() == 300)
    }

    @Test func subscribersSeeCoalescedChangesAndClear() async throws {
        let store = try CaptureStore(path: nil)
        let stream = await store.subscribe()
        var it = stream.makeAsyncIterator()
        let first = await it.next()
        #expect(first?.rowCount == 0)
        _ = try await store.append(Make.processed(Make.capture([Make.event("A"), Make.event("B")])))
        let second = await it.next()
        #expect(second?.rowCount == 2)
        await store.clear()
        let third = await it.next()
        #expect(third?.rowCount == 0)
        #expect(third?.generation == 1)
    }

    /// Counts what the store tells its follower.
    final class FollowerCount: Sendable {
        let captures = Guarded(0)
        let clears = Guarded(0)
    }

    @Test("the follower costs the same on the 40 001st commit as on the first (its closure was wrapped in one more thunk by every call)")
    func followerCostDoesNotGrowWithCommits() async throws {
        let store = try CaptureStore(path: nil)
        let count = FollowerCount()
        store.follow { c in
            switch c {
            case .captures(let items): count.captures.withLock { $0 += items.count }
            case .cleared: count.clears.withLock { $0 += 1 }
            }
        }
        func time(_ n: Int) async -> Duration {
            let start = ContinuousClock.now
            for _ in 0..<n { await store.clear() }
            return ContinuousClock.now - start
        }
        let first = await time(1000)
        _ = await time(40_000)
        let later = await time(1000)
        _ = try await store.append(Make.processed(Make.capture([Make.event("A")])))
        #expect(count.clears.withLock { $0 } == 42_000)
        #expect(count.captures.withLock { $0 } == 1)
        #expect(later < first * 3 + .milliseconds(50), "1 000 commits at first: \(first); after 41 000: \(later)")
    }

    @Test func replayedFileCapturesAreReadBackByOffset() async throws {
        let dir = TempDir.make("ampscope-replay")
        let file = dir.appendingPathComponent("in.jsonl").path
        let line1 = "{\"method\":\"POST\",\"path\":\"/2/httpapi\",\"received_ms\":1795000000000,\"headers\":[[\"Content-Type\",\"application/json\"]],\"body\":\"{\\\"api_key\\\":\\\"0123456789abcdef0123456789abcdef\\\",\\\"events\\\":[{\\\"event_type\\\":\\\"Replayed\\\",\\\"user_id\\\":\\\"user-12345\\\"}]}\"}"
        let text = "\n" + line1 + "\n"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let store = try CaptureStore(path: nil)
        let fid = await store.registerFile(file)
        guard case .success(let c?) = CaptureLine.parse(Array(line1.utf8)[...], name: "in.jsonl", line: 2) else {
            Issue.record("fixture line did not parse")
            return
        }
        let ids = await store.appendReplayed([(Make.processed(c), .file(fileID: fid, offset: 1, length: Int32(line1.utf8.count)))])
        let back = try await store.processed(ids[0])
        #expect(back.request.records.count == 1)
        #expect(await store.rows(0..<1).first?.event.eventType == "Replayed")
    }

    @Test func openingAnUnwritablePathIsAClearError() async throws {
        #expect(throws: CaptureStore.StoreError.self) {
            _ = try CaptureStore(path: "/proc/ampscope-cannot-write-here/s.sqlite")
        }
    }
}
