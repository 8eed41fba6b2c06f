import AmpscopeApp
import AmpscopeCore
import AmpscopeStore
import Foundation

/// `ampscope-bench profiles`, issue 13's two targets measured in one run:
/// 1. time: the replay file of `ampscope-bench replay` (1M events by default) is loaded as the
///    replay bench loads it, then every capture of the loaded store is folded into a profile
///    simulator; the fold's CPU time is set against the load's wall time (target: < 20 %).
/// 2. memory: N users with P properties each are ingested first (kept), then folded; the
///    profiles' memory is the growth of resident memory across the fold alone, with malloc's
///    free memory returned to the system before each reading (target: 100 000 users < 100 MB).
enum ProfileBench: BenchMode {
    static let name = "profiles"
    static let summary = "profile simulation: time added to the 1M-event replay load, and memory of N users' profiles (RSS)"
    static let optionsHelp = """
      --events N     events in the replay file (default 1000000; the `replay` bench's file)
      --file PATH    the replay file (generated if missing; default /tmp/ampscope-bench-N.jsonl)
      --threads N    decode threads of the load (default: cores)
      --skip-replay  only the memory part
      --users N      users for the memory measurement (default 100000)
      --props N      properties each of those users gets (default 10)
      --seed N       generator seed of the memory part (default 1)
      --tui-reps N   loads alone and loads with the profile follower attached, alternated, N of
                     each (default 3; 0 skips this part)
      --fold-reps N  fold the replay file's captures N more times and print each fold's CPU
                     time and the median (default 0): the fold's CPU varies by up to ±20 %
                     between runs here, so comparing two builds takes several folds of each
      --spill N      also fold the replay file with all but about N events' history spilled to
                     a file (Docs/profiles.md "Memory"): fold time, memory, and queries on old
                     events against the same queries on new ones and on the in-memory fold
    """

    static func run(_ o: inout BenchOptions) throws {
        let events = try o.int("events", default: 1_000_000)
        let path = o.string("file", default: "/tmp/ampscope-bench-\(events).jsonl")
        let threads = try o.int("threads", default: 0)
        let skipReplay = o.flag("skip-replay")
        let userCount = try o.int("users", default: 100_000)
        let propsPerUser = max(1, try o.int("props", default: 10))
        let seed = UInt64(try o.int("seed", default: 1))
        let spill = try o.int("spill", default: 0)
        let tuiReps = try o.int("tui-reps", default: 3)
        let foldReps = try o.int("fold-reps", default: 0)
        try o.rejectUnused()

        if !skipReplay {
            try replayPart(path: path, events: events, threads: threads, spill: spill, foldReps: foldReps)
            if tuiReps > 0 { try followerPart(path: path, threads: threads, reps: tuiReps) }
        }
        memoryPart(userCount: userCount, propsPerUser: propsPerUser, seed: seed)
    }

    // MARK: 1. Time against the replay load

