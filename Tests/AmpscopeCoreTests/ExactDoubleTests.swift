import Testing
@testable import AmpscopeCore

@Suite("JSON numbers: the exact fast path gives Double(String)'s value")
struct ExactDoubleTests {
    static func viaString(_ text: String) -> Double? { Double(text) }

    static func fast(_ text: String) -> Double? {
        Array(text.utf8).withUnsafeBufferPointer { JSONDocument.exactDouble($0.baseAddress!, $0.count) }
    }

    static func viaDocument(_ text: String) throws -> Double? {
        let doc = try JSONDocument(parsing: "[" + text + "]")
        return doc.double(doc.elements(0).map { $0 }[0])
    }

    @Test("fixed cases, the fast path's edges included")
    func fixed() throws {
        let cases = ["12.5", "-0.0", "0.1", "0.30000000000000004", "1e22", "1e23", "9007199254740993.0", "9007199254740992.5",
                     "123456789012345678.9", "1.7976931348623157e308", "4.9e-324", "2.5E-3", "-7.25e+2", "1234567.0000001",
                     "0.000000000000000000001", "0.0000000000000000000001", "100000000000000000000000.0", "5e-22", "5e-23"]
        for t in cases {
            let want = try #require(Self.viaString(t))
            let got = try #require(try Self.viaDocument(t))
            #expect(got.bitPattern == want.bitPattern, "\(t): \(got) vs \(want)")
        }
        // The fast path answers the usual shapes and declines what it cannot do exactly.
        for t in ["12.5", "-0.001", "3e4", "1234.5678"] {
            #expect(Self.fast(t) != nil, "\(t)")
        }
        for t in ["1e23", "9007199254740993.0", "0.0000000000000000000000001", "1234567890123456789.0"] {
            #expect(Self.fast(t) == nil, "\(t)")
        }
    }

    @Test("random decimal texts: the same bits as Double(String)")
    func differential() throws {
        var rng = SplitMix64(seed: 0xD0B1E)
        var fast = 0
        for _ in 0..<20_000 {
            var t = rng.next() % 4 == 0 ? "-" : ""
            let intDigits = 1 + Int(rng.next() % 12)
            t += String(1 + rng.next() % 9)
            for _ in 1..<intDigits { t += String(rng.next() % 10) }
            if rng.next() % 4 != 0 {
                t += "."
                for _ in 0..<(1 + Int(rng.next() % 12)) { t += String(rng.next() % 10) }
            }
            if rng.next() % 4 == 0 { t += "e" + (rng.next() % 2 == 0 ? "-" : "") + String(rng.next() % 30) }
            guard t.contains(".") || t.contains("e") else { continue }  // integers take the Int64 path
            let want = try #require(Self.viaString(t))
            let got = try #require(try Self.viaDocument(t))
            #expect(got.bitPattern == want.bitPattern, "\(t): \(got) vs \(want)")
            if Self.fast(t) != nil { fast += 1 }
        }
        #expect(fast > 5000)
    }
}
