import AmpscopeCore
import AmpscopeStore
import Foundation

/// `ampscope-bench index`: the bounded index (issue 16, "memory that stays flat") against an
/// index that keeps every row, in one run on the same store file.
///
/// A store is filled through `CaptureStore.append` (the proxy's path, group commit) with
/// 10-event bodies of a load test: users from a pool, a device per user, fresh insert ids. Then
/// the file is opened twice more, bounded (the default) and unbounded, and each is measured:
/// index bytes and resident memory after opening, time to open, a window of 50 rows read from
/// the newest and from the oldest part (in memory / read back from the file the first time /
/// again), and filters over every row.
enum IndexBench: BenchMode {
    static let name = "index"
    static let summary = "bounded vs unbounded index on one store: memory, opening, reading old rows, filtering every row"
    static let optionsHelp = """
      --captures N   requests of 10 events written to the store (default 300000: 3 million rows)
      --users N      distinct users (default 50000)
      --file PATH    the store (default /tmp/ampscope-bench-index-N.sqlite; reused when it exists)
      --reps N       repetitions of each timing (median; default 5)
      --bounded-only measure only the bounded index (a store too big to hold whole, e.g. the soak's)
    """

    static func run(_ o: inout BenchOptions) throws {
        let captures = try o.int("captures", default: 300_000)
        let users = max(1, try o.int("users", default: 50_000))
        let path = o.string("file", default: "/tmp/ampscope-bench-index-\(captures).sqlite")
        let reps = max(1, try o.int("reps", default: 5))
        let boundedOnly = o.flag("bounded-only")
        try o.rejectUnused()

        if !FileManager.default.fileExists(atPath: path) {
            print("writing \(Bench.grouped(Double(captures))) requests (\(Bench.grouped(Double(captures * 10))) events) into \(path) ...")
            var filled: Result<Void, Error> = .success(())
            let t = Bench.time { filled = Result { try fill(path, captures: captures, users: users) } }
            if case .failure(let e) = filled { throw BenchError("cannot write \(path): \(e)") }
            print("  \(Bench.fixed(t)) s (\(Bench.grouped(Double(captures) / t)) requests/s through append)")
        }

        var rows: [[String]] = [["", "bounded (default)", "unbounded", "ratio"]]
        var results: [Measured] = []
        for bounds in boundedOnly ? [IndexBounds.standard] : [IndexBounds.standard, .unbounded] {
            results.append(try measure(path, bounds: bounds, reps: reps))
        }
        if boundedOnly {
            let b = results[0]
            print("rows: \(Bench.grouped(Double(b.rows))); segments in memory: \(b.hot) of \(b.segments)")
            var t: [[String]] = [["index bytes (MB)", Bench.fixed(b.indexMB)], ["RSS growth on open (MB)", Bench.fixed(b.rssGrowthMB)],
                                 ["open (s)", Bench.fixed(b.openSeconds, 2)], ["50 newest rows (ms)", Bench.fixed(b.newestMs, 3)],
                                 ["50 oldest rows, first read (ms)", Bench.fixed(b.oldestFirstMs, 3)],
                                 ["50 oldest rows, again (ms)", Bench.fixed(b.oldestAgainMs, 3)]]
            for f in b.filters { t.append(["filter \(f.text) over every row (s)", Bench.fixed(f.seconds, 3) + " (\(f.matches) rows)"]) }
            print(Bench.table(t))
            return
        }
        let (b, u) = (results[0], results[1])
        func line(_ name: String, _ f: (Measured) -> Double, _ unit: String, _ digits: Int = 1) {
            rows.append([name, Bench.fixed(f(b), digits) + unit, Bench.fixed(f(u), digits) + unit,
                         f(u) > 0 ? Bench.fixed(f(b) / f(u), 2) + "×" : "-"])
        }
        print("rows: \(Bench.grouped(Double(b.rows))); segments in memory: bounded \(b.hot) of \(b.segments), unbounded \(u.hot) of \(u.segments)")
        line("index bytes (MB)", { $0.indexMB }, "")
        line("RSS growth on open (MB)", { $0.rssGrowthMB }, "")
        line("open (s)", { $0.openSeconds }, "", 2)
        line("50 newest rows (ms)", { $0.newestMs }, "", 3)
        line("50 oldest rows, first read (ms)", { $0.oldestFirstMs }, "", 3)
        line("50 oldest rows, again (ms)", { $0.oldestAgainMs }, "", 3)
        for (i, f) in b.filters.enumerated() {
            rows.append(["filter \(f.text) over every row (s)", Bench.fixed(f.seconds, 3), Bench.fixed(u.filters[i].seconds, 3),
                         Bench.fixed(f.seconds / max(1e-9, u.filters[i].seconds), 2) + "×"])
        }
        print(Bench.table(rows))
        for (fb, fu) in zip(b.filters, u.filters) where fb.matches != fu.matches {
            throw BenchError("filter \(fb.text): \(fb.matches) rows bounded, \(fu.matches) unbounded")
        }
    }

