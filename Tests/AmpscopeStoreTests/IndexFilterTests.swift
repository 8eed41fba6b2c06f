import AmpscopeCore
@testable import AmpscopeStore
import Foundation
import Testing
import AmpscopeTestSupport

/// Differential tests: the index scan (`StoreIndex.scan`, terms decided on interned ids) must
/// return exactly what `Filter.evaluate` returns on each row's `StreamRow`, for every filter.
@Suite struct IndexFilterTests {
    /// The core's deterministic generator (`pick` and the helpers below draw the same sequence
    /// as before: `next() % n`).
    typealias RNG = SplitMix64

    static let eventTypes = ["Button Clicked", "Page Viewed", "$identify", "$groupidentify", "App Opened", "購入完了", "Song Played",
                             "checkout", "CHECKOUT started", "", "(no event_type)", "K\u{212A}elvin", "caf\u{E9}", "cafe\u{301}",
                             "Ünïcode Ève", "tab\tinside", "emoji 🎉 party", "\u{1B}[31mred"]
    static let users = ["alice@example.com", "bob", "carol-0001", "ユーザー123", "user-1000", "user-10001", "USER-1000", "", "K", "\u{212A}"]
    static let devices = ["dev-1234567", "dev-7654321", "devonly-999", "0a1b2c3d-uuid", "0A1B", "", "デバイス"]
    static let sources = ["proxy", "replay", "track_basic.jsonl", "demo", "capture log.jsonl", "日本.har", ""]
    static let methods = ["POST", "PUT", "GET", "post", ""]
    static let keys: [String?] = [nil, "0123************************cdef", "abcd************************0000", "ÄÖÜ*key"]
    static let rulePool = ["id-too-short", "unknown-field", "mixed-user-properties", "missing-user-or-device", "time-in-future",
                           "bad-json", "規則"]
    static let inserts = ["aaaa-1111", "AAAA-2222", "0a1b2c3d-0000-4000-8000-000000000000", "", "挿入-id", "K\u{212A}", "e\u{301}",
                          "x\u{E9}"]

    /// An index of `requests` random requests (1 to 10 events each; some without events).
    static func makeIndex(requests: Int, seed: UInt64) -> StoreIndex {
        var g = RNG(seed: seed)
        let index = StoreIndex()
        index.mutate { idx in
            for c in 0..<requests {
                var summaries: [EventSummary] = []
                let n = g.chance(0.05) ? 1 : 1 + g.int(10)
                let noRecords = n == 1 && g.chance(0.3)
                for i in 0..<n {
                    var s = EventSummary(index: noRecords ? -1 : i, eventType: g.pick(eventTypes))
                    s.userID = g.chance(0.85) ? g.pick(users) : nil
                    s.deviceID = g.chance(0.8) ? g.pick(devices) : nil
                    if g.chance(0.7) {
                        s.insertID = g.chance(0.5) ? g.pick(inserts) : "\(g.pick(inserts))-\(g.int(100_000))"
                    }
                    s.time = g.chance(0.9) ? 1_795_000_000_000 + Int64(g.int(1_000_000)) : nil
                    s.sessionID = g.chance(0.7) ? [Int64(-1), 0, 1, 1_700_000_000_000, 1_795_000_000_123][g.int(5)] : nil
                    var counts = FindingCounts()
                    counts.errors = g.chance(0.2) ? 1 + g.int(3) : 0
                    counts.warnings = g.chance(0.3) ? 1 + g.int(3) : 0
                    counts.infos = g.chance(0.3) ? 1 + g.int(70_000) : 0
                    s.counts = counts
                    s.rules = (0..<g.int(3)).map { _ in g.pick(rulePool) }
                    summaries.append(s)
                }
                let kind = g.pick(CaptureSource.Kind.allCases)
                idx.add(stored: StoredEntry(
                    location: .memory(slot: Int32(c)), receivedAt: 1_795_000_000_000 + Int64(c), requestEvents: n,
                    status: [200, 200, 400, 413, 429, 503, 0, 99_999, -5][g.int(9)], emulatedStatus: 200,
                    endpoint: g.pick(Endpoint.allCases), sourceKind: kind, sourceName: g.pick(sources), origin: nil,
                    method: g.pick(methods), apiKeyMasked: g.pick(keys), summaries: summaries))
            }
        }
        return index
    }