    static func replayPart(path: String, events: Int, threads: Int, spill: Int, foldReps: Int) throws {
        if !FileManager.default.fileExists(atPath: path) {
            print("generating \(Bench.grouped(Double(events))) events into \(path) ...")
            try ReplayBench.generate(events: events, path: path)
        }
        let cpu0 = processCPUSeconds()
        let box = ReplayBench.load(path, threads: threads)
        let loadCPU = processCPUSeconds() - cpu0
        guard let r = box.result, let store = box.store else { throw BenchError("the replay load gave no store") }

        // The fold, as the app's profile follower does it: every capture in id order. Reading a
        // capture back from the store is not timed; only `apply` is.
        var simulator = ProfileSimulator()
        var simulateCPU = 0.0
        var faults = 0
        var records = 0
        let before = trimmedRSSMB()
        for id in store.index.captureIDs() {
            guard let p = try? store.payloads.processed(id) else { continue }
            records += p.request.records.count
            let t0 = Bench.threadCPUSeconds(), f0 = Bench.threadMinorFaults()
            simulator.apply(p, captureID: id)
            simulateCPU += Bench.threadCPUSeconds() - t0
            faults += Bench.threadMinorFaults() - f0
        }
        let after = trimmedRSSMB()
        print("profiles of the replay file \(path): \(Bench.grouped(Double(r.rows))) rows in \(Bench.grouped(Double(r.requests))) requests")
        print(Bench.table([
            ["step", "seconds", "µs/event"],
            ["replay load (wall, \(threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount) threads)", Bench.fixed(r.totalSeconds, 2),
             Bench.fixed(r.totalSeconds / Double(max(1, records)) * 1e6, 2)],
            ["replay load (CPU, all threads)", Bench.fixed(loadCPU, 2), Bench.fixed(loadCPU / Double(max(1, records)) * 1e6, 2)],
            ["profile simulation (CPU, one thread)", Bench.fixed(simulateCPU, 2), Bench.fixed(simulateCPU / Double(max(1, records)) * 1e6, 2)],
        ]))
        print("  \(Bench.grouped(Double(simulator.eventCount))) events folded into \(Bench.grouped(Double(simulator.resolvedUsers.count))) users;"
              + " resident memory of these profiles: \(Bench.fixed(after - before)) MB;"
              + " page faults during the fold: \(Bench.grouped(Double(faults)))")
        print("  simulation adds \(Bench.fixed(simulateCPU / r.totalSeconds * 100)) % to the load's wall time"
              + " (\(Bench.fixed(simulateCPU / loadCPU * 100)) % of its CPU time); target < 20 %\n")
        compactPart(store: store, wholeCPU: simulateCPU)
        if spill > 0 { try spillPart(store: store, inMemory: simulator, inMemoryCPU: simulateCPU, hotEvents: spill) }
        if foldReps > 0 { repeatedFolds(store: store, reps: foldReps) }
    }

    /// The fold from the compact form the follower queues when it falls behind (`ProfileInput`):
    /// making it from each judged request, parsing it, and folding it, each timed on its own.
    static func compactPart(store: CaptureStore, wholeCPU: Double) {
        var simulator = ProfileSimulator()
        var make = 0.0, parse = 0.0, fold = 0.0
        var bytes = 0, bodies = 0
        for id in store.index.captureIDs() {
            guard let p = try? store.payloads.processed(id) else { continue }
            let t0 = Bench.threadCPUSeconds()
            guard let input = ProfileInput(p) else { continue }
            let t1 = Bench.threadCPUSeconds()
            guard let parsed = input.parsed() else { continue }
            let t2 = Bench.threadCPUSeconds()
            simulator.apply(parsed, captureID: id)
            let t3 = Bench.threadCPUSeconds()
            make += t1 - t0
            parse += t2 - t1
            fold += t3 - t2
            bytes += input.footprint
            bodies += p.capture.body.count
        }
        print("the fold from compact inputs (what the follower queues when it falls behind): \(Bench.fixed(Double(bytes) / 1e6)) MB"
              + " for \(Bench.fixed(Double(bodies) / 1e6)) MB of bodies; CPU s: making them \(Bench.fixed(make, 2)),"
              + " parsing them \(Bench.fixed(parse, 2)), folding them \(Bench.fixed(fold, 2)) (the judged requests' fold: \(Bench.fixed(wholeCPU, 2)))\n")
        withExtendedLifetime(simulator) {}
    }

    /// The fold again, `reps` times, as part 1 times it (each capture read back just before it is
    /// applied, the reading untimed): for comparing builds.
    static func repeatedFolds(store: CaptureStore, reps: Int) {
        let ids = store.index.captureIDs()
        var times: [Double] = []
        for _ in 0..<reps {
            var simulator = ProfileSimulator()
            var cpu = 0.0
            for id in ids {
                guard let p = try? store.payloads.processed(id) else { continue }
                let t0 = Bench.threadCPUSeconds()
                simulator.apply(p, captureID: id)
                cpu += Bench.threadCPUSeconds() - t0
            }
            times.append(cpu)
            withExtendedLifetime(simulator) {}
        }
        print("  the fold again, \(reps) times (CPU s): "
              + times.map { Bench.fixed($0, 2) }.joined(separator: " ") + "; median \(Bench.fixed(Bench.median(times), 2))\n")
    }

    // MARK: 1b. What the user waits for