    struct Measured {
        var rows = 0
        var hot = 0
        var segments = 0
        var indexMB = 0.0
        var rssGrowthMB = 0.0
        var openSeconds = 0.0
        var newestMs = 0.0
        var oldestFirstMs = 0.0
        var oldestAgainMs = 0.0
        var filters: [(text: String, seconds: Double, matches: Int)] = []
    }

    static func measure(_ path: String, bounds: IndexBounds, reps: Int) throws -> Measured {
        var m = Measured()
        let before = ProfileBench.trimmedRSSMB()
        var opened: Result<CaptureStore, Error>?
        m.openSeconds = Bench.time { opened = Result { try CaptureStore(path: path, sessionLabel: "bench", bounds: bounds) } }
        let store: CaptureStore
        switch opened! {
        case .success(let s): store = s
        case .failure(let e): throw BenchError("\(e)")
        }
        let index = store.index
        m.rssGrowthMB = ProfileBench.trimmedRSSMB() - before
        m.rows = index.rowCount
        (m.hot, m.segments) = (index.residency.hot, index.residency.all)
        m.indexMB = Double(index.approximateBytes) / 1e6
        let n = m.rows
        m.newestMs = Bench.median((0..<reps).map { _ in Bench.time { _ = index.rows((n - 50)..<n) } }) * 1000
        // Each repetition reads a window of a different old segment, so every first read is one.
        m.oldestFirstMs = Bench.median((0..<reps).map { k in
            let at = k * 70_000
            return Bench.time { _ = index.rows(at..<(at + 50)) }
        }) * 1000
        m.oldestAgainMs = Bench.median((0..<reps).map { _ in Bench.time { _ = index.rows(0..<50) } }) * 1000
        for text in ["user:u-00042", "type:\"Order Completed\" severity:error", "insert:ffff"] {
            let f = try Filter(text)
            var matches = 0
            let t = Bench.median((0..<reps).map { _ in Bench.time { matches = index.scan(f, in: 0..<n).matches.count } })
            m.filters.append((text, t, matches))
        }
        return m
    }

    /// Writes `captures` requests through the store's append path, many in flight (group commit).
    static func fill(_ path: String, captures: Int, users: Int) throws {
        let store = try CaptureStore(path: path, sessionLabel: "bench-fill")
        let ingest = Ingest()
        var context = ValidationContext()
        var g = BenchRandom(seed: 7)
        let types = ["Page Viewed", "Product Viewed", "Product Added", "Checkout Started", "Order Completed",
                     "Search Performed", "Element Clicked", "Cart Viewed", "Coupon Applied", "Signed Up"]
        let inFlight = DispatchSemaphore(value: 4096)
        let done = DispatchGroup()
        for c in 0..<captures {
            let user = Int(g.next() % UInt64(users))
            var body = #"{"api_key":"0123456789abcdef0123456789abcdef","events":["#
            for e in 0..<10 {
                if e > 0 { body += "," }
                body += #"{"user_id":"u-\#(String(format: "%05d", user))","device_id":"d-\#(user)","#
                body += #""event_type":"\#(types[(c + e) % types.count])","time":\#(1_795_000_000_000 + Int64(c) * 10 + Int64(e)),"#
                body += #""insert_id":"\#(g.uuid())","session_id":1795000000000,"platform":"Web","#
                body += #""event_properties":{"price":\#(e).99,"sku":"sku-\#(c % 997)"}}"#
            }
            body += "]}"
            let capture = Capture(receivedAt: 1_795_000_000_000 + Int64(c), source: .proxy, path: "/2/httpapi",
                                  headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8))
            let p = ingest.process(capture, context: &context, now: capture.receivedAt)
            inFlight.wait()
            done.enter()
            store.append(p) { _ in
                inFlight.signal()
                done.leave()
            }
        }
        done.wait()
    }
}
