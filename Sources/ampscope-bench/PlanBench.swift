import AmpscopeApp
import AmpscopeCore
import Foundation

/// `ampscope-bench plan`: what checking against a tracking plan adds to `check` (decode +
/// validate + answer), as a ratio on the same requests in the same run, and what the coverage
/// count adds on top. The plan has N event types with typed properties (enums, regexes, ranges,
/// required ones); the traffic uses them, with a few unplanned events and some broken values.
enum PlanBench: BenchMode {
    static let name = "plan"
    static let summary = "plan checking: time added to check (ratio, same requests, same run) for a 1M-event capture and a 300-event plan"
    static let optionsHelp = """
      --events N     events in the capture (default 1000000)
      --plan-events N  event types in the plan (default 300)
      --reps N       passes over the capture; the median is reported (default 3)
      --block N      requests a variant judges before the next takes its turn (default 256)
      --seed N       generator seed (default 1)
      --distinct     every event type gets an enum and a pattern of its own (the default plan
                     shares one enum and one pattern among all events, as plans often do)
      --only V       run one variant alone (without, plan or coverage), for a profiler
      --save DIR     write the capture (DIR/capture.jsonl) and the plan (DIR/plan.yaml) and
                     stop, for timing `ampscope check` itself (Scripts/bench-plan-check)
    """

    static func run(_ o: inout BenchOptions) throws {
        let total = try o.int("events", default: 1_000_000)
        let planEvents = try o.int("plan-events", default: 300)
        let reps = max(1, try o.int("reps", default: 3))
        let block = max(1, try o.int("block", default: 256))
        let seed = UInt64(try o.int("seed", default: 1))
        let distinct = o.flag("distinct")
        let only = o.string("only", default: "")
        let save = o.string("save", default: "")
        try o.rejectUnused()

        // The plan: event i has 8 properties of rotating kinds.
        var plan = Plan(name: "bench")
        for i in 0..<planEvents {
            var props: [PlanProperty] = []
            for p in 0..<8 {
                switch p % 4 {
                // With --distinct, each event's enum has a value of its own and its pattern a bound of
                // its own (the traffic's values still pass both).
                case 0: props.append(PlanProperty(name: "p\(p)", type: .string, required: p == 0,
                                                  enumValues: [.string("a"), .string("b"), .string("c")] + (distinct ? [.string("v\(i)")] : [])))
                case 1: props.append(PlanProperty(name: "p\(p)", type: .number, min: 0, max: distinct ? Double(1000 + i) : 1000))
                case 2: props.append(PlanProperty(name: "p\(p)", type: .string, regex: distinct ? "^[a-z]+-[0-9]{1,\(3 + i)}$" : "^[a-z]+-[0-9]+$"))
                default: props.append(PlanProperty(name: "p\(p)", type: .boolean))
                }
            }
            plan.events.append(PlanEvent(name: "Event Type \(i)", properties: PlanPropertySet(properties: props, additionalProperties: i % 2 == 0)))
        }
        plan.user = PlanPropertySet(properties: [PlanProperty(name: "tier", type: .string, enumValues: [.string("gold"), .string("silver")])])
        let checker = PlanChecker(plan)

        // The capture, built once (bodies), so only judging is timed.
        var rng = BenchRandom(seed: seed)
        var captures: [Capture] = []
        var eventCounts: [Int] = []
        var events = 0
        let now: Int64 = 1_795_371_070_000
        while events < total {
            let n = min(total - events, 10 + Int(rng.next() % 41))
            var list: [String] = []
            for _ in 0..<n {
                let t = rng.chance(0.02) ? "Unplanned \(rng.next() % 20)" : "Event Type \(rng.next() % UInt64(planEvents))"
                let bad = rng.chance(0.05)
                let tag = ["a", "b", "c"][Int(rng.next() % 3)]
                let name = "item-\(rng.next() % 1000)"
                var props = "\"p0\":\"\(bad ? "z" : tag)\",\"p1\":\(rng.next() % 1000),\"p2\":\"\(name)\",\"p3\":\(rng.chance(0.5))"
                props += ",\"p4\":\"\(tag)\",\"p5\":\(Double(rng.next() % 100_000) / 100),\"p6\":\"\(name)\",\"p7\":false"
                list.append("{\"event_type\":\"\(t)\",\"user_id\":\"user-\(10_000 + rng.next() % 5000)\",\"device_id\":\"device-\(rng.hex(12))\",\"time\":\(now - Int64(rng.next() % 1_000_000)),\"insert_id\":\"\(rng.uuid())\",\"session_id\":\(now - 3_600_000),\"platform\":\"Web\",\"event_properties\":{\(props)},\"user_properties\":{\"tier\":\"gold\"}}")
            }
            events += n
            eventCounts.append(n)
            let body = "{\"api_key\":\"0123456789abcdef0123456789abcdef\",\"events\":[" + list.joined(separator: ",") + "]}"
            captures.append(Capture(receivedAt: now, source: CaptureSource(kind: .demo, name: "bench"), path: "/2/httpapi",
                                    headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8)))
        }
        print("plan: \(Bench.grouped(Double(events))) events in \(captures.count) requests, a plan of \(planEvents) event types × 8 properties"
              + (distinct ? " (an enum and a pattern per event type)" : ""))
        if !save.isEmpty {
            try FileManager.default.createDirectory(atPath: save, withIntermediateDirectories: true)
            var file = try CaptureFileWriter(path: save + "/capture.jsonl")
            for (c, n) in zip(captures, eventCounts) {
                try file.append(body: c.body, events: n, receivedMs: c.receivedAt)
            }
            try file.close()
            try PlanYAML.emit(plan).write(toFile: save + "/plan.yaml", atomically: true, encoding: .utf8)
            print("  wrote \(save)/capture.jsonl and \(save)/plan.yaml")
            return
        }

