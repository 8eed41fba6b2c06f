import AmpscopeCore
@testable import AmpscopeStore
import Foundation
import GRDB
import Testing
import AmpscopeTestSupport

/// The bounded index (`SegmentedIndex`: old segments leave memory and are read back from the
/// store) must answer every read and filter exactly as an index that keeps everything.
@Suite struct BoundedIndexTests {
    static let types = ["Page Viewed", "Order Completed", "click", "$identify", "Signed Up", "購入", "search"]
    static let users = ["alice-0001", "bob-00002", "x", "carol-003", "", "None"]

    /// Random captures (1–10 events, some ids too short, some duplicates), judged in order.
    static func captures(_ n: Int, seed: UInt64) -> [Processed] {
        var g = SplitMix64(seed: seed)
        var context = ValidationContext()
        let ingest = Ingest()
        return (0..<n).map { c in
            let events = (0..<(1 + g.int(10))).map { _ in
                Make.event(g.pick(types), user: g.pick(users) + (g.int(3) == 0 ? "-\(g.int(50))" : ""),
                           insert: g.int(4) == 0 ? nil : "ins-\(g.int(4000))")
            }
            let capture = Make.capture(events, at: 1_795_000_000_000 + Int64(c), key: g.int(5) == 0 ? "short" : "0123456789abcdef0123456789abcdef")
            return ingest.process(capture, context: &context, now: capture.receivedAt)
        }
    }

    static let filters = ["type:click or user:alice", "!user:bob and severity:error", "rule:id-too-short", "insert:ins-1",
                          "status:4xx", "key:cdef", "購入 or search", "capture>700 and capture<1200", "severity>info", "!insert:ins-2"]

    /// Two stores fed the same captures: one keeps every segment, one keeps two sealed segments of 200 rows.
    static func pair(_ items: [Processed], replayedEvery: Int = 0) async throws -> (full: CaptureStore, bounded: CaptureStore, path: String) {
        let path = Make.tempPath("bounded")
        let full = try CaptureStore(path: Make.tempPath("full"), bounds: .unbounded)
        let bounded = try CaptureStore(path: path, bounds: IndexBounds(segmentRows: 200, hotSegments: 2))
        for (i, p) in items.enumerated() {
            if replayedEvery > 0 && i % replayedEvery == replayedEvery - 1 {
                // Held in memory: the segment holding it may never leave.
                _ = await full.appendReplayed([(p, nil)])
                _ = await bounded.appendReplayed([(p, nil)])
            } else {
                _ = try await full.append(p)
                _ = try await bounded.append(p)
            }
        }
        return (full, bounded, path)
    }

    /// Compares every read and filter of the two indexes on a thread of its own (seconds of
    /// synchronous work, minutes under ThreadSanitizer, kept off the cooperative pool that the
    /// rest of the run waits on) and expects no difference.
    static func expectSameReads(_ a: StoreIndex, _ b: StoreIndex, seed: UInt64) async throws {
        let differences = try await onThread { try Self.differences(a, b, seed: seed) }
        #expect(differences.isEmpty, "\(differences.count) differences:\n\(differences.prefix(8).joined(separator: "\n"))")
    }

