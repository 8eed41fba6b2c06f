import AmpscopeCore
import AmpscopeStore
import AmpscopeTestSupport
import Dispatch
import Foundation
import Testing
@testable import AmpscopeApp
#if canImport(Glibc)
import Glibc
#endif

/// The profile follower as the terminal UI runs it: on a thread of its own at a lowered priority,
/// holding a bounded backlog of judged requests and reading the rest back from the store.
@Suite("Profile follower")
struct ProfileFollowerTests {
    final class Log: @unchecked Sendable {  // every field is touched under `lock`
        private let lock = NSLock()
        private var items: [Int] = []
        private var nice: Int32?
        func add(_ i: Int) { lock.lock(); items.append(i); lock.unlock() }
        func setNice(_ n: Int32) { lock.lock(); nice = n; lock.unlock() }
        var values: [Int] { lock.lock(); defer { lock.unlock() }; return items }
        var niceValue: Int32? { lock.lock(); defer { lock.unlock() }; return nice }
    }

    @Test("a background worker runs its jobs in order on a thread of its own at a lower priority, and finishes its queue when released")
    func backgroundWorker() throws {
        errno = 0
        let callerBefore = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let log = Log()
        let done = DispatchSemaphore(value: 0)
        var worker: BackgroundWorker? = BackgroundWorker(label: "test.worker")
        for i in 0..<500 { worker!.async { log.add(i) } }
        worker!.async {
            log.setNice(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(log.values == Array(0..<500))
        // Lowered to the worker's value (a process already nicer than that stays where it is:
        // raising a priority needs a privilege), and only on the worker's thread.
        #expect(log.niceValue == max(BackgroundWorker.defaultNice, callerBefore))
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == callerBefore)

        // A delayed job runs after its delay, behind nothing.
        let start = DispatchTime.now().uptimeNanoseconds
        let late = DispatchSemaphore(value: 0)
        worker!.asyncAfter(.milliseconds(50)) { late.signal() }
        #expect(late.wait(timeout: .now() + 30) == .success)
        #expect(DispatchTime.now().uptimeNanoseconds - start >= 50_000_000)

        // Released with jobs queued: they still run, then the thread ends.
        let gate = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        worker!.async { gate.wait() }
        for i in 500..<600 { worker!.async { log.add(i) } }
        worker!.async { finished.signal() }
        worker = nil
        gate.signal()
        #expect(finished.wait(timeout: .now() + 30) == .success)
        #expect(log.values == Array(0..<600))
    }

    /// A capture file of demo traffic (identifies, groups, several users per device) and
    /// identify chains onto the same users, as lines the replayer reads back by offset.
    static func captureFile(in dir: URL) throws -> String {
        var demo = DemoTraffic(seed: 31, badRate: 0.2)
        var ctx = ValidationContext()
        var file: [UInt8] = CaptureLine.headerLine(tool: "test") + [0x0A]
        let key = "0123456789abcdef0123456789abcdef"
        for seq in 1...600 {
            var c = demo.next()
            if seq % 7 == 0 {
                let body = "{\"api_key\":\"\(key)\",\"events\":[{\"event_type\":\"$identify\",\"user_id\":\"chain-user-\(seq % 3)\",\"device_id\":\"chain-device-\(seq % 5)\","
                    + "\"time\":\(1_795_000_000_000 + seq),\"insert_id\":\"chain-\(seq)\",\"user_properties\":{\"$set\":{\"step\":\(seq)},\"$setOnce\":{\"first\":\(seq)},"
                    + "\"$append\":{\"pages\":\"/p/\(seq)\"},\"$add\":{\"visits\":1}}}]}"
                c = Capture(receivedAt: c.receivedAt, source: .proxy, path: "/2/httpapi",
                            headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8))
            }
            let p = Ingest().process(c, context: &ctx, now: c.receivedAt)
            file += CaptureLine.write(p, seq: seq, redactKeys: false) + [0x0A]
        }
        let path = dir.appendingPathComponent("demo.jsonl").path
        try Data(file).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Replays `path` into a fresh store followed by a follower with `backlogLimit` and
    /// `compactLimit`, and waits until it has applied the last capture.
    static func follow(_ path: String, backlogLimit: Int, compactLimit: Int = 0) async throws
        -> (snapshot: String, users: Int, readBacks: Int, compacted: Int, backlog: Int, perCapture: [Int], findings: [[Finding]], status: [String: Int]) {
        let ingest = Ingest()
        let store = try CaptureStore(path: nil, ingest: ingest)
        let follower = ProfileFollower(store: store, backlogLimit: backlogLimit, compactLimit: compactLimit)
        var options = Replayer.Options()
        options.threads = 2
        options.batchLines = 50
        let replayer = Replayer(store: store, ingest: SharedIngest(ingest: ingest), options: options)
        await replayer.run([path])
        let ids = store.index.captureIDs()
        let last = try #require(ids.last)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            follower.whenApplied(last, timeout: 120) { done.resume() }
        }
        let snapshot = follower.read { ProfileReport.json($0.snapshot()) }
        let perCapture = ids.map { follower.profiles(capture: $0).events.count }
        let findings = follower.read { s in ids.map { s.findings(forCapture: $0) } }
        let status = Dictionary(follower.statusFields, uniquingKeysWith: { a, _ in a })
        return (snapshot, follower.users().users.count, follower.readBacks, follower.compacted, follower.backlog, perCapture, findings, status)
    }

