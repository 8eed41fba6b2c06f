import AmpscopeCore
import Foundation

/// `ampscope-bench debug`: SDK debug-log parsing and call↔wire join throughput, against two
/// baselines on the same bytes: splitting the log into lines (the floor of any line reader) and
/// Foundation `JSONSerialization` of the same JSON blocks and final events (what a naive reader
/// would do).
enum DebugBench: BenchMode {
    static let name = "debug"
    static let summary = "SDK debug-log parse + join throughput (calls/s, MB/s) vs line-split and Foundation JSON baselines"
    static let optionsHelp = """
      --calls N         track calls in the generated TypeScript debug log (default 20000)
      --batch N         events per flush / request (default 30)
      --reps N          repetitions of each phase (default 5; the median is reported)
      --chunk N         bytes per feed(bytes:) call (default 65536)
      --seed N          generator seed (default 1)
      --phases LIST     comma-separated subset of: lines,foundation,parse,join (default: all)
    """

    enum Phase: String, CaseIterable {
        case lines, foundation, parse, join

        var label: String {
            switch self {
            case .lines: return "baseline: split into lines"
            case .foundation: return "baseline: lines + Foundation JSON of blocks"
            case .parse: return "DebugLogParser (records)"
            case .join: return "parse + DebugJoiner (records + wire)"
            }
        }
    }

    static func run(_ o: inout BenchOptions) throws {
        let calls = max(1, try o.int("calls", default: 20_000))
        let batch = max(1, try o.int("batch", default: 30))
        let reps = max(1, try o.int("reps", default: 5))
        let chunk = max(1, try o.int("chunk", default: 65_536))
        let seed = UInt64(try o.int("seed", default: 1))
        var phases: [Phase] = []
        for p in o.string("phases", default: Phase.allCases.map(\.rawValue).joined(separator: ",")).split(separator: ",") {
            guard let ph = Phase(rawValue: String(p)) else { throw BenchError("unknown phase '\(p)'") }
            phases.append(ph)
        }
        try o.rejectUnused()

        let (log, wire) = generate(calls: calls, batch: batch, seed: seed)
        let lineCount = log.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }

        // Sanity: the generated log parses cleanly and every call joins to its wire event.
        var check = DebugSession()
        check.feed(source: "bench", bytes: log)
        check.finish(source: "bench")
        check.add(wire: wire)
        let j = check.joiner
        let joined = j.traces.filter { $0.callRecord != nil && !$0.wire.isEmpty }.count
        guard check.problems.isEmpty, joined == calls, j.wireWithoutTrace.isEmpty else {
            throw BenchError("generated log does not join cleanly: \(check.problems.count) problems, \(joined)/\(calls) calls joined")
        }
        print("ampscope-bench debug: \(Bench.grouped(Double(calls))) track calls, \(Bench.grouped(Double(lineCount))) lines, "
              + "\(Bench.fixed(Double(log.count) / 1e6)) MB of TypeScript debug output; \(wire.count) wire events in requests of \(batch)")
        print("  \(j.records.count) records; \(reps) repetitions per phase, single-threaded, \(chunk)-byte chunks\n")

