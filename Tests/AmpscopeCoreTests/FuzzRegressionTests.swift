import Testing
@testable import AmpscopeCore

/// Inputs the fuzz targets (Sources/ampscope-fuzz, Docs/fuzzing.md) found crashing a parser,
/// fed again to the same code. Each crashed (a Swift runtime trap) before its fix.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    /// `decode`: a `time` written as a number beyond Int64 trapped converting the Double in
    /// the time-not-ms rule. It is now an error that says the number is out of range.
    @Test("a time beyond Int64 is an out-of-range finding", arguments: ["1e19", "-1e19", "9.3e18", "1e400", "-1e400", "1.5e300"])
    func hugeTime(_ raw: String) {
        let p = CoreTest.process(CoreTest.events(CoreTest.event(["time": raw])))
        expectFinding(p.findings, RuleID.timeNotMs, at: "/events/0/time", event: 0, severity: .error)
        let m = p.findings.first { $0.rule == RuleID.timeNotMs }?.message ?? ""
        #expect(m.contains("out of range"), "\(m)")
    }

    @Test("times that fit Int64 keep their suggestion")
    func timeSuggestions() {
        let written = CoreTest.process(CoreTest.events(CoreTest.event(["time": "1.7e12"])))
        #expect(written.findings.contains { $0.rule == RuleID.timeNotMs && $0.message.contains("(1700000000000)") },
                "\(CoreTest.describe(written.findings))")
        let fraction = CoreTest.process(CoreTest.events(CoreTest.event(["time": "1795371070.5"])))
        #expect(fraction.findings.contains { $0.rule == RuleID.timeNotMs && $0.message.contains("(1795371070500)") },
                "\(CoreTest.describe(fraction.findings))")
    }

    /// `capture-line`: `received_ms` beyond Int64 trapped; it now reads as absent.
    @Test("a capture line whose received_ms is beyond Int64 is read without it", arguments: ["1e19", "-1e300", "1e400"])
    func hugeReceivedMs(_ raw: String) throws {
        let line = #"{"received_ms": \#(raw), "method": "POST", "path": "/2/httpapi", "body": "{}"}"#
        let c = try #require(try CaptureLine.parse(Array(line.utf8), name: "f.jsonl", line: 1).get())
        #expect(c.receivedAt == 0)
        let inRange = #"{"received_ms": 1.7e12, "method": "POST", "path": "/2/httpapi", "body": "{}"}"#
        #expect(try CaptureLine.parse(Array(inRange.utf8), name: "f.jsonl", line: 1).get()?.receivedAt == 1_700_000_000_000)
    }

    /// `replay`: recorded times at both ends of Int64 overflowed the pacer's gap arithmetic.
    @Test("pacing recorded times at the ends of Int64 saturates", arguments: [1.0, 0.001, 1e-300, 1000])
    func extremeReplayTimes(_ speed: Double) {
        var pacer = ReplayPacer(speed: speed)
        var delays: [Int64] = []
        for t: Int64 in [.min, .max, .min, 0, .max, -1] {
            delays.append(pacer.delay(recorded: t, now: 5))
        }
        #expect(delays.first == 0)
        #expect(delays.allSatisfy { $0 >= 0 })
        // Ordinary gaps are unchanged: 1 s recorded at speed 2 is due 500 ms later.
        var normal = ReplayPacer(speed: 2)
        _ = normal.delay(recorded: 1_000, now: 0)
        #expect(normal.delay(recorded: 2_000, now: 0) == 500)
    }
}
