import AmpscopeCore
import AmpscopeStore
import AmpscopeTestSupport
import Foundation
import Testing
@testable import AmpscopeApp

/// A replayed capture is judged when it is replayed, and reading it back (the inspector, exports,
/// filters on payloads) reuses that judgement: the same findings, from the replay's settings and
/// request history, and no second validation.
@Suite("Judged once")
struct JudgedOnceTests {
    @Test("captures read back from a replayed file keep the findings the replay gave them")
    func replayedFindingsAreKept() async throws {
        let dir = TempDir.make("ampscope-judged")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A 3-character user id: an error under the default min_id_length (5), fine under 3.
        // The second request repeats the first one's insert_id: a duplicate only in this history.
        let key = "0123456789abcdef0123456789abcdef"
        func body(_ type: String, insert: String) -> String {
            "{\"api_key\":\"\(key)\",\"events\":[{\"event_type\":\"\(type)\",\"user_id\":\"abc\",\"device_id\":\"device-1\",\"insert_id\":\"\(insert)\",\"time\":1795000000000}]}"
        }
        let bodies = [body("First", insert: "same-insert-id"), body("Second", insert: "same-insert-id"), body("Third", insert: "other-insert-id")]
        var lines = CaptureLine.headerLine(tool: "test") + [0x0A]
        for (i, b) in bodies.enumerated() {
            let c = Capture(receivedAt: 1_795_000_000_000 + Int64(i), source: .proxy, path: "/2/httpapi",
                            headers: [HTTPHeader("Content-Type", "application/json")], body: Array(b.utf8))
            var ctx = ValidationContext()
            lines += CaptureLine.write(Ingest().process(c, context: &ctx, now: c.receivedAt), seq: i + 1, redactKeys: false) + [0x0A]
        }
        let file = dir.appendingPathComponent("three.jsonl")
        try Data(lines).write(to: file)

        let ingest = Ingest()
        let store = try CaptureStore(path: nil, ingest: ingest)
        let shared = SharedIngest(ingest: ingest, settings: ValidationSettings(defaultMinIdLength: 3))
        let replayer = Replayer(store: store, ingest: shared, options: Replayer.Options())
        await replayer.run([file.path])
        let ids = store.index.captureIDs()
        try #require(ids.count == 3)
        var rules: [[String]] = []
        for id in ids {
            let p = try store.payloads.processed(id)
            rules.append(p.findings.map(\.rule).filter { $0 == RuleID.idTooShort || $0 == RuleID.duplicateInsertID })
        }
        // What the replay decided: no id-too-short (min_id_length 3), one duplicate (the second request).
        #expect(rules == [[], [RuleID.duplicateInsertID], []])
        // The stream's rows and the read-back agree on counts.
        for id in ids {
            let p = try store.payloads.processed(id)
            let row = try #require(store.index.rows(0..<store.index.rowCount).first { $0.captureID == id && $0.event.index == 0 })
            #expect(row.event.counts == FindingCounts(p.findings.filter { $0.event == 0 || $0.event == nil }))
        }
        #expect(store.payloads.rejudged == 0, "nothing was validated a second time")
        // Validating again with other settings is possible, on request, and counted.
        let again = try store.payloads.rejudge(ids[0], settings: ValidationSettings())
        #expect(again.findings.contains { $0.rule == RuleID.idTooShort })
        #expect(store.payloads.rejudged == 1)
    }
}