        var times: [Phase: [Double]] = [:]
        var sink = 0
        let before = Bench.cpuBusy()
        for _ in 0..<reps {
            for phase in phases {
                let t = Bench.time {
                    switch phase {
                    case .lines:
                        var n = 0
                        for (_, l) in LineSplitter(log) { n &+= l.count }
                        sink &+= n
                    case .foundation:
                        sink &+= foundationBaseline(log)
                    case .parse:
                        var p = DebugLogParser(source: "bench")
                        var i = 0
                        while i < log.count {
                            sink &+= p.feed(bytes: log[i..<min(log.count, i + chunk)]).count
                            i += chunk
                        }
                        sink &+= p.finish().count
                    case .join:
                        var s = DebugSession()
                        var i = 0
                        while i < log.count {
                            sink &+= s.feed(source: "bench", bytes: log[i..<min(log.count, i + chunk)]).count
                            i += chunk
                        }
                        s.finish(source: "bench")
                        s.add(wire: wire)
                        sink &+= s.joiner.traces.count
                    }
                }
                times[phase, default: []].append(t)
            }
        }
        let after = Bench.cpuBusy()
        var rows = [["phase", "median s", "calls/s", "MB/s", "× parse"]]
        let parseTime = Bench.median(times[.parse] ?? times[phases[0]] ?? [1])
        for phase in phases {
            let t = Bench.median(times[phase] ?? [])
            rows.append([phase.label, Bench.fixed(t, 3), Bench.grouped(Double(calls) / t),
                         Bench.fixed(Double(log.count) / 1e6 / t), Bench.fixed(t / parseTime, 2)])
        }
        print(Bench.table(rows))
        if let b = before, let a = after, a.total > b.total {
            print("\n  machine busy during the run: \(Int(Double(a.busy - b.busy) / Double(a.total - b.total) * 100))% of all cores")
        }
        if sink == 42 { print("") }
    }

    /// Lines, and `JSONSerialization` of each JSON block or final event, as a reader built on
    /// Foundation would do.
    static func foundationBaseline(_ log: [UInt8]) -> Int {
        var n = 0
        var block: [UInt8] = []
        var depth = 0
        let prefix = Array("Amplitude Logger [".utf8)
        for (_, l) in LineSplitter(log) {
            if depth > 0 {
                block += [0x0A] + l
                for c in l { if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") { depth -= 1 } }
                if depth == 0, (try? JSONSerialization.jsonObject(with: Data(block))) != nil { n += 1 }
                continue
            }
            guard l.starts(with: prefix), let colon = l.firstIndex(of: UInt8(ascii: "{")) else { continue }
            let rest = l[colon...]
            var d = 0
            for c in rest { if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { d += 1 } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") { d -= 1 } }
            if d > 0 {
                depth = d
                block = Array(rest)
            } else if (try? JSONSerialization.jsonObject(with: Data(rest))) != nil {
                n += 1
            }
        }
        return n
    }

    /// A TypeScript SDK debug log as `analytics-node` prints it with `logLevel: Debug`: per call
    /// the timeline lines and the final event, then per flush the results and the debug blocks;
    /// and the wire events of each flush.
    static func generate(calls: Int, batch: Int, seed: UInt64) -> ([UInt8], [DebugWireEvent]) {
        var rng = BenchRandom(seed: seed)
        var out = ""
        out.reserveCapacity(calls * 2200)
        var wire: [DebugWireEvent] = []
        let t0: Int64 = 1_795_370_765_000
        let types = ["Button Clicked", "Page Viewed", "Signup Completed", "Item Added", "Search", "Checkout Started"]
        var made = 0
        var capture: Int64 = 0
        var clock = t0
        while made < calls {
            let n = min(batch, calls - made)
            var pending: [(type: String, user: String, props: String, iid: String, time: Int64, start: Int64)] = []
            for k in 0..<n {
                let type = rng.pick(types)
                let user = "user-" + String(rng.int(10_000...99_999))
                let props = "{\"button\":\"b\(rng.int(1...50))\",\"count\":\(rng.int(0...100)),\"price\":\(rng.int(1...999)).5,\"tags\":[\"a\",\"b\"]}"
                let iid = rng.uuid()
                let start = clock
                clock += Int64(rng.int(0...3))
                let ev = "{\"time\":\(clock),\"insert_id\":\"\(iid)\",\"event_type\":\"\(type)\",\"user_id\":\"\(user)\",\"device_id\":\"device-abcdef\",\"event_properties\":\(props),\"event_id\":\(made + k),\"library\":\"amplitude-node-ts/1.5.70\"}"
                out += "Amplitude Logger [Log]: Timeline.apply: Initial event [object Object]\n"
                out += "Amplitude Logger [Log]: Timeline.apply: Event after before plugin 'context', event: \(ev)\n"
                out += "Amplitude Logger [Log]: Timeline.apply: Final event before destinations, event: \(ev)\n"
                pending.append((type, user, props, iid, clock, start))
                if rng.chance(0.05) { out += "app: request handled in \(rng.int(1...90)) ms\n" }
            }
            capture += 1
            clock += Int64(rng.int(5...30))
            for (i, p) in pending.enumerated() {
                wire.append(DebugWireEvent(ref: WireEventRef(captureID: capture, index: i), receivedAt: clock, eventType: p.type,
                                           userID: p.user, deviceID: "device-abcdef", insertID: p.iid, time: p.time,
                                           requestEventCount: pending.count, httpStatus: 200))
            }
            for _ in pending { out += "Amplitude Logger [Log]: Event tracked successfully\n" }
            clock += 2
            for p in pending {
                let props = p.props.replacingOccurrences(of: ",", with: ",\n        ").replacingOccurrences(of: "{", with: "{\n        ")
                    .replacingOccurrences(of: "}", with: "\n      }")
                out += """
                Amplitude Logger [Debug]: {
                  "type": "invoke public method",
                  "name": "track",
                  "args": [
                    "\(p.type)",
                    \(props),
                    {
                      "user_id": "\(p.user)",
                      "device_id": "device-abcdef"
                    }
                  ],
                  "stacktrace": [
                    "at track (/srv/app/src/analytics.js:28:46)",
                    "at handler (/srv/app/src/routes.js:\(rng.int(10...400)):7)"
                  ],
                  "time": {
                    "start": "\(Timestamp.iso8601(ms: p.start))",
                    "end": "\(Timestamp.iso8601(ms: clock))"
                  },
                  "states": {
                    "before": {
                      "config.apiKey": "0123456789abcdef0123456789abcdef",
                      "timeline.queue.length": 0
                    },
                    "after": {
                      "config.apiKey": "0123456789abcdef0123456789abcdef",
                      "timeline.queue.length": 0
                    }
                  }
                }

                """
            }
            made += n
        }
        return (Array(out.utf8), wire)
    }
}