    /// Answers debug terms from the row's capture id and event index.
    struct Lookup: FilterDebugLookup {
        var rowsAreWireEvents: Bool
        func debugInfo(captureID: Int64, index: Int) -> DebugRowInfo? {
            switch (captureID &* 7 &+ Int64(index)) % 5 {
            case 0: return nil
            case 1: return DebugRowInfo(traceID: 1, method: "track", fate: "delivered", sdkProblems: 0)
            case 2: return DebugRowInfo(traceID: 2, method: nil, fate: "rejected", sdkProblems: 2, wireEvents: 0)
            case 3: return DebugRowInfo(traceID: 3, method: "identify", fate: "", sdkProblems: 1)
            default: return DebugRowInfo(traceID: 4, method: "setGroup", fate: "queued", sdkProblems: 0, wireEvents: 0)
            }
        }
    }

    /// What a row-by-row evaluation decides.
    static func reference(_ f: Filter, _ index: StoreIndex, _ range: Range<Int>) -> (matches: [Int], needsPayload: [Int]) {
        var m: [Int] = []
        var u: [Int] = []
        for (k, row) in index.rows(range).enumerated() {
            switch f.evaluate(row) {
            case .match: m.append(range.lowerBound + k)
            case .noMatch: break
            case .needsPayload: u.append(range.lowerBound + k)
            }
        }
        return (m, u)
    }

    /// Compares the index scan with the reference; returns a description of the first difference.
    static func differs(_ f: Filter, _ index: StoreIndex, _ range: Range<Int>, threads: Int = 2) -> String? {
        let want = reference(f, index, range)
        let got = index.scan(f, in: range, threads: threads)
        if got.matches == want.matches && got.needsPayload == want.needsPayload { return nil }
        let gm = Set(got.matches), wm = Set(want.matches), gu = Set(got.needsPayload), wu = Set(want.needsPayload)
        let bad = (gm.symmetricDifference(wm)).union(gu.symmetricDifference(wu)).sorted().first
        let row = bad.flatMap { index.row($0) }.map { "\($0)" } ?? "?"
        return "filter \(f.text.debugDescription): \(got.matches.count)/\(got.needsPayload.count) vs \(want.matches.count)/\(want.needsPayload.count); first differing row \(bad ?? -1): \(row)"
    }

    // MARK: Filters to try

