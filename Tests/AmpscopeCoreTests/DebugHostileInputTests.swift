import Foundation
import Testing
@testable import AmpscopeCore

@Suite("Debug log parser on hostile input")
struct DebugHostileInputTests {
    func run(_ lines: [[UInt8]], limits: DebugLogLimits = DebugLogLimits()) -> ([DebugRecord], DebugLogParser) {
        var p = DebugLogParser(source: "hostile.log", limits: limits)
        var out: [DebugRecord] = []
        for l in lines { out += p.feed(line: l) }
        out += p.finish()
        return (out, p)
    }

    /// Splits on LF bytes (a Swift `Character` split would keep "\r\n" together).
    func lines(_ s: String) -> [[UInt8]] { Array(s.utf8).split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) } }

    @Test func binaryJunkIsReportedWithItsLine() throws {
        var input = lines("Amplitude Logger [Log]: Event tracked successfully")
        input.append([0x00, 0xFF, 0xFE, 0x01, 0x02, 0x80])
        input.append([0xC3, 0x28, 0x41])  // invalid UTF-8
        input += lines("plain app output\nAmplitude Logger [Error]: Event rejected due to exceeded retry count")
        let (records, p) = run(input)
        #expect(records.map(\.code) == [200, 500])
        #expect(p.problems.map(\.line) == [2, 3])
        #expect(p.problems.allSatisfy { $0.reason.hasPrefix("binary data") && $0.source == "hostile.log" })
        #expect(p.stats.badLines == 2 && p.stats.otherLines == 1 && p.stats.lines == 5)
    }

    @Test func unbalancedBlockIsCutOffAndReported() throws {
        let (records, p) = run(lines("""
        Amplitude Logger [Debug]: {
          "type": "invoke public method",
          "name": "track",
        server listening on 8080
        Amplitude Logger [Log]: Event tracked successfully
        """))
        try #require(records.count == 2)
        #expect(records[0].kind == .message && records[0].truncated && records[0].line == 1 && records[0].endLine == 3)
        #expect(records[0].text.hasPrefix("{\n  \"type\""))
        #expect(records[1].code == 200 && records[1].line == 5)
        #expect(p.problems.count == 1 && p.problems[0].line == 1)
        #expect(p.problems[0].reason.contains("cut off at line 4"))
        #expect(p.stats.otherLines == 1)
    }

    @Test func blockThatNeverEndsIsBounded() throws {
        var input = lines("Amplitude Logger [Debug]: {")
        for i in 0..<500 { input.append(Array("  \"k\(i)\": [".utf8)) }
        input += lines("Amplitude Logger [Log]: Event tracked successfully")
        let limits = DebugLogLimits(maxLineBytes: 1024, maxBlockBytes: 2048, maxBlockLines: 100, maxProblems: 10)
        let (records, p) = run(input, limits: limits)
        #expect(records.first?.truncated == true)
        #expect(records.first.map { $0.text.utf8.count <= 2048 } == true)
        #expect(records.last?.code == 200)
        #expect(p.problems.first?.line == 1)
        #expect(p.problems.first?.reason.contains("100 lines") == true)
        // The lines after the forced close are read as fresh lines (not SDK lines): counted.
        #expect(p.stats.lines == 502)
    }

    @Test func unterminatedBlockAtEndOfInput() throws {
        let (records, p) = run(lines("Amplitude Logger [Warn]: {\n  \"error\": \"x\""))
        try #require(records.count == 1); #expect(records[0].truncated)
        #expect(p.problems.count == 1 && p.problems[0].reason.contains("never ends"))
    }

    @Test func enormousLinesAreCutAndCounted() throws {
        let limits = DebugLogLimits(maxLineBytes: 64 * 1024, maxBlockBytes: 128 * 1024, maxBlockLines: 1000, maxProblems: 10)
        var big = Array("Amplitude Logger [Log]: Timeline.apply: Final event before destinations, event: {\"event_type\":\"".utf8)
        big += [UInt8](repeating: UInt8(ascii: "x"), count: 2_000_000)
        big += Array("\"}".utf8)
        let (records, p) = run([big, Array("Amplitude Logger [Log]: Event tracked successfully".utf8)], limits: limits)
        try #require(records.count == 2)
        #expect(records[0].kind == .pipeline && records[0].event == nil)  // JSON cut: not a final event
        #expect(records[0].text.utf8.count < 64 * 1024)
        #expect(records[1].code == 200)
        #expect(p.stats.droppedBytes >= 2_000_000 - 64 * 1024)
        #expect(p.problems.contains { $0.line == 1 && $0.reason.contains("over the 65536-byte limit") })
    }

    @Test func chunkedInputWithoutNewlinesStaysBounded() throws {
        var p = DebugLogParser(source: "stream", limits: DebugLogLimits(maxLineBytes: 4096))
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 100_000)
        for _ in 0..<50 { #expect(p.feed(bytes: chunk).isEmpty) }
        _ = p.feed(bytes: Array("\nAmplitude Logger [Log]: Event tracked successfully\n".utf8))
        #expect(p.stats.droppedBytes == 5_000_000 - 4096)
        #expect(p.stats.records == 1)
        #expect(p.problems.first?.line == 1)
    }

    @Test func bigBlockIsKeptOnlyUpToTheLimit() throws {
        var input = lines("Amplitude Logger [Debug]: {\n  \"name\": \"track\",\n  \"args\": [")
        for _ in 0..<2000 { input.append(Array("    \"\(String(repeating: "y", count: 100))\",".utf8)) }
        input += lines("    1\n  ]\n}\nAmplitude Logger [Log]: Event tracked successfully")
        let (records, p) = run(input, limits: DebugLogLimits(maxBlockBytes: 32 * 1024))
        try #require(records.count == 2)
        #expect(records[0].truncated && records[0].kind == .message && records[0].endLine == 2006)
        #expect(records[0].text.utf8.count <= 32 * 1024)
        #expect(records[1].code == 200)
        #expect(p.problems.count == 1 && p.problems[0].line == 1)
    }

    @Test func escapeSequencesStayRawAndSanitizeForDisplay() throws {
        let evil = "Amplitude Logger [Error]: \u{1b}]0;pwned\u{07}\u{1b}[2J\u{202e}gnp.exe"
        let (records, p) = run([Array(evil.utf8)])
        try #require(records.count == 1)
        let r = records[0]
        #expect(r.text.contains("\u{1b}[2J"))
        let shown = Sanitize.visible(r.headline)
        #expect(!shown.unicodeScalars.contains { Sanitize.isUnsafe($0.value) })
        #expect(p.problems.isEmpty)
        // Escapes inside JSON strings of a debug block decode to the control characters.
        let block = lines("""
        Amplitude Logger [Debug]: {
          "type": "invoke public method",
          "name": "track",
          "args": ["\\u001b[31mred"]
        }
        """)
        let (rb, _) = run(block)
        #expect(rb[0].call?.argsJSON == "[\"\\u001b[31mred\"]")
    }

    @Test func invalidDebugJSONAndUnknownLevels() throws {
        let (records, p) = run(lines("""
        Amplitude Logger [Debug]: {
          "name": "track",
          "args": [1,, 2]
        }
        Amplitude Logger [Shout]: hello
        Amplitude Logger [Debug
        """))
        try #require(records.count == 3)
        #expect(records[0].kind == .message && records[0].call == nil)
        #expect(records[1].text == "hello")
        #expect(records[2].kind == .message)
        #expect(p.problems.map(\.line) == [1, 5, 6])
    }

    @Test func problemsAreCappedButCounted() throws {
        let input = (0..<50).map { _ in [UInt8]([0, 1, 2, 3]) }
        let (_, p) = run(input, limits: DebugLogLimits(maxProblems: 5))
        #expect(p.problems.count == 5)
        #expect(p.stats.problems == 50)
        #expect(p.stats.badLines == 50)
    }

    @Test func crlfAndEmptyLines() throws {
        let (records, p) = run(lines("Amplitude Logger [Warn]: {\r\n  \"error\": \"x\"\r\n}\r\n\r\nINFO:amplitude:ok\r"))
        try #require(records.count == 2)
        #expect(records[0].response?.error == "x")
        #expect(records[1].text == "ok")
        #expect(p.problems.isEmpty)
    }

    /// Random bytes with SDK fragments mixed in: never crashes, every line is counted.
    @Test func fuzz() throws {
        var g = DebugRandom(seed: 42)
        let fragments = ["Amplitude Logger [", "Debug]: {", "Log]: ", "Warn]: {code: 0, ", "\"", "}", "]", "[", "{",
                         "ERROR:amplitude:", "Traceback (most recent call last):", "  File \"x\", line 1, in f",
                         "[Amplitude] ", " | code=", " event={", "success: {", "\u{1b}[", "\\", "\n"]
        for _ in 0..<300 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(g.next() % 60) {
                if g.next() % 3 == 0 {
                    for _ in 0..<Int(g.next() % 8) { bytes.append(UInt8(truncatingIfNeeded: g.next())) }
                } else {
                    bytes += Array(fragments[Int(g.next() % UInt64(fragments.count))].utf8)
                }
            }
            var p = DebugLogParser(source: "fuzz", limits: DebugLogLimits(maxLineBytes: 256, maxBlockBytes: 512, maxBlockLines: 20))
            var records: [DebugRecord] = []
            var i = 0
            while i < bytes.count {
                let n = Int(g.next() % 17) + 1
                records += p.feed(bytes: bytes[i..<min(bytes.count, i + n)])
                i += n
            }
            records += p.finish()
            let newlines = bytes.filter { $0 == 0x0A }.count
            let expectedLines = newlines + (bytes.last == 0x0A || bytes.isEmpty ? 0 : 1)
            #expect(p.stats.lines == expectedLines)
            #expect(p.stats.records == records.count)
            for r in records { #expect(r.line >= 1 && r.endLine >= r.line && r.endLine <= max(1, expectedLines)) }
        }
    }
}
