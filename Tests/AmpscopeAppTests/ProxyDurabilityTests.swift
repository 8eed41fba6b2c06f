import AmpscopeCore
import AmpscopeStore
import Foundation
import Testing

/// `kill -9` of the real proxy binary under load: every request a client saw acknowledged (2xx)
/// must be in the store when it is reopened.
@Suite(.serialized) struct ProxyDurabilityTests {
    @Test func killMinus9UnderLoadLosesNoAcknowledgedRequest() async throws {
        let dir = ProxyProcess.tempDir()
        let storePath = dir.appendingPathComponent("kill9.sqlite").path
        let proxy = try await onOwnThread { try ProxyProcess(["--store", storePath, "--quiet"]) }
        let port = proxy.port
        let acked = AckLog()
        let clients = 4
        let stop = AckLog()

        // Several concurrent keep-alive clients, each request with its own insert_ids.
        let workers: [Task<Int, Error>] = (0..<clients).map { k in
            Task {
                try await onOwnThread {
                    var sent = 0
                    guard let socket = try? ProxyAppSocket(port: port, timeout: 10) else { return 0 }
                    var i = 0
                    while !stop.stopped {
                        let ids = (0..<3).map { "k\(k)-r\(i)-e\($0)" }
                        let events = ids.map { "{\"event_type\":\"Load\",\"user_id\":\"user-kill-\(k)\",\"insert_id\":\"\($0)\",\"time\":1795000000000}" }
                        let body = Array("{\"api_key\":\"0123456789abcdef0123456789abcdef\",\"events\":[\(events.joined(separator: ","))]}".utf8)
                        guard let r = try? socket.post("/2/httpapi", body) else { break }
                        sent += 1
                        if (200..<300).contains(r.status) { acked.add(ids) }
                        i += 1
                    }
                    return sent
                }
            }
        }
        // Let load build up, then kill -9 in the middle of it. On a machine busy with other tests
        // the clients may take a while to get going: the 60 s start when the first answer is in.
        let start = Date().addingTimeInterval(300)
        while acked.count == 0 && Date() < start { try await Task.sleep(nanoseconds: 20_000_000) }
        let deadline = Date().addingTimeInterval(60)
        while acked.count < 3 * 1500 && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        let status = try await onOwnThread { proxy.stop(signal: SIGKILL) }
        stop.stop()
        var attempted = 0
        for w in workers { attempted += try await w.value }
        #expect(status == SIGKILL || status == 9 || status == 137, "terminated by SIGKILL (status \(status))")

        let store = try CaptureStore(path: storePath)
        var stored = Set<String>()
        for id in await store.captureIDs() {
            let p = try await store.processed(id)
            for e in EventSummary.extract(p) { if let i = e.insertID { stored.insert(i) } }
        }
        let ackedIDs = acked.all
        let lost = ackedIDs.subtracting(stored)
        FileHandle.standardError.write(Data("""
            kill -9 durability: \(clients) clients, \(attempted) requests attempted, \(ackedIDs.count / 3) acknowledged (2xx), \
            \(await store.captureCount) requests / \(stored.count) events in the store after reopening, \(lost.count) acknowledged events missing

            """.utf8))
        #expect(ackedIDs.count >= 3 * 100, "the load should get well under way before the kill (\(ackedIDs.count / 3) acknowledged)")
        #expect(lost.count == 0, "acknowledged but not stored: \(lost.sorted().prefix(10))")
        #expect(stored.count >= ackedIDs.count)
        await store.close()
    }
}

final class AckLog: @unchecked Sendable {
    private var ids = Set<String>()
    private var flag = false
    private let lock = NSLock()
    func add(_ new: [String]) { lock.lock(); ids.formUnion(new); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return ids.count }
    var all: Set<String> { lock.lock(); defer { lock.unlock() }; return ids }
    func stop() { lock.lock(); flag = true; lock.unlock() }
    var stopped: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}
