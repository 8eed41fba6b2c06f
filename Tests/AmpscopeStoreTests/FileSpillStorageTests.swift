import AmpscopeCore
@testable import AmpscopeStore
import Foundation
import Testing

/// The profile simulator's spilled history in an unlinked temporary file.
@Suite struct FileSpillStorageTests {
    static func scratchDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "ampscope-spill-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("appends come back byte for byte at the offsets they were given; the file has no name; reads past the end fail")
    func roundTrip() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let storage = try #require(FileSpillStorage(directory: dir))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "the file is unlinked once open")
        var rng = SplitMix64(seed: 5)
        var written: [(Int, [UInt8])] = []
        for n in 0..<200 {
            let bytes = (0..<(n * 37 % 5000 + 1)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let at = try #require(bytes.withUnsafeBytes { storage.append($0) })
            written.append((at, bytes))
        }
        #expect(storage.size == written.reduce(0) { $0 + $1.1.count })
        for (at, bytes) in written.shuffled(using: &rng) {
            var back = [UInt8](repeating: 0, count: bytes.count)
            let ok = back.withUnsafeMutableBytes { storage.read(at: at, into: $0) }
            #expect(ok && back == bytes)
        }
        var past = [UInt8](repeating: 0, count: 8)
        #expect(!past.withUnsafeMutableBytes { storage.read(at: storage.size - 4, into: $0) })
        #expect(!past.withUnsafeMutableBytes { storage.read(at: -1, into: $0) })
    }

    @Test("a simulator spilling to a file answers as one keeping everything in memory")
    func simulatorThroughAFile() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var demo = DemoTraffic(seed: 21)
        var ctx = ValidationContext()
        let ingest = Ingest()
        let processed = (0..<600).map { _ in ingest.process(demo.next(), context: &ctx, now: 1_795_400_000_000) }
        var options = ProfileOptions()
        let storage = try #require(FileSpillStorage(directory: dir))
        options.spill = storage
        options.hotEvents = 32
        var bounded = ProfileSimulator(options: options)
        var whole = ProfileSimulator()
        for (n, p) in processed.enumerated() {
            bounded.apply(p, captureID: Int64(n + 1))
            whole.apply(p, captureID: Int64(n + 1))
        }
        #expect(storage.size > 0)
        #expect(bounded.eventCount == whole.eventCount && bounded.eventCount > 2000)
        var different: [Int] = []
        for n in 0..<whole.eventCount where bounded.event(n) != whole.event(n) || bounded.changes(forEvent: n) != whole.changes(forEvent: n)
            || bounded.properties(atEvent: n).map(\.value) != whole.properties(atEvent: n).map(\.value) {
            different.append(n)
        }
        #expect(different.isEmpty, "events answered differently: \(different.prefix(10))")
        #expect(bounded.resolvedUsers == whole.resolvedUsers)
    }
}
