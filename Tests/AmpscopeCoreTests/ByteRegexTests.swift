import Testing
@testable import AmpscopeCore

@Suite("ByteRegex: the plan regex subset on bytes agrees with Swift's Regex")
struct ByteRegexTests {
    static func swiftRegex(_ pattern: String, _ subject: String) -> Bool? {
        guard let r = try? Regex(pattern) else { return nil }
        return (try? r.firstMatch(in: subject)) != nil
    }

    static func byteRegex(_ r: ByteRegex, _ subject: String) -> Bool {
        var s = subject
        return s.withUTF8 { r.matches($0) }
    }

    static let cases: [(String, String, Bool)] = [
        ("^[a-z]+-[0-9]+$", "item-42", true), ("^[a-z]+-[0-9]+$", "item-42x", false), ("^[a-z]+-[0-9]+$", "Item-42", false),
        ("[0-9]{3}", "ab1234", true), ("^[0-9]{3}$", "1234", false), ("^\\d{2,4}$", "123", true), ("^\\d{2,4}$", "1", false),
        ("^a.c$", "a-c", true), ("^a\\.c$", "abc", false), ("^a\\.c$", "a.c", true), ("colou?r", "the color", true),
        ("^$", "", true), ("^$", "x", false), ("", "anything", true), ("x*", "", true), ("^[^ ]+$", "no space", false),
        ("\\$$", "price $", true), ("^\\w+@\\w+\\.com$", "me@example.com", true), ("^[A-Z][a-z]* [A-Z]", "Order Completed", true),
        ("a{0}b", "b", true), ("^(a|b)$", "a", true), ("[[:alpha:]]", "a", true), ("a+?", "aa", true),
    ]

