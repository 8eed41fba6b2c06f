import Foundation
import Testing
@testable import AmpscopeCore

/// A capture line's `body` is decoded from the JSON string straight into bytes
/// (`JSONDocument.stringBytes`), copying the runs between escapes a word at a time.
@Suite("Capture line body decoding")
struct CaptureLineBodyTests {
    /// A capture line whose `body` is the JSON string literal `literal` (written as is, escapes and all).
    static func line(bodyLiteral literal: String) -> [UInt8] {
        Array("{\"method\":\"POST\",\"path\":\"/2/httpapi\",\"body\":\"\(literal)\"}".utf8)
    }

    static func body(_ literal: String) throws -> [UInt8] {
        let result = CaptureLine.parse(line(bodyLiteral: literal), name: "t.jsonl", line: 7)
        let capture = try #require(try result.get())
        return capture.body
    }

    /// An independent decoder: Foundation's JSON parser on the same literal.
    static func foundationDecode(_ literal: String) throws -> [UInt8] {
        let any = try JSONSerialization.jsonObject(with: Data("[\"\(literal)\"]".utf8))
        let s = try #require((any as? [Any])?.first as? String)
        return Array(s.utf8)
    }

    @Test("every simple escape decodes to its byte", arguments: [
        ("\\\"", [0x22]), ("\\\\", [0x5C]), ("\\/", [0x2F]), ("\\b", [0x08]), ("\\f", [0x0C]),
        ("\\n", [0x0A]), ("\\r", [0x0D]), ("\\t", [0x09]), ("\\u0000", [0x00]), ("\\u0041", [0x41]),
        ("\\u00e9", [0xC3, 0xA9]), ("\\u00E9", [0xC3, 0xA9]), ("\\u20AC", [0xE2, 0x82, 0xAC]),
    ] as [(String, [UInt8])])
    func simpleEscapes(_ literal: String, _ expected: [UInt8]) throws {
        #expect(try Self.body(literal) == expected)
        // The same escape inside a long plain run, at every offset within an 8-byte word.
        for pad in 0..<17 {
            let before = String(repeating: "a", count: pad)
            let after = String(repeating: "z", count: 17 - pad)
            #expect(try Self.body(before + literal + after) == Array(before.utf8) + expected + Array(after.utf8), "pad \(pad)")
        }
    }

    @Test("surrogate pairs join into one 4-byte scalar; lone halves become U+FFFD")
    func surrogates() throws {
        #expect(try Self.body("\\ud83d\\ude00") == [0xF0, 0x9F, 0x98, 0x80])  // 😀
        #expect(try Self.body("\\uD834\\uDD1E!") == Array("𝄞!".utf8))
        #expect(try Self.body("\\udbff\\udfff") == [0xF4, 0x8F, 0xBF, 0xBF])  // U+10FFFF
        let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
        #expect(try Self.body("\\ud83d") == replacement)
        #expect(try Self.body("\\ude00x") == replacement + [0x78])
        // A high surrogate followed by an escape that is not a low surrogate: both stand alone.
        #expect(try Self.body("\\ud83d\\u0041") == replacement + [0x41])
        #expect(try Self.body("\\ud83d\\n") == replacement + [0x0A])
        #expect(try Self.body("\\ud83d\\ud83d\\ude00") == replacement + [0xF0, 0x9F, 0x98, 0x80])
        // Raw (unescaped) non-ASCII passes through untouched.
        #expect(try Self.body("é€😀\\n") == Array("é€😀\n".utf8))
    }

    @Test("invalid escapes are a located error, not a crash", arguments: [
        ("ab\\x", "invalid escape '\\x'"),
        ("\\u12G4", "invalid \\u escape: 'G' is not a hex digit"),
        ("\\u12", "invalid \\u escape"),
        ("\\", "unterminated"),
        ("a\u{01}b", "control character byte 0x01 must be escaped"),
    ])
    func invalidEscapes(_ literal: String, _ reason: String) {
        let result = CaptureLine.parse(Self.line(bodyLiteral: literal), name: "t.jsonl", line: 7)
        guard case .failure(let problem) = result else {
            Issue.record("\(literal) parsed")
            return
        }
        #expect(problem.source == "t.jsonl")
        #expect(problem.line == 7)
        #expect(problem.reason.hasPrefix("not valid JSON (line 1, column "))
        #expect(problem.reason.contains(reason), "\(problem.reason)")
    }