        enum Variant: String, CaseIterable {
            case without = "check without a plan"
            case plan = "check --plan (plan findings)"
            case coverage = "check --plan --coverage"
        }
        // The variants take turns block by block (a block: `block` requests, about 20 ms of
        // work), each with its own ingest carried from block to block, and the turn order
        // rotates so that none always comes first to a block's bytes. The machine's speed
        // changes from second to second (a shared VM), so variants run a pass after one another
        // differed by up to ±20 % between runs; taking turns every few milliseconds lets every
        // variant meet the same machine.
        var cpu: [Variant: [Double]] = [:]
        var ratios: [Variant: [Double]] = [:]
        var findings: [Variant: Int] = [:]
        // --only: one variant alone, for a profiler (its ratios are then against itself).
        let variants = try (only.isEmpty ? nil : only).map { name in
            guard let v = Variant.allCases.first(where: { "\($0)" == name }) else {
                throw BenchError("--only needs without, plan or coverage, not '\(name)'")
            }
            return [v]
        } ?? Variant.allCases
        for _ in 0..<reps {
            var ingests: [Ingest] = []
            var contexts: [ValidationContext] = []
            var coverages: [PlanCoverage?] = []
            for v in variants {
                var ingest = Ingest()
                if v != .without { ingest.plan = checker }
                ingest.tallyPlanCoverage = v == .coverage
                ingests.append(ingest)
                contexts.append(ValidationContext())
                coverages.append(v == .coverage ? PlanCoverage(checker) : nil)
            }
            var spent = [Double](repeating: 0, count: variants.count)
            var counts = [Int](repeating: 0, count: variants.count)
            var blockIndex = 0
            var start = 0
            while start < captures.count {
                let end = min(captures.count, start + block)
                for turn in 0..<variants.count {
                    let j = (blockIndex + turn) % variants.count
                    let t0 = Bench.threadCPUSeconds()
                    for c in captures[start..<end] {
                        let p = ingests[j].process(c, context: &contexts[j], now: now)
                        counts[j] += p.findings.count
                        coverages[j]?.add(p)
                    }
                    spent[j] += Bench.threadCPUSeconds() - t0
                }
                start = end
                blockIndex += 1
            }
            for (j, v) in variants.enumerated() {
                cpu[v, default: []].append(spent[j])
                ratios[v, default: []].append(spent[j] / spent[0])
                findings[v] = counts[j]
                if let coverage = coverages[j] { blackHole(coverage.ratio) }
            }
        }
        var rows = [["variant", "CPU s (median)", "µs/event", "ratio (median)", "ratio per pass", "findings"]]
        for v in variants {
            let m = Bench.median(cpu[v]!)
            rows.append([v.rawValue, Bench.fixed(m, 3), Bench.fixed(m / Double(events) * 1e6, 3), Bench.fixed(Bench.median(ratios[v]!), 3),
                         ratios[v]!.map { Bench.fixed($0, 3) }.joined(separator: " "), "\(findings[v] ?? 0)"])
        }
        print(Bench.table(rows))
        guard variants.count == Variant.allCases.count else { return }
        let added = (Bench.median(ratios[.plan]!) - 1) * 100
        let addedCov = (Bench.median(ratios[.coverage]!) - 1) * 100
        print("  a \(planEvents)-event plan adds \(Bench.fixed(added)) % to check (\(Bench.fixed(addedCov)) % with coverage); target < 25 %")
        print("  (variants take turns every \(block) requests; each ratio is a pass's total against the same pass's check without a plan)")
    }

    @inline(never) static func blackHole(_ x: Double) { if x.isNaN { print("") } }
}
