import AmpscopeCore
import AmpscopeStore
import AmpscopeTestSupport
import Foundation
import Testing
@testable import AmpscopeApp

/// The capture-lines reader: lines across reads, a line longer than the read buffer, CRLF, a
/// last line without a newline, and the byte offsets that replayed payloads are read back from.
@Suite("LineFileSource")
struct LineFileSourceTests {
    @Test("every line once, with the file offset and length of its bytes, however the reads cut it")
    func offsets() throws {
        let dir = TempDir.make("line-source")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Captures between 1 and 60 KB, so that 4 MiB reads end inside lines; one line of junk
        // longer than the 8 MiB buffer; CRLF endings on some; the last line without a newline.
        var file: [UInt8] = CaptureLine.headerLine(tool: "test") + [0x0A]
        var expected: [(offset: Int, line: [UInt8])] = []
        var junkAt = -1
        for i in 0..<400 {
            if i == 150 {
                junkAt = file.count
                file += [UInt8](repeating: UInt8(ascii: "x"), count: 9 << 20) + [0x0A]
                continue
            }
            let pad = String(repeating: "p", count: 1_000 + (i * 7_919) % 60_000)
            let p = ReplayTests.capture(1_000 + Int64(i), type: "e\(i)-" + pad)
            let line = CaptureLine.write(p, seq: i + 1, redactKeys: false)
            expected.append((file.count, line))
            file += line
            if i == 399 { break }
            file += i % 3 == 0 ? [0x0D, 0x0A] : [0x0A]
        }
        let path = dir.appendingPathComponent("lines.jsonl").path
        try Data(file).write(to: URL(fileURLWithPath: path))

        let source = LineFileSource(path: path, name: "lines.jsonl", fileID: 7, threads: 1, follow: false)
        var captures: [(offset: Int64, length: Int32, body: String)] = []
        var problems = 0
        var rounds = 0
        while !source.exhausted && rounds < 10_000 {
            rounds += 1
            source.fill(lines: 7) { work in work.map { $0() } }
            while !source.queue.isEmpty {
                switch source.queue.removeFirst().kind {
                case .capture(let c, .file(let fileID, let offset, let length)?):
                    #expect(fileID == 7)
                    captures.append((offset, length, String(decoding: c.body, as: UTF8.self)))
                case .problem: problems += 1
                default: Issue.record("unexpected item")
                }
            }
        }
        #expect(source.exhausted)
        #expect(source.bytesRead == Int64(file.count))
        #expect(problems == 1, "the junk line at \(junkAt)")
        #expect(captures.count == expected.count)
        for (n, (got, want)) in zip(captures, expected).enumerated() {
            #expect(got.offset == Int64(want.offset))
            #expect(Int(got.length) == want.line.count)
            #expect(Array(file[Int(got.offset)..<Int(got.offset) + Int(got.length)]) == want.line)
            // The parsed line is the line itself: a batch's lines stay in the read buffer
            // until the workers copy them, across the reads that refill it.
            let i = n < 150 ? n : n + 1  // no capture for the junk line
            #expect(got.body.contains("\"event_type\":\"e\(i)-"), "capture \(n) parsed from other bytes")
        }
        #expect(captures.first?.body.contains("\"event_type\":\"e0-") == true)
        #expect(captures.last?.body.contains("\"event_type\":\"e399-") == true)
    }
}