    /// What differs between the two indexes' answers, one line each.
    static func differences(_ a: StoreIndex, _ b: StoreIndex, seed: UInt64) throws -> [String] {
        var out: [String] = []
        func same<T: Equatable>(_ x: T, _ y: T, _ what: @autoclosure () -> String) {
            if x != y { out.append("\(what()): \(String(describing: x).prefix(300)) against \(String(describing: y).prefix(300))") }
        }
        func same(_ x: (matches: [Int], needsPayload: [Int]), _ y: (matches: [Int], needsPayload: [Int]), _ what: @autoclosure () -> String) {
            same(x.matches, y.matches, what() + ", matches")
            same(x.needsPayload, y.needsPayload, what() + ", rows needing their payload")
        }
        same(a.rowCount, b.rowCount, "row count")
        same(a.captureCount, b.captureCount, "capture count")
        same(a.totals, b.totals, "totals")
        let n = a.rowCount
        same(a.rows(0..<n), b.rows(0..<n), "all rows")
        var g = SplitMix64(seed: seed)
        for _ in 0..<20 {
            let lo = g.int(n)
            let range = lo..<min(n + 5, lo + 1 + g.int(700))
            same(a.rows(range), b.rows(range), "rows \(range)")
            let picks = (0..<40).map { _ in g.int(n + 10) - 5 }
            same(a.rows(at: picks), b.rows(at: picks), "rows at \(picks)")
            same(a.droppingMapped(picks), b.droppingMapped(picks), "droppingMapped \(picks)")
            let p = g.int(n)
            same(a.row(p), b.row(p), "row \(p)")
            same(a.positions(in: range) { $0.event.counts.errors > 0 }, b.positions(in: range) { $0.event.counts.errors > 0 },
                 "positions with errors in \(range)")
        }
        for id in a.captureIDs() { same(a.firstRow(ofCapture: id), b.firstRow(ofCapture: id), "first row of capture \(id)") }
        same(a.captureIDs(), b.captureIDs(), "capture ids")
        for text in filters {
            let f = try Filter(text)
            let want = a.scan(f, in: 0..<n)
            if want.matches.isEmpty { out.append("\(text) matches nothing: a test that cannot fail") }
            same(b.scan(f, in: 0..<n), want, "scan \(text)")
            same(b.scan(f, in: 0..<n, threads: 1), want, "scan on one thread \(text)")
            same(b.scanRows(f, in: 0..<n), a.scanRows(f, in: 0..<n), "scanRows \(text)")
            let part = (n / 3)..<(2 * n / 3)
            same(b.scan(f, in: part), a.scan(f, in: part), "scan of a part \(text)")
        }
        return out
    }

    @Test func readsAndFiltersOverTheBoundedIndexGiveTheRowsOfTheFullOne() async throws {
        let items = try await onThread { Self.captures(1500, seed: 11) }
        let (full, bounded, _) = try await Self.pair(items)
        let r = bounded.index.residency
        #expect(r.all > 20)
        #expect(r.hot == 3)  // two sealed segments and the open one
        #expect(full.index.residency.hot == full.index.residency.all)
        try await Self.expectSameReads(full.index, bounded.index, seed: 1)
        #expect(bounded.index.residency.reads > 0)
        // Payloads of captures in segments that left memory are read from the store.
        for id in [Int64(1), 2, 300, 1499] {
            let a = try await full.processed(id)
            let b = try await bounded.processed(id)
            #expect(a.capture.body == b.capture.body)
            #expect(a.findings == b.findings)
        }
        // The index held stays small while the full one grows with every row.
        #expect(bounded.index.approximateBytes * 3 < full.index.approximateBytes)
    }

    @Test func segmentsHoldingReplayedCapturesStayAndTheOthersLeave() async throws {
        let items = try await onThread { Self.captures(900, seed: 12) }
        let (full, bounded, _) = try await Self.pair(items, replayedEvery: 300)
        let r = bounded.index.residency
        #expect(r.hot > 3 && r.hot < r.all)
        try await Self.expectSameReads(full.index, bounded.index, seed: 2)
    }

    @Test func aReopenedStoreIsBoundedTooAndClearStartsAfresh() async throws {
        let items = try await onThread { Self.captures(800, seed: 13) }
        let (full, bounded, path) = try await Self.pair(items)
        await bounded.close()
        let reopened = try CaptureStore(path: path, bounds: IndexBounds(segmentRows: 200, hotSegments: 2))
        #expect(reopened.index.residency.hot == 3)
        // Only the segments that stay in memory were parsed; the rest were described from counts.
        #expect(reopened.capturesParsedAtOpen > 0 && reopened.capturesParsedAtOpen * 4 < items.count,
                "\(reopened.capturesParsedAtOpen) of \(items.count) parsed")
        try await Self.expectSameReads(full.index, reopened.index, seed: 3)

