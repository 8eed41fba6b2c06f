import AmpscopeCore
import AmpscopeStore
import AmpscopeTestSupport
import Foundation
import Testing

/// The store on a 2 MiB tmpfs that fills up: the proxy must answer a status SDKs retry on (5xx,
/// never 2xx for a request it did not store), say why on stderr, store again once space returns,
/// and lose nothing it acknowledged.
///
/// Needs `mount -t tmpfs` (root, or CAP_SYS_ADMIN). Where mounting is not permitted the test is
/// reported as skipped with the reason, never passed.
@Suite(.serialized) struct FullDiskTests {
    /// nil when a tmpfs can be mounted here; else why not (printed once, shown as the skip reason).
    static let mountProblem: String? = {
        let dir = TempDir.make("ampscope-mount-probe")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let m = try Programs.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.path], timeout: 30)
            guard m.status == 0 else {
                let why = "mount -t tmpfs is not permitted here (exit \(m.status): \(m.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))"
                FileHandle.standardError.write(Data("FullDiskTests skipped: \(why)\n".utf8))
                return why
            }
            _ = try Programs.run("/bin/umount", [dir.path], timeout: 30)
            return nil
        } catch {
            let why = "mount could not be run: \(error)"
            FileHandle.standardError.write(Data("FullDiskTests skipped: \(why)\n".utf8))
            return why
        }
    }()

    static func body(_ ids: [String], pad: Int) -> [UInt8] {
        let filler = String(repeating: "x", count: pad)
        let events = ids.map { "{\"event_type\":\"Disk\",\"user_id\":\"user-disk-1\",\"insert_id\":\"\($0)\",\"time\":1795000000000,\"event_properties\":{\"pad\":\"\(filler)\"}}" }
        return Array("{\"api_key\":\"0123456789abcdef0123456789abcdef\",\"events\":[\(events.joined(separator: ","))]}".utf8)
    }

    /// Writes zeros to `path` until the file system is full; returns the bytes written.
    static func fill(_ path: String) -> Int {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while true {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            total += n
        }
        return total
    }

    @Test(.enabled(if: mountProblem == nil, "needs mount -t tmpfs (root); see the reason printed on stderr"))
    func aFullDiskIsAnswered503AndNothingAcknowledgedIsLost() async throws {
        let dir = TempDir.make("ampscope-full-disk")
        let mnt = dir.appendingPathComponent("mnt")
        try FileManager.default.createDirectory(at: mnt, withIntermediateDirectories: true)
        let m = try Programs.run("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt.path], timeout: 30)
        try #require(m.status == 0, "mount: \(m.stderr)")
        defer {
            if (try? Programs.run("/bin/umount", [mnt.path], timeout: 60))?.status != 0 {
                _ = try? Programs.run("/bin/umount", ["-l", mnt.path], timeout: 60)
            }
            try? FileManager.default.removeItem(at: dir)
        }
        let storePath = mnt.appendingPathComponent("store.sqlite").path
        let filler = mnt.appendingPathComponent("filler").path
        let proxy = try await onOwnThread { try ProxyProcess(["--store", storePath, "--quiet"]) }
        var stopped = false
        defer { if !stopped { proxy.stop(signal: SIGKILL) } }
        let port = proxy.port

        var acked = Set<String>()
        var statuses: [String: [Int]] = [:]
        var seq = 0
        func post(_ phase: String, pad: Int) async throws -> Int {
            seq += 1
            let ids = (0..<3).map { "\(phase)-\(seq)-\($0)" }
            let body = Self.body(ids, pad: pad)
            let r = try await onOwnThread { try RawHTTP.send(port: port, "POST", "/2/httpapi", headers: ["Content-Type: application/json"], body: body) }
            if (200..<300).contains(r.status) { acked.formUnion(ids) }
            statuses[phase, default: []].append(r.status)
            return r.status
        }

        // 1. Space: every request stored and acknowledged.
        for _ in 0..<20 { _ = try await post("before", pad: 200) }
        #expect(statuses["before"]!.allSatisfy { $0 == 200 }, "before: \(statuses["before"]!)")

        // 2. Full: fill the file system, then keep sending until the store fails.
        let filled = try await onOwnThread { Self.fill(filler) }
        var failures = 0
        for _ in 0..<200 where failures < 10 {
            let s = try await post("full", pad: 20_000)
            if !(200..<300).contains(s) { failures += 1 }
        }
        let full = statuses["full"] ?? []
        let refused = full.filter { !(200..<300).contains($0) }
        #expect(!refused.isEmpty, "the store never failed on a full disk (filler \(filled) bytes, statuses \(full))")
        #expect(refused.allSatisfy { $0 == 503 || $0 == 500 }, "a refused request gets 503/500, which SDKs retry: \(refused)")
        let deadline = Date().addingTimeInterval(30)
        while !proxy.stderr.contains("could not store") && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        #expect(proxy.stderr.contains("could not store"), "the proxy says why on stderr:\n\(proxy.stderr)")

        // 3. Space returns: storing resumes.
        try FileManager.default.removeItem(atPath: filler)
        var firstOK: Int?
        for i in 0..<50 where firstOK == nil {
            if try await post("recovering", pad: 200) == 200 { firstOK = i }
        }
        #expect(firstOK != nil, "no request was stored after space returned: \(statuses["recovering"] ?? [])")
        for _ in 0..<20 { _ = try await post("after", pad: 200) }
        #expect((statuses["after"] ?? []).allSatisfy { $0 == 200 }, "after: \(statuses["after"] ?? [])")
        #expect(try await onOwnThread { proxy.stop() } == 0, "the proxy stops cleanly")
        stopped = true

        // 4. Nothing acknowledged is lost; the database is intact.
        let store = try CaptureStore(path: storePath)
        var stored = Set<String>()
        for id in await store.captureIDs() {
            for e in EventSummary.extract(try await store.processed(id)) { if let i = e.insertID { stored.insert(i) } }
        }
        let count = await store.captureCount
        await store.close()
        let lost = acked.subtracting(stored)
        #expect(lost.isEmpty, "acknowledged but missing: \(lost.sorted().prefix(10))")
        let integrity = try await onOwnThread { try Programs.run("/usr/bin/env", ["python3", "-c",
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('pragma integrity_check').fetchone()[0])", storePath], timeout: 120) }
        #expect(integrity.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "integrity_check: \(integrity.stdout) \(integrity.stderr)")
        FileHandle.standardError.write(Data("""
            full disk: filler \(filled) bytes; \(statuses["before"]!.count) requests before (all 200), \(full.count) while full \
            (\(full.count - refused.count) stored, \(refused.count) refused with \(Set(refused).sorted())), first stored \((firstOK ?? -1) + 1) \
            request(s) after freeing space, \(statuses["after"]?.count ?? 0) after; \(acked.count / 3) acknowledged, \(count) requests / \
            \(stored.count) events in the reopened store, \(lost.count) acknowledged events missing

            """.utf8))
    }
}