    @Test("invalid UTF-8 inside the body string is a located error")
    func invalidUTF8() {
        var bytes = Self.line(bodyLiteral: "abc")
        bytes.insert(0xFF, at: bytes.count - 3)
        guard case .failure(let problem) = CaptureLine.parse(bytes, name: "t.jsonl", line: 3) else {
            Issue.record("parsed")
            return
        }
        #expect(problem.reason.contains("invalid UTF-8 byte 0xFF"))
    }

    /// Random text with quotes, backslashes, control bytes and non-ASCII, written by JSONWriter
    /// (escapes) into a capture line and read back: the body must be the original bytes.
    @Test("big bodies round-trip through the writer's escapes")
    func bigBodiesRoundTrip() throws {
        var rng = SplitMix64(seed: 0x5EED)
        let pieces = ["\"", "\\", "/", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}", "é", "€", "😀", "𝄞",
                      "a", "bc", "defghijk", "{\"api_key\":\"0123\",\"events\":[{\"x\":1}]}"]
        for size in [0, 1, 7, 8, 9, 15, 16, 17, 100, 14_000, 200_000] {
            var text = ""
            while text.utf8.count < size { text += pieces[Int(rng.next() % UInt64(pieces.count))] }
            var w = JSONWriter()
            w.beginObject()
            w.field("path", "/2/httpapi")
            w.field("body", text)
            w.endObject()
            let capture = try #require(try CaptureLine.parse(w.bytes, name: "big", line: 1).get())
            #expect(capture.body == Array(text.utf8), "size \(size)")
        }
    }

    /// Escaped strings compared with Foundation's decoder and with the String-building path,
    /// escapes placed at every alignment and at the very end.
    @Test("stringBytes equals Foundation and string(_:) on escape-dense strings")
    func stringBytesDifferential() throws {
        var rng = SplitMix64(seed: 42)
        let escapes = ["\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0041", "\\u00fc", "\\uFFFF",
                       "\\ud83d\\ude00", "x", "yy", "zzzzzzz", "ü", "€"]
        for trial in 0..<300 {
            var literal = ""
            let count = Int(rng.next() % 40)
            for _ in 0..<count { literal += escapes[Int(rng.next() % UInt64(escapes.count))] }
            let doc = try JSONDocument(parsing: "[\"\(literal)\"]")
            let s = try #require(doc.elements(doc.root).first { _ in true })
            let bytes = doc.stringBytes(s)
            #expect(bytes == Array(doc.string(s).utf8), "trial \(trial): \(literal)")
            #expect(bytes == (try Self.foundationDecode(literal)), "trial \(trial): \(literal)")
        }
    }

    @Test("stringBytes of plain strings and non-strings")
    func stringBytesPlain() throws {
        let doc = try JSONDocument(parsing: "{\"a\":\"plain text é\",\"n\":12,\"e\":\"\"}")
        #expect(doc.stringBytes(try #require(doc.member(doc.root, "a"))) == Array("plain text é".utf8))
        #expect(doc.stringBytes(try #require(doc.member(doc.root, "n"))) == [])
        #expect(doc.stringBytes(try #require(doc.member(doc.root, "e"))) == [])
    }

    @Test("the array and slice entry points read the same capture")
    func sliceAndArrayAgree() throws {
        let bytes = Array("xx".utf8) + Self.line(bodyLiteral: "{\\\"k\\\":\\\"v\\u00e9\\\"}") + Array("yy".utf8)
        let slice = bytes[2..<(bytes.count - 2)]
        let a = try #require(try CaptureLine.parse(slice, name: "s", line: 1).get())
        let b = try #require(try CaptureLine.parse(Array(slice), name: "s", line: 1).get())
        #expect(a.body == Array("{\"k\":\"vé\"}".utf8))
        #expect(a.body == b.body)
        #expect(a.path == b.path)
    }
}

