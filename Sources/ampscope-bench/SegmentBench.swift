import AmpscopeCore
import Foundation

/// `ampscope-bench segment`: Segment decode + map + validate throughput (calls/s) beside the
/// Amplitude pipeline on the same number of Amplitude events, in the same run.
enum SegmentBench: BenchMode {
    static let name = "segment"
    static let summary = "Segment decode + map + validate (calls/s) vs the Amplitude pipeline on as many events"
    static let optionsHelp = """
      --calls N         Segment calls to generate (default 20000)
      --reps N          repetitions of each phase (default 5; the median is reported)
      --batch N         calls per /v1/batch request (default 50)
      --destination D   actions, classic or both (default actions)
      --seed N          generator seed (default 1)
    """

    static func run(_ o: inout BenchOptions) throws {
        let total = try o.int("calls", default: 20_000)
        let reps = max(1, try o.int("reps", default: 5))
        let batch = max(1, try o.int("batch", default: 50))
        let seed = UInt64(try o.int("seed", default: 1))
        guard let destinations = SegmentSettings.destinations(o.string("destination", default: "actions")) else {
            throw BenchError("--destination must be actions, classic or both")
        }
        try o.rejectUnused()

        var gen = SegmentCallGenerator(seed: seed)
        var segment: [Capture] = []
        var made = 0
        while made < total {
            let n = min(batch, total - made)
            let calls = (0..<n).map { _ in gen.call() }
            made += n
            let body = "{\"batch\":[" + calls.joined(separator: ",") + "],\"sentAt\":\"2026-12-05T21:00:00.000Z\",\"writeKey\":\"wk_bench\"}"
            segment.append(Capture(receivedAt: gen.now, source: CaptureSource(kind: .demo, name: "bench"), path: "/v1/batch",
                                   headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8)))
        }
        // The baseline: as many Amplitude events, in requests of the same size, through the Amplitude pipeline.
        var agen = EventGenerator(seed: seed, identifyShare: 0.1)
        var amplitude: [Capture] = []
        made = 0
        while made < total {
            let n = min(batch, total - made)
            let events = (0..<n).map { _ in agen.event() }
            made += n
            amplitude.append(Capture(receivedAt: agen.now, source: CaptureSource(kind: .demo, name: "bench"), path: "/2/httpapi",
                                     headers: [HTTPHeader("Content-Type", "application/json")], body: Array(agen.body(events).utf8)))
        }

        var settings = SegmentSettings()
        settings.destinations = destinations
        var ingest = Ingest()
        ingest.segmentSettings = settings
        var plain = Ingest()
        plain.segmentSettings = nil
        let mapper = SegmentMapper(settings: settings)

        // Sanity: what the mapped traffic looks like.
        var ctx = ValidationContext()
        var mapped = 0
        var counts = FindingCounts()
        var rules: [String: Int] = [:]
        for c in segment {
            let p = ingest.process(c, context: &ctx, now: gen.now)
            counts += p.counts
            for out in p.segmentMapping?.outcomes ?? [] {
                mapped += out.processed.request.records.count
                counts += out.counts
                for f in out.findings { rules[f.rule, default: 0] += 1 }
            }
        }
        let bytes = segment.reduce(0) { $0 + $1.body.count }
        print("ampscope-bench segment: \(Bench.grouped(Double(total))) calls in \(segment.count) batches (\(Bench.fixed(Double(bytes) / 1e6)) MB), destinations: \(destinations.map(\.rawValue).joined(separator: ", "))")
        let ruleList = rules.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("  mapped to \(Bench.grouped(Double(mapped))) Amplitude records; findings: \(counts.errors) errors, \(counts.warnings) warnings (\(ruleList))")
        print("  \(reps) repetitions per phase, single-threaded\n")