    /// Where two results part (nil: they do not), short enough to read in a failure.
    static func difference(_ a: String, _ b: String) -> String? {
        guard a != b else { return nil }
        let i = zip(a.utf8, b.utf8).prefix { $0 == $1 }.count
        func around(_ s: String) -> String { String(decoding: Array(s.utf8.dropFirst(max(0, i - 60)).prefix(160)), as: UTF8.self) }
        return "they part at byte \(i) of \(a.utf8.count) and \(b.utf8.count): …\(around(a))… against …\(around(b))…"
    }

    static func difference(_ a: [Int], _ b: [Int]) -> String? {
        guard a != b else { return nil }
        let differing = zip(a, b).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        return "\(differing.count) of \(a.count) captures (\(b.count)) have other event counts, first at \(differing.prefix(5))"
    }

    @Test("captures past the backlog are read back from the store and give the same profiles as the judged requests kept in memory")
    func readBackGivesTheSameProfiles() async throws {
        let dir = TempDir.make("ampscope-follower")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.captureFile(in: dir)
        let kept = try await Self.follow(path, backlogLimit: Int.max)
        let readBack = try await Self.follow(path, backlogLimit: 0)
        #expect(kept.readBacks == 0)
        #expect(readBack.readBacks == 600, "every capture was read back")
        #expect(kept.backlog == 0 && readBack.backlog == 0, "the backlog is empty once everything is applied")
        #expect(kept.users > 10)
        // GET /ampscope/status's "profiles": everything received is applied, nothing behind.
        for r in [kept, readBack] {
            #expect(r.status["captures_received"] == 600 && r.status["captures_applied"] == 600 && r.status["captures_behind"] == 0)
            #expect(r.status["backlog_body_bytes"] == 0 && r.status["read_backs"] == r.readBacks)
        }
        #expect(kept.snapshot.contains("chain-user-1"))
        #expect(readBack.users == kept.users)
        #expect(Self.difference(readBack.perCapture, kept.perCapture) == nil)
        #expect(Self.difference(readBack.snapshot, kept.snapshot) == nil)
        // A backlog of a few requests: some kept, some read back, still the same.
        let mixed = try await Self.follow(path, backlogLimit: 4_000)
        #expect(mixed.readBacks > 0 && mixed.readBacks < 600)
        #expect(mixed.backlog == 0)
        #expect(Self.difference(mixed.perCapture, kept.perCapture) == nil)
        #expect(Self.difference(mixed.snapshot, kept.snapshot) == nil)
    }

    @Test("captures past the backlog are queued in their compact form, then read back past that one's limit: the same profiles and findings")
    func compactInputsGiveTheSameProfiles() async throws {
        let dir = TempDir.make("ampscope-follower")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.captureFile(in: dir)
        let kept = try await Self.follow(path, backlogLimit: Int.max)
        let compact = try await Self.follow(path, backlogLimit: 0, compactLimit: Int.max)
        #expect(compact.readBacks == 0)
        #expect(compact.compacted > 500, "every capture with records was queued compact (\(compact.compacted))")
        #expect(compact.status["compact_backlog_bytes"] == 0 && compact.status["compacted"] == compact.compacted,
                "the compact backlog is empty once everything is applied")
        #expect(kept.findings.joined().contains { $0.rule == RuleID.setOnceNoEffect }, "the fold reported findings to compare")
        #expect(compact.users == kept.users)
        #expect(Self.difference(compact.perCapture, kept.perCapture) == nil)
        #expect(compact.findings == kept.findings)
        #expect(Self.difference(compact.snapshot, kept.snapshot) == nil)
        // All three at once: a few judged requests kept, then compact inputs, then read-backs.
        let mixed = try await Self.follow(path, backlogLimit: 4_000, compactLimit: 20_000)
        #expect(mixed.compacted > 0 && mixed.readBacks > 0 && mixed.compacted + mixed.readBacks < 600)
        #expect(mixed.backlog == 0 && mixed.status["compact_backlog_bytes"] == 0)
        #expect(Self.difference(mixed.perCapture, kept.perCapture) == nil)
        #expect(mixed.findings == kept.findings)
        #expect(Self.difference(mixed.snapshot, kept.snapshot) == nil)
    }
}
