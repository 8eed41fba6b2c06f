import AmpscopeCore
import Foundation

/// `ampscope-bench profiles`: what the profile simulation adds to ingesting the same events
/// (as a ratio to ingest alone, in the same run), and the memory the profiles of many users take.
enum ProfileBench: BenchMode {
    static let name = "profiles"
    static let summary = "profile simulation: time added to ingest (ratio, same events) and memory for N users' profiles"
    static let optionsHelp = """
      --events N     events to ingest and simulate (default 200000)
      --identify P   share of $identify events with user-property operations (default 0.1)
      --users N      users for the memory measurement (default 100000)
      --props N      properties each of those users gets (default 10)
      --seed N       generator seed (default 1)
    """

    static func run(_ o: inout BenchOptions) throws {
        let total = try o.int("events", default: 200_000)
        let identifyShare = try o.double("identify", default: 0.1)
        let userCount = try o.int("users", default: 100_000)
        let propsPerUser = max(1, try o.int("props", default: 10))
        let seed = UInt64(try o.int("seed", default: 1))
        try o.rejectUnused()

        // 1. Time: the same requests, ingested, then folded; each step timed on its own.
        var gen = EventGenerator(seed: seed, identifyShare: identifyShare)
        let ingest = Ingest()
        var context = ValidationContext()
        var simulator = ProfileSimulator()
        var ingestSeconds = 0.0
        var simulateSeconds = 0.0
        var events = 0
        var requestNo: Int64 = 0
        while events < total {
            let n = min(total - events, gen.rng.int(10...50))
            let body = Array(gen.body((0..<n).map { _ in gen.event() }).utf8)
            events += n
            requestNo += 1
            let capture = Capture(receivedAt: gen.now, source: CaptureSource(kind: .demo, name: "bench"), path: "/2/httpapi",
                                  headers: [HTTPHeader("Content-Type", "application/json")], body: body)
            let t0 = Bench.threadCPUSeconds()
            let p = ingest.process(capture, context: &context, now: gen.now)
            let t1 = Bench.threadCPUSeconds()
            simulator.apply(p, captureID: requestNo)
            let t2 = Bench.threadCPUSeconds()
            ingestSeconds += t1 - t0
            simulateSeconds += t2 - t1
        }
        let changes = (0..<simulator.eventCount).reduce(0) { $0 + (simulator.event($1)?.changeCount ?? 0) }
        print("profiles: \(Bench.grouped(Double(events))) events in \(requestNo) requests, \(simulator.resolvedUsers.count) users, \(Bench.grouped(Double(changes))) changes")
        print(Bench.table([
            ["step", "CPU s", "µs/event"],
            ["ingest (decode + validate + answer)", Bench.fixed(ingestSeconds, 3), Bench.fixed(ingestSeconds / Double(events) * 1e6, 2)],
            ["profile simulation", Bench.fixed(simulateSeconds, 3), Bench.fixed(simulateSeconds / Double(events) * 1e6, 2)],
        ]))
        print("  simulation adds \(Bench.fixed(simulateSeconds / ingestSeconds * 100)) % to ingest on the same events")

        // 2. Memory: N users, each with an identify of P properties and one event with plain properties.
        let before = Bench.procStatusMB("VmRSS:")
        var mem = ProfileSimulator()
        var memContext = ValidationContext()
        var rng = SplitMix64(seed: seed)
        var batch: [String] = []
        var memRequests: Int64 = 0
        func flush() {
            guard !batch.isEmpty else { return }
            memRequests += 1
            let body = "{\"api_key\":\"0123456789abcdef0123456789abcdef\",\"events\":[" + batch.joined(separator: ",") + "]}"
            let c = Capture(receivedAt: 1_795_371_070_000, source: CaptureSource(kind: .demo, name: "bench"), path: "/2/httpapi",
                            headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8))
            mem.apply(ingest.process(c, context: &memContext, now: 1_795_371_070_000), captureID: memRequests)
            batch.removeAll(keepingCapacity: true)
        }
        let plans = ["free", "pro", "team", "enterprise"]
        for u in 0..<userCount {
            let ids = "\"user_id\":\"user-\(1_000_000 + u)\",\"device_id\":\"device-\(rng.next() % 1_000_000_000)-\(u)\""
            var set: [String] = []
            for p in 0..<propsPerUser {
                switch p % 4 {
                case 0: set.append("\"plan_\(p)\":\"\(rng.pick(plans))\"")
                case 1: set.append("\"score_\(p)\":\(rng.int(0...100_000))")
                case 2: set.append("\"tags_\(p)\":[\"a\",\"b\(rng.int(0...9))\"]")
                default: set.append("\"city_\(p)\":\"München-\(rng.int(0...999))\"")
                }
            }
            batch.append("{" + ids + ",\"event_type\":\"$identify\",\"insert_id\":\"i-\(u)\",\"user_properties\":{\"$set\":{" + set.joined(separator: ",") + "}}}")
            batch.append("{" + ids + ",\"event_type\":\"Page Viewed\",\"insert_id\":\"e-\(u)\",\"user_properties\":{\"cohort\":\"q\(rng.int(1...4))\"}}")
            if batch.count >= 100 { flush() }
        }
        flush()
        let after = Bench.procStatusMB("VmRSS:")
        print("memory: \(Bench.grouped(Double(mem.resolvedUsers.count))) users × \(propsPerUser + 1) properties, \(Bench.grouped(Double(mem.eventCount))) events")
        print("  resident memory grew by \(Bench.fixed(after - before)) MB (\(Bench.fixed((after - before) * 1e6 / Double(max(1, userCount)), 0)) bytes per user, change log included)")
    }
}