    @Test("fixed cases: the subset answers, the rest is left to Regex")
    func fixed() throws {
        for (p, s, want) in Self.cases {
            let regex = try #require(Self.swiftRegex(p, s), "\(p) compiles")
            #expect(regex == want, "Regex /\(p)/ on \"\(s)\"")
            if let b = ByteRegex(p) { #expect(Self.byteRegex(b, s) == want, "ByteRegex /\(p)/ on \"\(s)\"") }
        }
        #expect(ByteRegex("^[a-z]+-[0-9]+$") != nil)
        for outside in ["^(a|b)$", "[[:alpha:]]", "a+?", "a++", "x{2}{3}", "a$b", "é", "[]a]", "\\bword", "[a&&b]", "a{,3}"] {
            #expect(ByteRegex(outside) == nil, "\(outside) is outside the subset")
        }
    }

    @Test("random patterns of the subset on random printable subjects: the same verdict as Regex")
    func differential() throws {
        var rng = SplitMix64(seed: 0x5EED)
        let atoms = ["a", "b", "z", "0", "9", "-", "_", " ", ".", "\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "\\.", "\\-", "\\/", "\\$",
                     "\\^", "\\(", "\\)", "\\[", "\\]", "\\{", "\\}", "\\*", "\\+", "\\?", "\\|", "\\\\", "\\#", "\\!", "\\,", "\\:", "\\=",
                     "\\@", "\\%", "\\'", "\\\"", "\\;", "\\<", "\\>", "\\`", "\\~", "\\&",
                     "[a-z]", "[0-9]", "[a-z0-9_-]", "[^a-z]", "[^ ]", "[-a]", "[a-]", "[\\d.]", "[\\w-]", "[A-Za-z]", "[.]", "[$^]", "[ab]",
                     "[a-z-_]", "[\\-z]", "[!-/]"]
        let quantifiers = ["", "", "", "*", "+", "?", "{2}", "{1,3}", "{0,}", "{0}", "{3,}"]
        let alphabet = Array("ab z09-_ .$^()[]{}*+?|\\#!,:=@%'\";<>`~&AZ/".utf8)
        var compared = 0
        for _ in 0..<3000 {
            var p = rng.next() % 3 == 0 ? "^" : ""
            for _ in 0..<(1 + Int(rng.next() % 5)) {
                p += atoms[Int(rng.next() % UInt64(atoms.count))] + quantifiers[Int(rng.next() % UInt64(quantifiers.count))]
            }
            if rng.next() % 3 == 0 { p += "$" }
            guard let b = ByteRegex(p) else { continue }
            for _ in 0..<8 {
                // Mostly short subjects; some around 63 bytes, where `matches` changes from one
                // word of positions to arrays of them.
                let n = rng.next() % 8 == 0 ? 55 + Int(rng.next() % 16) : Int(rng.next() % 9)
                let s = String(decoding: (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }, as: UTF8.self)
                guard let want = Self.swiftRegex(p, s) else { break }
                #expect(Self.byteRegex(b, s) == want, "/\(p)/ on \"\(s)\": Regex says \(want)")
                // Both ways of holding positions, on every length they take.
                var copy = s
                copy.withUTF8 { u in
                    #expect(b.matchesWide(u) == want, "/\(p)/ on \"\(s)\" (arrays)")
                    if u.count < 63 { #expect(b.matchesShort(u) == want, "/\(p)/ on \"\(s)\" (one word)") }
                }
                compared += 1
            }
        }
        #expect(compared > 10_000, "compared \(compared) verdicts")
    }

    @Test("greedy patterns (anchored, every item at least once, no byte shared with the next item): one pass agrees with matchesShort and Regex")
    func greedy() throws {
        var rng = SplitMix64(seed: 0x6EED)
        let atoms = ["a", "b", "-", "_", ".", "x", "\\d", "\\w", "\\s", "\\.", "[a-z]", "[0-9]", "[A-Z]", "[^a-z]", "[ab]", "[a-z0-9]"]
        let quantifiers = ["", "", "+", "{2}", "{1,3}", "{2,}", "{3}"]
        let printable = (UInt8(0x20)...0x7E).map { $0 }
        var patterns = 0, compared = 0, matched = 0
        for _ in 0..<4000 {
            var p = "^"
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                p += atoms[Int(rng.next() % UInt64(atoms.count))] + quantifiers[Int(rng.next() % UInt64(quantifiers.count))]
            }
            if rng.next() % 2 == 0 { p += "$" }
            guard let b = ByteRegex(p), ByteRegex.isGreedy(b.items, anchoredStart: b.anchoredStart) else { continue }
            patterns += 1
            for _ in 0..<8 {
                // A subject built from the items: for each, a run of bytes it accepts, from one
                // shorter than its `min` to one longer than its `max`; now and then a byte
                // changed or one added at the end.
                var bytes: [UInt8] = []
                for item in b.items {
                    let accepted = printable.filter { item.accepts($0) }
                    let top = item.max == Int.max ? item.min + 3 : item.max
                    let count = max(0, item.min - 1 + Int(rng.next() % UInt64(top - item.min + 3)))
                    for _ in 0..<count { bytes.append(accepted[Int(rng.next() % UInt64(accepted.count))]) }
                }
                if rng.next() % 4 == 0 { bytes.append(printable[Int(rng.next() % UInt64(printable.count))]) }
                if rng.next() % 4 == 0, !bytes.isEmpty { bytes[Int(rng.next() % UInt64(bytes.count))] = printable[Int(rng.next() % UInt64(printable.count))] }
                guard bytes.count < 63 else { continue }
                let subject = String(decoding: bytes, as: UTF8.self)
                let want = try #require(Self.swiftRegex(p, subject))
                bytes.withUnsafeBufferPointer { u in
                    let got = b.items.withUnsafeBufferPointer { ByteRegex.matchesGreedy($0, anchoredEnd: b.anchoredEnd, u) }
                    #expect(got == want, "/\(p)/ on \"\(subject)\": Regex says \(want)")
                    #expect(b.matchesShort(u) == want, "/\(p)/ on \"\(subject)\" (one word)")
                }
                compared += 1
                if want { matched += 1 }
            }
        }
        #expect(patterns > 300 && compared > 3000, "\(patterns) patterns, \(compared) verdicts")
        #expect(matched > compared / 5 && matched < compared * 4 / 5, "\(matched) of \(compared) subjects match: both verdicts exercised")
        for p in ["^[a-z]+-[0-9]+$", "^\\d{4}-\\d{2}-\\d{2}$", "^[A-Z]{2}-\\d+$", "^item-\\d+"] {
            let b = try #require(ByteRegex(p))
            #expect(ByteRegex.isGreedy(b.items, anchoredStart: b.anchoredStart), "\(p) is greedy")
        }
        for p in ["[a-z]+-[0-9]+$", "^a*b", "^a?b", "^[a-z]+[0-9a-z]+", "^\\w+_x", "^.+a", "^a{0}b"] {
            let b = try #require(ByteRegex(p))
            #expect(!ByteRegex.isGreedy(b.items, anchoredStart: b.anchoredStart), "\(p) is not greedy")
        }
    }

    @Test("a plan regex uses the byte matcher for printable ASCII and Regex for the rest, with the same verdicts")
    func planRegex() throws {
        let r = try #require(PlanRegex("^[a-z]+-[0-9]+$"))
        #expect(r.bytePattern != nil)
        #expect(r.matches("item-7") && !r.matches("item-7\n") && !r.matches("ítem-7"))
        let grouped = try #require(PlanRegex("^(ab)+$"))
        #expect(grouped.bytePattern == nil && grouped.matches("abab") && !grouped.matches("aba"))
    }

    @Test("a checker compiles each distinct pattern once for all its properties; validity is remembered by the text")
    func compiledOnce() throws {
        let pattern = "^shared-[0-9]{1,4}-\(UInt64.random(in: 0..<UInt64.max))$"
        #expect(PlanRegex.isValid(pattern) && PlanRegex.isValid(pattern))
        #expect(!PlanRegex.isValid("(unclosed") && !PlanRegex.isValid("(unclosed"))
        let props = (0..<3).map { PlanProperty(name: "x\($0)", type: .string, regex: pattern) }
        let plan = Plan(name: "p", events: [PlanEvent(name: "E", properties: PlanPropertySet(properties: props)),
                                            PlanEvent(name: "F", properties: PlanPropertySet(properties: props))])
        let checker = PlanChecker(plan)
        let compiled = checker.events.flatMap { $0.props.compactMap(\.regex) }
        #expect(compiled.count == 6)
        #expect(compiled.allSatisfy { $0 === compiled[0] })
        // Another checker compiles its own (nothing outlives the checkers that use it).
        let other = PlanChecker(plan)
        #expect(other.events[0].props[0].regex !== compiled[0])
    }
}