    /// The load as the terminal UI runs it, with the profile follower attached (its own queue,
    /// fed by the store's commits while the load runs; the follower of the app, not a copy), until
    /// the profiles have caught up with the last capture; against the same load without it.
    /// Alternated, in the same run. Part 1 sets the fold's CPU time against the load's wall time:
    /// a bound on what it can add when nothing overlaps; this is what it adds when it does.
    static func followerPart(path: String, threads: Int, reps: Int) throws {
        var alone: [Double] = []
        var with: [Double] = []
        var loadWith: [Double] = []
        var peakAlone: [Double] = []
        var peakWith: [Double] = []
        for _ in 0..<reps {
            // Peak resident memory during each load, above what the process held before it (the
            // last load's memory handed back to the system first).
            do {
                let before = trimmedRSSMB()
                Bench.resetPeakRSS()
                let box = ReplayBench.load(path, threads: threads)
                guard let r = box.result else { throw BenchError("the replay load gave no result") }
                alone.append(r.totalSeconds)
                peakAlone.append(Bench.procStatusMB("VmHWM:") - before)
            }
            do {
                let before = trimmedRSSMB()
                Bench.resetPeakRSS()
                let box = ReplayBench.load(path, threads: threads, profiles: true)
                guard let r = box.result, let done = r.profilesSeconds else { throw BenchError("the load with profiles gave no result") }
                with.append(done)
                loadWith.append(r.totalSeconds)
                peakWith.append(Bench.procStatusMB("VmHWM:") - before)
            }
        }
        let a = Bench.median(alone), w = Bench.median(with)
        print("the load as the terminal UI runs it, profiles followed on their own queue (\(reps) of each, alternated):")
        print(Bench.table([
            ["", "wall s (median)", "runs"],
            ["load alone", Bench.fixed(a, 2), alone.map { Bench.fixed($0, 2) }.joined(separator: " ")],
            ["load with the profile follower: rows in", Bench.fixed(Bench.median(loadWith), 2), loadWith.map { Bench.fixed($0, 2) }.joined(separator: " ")],
            ["load with the profile follower: profiles caught up", Bench.fixed(w, 2), with.map { Bench.fixed($0, 2) }.joined(separator: " ")],
        ]))
        print("  peak resident memory added by each load (MB): alone \(peakAlone.map { Bench.fixed($0, 0) }.joined(separator: " ")),"
              + " with the follower \(peakWith.map { Bench.fixed($0, 0) }.joined(separator: " "))")
        print("  profiles add \(Bench.fixed((w / a - 1) * 100)) % to the load's wall time as the user waits for it; target < 20 %\n")
    }

    // MARK: 3. The history spilled to a file

    static func spillPart(store: CaptureStore, inMemory: ProfileSimulator, inMemoryCPU: Double, hotEvents: Int) throws {
        var options = ProfileOptions()
        guard let storage = FileSpillStorage() else { throw BenchError("cannot create a spill file in $TMPDIR") }
        options.spill = storage
        options.hotEvents = hotEvents
        var simulator = ProfileSimulator(options: options)
        var cpu = 0.0
        let before = trimmedRSSMB()
        for id in store.index.captureIDs() {
            guard let p = try? store.payloads.processed(id) else { continue }
            let t0 = Bench.threadCPUSeconds()
            simulator.apply(p, captureID: id)
            cpu += Bench.threadCPUSeconds() - t0
        }
        let after = trimmedRSSMB()
        let n = simulator.eventCount
        guard n > 4 * hotEvents else { throw BenchError("--spill \(hotEvents) leaves too little spilled in \(n) events") }
        // The same queries (the User tab's: what the event changed, the properties in effect)
        // on 2 000 old events (spilled), on 2 000 of the newest (in memory), and on the same old
        // events of the fold that kept everything in memory.
        var rng = SplitMix64(seed: 9)
        let old = (0..<2000).map { _ in rng.int(0...(n / 2)) }
        let new = (0..<2000).map { _ in rng.int((n - hotEvents / 2)...(n - 1)) }
        func time(_ sim: ProfileSimulator, _ events: [Int]) -> (Double, Int) {
            var items = 0
            let t0 = Bench.threadCPUSeconds()
            for e in events { items += sim.changes(forEvent: e).count + sim.properties(atEvent: e).count }
            return ((Bench.threadCPUSeconds() - t0) / Double(events.count) * 1e6, items)
        }
        let (oldSpilled, a) = time(simulator, old)
        let (newSpilled, _) = time(simulator, new)
        let (oldInMemory, b) = time(inMemory, old)
        print("the same fold with all but about \(Bench.grouped(Double(hotEvents))) events' history spilled to a file:")
        print(Bench.table([
            ["", "spilled", "in memory"],
            ["fold (CPU s)", Bench.fixed(cpu, 2), Bench.fixed(inMemoryCPU, 2)],
            ["a User tab of an old event (µs)", Bench.fixed(oldSpilled, 1), Bench.fixed(oldInMemory, 1)],
            ["a User tab of a new event (µs)", Bench.fixed(newSpilled, 1), ""],
        ]))
        print("  resident memory of the spilled profiles: \(Bench.fixed(after - before)) MB; file \(Bench.fixed(Double(storage.size) / 1e6)) MB;"
              + " old events \(Bench.fixed(oldSpilled / max(0.001, oldInMemory), 1))× slower spilled; answers \(a == b ? "identical in size" : "DIFFERENT: \(a) vs \(b) items")\n")
    }

