import Testing
@testable import AmpscopeCore

@Suite("JSONWriter and JSONPointer")
struct JSONWriterPointerTests {
    @Test("nested containers get their commas")
    func nestedCommas() throws {
        var w = JSONWriter()
        w.beginObject()
        w.key("a"); w.beginArray(); w.beginArray(); w.endArray(); w.int(1); w.endArray()
        w.key("b"); w.beginObject(); w.endObject()
        w.key("c"); w.beginArray(); w.beginObject(); w.field("x", 1); w.endObject(); w.beginObject(); w.endObject(); w.string("s"); w.endArray()
        w.field("d", nil as String?)
        w.field("e", true)
        w.field("f", Int64(-5))
        w.key("g"); w.double(1.5)
        w.key("h"); w.raw(Array("[1,2]".utf8))
        w.key("i"); w.beginObject(); w.key("j"); w.beginArray(); w.endArray(); w.endObject()
        w.endObject()
        #expect(w.text == #"{"a":[[],1],"b":{},"c":[{"x":1},{},"s"],"d":null,"e":true,"f":-5,"g":1.5,"h":[1,2],"i":{"j":[]}}"#)
        _ = try JSONDocument(parsing: w.bytes)
    }

    @Test("top-level arrays of values")
    func topLevelArray() {
        var w = JSONWriter()
        w.beginArray(); w.int(1); w.null(); w.bool(false); w.beginArray(); w.endArray(); w.int(2); w.endArray()
        #expect(w.text == "[1,null,false,[],2]")
    }

    static let escapes: [(String, String)] = [
        ("plain", #""plain""#),
        ("q\"b\\", #""q\"b\\""#),
        ("\n\r\t", #""\n\r\t""#),
        ("\u{0}\u{1}\u{1F}\u{7F}", #""\u0000\u0001\u001f\u007f""#),
        ("\u{1B}[31m", #""\u001b[31m""#),
        ("a\u{2028}b\u{2029}c", #""a\u2028b\u2029c""#),
        ("é€😀", "\"é€😀\""),
        ("/", #""/""#),
    ]

    @Test("strings are escaped per RFC 8259 (and U+2028/2029 for JavaScript)", arguments: escapes)
    func escaping(_ value: String, _ json: String) throws {
        #expect(JSONWriter.quoted(value) == json)
        let doc = try JSONDocument(parsing: json)
        #expect(doc.string(doc.root) == value)
    }

    @Test("round trip: any string survives write then parse")
    func roundTrip() throws {
        var rng = SplitMix64(seed: 42)
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "€",
                                     "😀", "\u{2028}", "\u{202E}", "日", "~", "{", "}", "[", "]", ":", ","]
        for _ in 0..<500 {
            let n = Int(rng.next() % 40)
            let s = String((0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            var w = JSONWriter()
            w.beginObject(); w.field(s, s); w.key("list"); w.beginArray(); w.string(s); w.endArray(); w.endObject()
            let doc = try JSONDocument(parsing: w.bytes)
            let (k, v) = try #require(doc.members(doc.root).map { $0 }.first)
            #expect(doc.string(k) == s)
            #expect(doc.string(v) == s)
        }
    }

    static let doubleCases: [(Double, String)] = [(1, "1"), (-2, "-2"), (1.5, "1.5"), (0.1, "0.1"), (.infinity, "null"), (.nan, "null"), (1e20, "1e+20")]

    @Test("doubles are written as valid JSON numbers", arguments: doubleCases)
    func doubles(_ v: Double, _ text: String) throws {
        var w = JSONWriter()
        w.double(v)
        #expect(w.text == text)
        let doc = try JSONDocument(parsing: w.bytes)
        if v.isFinite { #expect(doc.double(doc.root) == v) } else { #expect(doc.kind(doc.root) == .null) }
    }

    static let pointerTokens: [(String, String)] = [("a", "a"), ("a/b", "a~1b"), ("m~n", "m~0n"), ("~/", "~0~1"), ("~1", "~01"), ("", "")]

    @Test("pointer tokens escape and unescape", arguments: pointerTokens)
    func pointerEscape(_ token: String, _ escaped: String) {
        #expect(JSONPointer.escape(token) == escaped)
        #expect(JSONPointer.tokens("/" + escaped) == [token])
        #expect(JSONPointer.join("/x", token) == "/x/" + escaped)
    }

    static let resolveCases: [(String, String?)] = [
        ("", "root"), ("/foo", #"["bar","baz"]"#), ("/foo/0", #""bar""#), ("/foo/1", #""baz""#),
        ("/", "0"), ("/a~1b", "1"), ("/c%d", "2"), ("/e^f", "3"), ("/g|h", "4"), ("/i\\j", "5"),
        ("/k\"l", "6"), ("/ ", "7"), ("/m~0n", "8"), ("/nested/list/1/x", "true"),
        ("/foo/2", nil), ("/foo/-1", nil), ("/foo/01", nil), ("/foo/+1", nil), ("/foo/-", nil), ("/foo/a", nil),
        ("/missing", nil), ("/m~0n/deeper", nil),
    ]

    // The RFC 6901 section 5 example document, plus a nested path.
    static let rfcDocument = #"{"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,"i\\j":5,"k\"l":6," ":7,"m~n":8,"nested":{"list":[{},{"x":true}]}}"#

    @Test("pointers resolve as RFC 6901 says", arguments: resolveCases)
    func resolve(_ pointer: String, _ raw: String?) throws {
        let doc = try JSONDocument(parsing: Self.rfcDocument)
        let i = JSONPointer.resolve(pointer, in: doc)
        if raw == "root" {
            #expect(i == doc.root)
        } else {
            #expect(i.map { doc.rawText($0) } == raw)
        }
    }

    @Test("pointer(to:) names values and keys, and isKey tells them apart")
    func pointerTo() throws {
        let doc = try JSONDocument(parsing: #"{"events":[{"a/b":{"x":[1,[2,"deep"]]}}]}"#)
        let deep = try #require(JSONPointer.resolve("/events/0/a~1b/x/1/1", in: doc))
        #expect(doc.pointer(to: deep, within: doc.root, base: "") == "/events/0/a~1b/x/1/1")
        let event = try #require(JSONPointer.resolve("/events/0", in: doc))
        #expect(doc.pointer(to: deep, within: event, base: "/events/0") == "/events/0/a~1b/x/1/1")
        let key = event + 1
        #expect(doc.isKey(key, within: event))
        #expect(doc.pointer(to: key, within: event, base: "/events/0") == "/events/0/a~1b")
        #expect(!doc.isKey(deep, within: doc.root))
    }
}
