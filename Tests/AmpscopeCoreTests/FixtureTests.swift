import Foundation
import Testing
@testable import AmpscopeCore

/// The recorded traffic of two real SDKs (`Tests/Fixtures/real-sdk`).
@Suite("Real SDK fixtures")
struct FixtureTests {
    static let files: [URL] = CoreTest.fixtureFiles()
    static var names: [String] { files.map { $0.deletingPathExtension().lastPathComponent } }

    /// Scenarios whose traffic is deliberately bad, and what they must get (rule, path, event).
    static let expected: [String: [(String, String, Int, Severity)]] = [
        "short_user_id": [(RuleID.idTooShort, "/events/1/user_id", 1, .error)],
        "ts_short_user_id_explicit_flush": [(RuleID.idTooShort, "/events/1/user_id", 1, .error)],
        "ts_invalid_event_no_ids": [(RuleID.missingID, "/events/0/user_id", 0, .error)],
        "ts_nested_arrays": [(RuleID.nestedArray, "/events/0/event_properties/matrix", 0, .warning)],
        "ts_long_property_key": [(RuleID.stringTooLong, "/events/0/event_properties/" + String(repeating: "k", count: 2000), 0, .warning),
                                 (RuleID.stringTooLong, "/events/0/event_properties/" + String(repeating: "k", count: 2000), 0, .warning)],
        "identify_all_ops": [(RuleID.clearAll, "/events/1/user_properties/$clearAll", 1, .info)],
        "ts_identify_all_ops": [(RuleID.clearAll, "/events/1/user_properties/$clearAll", 1, .info)],
    ]

    @Test("the fixtures are there (found relative to this file)")
    func present() {
        #expect(Self.files.count >= 38, "fixtures not found under \(CoreTest.fixturesRoot.path)")
        for name in Self.expected.keys { #expect(Self.names.contains(name), "missing fixture \(name)") }
    }

    @Test("every fixture request decodes into its recorded number of events", arguments: files)
    func decodes(_ url: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: url))
        var lines = 0
        for (_, text) in LineSplitter(bytes) where !text.isEmpty {
            lines += 1
            let doc = try JSONDocument(parsing: Array(text))
            let recorded = doc.member(doc.root, "events_in_body").flatMap { doc.int64($0) }
            let c = try #require(try CaptureLine.parse(text, name: url.lastPathComponent, line: lines).get())
            let r = CoreTest.decode(c)
            #expect(r.document != nil)
            #expect(r.problems.isEmpty, "\(CoreTest.describe(r.problems))")
            #expect(r.endpoint == .httpV2 || r.endpoint == .batch)
            #expect(Int64(r.records.count) == recorded)
            #expect(r.apiKey == CoreTest.apiKey)
            if let size = doc.member(doc.root, "body_bytes").flatMap({ doc.int64($0) }) {
                #expect(Int64(c.body.count) == size, "the body is kept byte-exact")
            }
        }
        #expect(try CoreTest.captures(url).count == lines)
    }

    @Test("clean SDK traffic has no finding; each bad scenario gets exactly its findings", arguments: files)
    func findings(_ url: URL) throws {
        let name = url.deletingPathExtension().lastPathComponent
        let processed = try CoreTest.processFixture(url)
        let all = processed.flatMap(\.findings)
        let want = Self.expected[name] ?? []
        if want.isEmpty {
            #expect(all.isEmpty, "\(name): \(CoreTest.describe(all))")
            return
        }
        // The bad scenarios: the listed findings on the first request, nothing else anywhere.
        let first = processed[0].findings
        #expect(first.count == want.count, "\(name): \(CoreTest.describe(first))")
        for (rule, path, event, severity) in want {
            expectFinding(first, rule, at: path, event: event, severity: severity)
        }
        #expect(processed.dropFirst().allSatisfy { $0.findings.isEmpty }, "\(name): later requests (SDK retries) are clean")
    }

    @Test("where the recording server answered (not scripted), ampscope emulates the same answer", arguments: files)
    func answers(_ url: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: url))
        var scripted: [Bool] = []
        for (_, text) in LineSplitter(bytes) where !text.isEmpty {
            let doc = try JSONDocument(parsing: Array(text))
            let s = doc.member(doc.root, "response").flatMap { doc.member($0, "scripted") }.map { doc.kind($0) == .true } ?? true
            scripted.append(s)
        }
        let processed = try CoreTest.processFixture(url)
        #expect(processed.count == scripted.count)
        for (p, isScripted) in zip(processed, scripted) where !isScripted {
            let recorded = try #require(p.capture.recordedResponse)
            #expect(recorded.origin == .recorded)
            let diff = AnswerComparison.difference(emulated: p.answer, actual: recorded)
            #expect(diff == nil, "\(url.lastPathComponent):\(p.capture.source.line ?? 0): \(diff ?? "")")
        }
    }

    @Test("at least the named answers are compared (rejections included)")
    func comparedAnswersIncludeRejections() throws {
        for name in ["short_user_id", "ts_short_user_id_explicit_flush", "ts_invalid_event_no_ids"] {
            let p = try CoreTest.processFixture(CoreTest.fixture(name))[0]
            #expect(p.capture.recordedResponse?.origin == .recorded)
            #expect(p.answer.status == 400)
            #expect(AnswerComparison.difference(emulated: p.answer, actual: p.capture.recordedResponse!) == nil)
        }
    }

    @Test("scripted answers become injected responses and do not count as ingested")
    func scriptedAnswers() throws {
        let processed = try CoreTest.processFixture(CoreTest.fixture("http_429_then_200"))
        #expect(processed.map { $0.capture.recordedResponse?.origin } == [.injected, .injected, .recorded])
        #expect(processed.map(\.effectiveStatus) == [429, 429, 200])
        // The two retries resend the same insert_ids: not duplicates, because 429 ingested nothing.
        #expect(processed.allSatisfy { $0.findings.isEmpty })
    }
}
