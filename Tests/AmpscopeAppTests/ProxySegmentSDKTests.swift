import AmpscopeCore
import AmpscopeStore
import Foundation
import Testing

/// Segment's Python library (PyPI segment-analytics-python 2.4.0) against the real
/// `ampscope proxy` binary: the answers the library saw, what the store holds, and the
/// Amplitude requests both destinations make of it.
@Suite(.serialized) struct ProxySegmentSDKTests {
    static let howTo = """
        the Segment library test needs Python with PyPI segment-analytics-python 2.4.0: run Scripts/test (it creates .venv), \
        or `.venv/bin/pip install segment-analytics-python==2.4.0` in the repository, \
        or set AMPSCOPE_PYTHON to an interpreter that has it
        """

    @Test func realSegmentLibraryAgainstTheProxy() async throws {
        guard let scenario = try await ProxySDKTests.runScenario("segment_scenario.py", module: "segment.analytics", howTo: Self.howTo) else { return }
        let (run, storePath) = (scenario.run, scenario.storePath)

        // What the library saw.
        let line = try #require(run.stdout.split(separator: "\n").last)
        let done = try JSONDocument(parsing: Array(line.utf8))
        func s(_ k: String) -> String? { done.member(done.root, named: k).flatMap { done.stringValue($0) } }
        #expect(s("version") == "2.4.0")
        #expect(done.member(done.root, "errors").map { done.count($0) } == 0, "the library reported errors: \(line)")
        #expect(done.member(done.root, "no_ids_refused").map { done.kind($0) } == .true)
        #expect(done.member(done.root, "no_ids_status").flatMap { done.int64($0) } == 200)
        #expect(done.member(done.root, "no_ids_body").map { done.rawText($0) }?.contains("\"success\": true") == true)

        // What the store holds.
        let store = try CaptureStore(path: storePath)
        var requests: [Processed] = []
        for id in await store.captureIDs() { requests.append(try await store.processed(id)) }
        #expect(requests.allSatisfy { $0.request.endpoint == .segment && $0.capture.path == "/v1/batch" })
        #expect(requests.allSatisfy { $0.answer.status == 200 && $0.answer.bodyText == #"{"success":true}"# })
        #expect(requests.allSatisfy { $0.request.apiKey == "wk_python_0001" })
        #expect(requests.contains { $0.capture.header("Authorization")?.hasPrefix("Basic ") == true })
        #expect(requests.filter { $0.capture.header("Content-Encoding") == "gzip" }.count >= 2, "the gzip client sends several batches")
        #expect(requests.contains { $0.capture.header("User-Agent")?.hasPrefix("analytics-python/2.4.0") == true })
        // Read back, a Segment capture comes mapped through both destinations; its calls' rows
        // are the ones without a mapped tag.
        #expect(requests.allSatisfy { $0.segmentMapping?.destinations == [.actions, .classic] })
        let calls = requests.flatMap { EventSummary.extract($0).filter { $0.mapped == nil }.map(\.eventType) }
        #expect(calls.count == 7 + 12 + 1, "\(calls)")
        // The store's index lists the records Actions (the proxy's destination) sends under each call.
        let indexed = store.index.rows(0..<store.index.rowCount)
        #expect(indexed.filter { $0.event.mapped == nil }.count == calls.count)
        #expect(indexed.contains { $0.event.mapped?.destination == .actions && $0.event.eventType == "Order Completed" })
        #expect(!indexed.contains { $0.event.mapped?.destination == .classic })
        for t in ["identify", "track Song Played", "page Home", "screen Settings", "group g-00001", "alias anon-00001 → user-00001",
                  "track Order Completed", "track Bulk Event", "track No Ids"] {
            #expect(calls.contains(t), "missing \(t) in \(calls)")
        }
        let noIDs = try #require(requests.first { EventSummary.extract($0).contains { $0.eventType == "track No Ids" } })
        #expect(noIDs.findings.map(\.rule) == [RuleID.segmentMissingID])
        let others = requests.filter { !EventSummary.extract($0).contains { $0.eventType == "track No Ids" } }
        #expect(others.count == requests.count - 1)
        #expect(others.allSatisfy { $0.findings.isEmpty }, "the library's own calls are clean: \(others.flatMap(\.findings).prefix(3))")

        // The Amplitude requests both destinations make of them.
        var settings = SegmentSettings()
        settings.destinations = [.actions, .classic]
        let mappings = requests.compactMap { Ingest().segmentMapping(for: $0, settings: settings, now: $0.capture.receivedAt) }
        let all = mappings.flatMap(\.calls)
        func sent(_ label: String, _ d: SegmentDestination) -> [MappedOutcome] {
            all.filter { $0.label == label && $0.destination == d }.flatMap(\.requests)
        }
        let purchase = try #require(sent("track Order Completed", .actions).first)
        #expect(purchase.request.action == "Log Purchase")
        #expect(purchase.processed.request.records.count == 3)
        #expect(purchase.processed.answer.status == 200)
        #expect(sent("track Order Completed", .classic).count == 3)
        #expect(sent("identify", .actions).first?.request.endpoint == .identify)
        #expect(sent("identify", .classic).first?.request.endpoint == .identify)
        let pageActions = try #require(sent("page Home", .actions).first?.processed.request)
        #expect(pageActions.document.flatMap { d in JSONPointer.resolve("/events/0/event_type", in: d).map { d.string($0) } } == "Viewed Home")
        let pageClassic = try #require(sent("page Home", .classic).first?.processed.request)
        #expect(pageClassic.document.flatMap { d in JSONPointer.resolve("/event/event_type", in: d).map { d.string($0) } } == "Viewed Docs Home Page")
        #expect(sent("group g-00001", .actions).isEmpty && sent("alias anon-00001 → user-00001", .actions).isEmpty)
        #expect(all.first { $0.label == "alias anon-00001 → user-00001" && $0.destination == .classic }?.notSent?.contains("Enable Alias") == true)
        #expect(all.first { $0.label == "track No Ids" }?.notSent?.contains(RuleID.segmentMissingID) == true)
        // The referrer and UTM of the Song Played call sit beside nothing (no traits on track): no mixed properties there.
        let song = try #require(sent("track Song Played", .actions).first)
        #expect(!song.findings.contains { $0.rule == RuleID.mixedUserProperties })
        #expect(song.findings.contains { $0.rule == RuleID.unknownField && $0.path.hasSuffix("/use_batch_endpoint") })
        // Bulk events from anonymous ids map with the anonymousId as device_id.
        let bulk = try #require(sent("track Bulk Event", .actions).first?.processed.request)
        #expect(bulk.document.flatMap { d in JSONPointer.resolve("/events/0/device_id", in: d).map { d.string($0) } }?.hasPrefix("anon-") == true)
        await store.close()
    }
}
