import AmpscopeCore
import AmpscopeStore
import Foundation
import Testing
@testable import AmpscopeApp

/// The replayer (`ampscope replay`, `--replay`): formats, merging, pacing with an injected
/// clock, following growing files, unreadable lines, gzip.
@Suite("Replayer")
struct ReplayTests {
    static let fixtures = TestSupport.fixtures

    /// Processed captures of a recorded requests file.
    static func processed(_ rel: String) -> [Processed] {
        let bytes = (try? [UInt8](Data(contentsOf: fixtures.appendingPathComponent(rel)))) ?? []
        let ingest = Ingest()
        var ctx = ValidationContext()
        var out: [Processed] = []
        for (n, line) in LineSplitter(bytes) where !line.isEmpty {
            if case .success(let c?) = CaptureLine.parse(line, name: rel, line: n) { out.append(ingest.process(c, context: &ctx, now: c.receivedAt)) }
        }
        return out
    }

    /// A capture with a given time, processed.
    static func capture(_ time: Int64, type: String, source: String = "proxy") -> Processed {
        let body = "{\"api_key\":\"0123456789abcdef0123456789abcdef\",\"events\":[{\"event_type\":\"\(type)\",\"user_id\":\"user-00001\",\"insert_id\":\"\(UUID().uuidString)\",\"time\":\(time)}]}"
        let c = Capture(receivedAt: time, source: CaptureSource(kind: .proxy, name: source), path: "/2/httpapi",
                        headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8))
        var ctx = ValidationContext()
        return Ingest().process(c, context: &ctx, now: time)
    }

    static func captureFile(_ items: [Processed], header: Bool = true) -> [UInt8] {
        var out: [UInt8] = header ? CaptureLine.headerLine(tool: "test") + [0x0A] : []
        for (i, p) in items.enumerated() { out += CaptureLine.write(p, seq: i + 1, redactKeys: false) + [0x0A] }
        return out
    }

    static func gzip(_ bytes: [UInt8], in dir: URL, name: String) async throws -> String {
        let plain = dir.appendingPathComponent(name)
        try Data(bytes).write(to: plain)
        let r = try await runProgramOffPool("/usr/bin/gzip", ["-f", "-k", plain.path], timeout: 30)
        #expect(r.status == 0)
        try FileManager.default.removeItem(at: plain)
        return plain.path + ".gz"
    }

    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var debug: [(file: String, format: InputFormat, lines: Int)] = []
        private(set) var ended: [String] = []
        private(set) var sleeps: [Int64] = []
        var clock: Int64 = 1_000_000
        func addDebug(_ f: String, _ fmt: InputFormat, _ n: Int) { lock.lock(); debug.append((f, fmt, n)); lock.unlock() }
        func addEnd(_ f: String) { lock.lock(); ended.append(f); lock.unlock() }
        func sleep(_ ms: Int64) { lock.lock(); sleeps.append(ms); clock += ms; lock.unlock() }
        var now: Int64 { lock.lock(); defer { lock.unlock() }; return clock }
    }

    static func replayer(_ options: Replayer.Options = Replayer.Options()) throws -> (Replayer, CaptureStore, Collected) {
        let ingest = Ingest()
        let store = try CaptureStore(path: nil, ingest: ingest)
        let r = Replayer(store: store, ingest: SharedIngest(ingest: ingest), options: options)
        let c = Collected()
        r.onDebugLines = { f, fmt, lines in c.addDebug(f, fmt, lines.count) }
        r.onDebugEnd = { f in c.addEnd(f) }
        r.now = { c.now }
        r.sleep = { ms in c.sleep(ms) }
        return (r, store, c)
    }

    static func rows(_ store: CaptureStore) -> [StreamRow] { store.index.rows(0..<store.index.rowCount) }

    @Test("every format is detected: capture files (ampscope and fixture shape), HAR, raw bodies, stores, TypeScript and Python SDK logs, and gzip of them")
    func everyFormat() async throws {
        let dir = TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let basic = Self.processed("typescript-node/requests/ts_track_basic.jsonl")
        let batch = Self.processed("python-sdk/requests/batch_endpoint.jsonl")
        #expect(basic.count == 1 && !batch.isEmpty)
        let batchEvents = batch.reduce(0) { $0 + $1.request.records.count }

        func run(_ path: String) async throws -> (rows: [StreamRow], collected: Collected, progress: Replayer.Progress) {
            let (r, store, c) = try Self.replayer()
            await r.run([path])
            return (Self.rows(store), c, r.progress)
        }
        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            let p = dir.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: p))
            return p
        }
        // The fixture line shape, as recorded.
        let fixture = Self.fixtures.appendingPathComponent("python-sdk/requests/batch_endpoint.jsonl").path
        var r = try await run(fixture)
        #expect(r.rows.filter { $0.event.index >= 0 }.count == batchEvents)
        #expect(r.rows.allSatisfy { $0.sourceName == "batch_endpoint.jsonl" })
        // An ampscope capture file.
        let capPath = try write("cap.jsonl", Self.captureFile(basic))
        r = try await run(capPath)
        #expect(r.rows.map(\.event.eventType) == ["Button Clicked"])
        #expect(r.rows.first?.sourceName == "cap.jsonl")
        // HAR.
        let har = try write("devtools.har", HAR.write(basic, tool: "test", version: "1", redactKeys: false))
        r = try await run(har)
        #expect(r.rows.map(\.event.eventType) == ["Button Clicked"])
        // A raw request body.
        let body = try write("body.json", basic[0].capture.body)
        r = try await run(body)
        #expect(r.rows.map(\.event.eventType) == ["Button Clicked"])
        // A store.
        let storePath = dir.appendingPathComponent("other.sqlite").path
        do {
            let s = try CaptureStore(path: storePath)
            for p in basic + batch { _ = try await s.append(p) }
            await s.close()
        }
        r = try await run(storePath)
        #expect(r.rows.filter { $0.event.index >= 0 }.count == 1 + batchEvents)
        // SDK logs go to the debug consumer, whole, and end.
        let tsLog = Self.fixtures.appendingPathComponent("typescript-node/logs/ts_track_basic.console.log").path
        r = try await run(tsLog)
        #expect(r.rows.isEmpty)
        #expect(r.collected.debug.map(\.format) == [.tsLog])
        #expect(r.collected.debug.reduce(0) { $0 + $1.lines } == 86)
        #expect(r.collected.ended == ["ts_track_basic.console.log"])
        #expect(r.progress.debugLines == 86)
        for name in ["batch_endpoint.log", "batch_endpoint.log.jsonl"] {
            r = try await run(Self.fixtures.appendingPathComponent("python-sdk/logs/\(name)").path)
            #expect(r.collected.debug.first?.format == .pythonLog, "\(name)")
            #expect(r.collected.ended == [name])
        }
        // gzip of a capture file, a HAR, a TypeScript log.
        let gzCap = try await Self.gzip(Self.captureFile(basic), in: dir, name: "cap2.jsonl")
        r = try await run(gzCap)
        #expect(r.rows.map(\.event.eventType) == ["Button Clicked"])
        #expect(r.rows.first?.sourceName == "cap2.jsonl.gz")
        let gzHar = try await Self.gzip(HAR.write(basic, tool: "test", version: "1", redactKeys: false), in: dir, name: "h.har")
        r = try await run(gzHar)
        #expect(r.rows.map(\.event.eventType) == ["Button Clicked"])
        let gzLog = try await Self.gzip([UInt8](try Data(contentsOf: URL(fileURLWithPath: tsLog))), in: dir, name: "app.console.log")
        r = try await run(gzLog)
        #expect(r.collected.debug.first?.format == .tsLog)
        #expect(r.collected.debug.reduce(0) { $0 + $1.lines } == 86)
        // A format forced with --format.
        var o = Replayer.Options()
        o.format = .body
        let (forced, store, _) = try Self.replayer(o)
        await forced.run([try write("odd-name.txt", basic[0].capture.body)])
        #expect(Self.rows(store).map(\.event.eventType) == ["Button Clicked"])
    }

    @Test("a capture file replayed on two threads in small batches gives the rows of its requests processed one by one, in order")
    func sameRowsAsSequential() async throws {
        let dir = TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Every flavor, good and bad (Segment calls with their mapped rows too), and a junk line.
        var demo = DemoTraffic(seed: 23, badRate: 0.3)
        var ctx = ValidationContext()
        var file: [UInt8] = CaptureLine.headerLine(tool: "test") + [0x0A]
        for seq in 1...1_200 {
            var c = demo.next()
            if seq % 50 == 0 {
                // A Segment call: its row is followed by the rows of the Amplitude records mapped from it.
                let body = "{\"writeKey\":\"wk\",\"type\":\"track\",\"event\":\"Order \(seq)\",\"userId\":\"u\(seq)\",\"messageId\":\"m-\(seq)\",\"properties\":{\"revenue\":\(seq)}}"
                c = Capture(receivedAt: c.receivedAt, source: CaptureSource(kind: .proxy, name: "segment"), path: "/v1/track",
                            headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8))
            }
            let p = Ingest().process(c, context: &ctx, now: 1_000)
            file += CaptureLine.write(p, seq: seq, redactKeys: false) + [0x0A]
            if seq == 600 { file += Array("not a capture line".utf8) + [0x0A] }
        }
        let path = dir.appendingPathComponent("demo.jsonl").path
        try Data(file).write(to: URL(fileURLWithPath: path))

        // The oracle: each line parsed and processed in order, its rows extracted after judging.
        var expected: [EventSummary] = []
        var oracle = ValidationContext()
        for (line, text) in LineSplitter(file) where !text.isEmpty {
            guard case .success(let c?) = CaptureLine.parse(text, name: "demo.jsonl", line: line) else { continue }
            let p = Ingest().process(c, context: &oracle, now: c.receivedAt)
            expected += EventSummary.extract(p)
        }
        #expect(expected.count > 1_200)
        #expect(expected.contains { $0.mapped != nil }, "Segment calls with mapped rows are in the mix")
        #expect(expected.contains { !$0.rules.isEmpty })

        var options = Replayer.Options()
        options.threads = 2
        options.batchLines = 100  // more than parallelMap's 64, so batches go through its workers
        options.firstBatchLines = 10
        let (r, store, _) = try Self.replayer(options)
        await r.run([path])
        let rows = Self.rows(store)
        #expect(rows.filter { $0.event.rules == [RuleID.unreadableInput] }.count == 1)
        let replayed = rows.map(\.event).filter { $0.rules != [RuleID.unreadableInput] }
        #expect(replayed.count == expected.count)
        for (i, (got, want)) in zip(replayed, expected).enumerated() where got != want {
            Issue.record("row \(i): \(got) instead of \(want)")
            break
        }
    }

    @Test("several files merge into one stream in time order, each event tagged with its file")
    func mergeInTimeOrder() async throws {
        let dir = TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.jsonl").path
        let b = dir.appendingPathComponent("b.jsonl").path
        try Data(Self.captureFile([Self.capture(1000, type: "a1"), Self.capture(3000, type: "a2"), Self.capture(5000, type: "a3")]))
            .write(to: URL(fileURLWithPath: a))
        try Data(Self.captureFile([Self.capture(2000, type: "b1"), Self.capture(3000, type: "b2"), Self.capture(4000, type: "b3")], header: false))
            .write(to: URL(fileURLWithPath: b))
        let (r, store, c) = try Self.replayer()
        await r.run([a, b])
        let rows = Self.rows(store)
        // Equal times: the file given first comes first.
        #expect(rows.map(\.event.eventType) == ["a1", "b1", "a2", "b2", "b3", "a3"])
        #expect(rows.map(\.sourceName) == ["a.jsonl", "b.jsonl", "a.jsonl", "b.jsonl", "b.jsonl", "a.jsonl"])
        #expect(rows.map(\.receivedAt) == [1000, 2000, 3000, 3000, 4000, 5000])
        #expect(r.progress.finished && r.progress.files == 2 && r.progress.events == 6)
        #expect(c.sleeps.isEmpty, "as fast as possible by default")
    }

    @Test("--speed paces by the recorded gaps divided by N, on an injected clock (no real sleeping); long pauses are shortened")
    func pacing() async throws {
        let dir = TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("p.jsonl").path
        let t0: Int64 = 1_795_000_000_000
        try Data(Self.captureFile([Self.capture(t0, type: "e1"), Self.capture(t0 + 1000, type: "e2"), Self.capture(t0 + 3000, type: "e3"),
                                   Self.capture(t0 + 3000 + 2 * 3_600_000, type: "e4")]))
            .write(to: URL(fileURLWithPath: path))
        var o = Replayer.Options()
        o.speed = 2
        let (r, store, c) = try Self.replayer(o)
        await r.run([path])
        #expect(Self.rows(store).map(\.event.eventType) == ["e1", "e2", "e3", "e4"])
        // 1000 ms / 2, 2000 ms / 2, then a two-hour gap cut to 60 s, / 2.
        #expect(c.sleeps == [500, 1000, 30_000], "\(c.sleeps)")
        var fast = Replayer.Options()
        fast.speed = 1000
        let (r2, _, c2) = try Self.replayer(fast)
        await r2.run([path])
        #expect(c2.sleeps == [1, 2, 60], "\(c2.sleeps)")
    }

    @Test("unreadable lines are counted and shown as unreadable-input rows naming file:line, in place")
    func badLines() async throws {
        let dir = TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.jsonl").path
        var bytes = Self.captureFile([Self.capture(1000, type: "ok1")])           // lines 1-2
        bytes += Array("{\"path\": \"/2/httpapi\", \"body\": \n".utf8)             // line 3: broken JSON
        bytes += [0xFF, 0xFE, 0x00, 0x1B, 0x5B, 0x32, 0x4A, 0x0A]                   // line 4: binary junk
        bytes += Array("[1, 2, 3]\n".utf8)                                         // line 5: not an object
        bytes += CaptureLine.write(Self.capture(2000, type: "ok2"), seq: 2, redactKeys: false) + [0x0A]  // line 6
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (r, store, _) = try Self.replayer()
        await r.run([path])
        let rows = Self.rows(store)
        #expect(rows.count == 5)
        #expect(r.progress.problems == 3)
        #expect(r.progress.captures == 2)
        let bad = rows.filter { $0.event.rules.contains(RuleID.unreadableInput) }
        #expect(bad.count == 3)
        var messages: [String] = []
        for row in bad {
            let p = try store.payloads.processed(row.captureID)
            messages += p.findings.map(\.message)
        }
        #expect(messages.contains { $0.hasPrefix("bad.jsonl:3 could not be read") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("bad.jsonl:4 could not be read") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("bad.jsonl:5 could not be read") }, "\(messages)")
        // In place: between the good lines.
        #expect(rows.first?.event.eventType == "ok1")
        #expect(rows.last?.event.eventType == "ok2")
        // A file that cannot be opened is a row too.
        let (r2, store2, _) = try Self.replayer()
        await r2.run([dir.appendingPathComponent("missing.jsonl").path])
        #expect(r2.progress.problems == 1)
        #expect(Self.rows(store2).first?.event.rules == [RuleID.unreadableInput])
    }

    /// A sleep the test releases one poll at a time, so following is deterministic.
    ///
    /// The test waits for the replayer to come back to its poll (`arrived`), not for a clock: in
    /// a parallel run under ThreadSanitizer every task can stand still for minutes while other
    /// suites hold the cooperative pool, and a wall-clock deadline of 120 s failed there with
    /// nothing wrong. A replayer that never comes back ends at the test's time limit.
    final class Gate: @unchecked Sendable {
        private let lock = NSLock()
        private var waiting: CheckedContinuation<Void, Never>?
        private var arrivals = 0
        /// The test, waiting for the `target`th arrival.
        private var watcher: (id: Int, target: Int, resume: CheckedContinuation<Void, Never>)?
        private var watchers = 0

        func sleep() async {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.lock()
                waiting = c
                arrivals += 1
                var ready: CheckedContinuation<Void, Never>?
                if let w = watcher, arrivals >= w.target {
                    ready = w.resume
                    watcher = nil
                }
                lock.unlock()
                ready?.resume()
            }
        }

        var count: Int { lock.lock(); defer { lock.unlock() }; return arrivals }

        /// Lets the replayer go on without waiting for it.
        func release() {
            lock.lock()
            let c = waiting
            waiting = nil
            lock.unlock()
            c?.resume()
        }

        /// Waits until the replayer has come to its poll `target` times in all (throws if the
        /// test is cancelled first, as at its time limit).
        func arrived(_ target: Int) async throws {
            let id = lock.withLock { watchers += 1; return watchers }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    lock.lock()
                    if arrivals >= target || Task.isCancelled {
                        lock.unlock()
                        c.resume()
                        return
                    }
                    watcher = (id, target, c)
                    lock.unlock()
                }
            } onCancel: {
                lock.lock()
                var c: CheckedContinuation<Void, Never>?
                if let w = watcher, w.id == id {
                    c = w.resume
                    watcher = nil
                }
                lock.unlock()
                c?.resume()
            }
            if count < target { throw ProxyTestFailure("the replayer did not get back to its poll (cancelled)") }
        }

        /// Lets the replayer poll once and waits until it is idle again.
        func step() async throws {
            let target = count + 1
            release()
            try await arrived(target)
        }
    }

    @Test("--follow reads what is appended, starts again after truncation, reopens after rotation", .timeLimit(.minutes(10)))
    func followTruncationRotation() async throws {
        let dir = TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("live.jsonl").path
        func append(_ items: [Processed], truncate: Bool = false, seq: Int = 1) throws {
            if truncate || !FileManager.default.fileExists(atPath: path) {
                FileManager.default.createFile(atPath: path, contents: nil)
            }
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            if truncate { try h.truncate(atOffset: 0) } else { try h.seekToEnd() }
            var bytes: [UInt8] = []
            for (i, p) in items.enumerated() { bytes += CaptureLine.write(p, seq: seq + i, redactKeys: false) + [0x0A] }
            try h.write(contentsOf: Data(bytes))
            try h.close()
        }
        try append([Self.capture(1000, type: "first"), Self.capture(2000, type: "second"), Self.capture(3000, type: "third")])
        var o = Replayer.Options()
        o.follow = true
        let (r, store, _) = try Self.replayer(o)
        let gate = Gate()
        r.sleep = { _ in await gate.sleep() }
        let task = Task { await r.run([path]) }
        try await gate.arrived(1)
        func types() -> [String] { Self.rows(store).map(\.event.eventType) }
        #expect(types() == ["first", "second", "third"])
        #expect(r.progress.following)
        // Appended.
        try append([Self.capture(4000, type: "fourth")], seq: 4)
        try await gate.step()
        #expect(types() == ["first", "second", "third", "fourth"])
        // Nothing new.
        try await gate.step()
        #expect(types().count == 4)
        // Truncated and rewritten shorter: read from the start.
        try append([Self.capture(5000, type: "after-truncation")], truncate: true)
        try await gate.step()
        #expect(types() == ["first", "second", "third", "fourth", "after-truncation"])
        // Rotated: the old file moves away, a new one takes the name.
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try append([Self.capture(6000, type: "rotated-1"), Self.capture(7000, type: "rotated-2")])
        try await gate.step()
        #expect(types().suffix(2) == ["rotated-1", "rotated-2"])
        // Gone for a while: the replay waits.
        try FileManager.default.removeItem(atPath: path)
        try await gate.step()
        #expect(types().count == 7)
        // Cancelled (the UI quit): following stops.
        task.cancel()
        gate.release()
        await task.value
        #expect(types().count == 7)
    }
}