    static var testsDirectory: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent() }

    /// The filter strings of the core filter tests (`("...", [...])` table rows and `Filter("...")` calls).
    static func filterTestExamples() throws -> [String] {
        let text = try String(contentsOf: testsDirectory.appendingPathComponent("AmpscopeCoreTests/FilterTests.swift"), encoding: .utf8)
        var out: [String] = []
        var it = text.unicodeScalars.makeIterator()
        var previous: Unicode.Scalar = " "
        // Every Swift string literal in the file (most are filters; the rest fail to parse or are harmless).
        while let c = it.next() {
            defer { previous = c }
            guard c == "\"", previous != "\\" else { continue }
            var s = String.UnicodeScalarView()
            var closed = false
            while let d = it.next() {
                if d == "\\" {
                    guard let e = it.next() else { break }
                    switch e {
                    case "n": s.append("\n")
                    case "t": s.append("\t")
                    case "u":
                        var hex = ""
                        while let h = it.next(), h != "}" { if h != "{" { hex.unicodeScalars.append(h) } }
                        if let v = UInt32(hex, radix: 16), let u = Unicode.Scalar(v) { s.append(u) }
                    default: s.append(e)
                    }
                    continue
                }
                if d == "\"" { closed = true; break }
                if d == "\n" { break }
                s.append(d)
            }
            if closed { out.append(String(s)) }
        }
        return out
    }

    /// Every backtick span of Docs/filter.md.
    static func docExamples() throws -> [String] {
        let docs = testsDirectory.deletingLastPathComponent().appendingPathComponent("Docs/filter.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        return text.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    /// A random filter built from the values the index holds, pieces of them, and every operator.
    static func randomFilter(_ g: inout RNG, depth: Int = 0) -> String {
        func value() -> String {
            var pool = eventTypes + users + devices + sources + methods + rulePool + inserts + keys.compactMap { $0 }
            pool += ["/2/httpapi", "httpapi", "batch", "identify", "/", "legacy", "unknown", "?", "groupid", "proxy", "replay", "http"]
            var v = g.pick(pool)
            if g.chance(0.4), !v.isEmpty {
                let a = Array(v)
                let i = g.int(a.count)
                let j = i + 1 + g.int(a.count - i)
                v = String(a[i..<j])
            }
            if g.chance(0.2) { v = g.chance(0.5) ? v.uppercased() : v.lowercased() }
            return v
        }
        func quoted(_ v: String) -> String {
            "\"" + v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        func regex(_ v: String) -> String {
            let esc = NSRegularExpression.escapedPattern(for: v)
            switch g.int(6) {
            case 0: return "^" + esc
            case 1: return esc + "$"
            case 2: return "^" + esc + "$"
            case 3: return "(" + esc + "|x)"
            case 4: return "[a-c]" + (esc.isEmpty ? "" : ".*" + esc)
            default: return esc
            }
        }
        if depth < 3, g.chance(0.3) {
            let n = 2 + g.int(2)
            let sep = g.pick([" ", " and ", " or ", " && ", " || ", " | "])
            let parts = (0..<n).map { _ in randomFilter(&g, depth: depth + 1) }
            let e = "(" + parts.joined(separator: sep) + ")"
            return g.chance(0.3) ? "!" + e : e
        }
        var term: String
        switch g.int(12) {
        case 0:
            term = quoted(value())
        case 1:
            let w = value().filter { !$0.isWhitespace && $0 != "(" && $0 != ")" && $0 != "\"" && $0 != "'" && $0 != "!" }
            term = w.isEmpty ? "a" : w
        case 2, 3, 4, 5:
            let field = g.pick(["type", "user", "device", "insert", "method", "key", "source", "endpoint", "rule", "event", "uid", "src", "ep"])
            let op = g.pick([":", "=", "!=", "~"])
            let v = value()
            term = field + op + (op == "~" ? quoted(regex(v)) : quoted(v))
        case 6, 7:
            let field = g.pick(["status", "session", "capture", "id", "code"])
            let op = g.pick([":", "=", "!=", "<", "<=", ">", ">="])
            let n = g.pick(["0", "1", "-1", "200", "400", "413", "503", "99999", "1700000000000", "1795000000123", "7", "12.5", "1e3"])
            term = field + op + n
            if field == "status" || field == "code", g.chance(0.3) { term = "status:" + g.pick(["2xx", "4XX", "5xx", "0xx", "9xx"]) }
        case 8:
            term = "severity" + g.pick([":", "=", "!=", "<", "<=", ">", ">="]) + g.pick(["error", "warning", "info", "none", "e", "w", "ok"])
        case 9:
            term = g.pick(["prop.plan=pro", "uprop.plan", "prop.price>3", "prop.\"a b\":x"])
        case 10:
            term = g.pick(["sdk:track", "call=identify", "sdk~^set", "fate:deliv", "fate=rejected", "fate!=queued",
                           "has:debug", "has:call", "has:sdkwarn", "has:wire", "sdk!=track"])
        default:
            term = g.pick(["rule!=" + g.pick(rulePool), "source!=" + g.pick(sources.filter { !$0.isEmpty }),
                           "endpoint~^/2", "endpoint:batch", "endpoint!=batch", "endpoint=legacy", "method~^p", "\"\""])
        }
        return g.chance(0.2) ? "!" + term : term
    }

    // MARK: Tests

    // The two tests below run seconds of synchronous work (minutes in a debug build under
    // ThreadSanitizer): on a thread of their own (`onThread`), not on the cooperative pool, whose
    // two threads every other test in the run waits on.

    @Test func everyExampleOfTheFilterTestsAndDocsDecidesAsRowByRow() async throws {
        let (n, parsed, failures) = try await onThread {
            let index = Self.makeIndex(requests: 600, seed: 1)
            let n = index.rowCount
            let texts = try Self.filterTestExamples() + Self.docExamples()
            var parsed = 0
            var failures: [String] = []
            for text in Set(texts).sorted() {
                guard let f = try? Filter(text) else { continue }
                parsed += 1
                for g in [f, f.bound(to: Lookup(rowsAreWireEvents: true)), f.bound(to: Lookup(rowsAreWireEvents: false))] {
                    if let d = Self.differs(g, index, 0..<n) { failures.append(d) }
                }
            }
            return (n, parsed, failures)
        }
        #expect(n > 2000)
        // The tables of the filter tests alone hold well over a hundred filters.
        #expect(parsed > 100)
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    @Test func randomFiltersDecideAsRowByRow() async throws {
        let (parsed, nonTrivial, failures) = try await onThread {
            let index = Self.makeIndex(requests: 400, seed: 2)
            let n = index.rowCount
            var g = RNG(seed: 42)
            var parsed = 0
            var nonTrivial = 0
            var failures: [String] = []
            for _ in 0..<1500 {
                let text = Self.randomFilter(&g)
                guard let f = try? Filter(text) else { continue }
                parsed += 1
                let bound = f.bound(to: Lookup(rowsAreWireEvents: g.chance(0.5)))
                let want = Self.reference(bound, index, 0..<n)
                if !want.matches.isEmpty && want.matches.count < n { nonTrivial += 1 }
                if let d = Self.differs(bound, index, 0..<n) { failures.append(d) }
                // A sub-range, on one thread, decides the same rows.
                let a = g.int(n), b = a + g.int(n - a + 1)
                if let d = Self.differs(bound, index, a..<b, threads: 1) { failures.append("range \(a)..<\(b): " + d) }
            }
            return (parsed, nonTrivial, failures)
        }
        #expect(parsed > 1000)
        // Most random filters split the rows (a generator of empty or full results would prove nothing).
        #expect(nonTrivial > parsed / 3)
        #expect(failures.isEmpty, "\(failures.count) differ:\n\(failures.prefix(5).joined(separator: "\n"))")
    }

    @Test func scansStayExactAsTheIndexGrowsAndOnSeveralThreads() async throws {
        // Above 65 536 rows the scan splits across threads; memo tables are kept between scans of
        // the same filter and must grow with the interner. Off the cooperative pool, as above.
        let (failures, grew, newest, before) = try await onThread {
            let index = Self.makeIndex(requests: 14_000, seed: 3)
            let filters = ["type:click or user:ALICE", "!device:dev- and status:4xx", "rule~^(mixed|unknown)- or 購入",
                           "insert:aaaa severity>info", "source:replay or key:cdef", "bob", "prop.plan=pro or type:page"]
                .map { try! Filter($0) }
            var failures: [String] = []
            for f in filters {
                if let d = Self.differs(f, index, 0..<index.rowCount) { failures.append(d) }
            }
            let before = index.rowCount
            index.mutate { idx in
                idx.add(stored: StoredEntry(
                    location: .memory(slot: 0), receivedAt: 0, requestEvents: 1, status: 200, emulatedStatus: 200, endpoint: .batch,
                    sourceKind: .replay, sourceName: "new-source-alice.jsonl", origin: nil, method: "PATCH", apiKeyMasked: "new*cdef",
                    summaries: [EventSummary(index: 0, eventType: "Brand New Click", userID: "new-ALICE", deviceID: "dev-new",
                                             insertID: "new-aaaa", rules: ["brand-new-rule", "unknown-field"])]))
            }
            let grew = index.rowCount == before + 1
            for f in filters {
                if let d = Self.differs(f, index, 0..<index.rowCount) { failures.append("after growing: " + d) }
                if let d = Self.differs(f, index, before..<index.rowCount, threads: 1) { failures.append("the new row: " + d) }
            }
            let newest = index.scan(try! Filter("type:click"), in: before..<index.rowCount).matches
            return (failures, grew, newest, before)
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
        #expect(grew)
        #expect(newest == [before])
    }

    @Test func insertIDsComparedAsBytesKeepStringSemantics() throws {
        // Insert ids are tested on their bytes; where bytes differ but Swift strings are equal
        // (canonical equivalence) or case folding is not ASCII, the string decides.
        let ids = ["e\u{301}", "\u{E9}", "K\u{212A}", "KK", "caf\u{E9}-1", "CAFE\u{301}-2", "ÄBC", "äbc", "plain-ab12", ""]
        let index = StoreIndex()
        index.mutate { idx in
            idx.add(stored: StoredEntry(
                location: .memory(slot: 0), receivedAt: 0, requestEvents: ids.count, status: 200, emulatedStatus: 200,
                endpoint: .httpV2, sourceKind: .proxy, sourceName: "proxy", origin: nil, method: "POST", apiKeyMasked: nil,
                summaries: ids.enumerated().map { EventSummary(index: $0.offset, eventType: "t", insertID: $0.element) }
                    + [EventSummary(index: ids.count, eventType: "t")]))
        }
        var matched = 0
        for text in ["insert=\"\u{E9}\"", "insert=\"e\u{301}\"", "insert!=\"\u{E9}\"", "insert=KK", "insert=\"K\u{212A}\"",
                     "insert!=KK", "insert:\u{E9}", "insert:É", "insert:Ä", "insert:äB", "insert:AB12", "insert=\"\"",
                     "insert!=\"\"", "insert~^k", "insert~é$", "\u{E9}", "É", "ab12", "\"\""] {
            let f = try Filter(text)
            #expect(Self.differs(f, index, 0..<index.rowCount) == nil)
            #expect(Self.differs(f, index, 0..<index.rowCount, threads: 1) == nil)
            if !index.scan(f, in: 0..<index.rowCount).matches.isEmpty { matched += 1 }
        }
        // The equal-but-different-bytes pairs do match each other.
        #expect(index.scan(try Filter("insert=\"\u{E9}\""), in: 0..<index.rowCount).matches == [0, 1])
        #expect(index.scan(try Filter("insert=KK"), in: 0..<index.rowCount).matches == [2, 3])
        #expect(matched > 12)
    }

    @Test func theRowByRowScanIsKeptAndAgrees() throws {
        let index = Self.makeIndex(requests: 300, seed: 4)
        for text in ["type:page", "user:bob or insert:AAAA", "prop.plan=pro", "severity:error and !rule:short"] {
            let f = try Filter(text)
            let a = index.scan(f, in: 0..<index.rowCount)
            let b = index.scanRows(f, in: 0..<index.rowCount)
            #expect(a.matches == b.matches)
            #expect(a.needsPayload == b.needsPayload)
        }
    }

    @Test func termsWithoutAColumnFallBackToTheWholeRow() throws {
        // A plan node whose column is `.row` is decided on the row's StreamRow; every field has a
        // column today, so check the compiled tree uses the fallback only where expected.
        let f = try Filter("type:a or prop.x=1 or status>3 or has:debug")
        let compiled = IndexFilter(f)
        let k = compiled.ops.map(\.kind)
        #expect(k.contains(.interned) && k.contains(.unknown) && k.contains(.status) && k.contains(.debug))
        #expect(!k.contains(.row))
    }
}

extension SplitMix64 {
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
}
