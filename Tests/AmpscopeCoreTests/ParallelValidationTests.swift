import Foundation
import Testing
@testable import AmpscopeCore

/// `prevalidate` (any thread) + `judge(prevalidated:)` (in order) must give exactly what
/// `process` gives: the same findings in the same order, the same answers, the same history.
@Suite("Validation split for parallel replay")
struct ParallelValidationTests {
    struct Outcome: Equatable {
        var findings: [Finding]
        var answer: EmulatedAnswer
    }

    /// Runs `captures` through both paths with fresh contexts; returns the sequential outcomes
    /// after checking the split path against them.
    @discardableResult
    static func compare(_ captures: [Capture], settings: ValidationSettings = ValidationSettings(),
                        sourceLocation: SourceLocation = #_sourceLocation) -> [Outcome] {
        let ingest = Ingest()
        var sequential = ValidationContext(settings: settings)
        var split = ValidationContext(settings: settings)
        // The split path's first half runs ahead for the whole input, as the replayer's batches do.
        let decoded = captures.map { c -> (DecodedRequest, Prevalidated) in
            let r = ingest.decode(c)
            return (r, ingest.prevalidate(r, settings: settings))
        }
        var outcomes: [Outcome] = []
        for (n, (c, work)) in zip(captures, decoded).enumerated() {
            let a = ingest.process(c, context: &sequential, now: CoreTest.now)
            let b = ingest.judge(c, work.0, prevalidated: work.1, context: &split, now: CoreTest.now)
            #expect(b.findings == a.findings, "request \(n): split\n\(CoreTest.describe(b.findings))\nsequential\n\(CoreTest.describe(a.findings))",
                    sourceLocation: sourceLocation)
            #expect(b.answer == a.answer, "request \(n)", sourceLocation: sourceLocation)
            outcomes.append(Outcome(findings: a.findings, answer: a.answer))
        }
        #expect(split.sequence == sequential.sequence, sourceLocation: sourceLocation)
        #expect(split.ingested.count == sequential.ingested.count, sourceLocation: sourceLocation)
        return outcomes
    }

    static func crossRequestDuplicates(_ outcomes: [Outcome]) -> Int {
        outcomes.reduce(0) { n, o in
            n + o.findings.filter { $0.rule == RuleID.duplicateInsertID && $0.message.contains("already accepted") }.count
        }
    }

    @Test("every real SDK fixture, once and then again (every resend a duplicate)")
    func fixtures() throws {
        var captures: [Capture] = []
        for url in CoreTest.fixtureFiles() { captures += try CoreTest.captures(url) }
        #expect(captures.count > 20)
        let outcomes = Self.compare(captures + captures)
        #expect(Self.crossRequestDuplicates(outcomes) > 0, "the second pass must hit the history")
    }

    @Test("a generated stream of 3000 requests of every flavor, good and bad, as written to and read from a capture file")
    func generated() throws {
        var demo = DemoTraffic(seed: 7, badRate: 0.3)
        var file: [UInt8] = CaptureLine.headerLine(tool: "test") + [0x0A]
        var ctx = ValidationContext()
        for seq in 1...3000 {
            let p = Ingest().process(demo.next(), context: &ctx, now: CoreTest.now)
            file += CaptureLine.write(p, seq: seq, redactKeys: false) + [0x0A]
        }
        var captures: [Capture] = []
        for (line, text) in LineSplitter(file) where !text.isEmpty {
            if let c = try CaptureLine.parse(text, name: "gen.jsonl", line: line).get() { captures.append(c) }
        }
        #expect(captures.count == 3000)
        // Replayed twice, so the second half repeats insert ids the first half got ingested.
        let outcomes = Self.compare(captures + captures.prefix(500))
        #expect(Self.crossRequestDuplicates(outcomes) > 0)
        #expect(outcomes.contains { !$0.findings.isEmpty && $0.answer.status != 200 }, "rejections are in the mix")
    }

    @Test("in-request and cross-request duplicates together; a retry after a rejection is not a duplicate; min id length settings")
    func handMade() {
        let a = CoreTest.event(["insert_id": "\"ins-aaaaa\""])
        let b = CoreTest.event(["insert_id": "\"ins-bbbbb\"", "event_type": "\"Other\""])
        let c = CoreTest.event(["insert_id": "\"ins-ccccc\"", "user_id": "\"u1\""])  // too short: rejected
        let captures = [
            CoreTest.events(a, b),
            CoreTest.events(b, a, a, b),  // all four seen before; two are also repeated within the request
            CoreTest.events(c),
            CoreTest.events(c),  // a retry of a rejected request
            CoreTest.events(a),
        ]
        let outcomes = Self.compare(captures)
        #expect(Self.crossRequestDuplicates(outcomes) == 5)
        #expect(outcomes[3].findings.allSatisfy { $0.rule != RuleID.duplicateInsertID })
        Self.compare(captures, settings: ValidationSettings(defaultMinIdLength: 1))
        // Many records (the dictionary path for in-request duplicates).
        let many = (0..<100).map { i in CoreTest.event(["insert_id": "\"ins-\(i % 70)-xxxxx\""]) }
        let outcomesMany = Self.compare([CoreTest.body(many)].map { CoreTest.json($0) } + [CoreTest.json(CoreTest.body(Array(many.suffix(40))))])
        #expect(Self.crossRequestDuplicates(outcomesMany) == 40)
    }
}
