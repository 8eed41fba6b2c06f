import AmpscopeApp
import AmpscopeCore
import AmpscopeStore
import Foundation

/// Replay load of a large capture file, against `wc -l` (the I/O floor), lnav with a JSON log
/// format for capture lines (the log viewer people load such files into) and a Python loop that
/// `json.loads` every line (a baseline any user has), in the same run.
///
/// The file holds request bodies as embedded JSON (capture format 2, what ampscope writes) or,
/// with `--bodies string`, as escaped strings (format 1 and the SDK fixtures).
enum ReplayBench: BenchMode {
    static let name = "replay"
    static let summary = "load a generated N-event capture file: first screen, full load, peak memory vs wc -l, lnav and Python json.loads"
    static let optionsHelp = """
          --events N       events in the generated file (default 1000000; 10 per request)
          --bodies SHAPE   embedded (default: bodies as JSON values, format 2) or string (format 1)
          --file PATH      where the file is (generated if missing; default /tmp/ampscope-bench-N[-string].jsonl)
          --threads N      decode threads (default: cores)
          --skip-python    do not run the Python baseline
          --skip-lnav      do not run lnav (installed with apt-get when missing and running as root)
          --skip-filters   only the load (no filter timings afterwards; for profiling the load)
        """

    static func run(_ o: inout BenchOptions) throws {
        let events = try o.int("events", default: 1_000_000)
        let shape = o.string("bodies", default: "embedded")
        guard shape == "embedded" || shape == "string" else { throw BenchError("--bodies is embedded or string") }
        let path = o.string("file", default: "/tmp/ampscope-bench-\(events)\(shape == "string" ? "-string" : "").jsonl")
        let threads = try o.int("threads", default: 0)
        let skipPython = o.flag("skip-python")
        let skipLnav = o.flag("skip-lnav")
        let skipFilters = o.flag("skip-filters")
        if !FileManager.default.fileExists(atPath: path) {
            print("generating \(Bench.grouped(Double(events))) events into \(path) (bodies \(shape)) ...")
            let start = DispatchTime.now().uptimeNanoseconds
            try generate(events: events, path: path, embedded: shape == "embedded")
            let t = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print("  generated in \(Bench.fixed(t)) s")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        print("file: \(path), \(Bench.fixed(Double(size) / 1e6)) MB")

        let wc = PeerRun.measure("/usr/bin/wc", ["-l", path])
        var python: PeerRun?
        if !skipPython {
            python = PeerRun.measure("/usr/bin/env", ["python3", "-c", "import json,sys\nn=0\nfor l in open(sys.argv[1],'rb'):\n    json.loads(l); n+=1\nprint(n)", path])
        }
        let lnav = skipLnav ? nil : LnavPeer.load(path)

        // ampscope: decode + validate + index, into the in-memory store the UI reads.
        let box = load(path, threads: threads)
        let r = box.result!
        let peak = peakRSSMB()
        var rows: [[String]] = [["", "seconds", "MB/s", "peak RSS MB", "vs ampscope"]]
        func row(_ label: String, _ s: Double, _ mb: Double) -> [String] {
            [label, Bench.fixed(s, 2), Bench.fixed(Double(size) / 1e6 / s), Bench.fixed(mb), Bench.fixed(s / r.totalSeconds, 2) + "×"]
        }
        rows.append(row("wc -l (I/O floor)", wc.seconds, wc.peakMB))
        if let lnav { rows.append(row("lnav -n, JSON log format (Scripts/lnav)", lnav.seconds, lnav.peakMB)) }
        if let python { rows.append(row("python3 json.loads per line", python.seconds, python.peakMB)) }
        rows.append(row("ampscope replay load", r.totalSeconds, peak))
        print(Bench.table(rows))
        print("ampscope: \(Bench.grouped(Double(r.rows))) events in \(Bench.grouped(Double(r.requests))) requests, \(r.unreadable) unreadable")
        print("  first screen (40 rows in the store): \(r.firstScreenSeconds.map { Bench.fixed($0 * 1000, 0) + " ms" } ?? "n/a") (target < 300 ms)")
        print("  full load: \(Bench.fixed(r.totalSeconds, 2)) s = \(Bench.grouped(Double(r.rows) / r.totalSeconds)) events/s")
        print("  in-memory index: \(Bench.fixed(Double(r.indexBytes) / 1e6)) MB; peak RSS of this process: \(Bench.fixed(peak)) MB (target < 300 MB)")
        if let lnav { print("  speed-up over lnav: \(Bench.fixed(lnav.seconds / r.totalSeconds, 2))× (target ≥ 2×)") }
        if let python { print("  speed-up over the Python loop: \(Bench.fixed(python.seconds / r.totalSeconds, 2))× (target ≥ 3×)") }
        if !skipFilters, let store = box.store { filterTimes(store) }
    }

    final class ResultBox: @unchecked Sendable {  // written by the one replay task, read after it has finished
        var result: HeadlessReplay.Result?
        var store: CaptureStore?
    }

    /// The replay load as `ampscope replay` does it, waited for on this thread.
    /// `profiles`: with the profile follower attached, as the terminal UI has it.
    static func load(_ path: String, threads: Int, profiles: Bool = false) -> ResultBox {
        let box = ResultBox()
        let sem = DispatchSemaphore(value: 0)
        Task.detached {
            let (store, r) = await HeadlessReplay.load([path], threads: threads > 0 ? threads : nil, profiles: profiles)
            box.result = r
            box.store = store
            sem.signal()
        }
        sem.wait()
        return box
    }

    /// Row-only filters over the loaded store, as the UI applies them (all cores, no lock held),
    /// against a plain loop that compares one column of rows already in memory. Each index-scan
    /// run parses a fresh filter (a keystroke: nothing remembered from the previous run); the
    /// row-by-row scan (`scanRows`, a `StreamRow` built per row) is timed next to it.
    static func filterTimes(_ store: CaptureStore) {
        let index = store.index
        let n = index.rowCount
        let rows = index.rows(0..<n)
        var sink = 0
        let baseline = Bench.median((0..<3).map { _ in
            Bench.time { for r in rows where r.status >= 400 { sink &+= 1 } }
        })
        var table: [[String]] = [["filter over \(Bench.grouped(Double(n))) rows in the store", "index ms (2 thr)", "index ms (1 thr)",
                                  "rows ms (2 thr)", "rows ms (1 thr)", "matches", "undecided", "index vs loop", "rows vs loop"]]
        table.append(["plain loop: status >= 400 (baseline, 1 thread)", Bench.fixed(baseline * 1000), "", "", "", Bench.grouped(Double(sink / 3)), "", "1.00×", "1.00×"])
        let texts = ["status:4xx", "severity:error", "type:checkout", "user:user-1000", "rule:unknown-field or type:song",
                     "!type:page and device:0a", "checkout", "insert:ab12", "type~'^(song|page) ' and !severity:none"]
        for text in texts {
            guard (try? Filter(text)) != nil else { continue }
            var found = 0
            var undecided = 0
            func keystroke(_ threads: Int) -> Double {
                Bench.median((0..<5).map { _ in
                    Bench.time {
                        let f = try! Filter(text)
                        let r = index.scan(f, in: 0..<n, threads: threads)
                        found = r.matches.count
                        undecided = r.needsPayload.count
                    }
                })
            }
            let t = keystroke(2)
            let t1 = keystroke(1)
            let f = try! Filter(text)
            var old = (matches: [Int](), needsPayload: [Int]())
            let r2 = Bench.median((0..<3).map { _ in Bench.time { old = index.scanRows(f, in: 0..<n) } })
            let r1 = Bench.median((0..<3).map { _ in Bench.time { _ = index.scanRows(f, in: 0..<n, threads: 1) } })
            // Both paths must agree (the store tests check this exhaustively; here on real data).
            let agree = old.matches.count == found && old.needsPayload.count == undecided
            table.append([text, Bench.fixed(t * 1000), Bench.fixed(t1 * 1000), Bench.fixed(r2 * 1000), Bench.fixed(r1 * 1000),
                          Bench.grouped(Double(found)) + (agree ? "" : " (DIFFERS)"), Bench.grouped(Double(undecided)),
                          Bench.fixed(t / baseline, 2) + "×", Bench.fixed(r2 / baseline, 2) + "×"])
        }
        print(Bench.table(table))
        print("  index = StoreIndex.scan (terms decided per interned value), a new Filter each run; rows = scanRows (a StreamRow per row)")
    }

    /// Writes `events` events as capture lines, 10 events per request: bodies embedded as JSON
    /// (format 2) or as escaped strings (format 1, the fixtures' shape).
    static func generate(events: Int, path: String, embedded: Bool = true) throws {
        var file = try CaptureFileWriter(path: path, embedded: embedded)
        var gen = EventGenerator(seed: 11, identifyShare: 0.1)
        var remaining = events
        while remaining > 0 {
            let n = min(10, remaining)
            remaining -= n
            try file.append(body: Array(gen.body((0..<n).map { _ in gen.event() }).utf8), events: n, receivedMs: gen.now)
        }
        try file.close()
    }

    static func peakRSSMB() -> Double { Bench.procStatusMB("VmHWM:") }
}
