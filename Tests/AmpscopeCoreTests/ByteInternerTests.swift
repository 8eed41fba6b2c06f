import Testing
@testable import AmpscopeCore

@Suite("Byte interner")
struct ByteInternerTests {
    @Test("ids are dense, stable through growth, and found again by their bytes")
    func growth() {
        var t = ByteInterner()
        var ids: [Int32] = []
        for i in 0..<5_000 {
            let (id, isNew) = t.intern("device-\(i * 7919)-ü")
            #expect(isNew)
            ids.append(id)
        }
        #expect(ids == (0..<5_000).map(Int32.init))
        #expect(t.count == 5_000)
        for i in stride(from: 0, to: 5_000, by: 37) {
            #expect(t.find("device-\(i * 7919)-ü") == Int32(i))
            let again = t.intern("device-\(i * 7919)-ü")
            #expect(again.id == Int32(i) && !again.isNew)
            #expect(t.string(Int32(i)) == "device-\(i * 7919)-ü")
        }
        #expect(t.find("device-1-ü") == nil)
        #expect(t.find("") == nil)
        let empty = t.intern("")
        #expect(empty.isNew && t.string(empty.id) == "" && t.find("") == empty.id)
    }

    @Test("a JSON string gets the same id however it is spelled, and strings compare by bytes")
    func jsonSpellings() throws {
        let doc = try JSONDocument(parsing: #"["abc", "a\u0062c", "Zoë", "Zo\u00eb", "Zoe\u0308", "x\"y", "x\u0022y"]"#)
        var t = ByteInterner()
        let items = Array(doc.elements(doc.root))
        let got = items.map { t.intern(doc, $0).id }
        // Escaped and plain spellings of one string share an id; "Zoë" precomposed and
        // decomposed are different bytes, so different ids (String would call them equal).
        #expect(got == [0, 0, 1, 1, 2, 3, 3])
        #expect(t.string(1) == "Zoë" && t.string(3) == "x\"y")
        #expect(t.find(doc, items[4]) == 2)
        #expect(t.find("Zoe\u{0308}") == 2)
    }

    @Test("a non-ASCII string from JSON and the same Swift string get one id")
    func nonASCII() throws {
        let doc = try JSONDocument(parsing: #"["Tシャツ-42", "Kopfhörer"]"#)
        var t = ByteInterner()
        let a = t.intern("Kopfhörer").id
        let items = Array(doc.elements(doc.root))
        #expect(t.intern(doc, items[1]) == (a, false))
        #expect(t.find(doc, items[0]) == nil)
        #expect(t.intern(doc, items[0]).isNew && t.find("Tシャツ-42") == 1)
    }
}

@Suite("Shared profile values")
struct SharedValueCacheTests {
    @Test("every list and object comes back equal to one built afresh, through slot collisions; a repeated source shares storage")
    func sameValues() throws {
        var items: [String] = []
        for n in 0..<3_000 {
            switch n % 3 {
            case 0: items.append("[\"sale\",\"b\(n % 7)\",\(n)]")
            case 1: items.append("{\"city\":\"München-\(n)\",\"geo\":{\"lat\":48.1,\"lng\":\(n)}}")
            default: items.append("[\"" + String(repeating: "x", count: 300) + "\(n)\"]")  // over maxBytes: not kept
            }
        }
        let doc = try JSONDocument(parsing: "[" + (items + items).joined(separator: ",") + "]")
        var cache = SharedValueCache()
        var truncated = false
        for i in doc.elements(doc.root) {
            var fresh = false
            #expect(cache.value(doc, i, truncated: &truncated) == ProfileValue(doc, i, truncated: &fresh))
        }
        #expect(!truncated)
        let again = try JSONDocument(parsing: #"[["a","b3"],["a","b3"]]"#)
        let e = Array(again.elements(again.root))
        guard case .array(let x) = cache.value(again, e[0], truncated: &truncated),
              case .array(let y) = cache.value(again, e[1], truncated: &truncated) else { Issue.record("not lists"); return }
        #expect(x.withUnsafeBufferPointer { $0.baseAddress } == y.withUnsafeBufferPointer { $0.baseAddress })
    }
}
