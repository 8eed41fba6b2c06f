import AmpscopeTestSupport
import Foundation
import Testing
@testable import AmpscopeCore

/// Coverage counted from the validator's pass (`Ingest.tallyPlanCoverage`, `PlanTally`) against
/// coverage counted by walking each request's records again (`PlanCoverage.add(_:findings:time:)`,
/// the way it was counted before): the same rows and the same unplanned events, on random
/// captures made to hit the corners and on the real-SDK fixtures.
@Suite("Plan coverage from the validator's pass agrees with the walk")
struct PlanCoverageTallyTests {
    /// Both counts over the same processed requests; also how many requests the tally answered.
    static func compare(_ checker: PlanChecker, _ captures: [Capture], prevalidated: Bool = false,
                        sourceLocation: SourceLocation = #_sourceLocation) -> (tallied: Int, walked: Int) {
        var ingest = Ingest()
        ingest.plan = checker
        ingest.tallyPlanCoverage = true
        var tallied = PlanCoverage(checker)
        var walked = PlanCoverage(checker)
        var ctx = ValidationContext()
        var counts = (tallied: 0, walked: 0)
        for c in captures {
            let p: Processed
            if prevalidated {
                let request = ingest.decode(c)
                p = ingest.judge(c, request, prevalidated: ingest.prevalidate(request, settings: ctx.settings), context: &ctx, now: CoreTest.now)
            } else {
                p = ingest.process(c, context: &ctx, now: CoreTest.now)
            }
            if let t = p.planTally, t.records.count == p.request.records.count {
                counts.tallied += 1
                counts.walked += t.records.filter { $0.event == PlanTally.walk }.count
            }
            tallied.add(p)
            // The walk, as `add` counted every request before.
            walked.add(p.request, findings: p.findings, time: p.capture.receivedAt)
            for o in p.segmentMapping?.outcomes ?? [] { walked.add(o.processed.request, findings: o.findings, time: p.capture.receivedAt) }
        }
        #expect(tallied.rows == walked.rows, sourceLocation: sourceLocation)
        #expect(tallied.unplanned == walked.unplanned, sourceLocation: sourceLocation)
        #expect(tallied.text() == walked.text(), sourceLocation: sourceLocation)
        return counts
    }

    @Test("random records (repeated and escaped keys, every endpoint): the same coverage, judged and prevalidated")
    func randomCaptures() {
        var rng = SplitMix64(seed: 0xC0FE)
        let captures = (0..<1500).map { _ in PlanFoldTests.capture(&rng) }
        for prevalidated in [false, true] {
            let n = Self.compare(PlanFoldTests.checker, captures, prevalidated: prevalidated)
            // Most requests are counted from the tally; records that repeat a key are walked.
            #expect(n.tallied > 1000)
            #expect(n.walked > 50)
        }
        // Without the flag nothing is kept, and the walk counts (the same figures).
        var ingest = Ingest()
        ingest.plan = PlanFoldTests.checker
        var ctx = ValidationContext()
        #expect(ingest.process(captures[0], context: &ctx, now: CoreTest.now).planTally == nil)
        // A tally of another plan is not used: that plan's indices mean other events.
        var other = Ingest()
        other.plan = PlanChecker(try! PlanTest.plan())
        other.tallyPlanCoverage = true
        var cov = PlanCoverage(PlanFoldTests.checker)
        var walked = PlanCoverage(PlanFoldTests.checker)
        for c in captures.prefix(200) {
            let p = other.process(c, context: &ctx, now: CoreTest.now)
            cov.add(p)
            walked.add(p.request, findings: p.findings, time: p.capture.receivedAt)
        }
        #expect(cov.rows == walked.rows && cov.unplanned == walked.unplanned)
    }

    /// A plan with more planned properties than a tally word holds (70), on events that carry
    /// random ones of them in random order, some broken, plus legacy `/` requests.
    @Test("more than 64 planned properties, properties out of the plan's order, legacy requests")
    func manyProperties() {
        var props: [PlanProperty] = []
        for i in 0..<70 { props.append(PlanProperty(name: "q\(i)", type: i % 3 == 0 ? .number : .string, required: i == 5)) }
        let plan = Plan(events: [PlanEvent(name: "Wide", properties: PlanPropertySet(properties: props, additionalProperties: false)),
                                 PlanEvent(name: "Narrow", properties: PlanPropertySet(properties: Array(props.prefix(4)))),
                                 PlanEvent(name: "Gone", status: .blocked)])
        let checker = PlanChecker(plan)
        var rng = SplitMix64(seed: 0x70)
        var captures: [Capture] = []
        for _ in 0..<400 {
            var events: [String] = []
            let legacy = rng.next() % 5 == 0
            for _ in 0..<(1 + Int(rng.next() % 5)) {
                let type = ["Wide", "Narrow", "Gone", "Other"][Int(rng.next() % 4)]
                var members: [String] = []
                for _ in 0..<Int(rng.next() % 8) {
                    let i = rng.next() % 20 == 0 ? 64 + Int(rng.next() % 8) : Int(rng.next() % 12)
                    members.append("\"q\(i)\":" + (rng.next() % 4 == 0 ? "true" : i % 3 == 0 ? "1" : "\"v\""))
                }
                let overrides: KeyValuePairs<String, String> = ["event_type": "\"\(type)\"", "event_properties": "{" + members.joined(separator: ",") + "}"]
                events.append(legacy ? CoreTest.legacyEvent(overrides) : CoreTest.event(overrides))
            }
            if legacy {
                captures.append(CoreTest.legacy(events: "[" + events.joined(separator: ",") + "]"))
            } else {
                captures.append(CoreTest.json(CoreTest.body(events)))
            }
        }
        let n = Self.compare(checker, captures)
        #expect(n.tallied > 300)
        #expect(n.walked > 10)  // a property past the 64th: walked
    }

    @Test("the real-SDK fixtures, with a plan inferred from them and with the test plan")
    func fixtures() throws {
        var captures: [Capture] = []
        var inference = PlanInference()
        var ctx = ValidationContext()
        for sdk in ["python-sdk", "typescript-node"] {
            for file in Repo.fixtureFiles(sdk) {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                for (n, line) in text.split(separator: "\n").enumerated() {
                    guard case .success(let c?) = CaptureLine.parse(Array(line.utf8), name: file, line: n + 1) else { continue }
                    captures.append(c)
                    inference.add(Ingest().process(c, context: &ctx, now: CoreTest.now))
                }
            }
        }
        #expect(captures.count >= 60)
        var inferred = inference.plan()
        // Tightened, so some fixtures break it: no other properties, every property required.
        var tight = inferred
        for i in tight.events.indices {
            tight.events[i].properties.additionalProperties = false
            for j in tight.events[i].properties.properties.indices { tight.events[i].properties.properties[j].required = true }
        }
        tight.events.removeFirst()
        inferred.events.reverse()
        for plan in [inferred, tight, try PlanTest.plan()] {
            for prevalidated in [false, true] {
                #expect(Self.compare(PlanChecker(plan), captures, prevalidated: prevalidated).tallied > 30)
            }
        }
    }
}