        enum Phase: String, CaseIterable {
            case amplitudeDecode = "amplitude: decode the same number of events"
            case amplitudeFull = "amplitude: decode + validate + answer"
            case segmentDecode = "segment: decode"
            case segmentRules = "segment: decode + segment rules + answer"
            case segmentMap = "segment: decode + map (no validation)"
            case segmentFull = "segment: decode + rules + map + validate mapped"
        }
        var cpu: [Phase: [Double]] = [:]
        var sink = 0
        for _ in 0..<reps {
            for phase in Phase.allCases {
                let t: (wall: Double, cpu: Double)
                switch phase {
                case .amplitudeDecode:
                    t = Bench.measure { for c in amplitude { sink &+= DecoderRegistry.standard.decode(c).records.count } }
                case .amplitudeFull:
                    t = Bench.measure {
                        var c2 = ValidationContext()
                        for c in amplitude { sink &+= plain.process(c, context: &c2, now: agen.now).answer.status }
                    }
                case .segmentDecode:
                    t = Bench.measure { for c in segment { sink &+= DecoderRegistry.standard.decode(c).records.count } }
                case .segmentRules:
                    t = Bench.measure {
                        var c2 = ValidationContext()
                        for c in segment { sink &+= plain.process(c, context: &c2, now: gen.now).findings.count }
                    }
                case .segmentMap:
                    t = Bench.measure {
                        for c in segment {
                            let r = DecoderRegistry.standard.decode(c)
                            sink &+= mapper.map(r, capture: c, findings: [], receivedAt: gen.now).count
                        }
                    }
                case .segmentFull:
                    t = Bench.measure {
                        var c2 = ValidationContext()
                        for c in segment { sink &+= ingest.process(c, context: &c2, now: gen.now).segmentMapping?.calls.count ?? 0 }
                    }
                }
                cpu[phase, default: []].append(t.cpu)
            }
        }
        var rows: [[String]] = [["phase", "calls (events)/CPU-s", "CPU s (median)", "× amplitude decode"]]
        let base = Bench.median(cpu[.amplitudeDecode] ?? [1])
        for phase in Phase.allCases {
            let c = Bench.median(cpu[phase] ?? [])
            rows.append([phase.rawValue, Bench.grouped(Double(total) / c), Bench.fixed(c, 3), Bench.fixed(c / base, 2)])
        }
        print(Bench.table(rows))
        let mapCost = Bench.median(cpu[.segmentMap] ?? []) - Bench.median(cpu[.segmentDecode] ?? [])
        let validateCost = Bench.median(cpu[.segmentFull] ?? []) - Bench.median(cpu[.segmentMap] ?? []) - (Bench.median(cpu[.segmentRules] ?? []) - Bench.median(cpu[.segmentDecode] ?? []))
        print("\n  mapping costs \(Bench.fixed(mapCost, 3)) CPU s, validating and answering the mapped requests \(Bench.fixed(validateCost, 3)) CPU s"
              + " (mapping \(mapCost < validateCost ? "costs less than" : "costs MORE than") validating)")
        if sink == 42 { print("") }
    }
}

/// Segment calls as analytics-next and the server libraries send them: track (some Order
/// Completed with products), page, identify, with a browser context.
struct SegmentCallGenerator {
    var rng: BenchRandom
    var now: Int64 = 1_795_371_070_000
    var n = 0

    init(seed: UInt64) { rng = BenchRandom(seed: seed) }

    func q(_ s: String) -> String { JSONWriter.quoted(s) }

    mutating func call() -> String {
        now += Int64(rng.int(5...400))
        n += 1
        let kind = rng.int(0...9)
        var s = "{\"messageId\":" + q("ajs-next-\(now)-\(rng.uuid())") + ",\"anonymousId\":" + q(rng.uuid())
        s += ",\"userId\":" + q("user-\(100_000 + rng.int(0...400))") + ",\"timestamp\":" + q(Timestamp.iso8601(ms: now))
        s += ",\"context\":{\"library\":{\"name\":\"analytics.js\",\"version\":\"next-1.70.0\"},\"locale\":\"de-DE\""
        s += ",\"userAgent\":\"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36\""
        s += ",\"page\":{\"path\":\"/products/\(rng.int(1...5000))\",\"referrer\":\"https://news.example.com/a/\(rng.int(1...999))\",\"title\":\"Kopfhörer\"}"
        s += ",\"campaign\":{\"source\":\"newsletter\",\"medium\":\"email\",\"name\":\"winter\"},\"timezone\":\"Europe/Berlin\"}"
        s += ",\"integrations\":{\"Actions Amplitude\":{\"session_id\":\(now - Int64(rng.int(0...1_800_000)))}}"
        switch kind {
        case 0:
            s += ",\"type\":\"identify\",\"traits\":{\"plan\":\"pro\",\"email\":\"a\(n)@example.com\",\"logins\":\(rng.int(1...99))}"
        case 1, 2:
            s += ",\"type\":\"page\",\"name\":\"Product\",\"properties\":{\"path\":\"/products/1\",\"url\":\"https://shop.example/products/1\"}"
        case 3:
            s += ",\"type\":\"track\",\"event\":\"Order Completed\",\"properties\":{\"orderId\":\"o-\(n)\",\"revenue\":\(rng.int(10...500)),\"currency\":\"EUR\",\"products\":["
            s += "{\"productId\":\"p-1\",\"price\":\(rng.int(1...99)),\"quantity\":\(rng.int(1...3))},{\"productId\":\"p-2\",\"price\":9.5,\"quantity\":1}]}"
        default:
            s += ",\"type\":\"track\",\"event\":\"Product Viewed\",\"properties\":{\"sku\":\"SKU-\(rng.int(1000...9999))\",\"price\":\(rng.int(1...999)).5,\"tags\":[\"sale\",\"new\"]}"
        }
        return s + "}"
    }
}