    // MARK: 2. Memory of N users' profiles

    static func memoryPart(userCount: Int, propsPerUser: Int, seed: UInt64) {
        // N users, each with an identify of P properties and one event with a plain property,
        // 100 records a request. Every request is ingested before the fold starts, so the fold's
        // memory is all the reading below sees.
        let ingest = Ingest()
        var context = ValidationContext()
        var rng = SplitMix64(seed: seed)
        var batch: [String] = []
        var requests: [Processed] = []
        func flush() {
            guard !batch.isEmpty else { return }
            let body = "{\"api_key\":\"0123456789abcdef0123456789abcdef\",\"events\":[" + batch.joined(separator: ",") + "]}"
            let c = Capture(receivedAt: 1_795_371_070_000, source: CaptureSource(kind: .demo, name: "bench"), path: "/2/httpapi",
                            headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8))
            requests.append(ingest.process(c, context: &context, now: 1_795_371_070_000))
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

        let before = trimmedRSSMB()
        var simulator = ProfileSimulator()
        var cpu = 0.0
        for (n, p) in requests.enumerated() {
            let t0 = Bench.threadCPUSeconds()
            simulator.apply(p, captureID: Int64(n + 1))
            cpu += Bench.threadCPUSeconds() - t0
        }
        let after = trimmedRSSMB()
        let users = simulator.resolvedUsers.count
        let changes = (0..<simulator.eventCount).reduce(0) { $0 + (simulator.event($1)?.changeCount ?? 0) }
        let eventCount = simulator.eventCount
        simulator = ProfileSimulator()  // the profiles freed: what resident memory gives back
        let freed = after - trimmedRSSMB()
        let grew = after - before
        print("memory: \(Bench.grouped(Double(users))) users × \(propsPerUser + 1) properties, \(Bench.grouped(Double(eventCount))) events,"
              + " \(Bench.grouped(Double(changes))) changes (folded in \(Bench.fixed(cpu, 2)) CPU s)")
        print("  resident memory grew by \(Bench.fixed(grew)) MB during the fold (\(Bench.fixed(grew * 1e6 / Double(max(1, users)), 0)) bytes per user,"
              + " change log included); freeing the profiles gave back \(Bench.fixed(freed)) MB; target < 100 MB for 100 000 users")
        if requests.count == -1 { print("") }  // keeps the ingested requests alive until the readings are taken
    }

    // MARK: Helpers

    /// Resident memory after handing malloc's free memory back to the system (`malloc_trim(0)`),
    /// so the difference of two readings is what is still allocated, not what malloc keeps.
    static func trimmedRSSMB() -> Double {
        if let trim = mallocTrim { _ = trim(0) }
        return Bench.procStatusMB("VmRSS:")
    }

    typealias MallocTrim = @convention(c) (Int) -> Int32
    /// glibc's `malloc_trim`, looked up at run time (`malloc.h` is not in Swift's Glibc module).
    static let mallocTrim: MallocTrim? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(sym, to: MallocTrim.self)
    }()

    /// CPU time of the whole process (every thread), user + system.
    static func processCPUSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }
}
