import Foundation
import Testing
@testable import AmpscopeCore

/// One text that must not parse, with where and why.
struct BadJSON: Sendable, CustomTestStringConvertible {
    var bytes: [UInt8]
    var line: Int
    var column: Int
    var reason: String
    var maxDepth = JSONParser.defaultMaxDepth

    init(_ text: String, line: Int = 1, _ column: Int, _ reason: String, maxDepth: Int = JSONParser.defaultMaxDepth) {
        self.bytes = Array(text.utf8)
        self.line = line
        self.column = column
        self.reason = reason
        self.maxDepth = maxDepth
    }

    init(bytes: [UInt8], line: Int = 1, _ column: Int, _ reason: String) {
        self.bytes = bytes
        self.line = line
        self.column = column
        self.reason = reason
    }

    var testDescription: String { "\(Sanitize.bytes(bytes.prefix(40))) → \(reason)" }
}

@Suite("JSON parser")
struct JSONParserTests {
    // Every error path of the parser, with its line and column (1-based, columns count bytes).
    static let invalid: [BadJSON] = [
        BadJSON("", 1, "empty text where a JSON value was expected"),
        BadJSON("  \n ", line: 2, 2, "only whitespace where a JSON value was expected"),
        BadJSON("[1,", 4, "unexpected end of text: a value is missing"),
        BadJSON("{\"a\":", 6, "unexpected end of text: a value is missing"),
        BadJSON("[[[1]]]", 3, "nested deeper than 2 levels", maxDepth: 2),
        BadJSON("{", 2, "unexpected end of text inside an object"),
        BadJSON("[ ", 3, "unexpected end of text inside an array"),
        BadJSON("[}", 2, "unexpected '}' where a value was expected"),
        BadJSON("x", 1, "unexpected 'x' where a value was expected"),
        BadJSON("[.5]", 2, "unexpected '.' where a value was expected"),
        BadJSON("+1", 1, "unexpected '+' where a value was expected"),
        BadJSON(bytes: [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], 1, "unexpected byte 0xEF where a value was expected"),
        BadJSON("1 2", 3, "unexpected '2' after the end of the JSON value"),
        BadJSON("{}\n}", line: 2, 1, "unexpected '}' after the end of the JSON value"),
        BadJSON("{\"a\":1", 7, "unexpected end of text: '}' is missing"),
        BadJSON("[1", 3, "unexpected end of text: ']' is missing"),
        BadJSON("{\"a\":1 \"b\":2}", 8, "expected ',' or '}' but found '\"'"),
        BadJSON("[1 2]", 4, "expected ',' or ']' but found '2'"),
        BadJSON("[1:2]", 3, "expected ',' or ']' but found ':'"),
        BadJSON("{\"a\":1,", 8, "unexpected end of text: an object key is missing"),
        BadJSON("{a:1}", 2, "expected a quoted object key but found 'a'"),
        BadJSON("{\"a\":1,}", 8, "expected a quoted object key but found '}'"),
        BadJSON("{\"a\" 1}", 6, "expected ':' after an object key but found '1'"),
        BadJSON("{\"a\"", 5, "unexpected end of text after an object key"),
        BadJSON("tru", 1, "truncated literal, expected 'true'"),
        BadJSON("[fals", 2, "truncated literal, expected 'false'"),
        BadJSON("[trUe]", 2, "invalid literal, expected 'true'"),
        BadJSON("[nulL]", 2, "invalid literal, expected 'null'"),
        BadJSON("{\n  \"a\": tru\n}", line: 2, 8, "invalid literal, expected 'true'"),
        BadJSON("-", 2, "a '-' must be followed by a digit"),
        BadJSON("[-a]", 3, "a '-' must be followed by a digit"),
        BadJSON("01", 2, "numbers may not have leading zeros"),
        BadJSON("[-01]", 4, "numbers may not have leading zeros"),
        BadJSON("1.", 3, "a decimal point must be followed by a digit"),
        BadJSON("[1.e5]", 4, "a decimal point must be followed by a digit"),
        BadJSON("1e", 3, "an exponent must have digits"),
        BadJSON("1e+", 4, "an exponent must have digits"),
        BadJSON("\"abc", 1, "unterminated string"),
        BadJSON("{\"a\":\"abcdefghijklmnopqrstuvwxyz", 6, "unterminated string"),
        BadJSON("\"\\", 2, "unterminated escape sequence"),
        BadJSON("\"\\u12", 2, "truncated \\u escape"),
        BadJSON("\"\\u12g4\"", 6, "invalid \\u escape: 'g' is not a hex digit"),
        BadJSON("\"\\x\"", 2, "invalid escape '\\x'"),
        BadJSON("\"\\U0041\"", 2, "invalid escape '\\U'"),
        BadJSON("\"a\u{01}\"", 3, "control character byte 0x01 must be escaped inside a string"),
        BadJSON("\"a\tb\"", 3, "control character byte 0x09 must be escaped inside a string"),
        // The error is found by the 8-bytes-at-a-time scan's slow path, past the first word.
        BadJSON("\"abcdefghijklmnop\u{1B}[31m\"", 18, "control character byte 0x1B must be escaped inside a string"),
        BadJSON("\"line\nbreak\"", 6, "control character byte 0x0A must be escaped inside a string"),
        // Invalid UTF-8 inside strings.
        BadJSON(bytes: [0x22, 0xC0, 0x80, 0x22], 2, "invalid UTF-8 byte 0xC0 inside a string"),          // overlong NUL
        BadJSON(bytes: [0x22, 0xC1, 0xBF, 0x22], 2, "invalid UTF-8 byte 0xC1 inside a string"),          // overlong 2-byte
        BadJSON(bytes: [0x22, 0xE0, 0x80, 0x80, 0x22], 2, "invalid UTF-8 byte 0xE0 inside a string"),    // overlong 3-byte
        BadJSON(bytes: [0x22, 0xF0, 0x80, 0x80, 0x80, 0x22], 2, "invalid UTF-8 byte 0xF0 inside a string"), // overlong 4-byte
        BadJSON(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], 2, "invalid UTF-8 byte 0xED inside a string"),    // UTF-16 surrogate D800
        BadJSON(bytes: [0x22, 0xED, 0xBF, 0xBF, 0x22], 2, "invalid UTF-8 byte 0xED inside a string"),    // surrogate DFFF
        BadJSON(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 2, "invalid UTF-8 byte 0xF4 inside a string"), // > U+10FFFF
        BadJSON(bytes: [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], 2, "invalid UTF-8 byte 0xF5 inside a string"),
        BadJSON(bytes: [0x22, 0x61, 0xE2, 0x82, 0x22], 3, "invalid UTF-8 byte 0xE2 inside a string"),    // truncated €
        BadJSON(bytes: [0x22, 0xE2, 0x82], 2, "invalid UTF-8 byte 0xE2 inside a string"),                // truncated at end
        BadJSON(bytes: [0x22, 0xF0, 0x9F, 0x98, 0x22], 2, "invalid UTF-8 byte 0xF0 inside a string"),    // truncated emoji
        BadJSON(bytes: [0x22, 0x80, 0x22], 2, "invalid UTF-8 byte 0x80 inside a string"),                // lone continuation
        BadJSON(bytes: [0x22, 0xFF, 0x22], 2, "invalid UTF-8 byte 0xFF inside a string"),
        BadJSON(bytes: Array("\"abcdefghij".utf8) + [0xC3, 0x28, 0x22], 12, "invalid UTF-8 byte 0xC3 inside a string"),
    ]

    @Test("invalid documents fail with a located reason", arguments: invalid)
    func invalidDocument(_ c: BadJSON) {
        do {
            let doc = try JSONDocument(parsing: c.bytes, maxDepth: c.maxDepth)
            Issue.record("parsed, but should fail: \(doc.valueCount) values")
        } catch {
            #expect(error.reason == c.reason)
            #expect(error.line == c.line)
            #expect(error.column == c.column)
            #expect(error.description == "line \(c.line), column \(c.column): \(c.reason)")
        }
    }

    @Test("error messages never echo raw control bytes")
    func errorMessagesAreSafe() throws {
        for b: UInt8 in [0x00, 0x07, 0x1B, 0x7F, 0x9B, 0xFF] {
            do {
                _ = try JSONDocument(parsing: [0x5B, b, 0x5D])
                Issue.record("parsed")
            } catch {
                #expect(error.reason.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
            }
        }
    }

    static let valid: [(String, JSONKind)] = [
        ("{}", .object), ("[]", .array), ("\"\"", .string), ("0", .number), ("-0", .number), ("true", .true),
        ("false", .false), ("null", .null), (" \t\r\n[1 , 2 ]\n", .array), ("{\"a\":{\"b\":[{}]}}", .object),
        ("1.5E-3", .number), ("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", .string), ("[\"\u{1F600}\", \"é\"]", .array),
    ]

    @Test("valid documents parse to the right kind", arguments: valid)
    func validDocument(_ text: String, _ kind: JSONKind) throws {
        let doc = try JSONDocument(parsing: text)
        #expect(doc.kind(doc.root) == kind)
        #expect(doc.next(doc.root) == doc.valueCount)
    }

    @Test("containers: members, elements, next, count, raw text")
    func containers() throws {
        let text = #"{"a": 1, "b": [true, null, {"c": "x"}], "a\u0062": "esc", "d": {}}"#
        let doc = try JSONDocument(parsing: text)
        let keys = doc.members(doc.root).map { doc.string($0.key) }
        #expect(keys == ["a", "b", "ab", "d"])
        #expect(doc.count(doc.root) == 4)
        let b = try #require(doc.member(doc.root, "b"))
        #expect(doc.elements(b).map { doc.kind($0) } == [.true, .null, .object])
        #expect(doc.count(b) == 3)
        #expect(doc.rawText(b) == #"[true, null, {"c": "x"}]"#)
        // The escaped key is found by name and by static key, and compares by value.
        #expect(doc.member(doc.root, named: "ab").map { doc.string($0) } == "esc")
        #expect(doc.member(doc.root, "ab").map { doc.string($0) } == "esc")
        let escapedKey = try #require(doc.members(doc.root).map(\.key).first { !doc.isPlainString($0) })
        #expect(doc.keyEquals(escapedKey, "ab"))
        #expect(!doc.keyEquals(escapedKey, "a"))
        #expect(doc.member(doc.root, "zz") == nil)
        // next() skips a whole subtree.
        #expect(doc.string(doc.next(b)) == "ab", "next(b) is the key that follows b's subtree")
        #expect(doc.member(b, "c") == nil, "member() of an array is nil")
        #expect(doc.count(try #require(doc.member(doc.root, "a"))) == 0)
        #expect(doc.sourceOffset(try #require(doc.member(doc.root, "a"))) == 6)
        let c = try #require(doc.elements(b).map { $0 }.last.flatMap { doc.member($0, "c") })
        #expect(doc.rawText(c) == "\"x\"")
        #expect(doc.sourceOffset(c) == text.utf8.firstIndex(of: UInt8(ascii: "x")).map { text.utf8.distance(from: text.utf8.startIndex, to: $0) - 1 })
    }

    static let integers: [(String, Int64?, Double?)] = [
        ("0", 0, 0), ("-0", 0, 0), ("42", 42, 42), ("-17", -17, -17),
        ("9223372036854775807", Int64.max, 9.223372036854776e18),
        ("-9223372036854775808", Int64.min, -9.223372036854776e18),
        ("9223372036854775808", nil, 9.223372036854776e18),        // int64 overflow: still a number
        ("-9223372036854775809", nil, -9.223372036854776e18),
        ("99999999999999999999999", nil, 1e23),
        ("1e3", nil, 1000), ("1E+2", nil, 100), ("-1.5e-3", nil, -0.0015), ("0.1", nil, 0.1),
        ("1795371070.308", nil, 1795371070.308), ("1e400", nil, .infinity),
    ]

    @Test("numbers: int64 with overflow, exponents and fractions", arguments: integers)
    func numbers(_ text: String, _ int: Int64?, _ double: Double?) throws {
        let doc = try JSONDocument(parsing: text)
        #expect(doc.kind(doc.root) == .number)
        #expect(doc.int64(doc.root) == int)
        #expect(doc.double(doc.root) == double)
        let isIntegerText = !text.contains(".") && !text.lowercased().contains("e")
        #expect(doc.isIntegerLiteral(doc.root) == isIntegerText)
    }

    static let strings: [(String, String)] = [
        (#""plain""#, "plain"),
        (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{08}\u{0C}\n\r\t"),
        (#""\u00e9\u00E9""#, "éé"),
        (#""\ud83d\ude00""#, "\u{1F600}"),                 // surrogate pair
        (#""\uD83D\uDE00!""#, "\u{1F600}!"),
        (#""a\ud800b""#, "a\u{FFFD}b"),                     // lone high surrogate
        (#""\udc00""#, "\u{FFFD}"),                          // lone low surrogate
        (#""\ud800\u0041""#, "\u{FFFD}A"),                  // high surrogate followed by a non-surrogate
        (#""\ud800\ud800\udc00""#, "\u{FFFD}\u{10000}"),    // lone high, then a pair
        (#""\u0000""#, "\u{0}"),
        (#""日本語 \u65e5""#, "日本語 日"),
    ]

    @Test("string escapes, surrogate pairs and lone surrogates", arguments: strings)
    func stringEscapes(_ json: String, _ value: String) throws {
        let doc = try JSONDocument(parsing: json)
        #expect(doc.string(doc.root) == value)
        #expect(doc.stringValue(doc.root) == value)
        #expect(doc.stringScalarCount(doc.root) == value.unicodeScalars.count)
        var v = value
        v.withUTF8 { #expect(doc.stringEquals(doc.root, $0)) }
    }

    @Test("the 8-byte scan finds quotes, escapes and non-ASCII at every offset")
    func wordScanBoundaries() throws {
        for length in 0..<40 {
            for special in ["\\n", "é", "\\\"", "\u{1F600}", "\\u0041"] {
                let pad = String(repeating: "x", count: length)
                let json = "\"" + pad + special + pad + "\""
                let doc = try JSONDocument(parsing: json)
                let decoded = special == "\\n" ? "\n" : special == "\\\"" ? "\"" : special == "\\u0041" ? "A" : special
                #expect(doc.string(doc.root) == pad + decoded + pad)
            }
            // Every byte offset for the closing quote.
            let doc = try JSONDocument(parsing: "[\"" + String(repeating: "y", count: length) + "\",1]")
            #expect(doc.elements(doc.root).map { doc.kind($0) } == [.string, .number])
        }
    }

    @Test("nesting beyond the limit is an error, not a crash")
    func deepNesting() throws {
        let hostile = Array(repeating: UInt8(ascii: "["), count: 200_000)
        #expect(throws: JSONParseError.self) { try JSONDocument(parsing: hostile) }
        do {
            _ = try JSONDocument(parsing: hostile)
        } catch {
            #expect(error.reason == "nested deeper than 512 levels")
            #expect(error.column == 513)
        }
        let objects = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONDocument(parsing: objects) }
        // Exactly at the limit is fine.
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        let doc = try JSONDocument(parsing: ok)
        #expect(doc.valueCount == 512)
        #expect(doc.next(0) == 512)
    }

    @Test("huge inputs: a million elements and a 16 MB string")
    func hugeInputs() throws {
        var text = "["
        text.reserveCapacity(7_000_000)
        for i in 0..<1_000_000 { if i > 0 { text += "," }; text += String(i) }
        text += "]"
        let doc = try JSONDocument(parsing: text)
        #expect(doc.valueCount == 1_000_001)
        #expect(doc.count(doc.root) == 1_000_000)
        #expect(doc.elements(doc.root).map { $0 }.last.flatMap { doc.int64($0) } == 999_999)

        let big = "\"" + String(repeating: "é", count: 8 << 20) + "\""
        let s = try JSONDocument(parsing: big)
        #expect(s.stringScalarCount(s.root) == 8 << 20)
        #expect(s.stringSourceLength(s.root) == 16 << 20)
    }

    @Test("UTF8Check finds the first invalid byte")
    func utf8Check() {
        #expect(UTF8Check.firstInvalidOffset(Array("héllo €😀".utf8)) == nil)
        #expect(UTF8Check.firstInvalidOffset([0x61, 0xC0, 0x80]) == 1)
        #expect(UTF8Check.firstInvalidOffset([0x61, 0x62, 0xED, 0xA0, 0x80]) == 2)
        #expect(UTF8Check.firstInvalidOffset([0xE2, 0x82]) == 0)
        #expect(UTF8Check.firstInvalidOffset([]) == nil)
    }
}

@Suite("Payload diff")
struct PayloadDiffTests {
    func diff(_ a: String, _ b: String) throws -> PayloadDiff {
        let da = try JSONDocument(parsing: a), db = try JSONDocument(parsing: b)
        return PayloadDiff(da, da.root, db, db.root)
    }

    @Test("objects key by key, arrays index by index, strings by value, volatile fields marked")
    func kinds() throws {
        let d = try diff(#"{"a":1,"s":"x\u0041","arr":[1,2],"time":5,"gone":true,"o":{"k":null}}"#,
                         #"{"a":2,"s":"xA","arr":[1],"time":6,"new":"n","o":{"k":null}}"#)
        func kind(_ p: String) -> PayloadDiff.Kind? { d.lines.first { $0.path == p }?.kind }
        #expect(kind("") == .container)
        #expect(kind("/a") == .changed)
        #expect(kind("/s") == .same, "the same string written with an escape")
        #expect(kind("/arr/0") == .same)
        #expect(kind("/arr/1") == .removed)
        #expect(kind("/gone") == .removed)
        #expect(kind("/new") == .added)
        #expect(kind("/o/k") == .same)
        #expect(d.lines.first { $0.path == "/time" }?.volatile == true)
        #expect(d.differences == 5)
        #expect(d.meaningfulDifferences == 4)
    }

    @Test("a scalar against a container is one change; deep nesting stays bounded")
    func shapes() throws {
        let d = try diff(#"{"v":[1]}"#, #"{"v":"1"}"#)
        #expect(d.lines.map(\.kind) == [.container, .changed])
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let e = try diff(deep, deep)
        #expect(e.lines.count <= PayloadDiff.maxDepth + 2)
        #expect(e.differences == 0)
    }
}