        let next = reopened.index.captureIDs().last! + 1
        await reopened.clear()
        #expect(reopened.index.rowCount == 0)
        #expect(reopened.index.totals == StoreIndex.Totals(requests: 0, events: 0, rowsWithErrors: 0, rowsWithWarnings: 0))
        let more = try await onThread { Self.captures(300, seed: 14) }
        let reference = try CaptureStore(path: Make.tempPath("reference"), bounds: .unbounded)
        for p in more {
            let id = try await reopened.append(p)
            _ = try await reference.append(p)
            if p.capture.receivedAt == more[0].capture.receivedAt { #expect(id == next) }
        }
        let n = reopened.index.rowCount
        #expect(n == reference.index.rowCount)
        // Same rows but for the capture ids, which go on from before the clear.
        #expect(reopened.index.rows(0..<n).map { var r = $0; r.captureID -= next - 1; return r } == reference.index.rows(0..<n))
        #expect(reopened.index.residency.hot <= 3)
        #expect(reopened.index.firstRow(ofCapture: next) == 0)
        #expect(reopened.index.firstRow(ofCapture: next - 1) == nil)
    }

    @Test func aStoreOfTheFirstSchemaIsMigratedAndReadsTheSame() async throws {
        let items = try await onThread { Self.captures(900, seed: 15) }
        let (full, bounded, path) = try await Self.pair(items)
        await bounded.close()
        // Turn the file back into the first schema: summaries in `capture`, no `capture_index`.
        do {
            let q = try DatabaseQueue(path: path)
            try await q.write { db in
                #expect(try String.fetchOne(db, sql: "SELECT summaries FROM capture WHERE id = 1") == "")
                try db.execute(sql: """
                    UPDATE capture SET summaries = (SELECT summaries FROM capture_index WHERE capture_index.id = capture.id);
                    DROP TABLE capture_index;
                    DELETE FROM grdb_migrations WHERE identifier = 'v2-capture-index';
                    """)
            }
        }
        let reopened = try CaptureStore(path: path, bounds: IndexBounds(segmentRows: 200, hotSegments: 2))
        #expect(reopened.index.residency.hot == 3)
        #expect(reopened.capturesParsedAtOpen * 4 < items.count)
        try await Self.expectSameReads(full.index, reopened.index, seed: 4)
        // An unbounded open of the same file parses everything and agrees too.
        let whole = try CaptureStore(path: path, bounds: .unbounded)
        #expect(whole.capturesParsedAtOpen == items.count)
        try await Self.expectSameReads(full.index, whole.index, seed: 5)
        let id = try #require(reopened.index.captureIDs().first)
        #expect(try await reopened.processed(id).capture.body == items[0].capture.body)
    }

    @Test func theIndexColumnsAreTheOnesEncodeWrites() {
        let p = Self.captures(1, seed: 16)[0]
        let values = CaptureDatabase.encode(p, summaries: EventSummary.extract(p))
        #expect(values.count == 33)
        let counts = RowCounts(EventSummary.extract(p))
        #expect(counts.rows == EventSummary.extract(p).count && counts.rows > 0)
        #expect(Array(values[CaptureDatabase.Column.rowCount.rawValue...]) == counts.values.map(\.databaseValue))
        #expect(values[CaptureDatabase.Column.receivedAt.rawValue] == p.capture.receivedAt.databaseValue)
        #expect(values[CaptureDatabase.Column.method.rawValue] == "POST".databaseValue)
        #expect(values[CaptureDatabase.Column.endpoint.rawValue] == p.request.endpoint.rawValue.databaseValue)
        #expect(values[CaptureDatabase.Column.eventCount.rawValue] == p.request.records.count.databaseValue)
        #expect(values[CaptureDatabase.Column.emulatedStatus.rawValue] == p.answer.status.databaseValue)
        #expect(values[CaptureDatabase.Column.summaries.rawValue]
                == CaptureDatabase.summariesJSON(EventSummary.extract(p)).databaseValue)
        #expect(values[CaptureDatabase.Column.responseStatus.rawValue] == .null)
    }

    @Test func storeRowIDsKeepRunsCompactAndListsExact() {
        #expect(StoreRowIDs([5, 6, 7]) == .run(first: 5, count: 3))
        let list = StoreRowIDs([5, 6, 9])
        #expect(list == .list([5, 6, 9]))
        #expect(list[2] == 9 && list.span == 5...9)
        #expect(StoreRowIDs([]).span == nil)
        #expect(StoreRowIDs([4]).span == 4...4)
    }
}
