import Testing
@testable import AmpscopeCore

/// The fast paths added for throughput must agree with the plain definitions they replace.
@Suite("Core internals (fast paths)")
struct CoreInternalsTests {
    @Test("every wire name classifies to its field; near misses do not")
    func fieldNameTable() {
        #expect(EventField.allCases.count <= 64, "RecordFacts.presentMask has one bit per field")
        for f in EventField.allCases {
            let bytes = Array(f.wireName.utf8)
            let got = bytes.withUnsafeBufferPointer { EventField.classify($0.baseAddress!, $0.count) }
            #expect(got == f, "\(f.wireName)")
        }
        for miss in ["userId", "user_i", "user_idd", "User_id", "x", "insert-id", "event_typ", "$skip_user_properties_syncx", "ipx", "pi",
                     String(repeating: "a", count: 40)] {
            let bytes = Array(miss.utf8)
            #expect(bytes.withUnsafeBufferPointer { EventField.classify($0.baseAddress!, $0.count) } == nil, "\(miss)")
        }
    }

    @Test("Sanitize.inline cuts at characters, not bytes (a string with no more bytes than the limit skips the count)")
    func inlineCutsAtCharacters() {
        let wide = String(repeating: "ü", count: 30)  // 60 bytes, 30 characters
        #expect(Sanitize.inline(wide, limit: 40) == wide)
        #expect(Sanitize.inline(wide, limit: 10) == String(repeating: "ü", count: 9) + "…")
        #expect(Sanitize.inline("abc", limit: 3) == "abc")
        #expect(Sanitize.inline("abcd", limit: 3) == "ab…")
        let accents = "e\u{301}e\u{301}e\u{301}"  // 3 characters, 9 bytes
        #expect(Sanitize.inline(accents, limit: 3) == accents)
        #expect(Sanitize.inline(accents + "e", limit: 3) == "e\u{301}e\u{301}…")
        #expect(Sanitize.inline("a\u{1b}b", limit: 3) == "a\\…", "escaped first, then cut")
    }

    @Test("memcmpEqual, a word at a time, agrees with comparing byte by byte: every length to 40, a difference at every place")
    func memcmpEqualAgrees() {
        var rng = SplitMix64(seed: 7)
        for n in 0...40 {
            let a = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            a.withUnsafeBufferPointer { pa in
                let base = pa.baseAddress ?? UnsafePointer(bitPattern: 1)!
                #expect(memcmpEqual(base, base, n))
                #expect(Array(a).withUnsafeBufferPointer { memcmpEqual(base, $0.baseAddress, n) }, "equal copies, \(n) bytes")
                for at in 0..<n {
                    var b = a
                    b[at] ^= 1 << UInt8(rng.next() % 8)
                    #expect(!b.withUnsafeBufferPointer { memcmpEqual(base, $0.baseAddress, n) }, "\(n) bytes, differing at \(at)")
                }
            }
        }
        #expect(memcmpEqual(UnsafePointer(bitPattern: 1)!, nil, 0) && !memcmpEqual(UnsafePointer(bitPattern: 1)!, nil, 1))
    }

    @Test("Sanitize's byte pre-check passes no unsafe scalar: each one, alone and inside text, is escaped")
    func sanitizePrecheckCoversEveryUnsafeScalar() {
        var unsafe = 0
        for v in UInt32(0)...0x10FFFF {
            guard let u = Unicode.Scalar(v), Sanitize.isUnsafe(v) else { continue }
            unsafe += 1
            let s = "ab" + String(Character(u)) + "Zürich"
            #expect(Sanitize.mayBeUnsafe(s), "U+\(String(v, radix: 16))")
            #expect(Sanitize.visible(s) == "ab" + Sanitize.escape(v) + "Zürich")
        }
        #expect(unsafe > 80, "\(unsafe) unsafe scalars")
        // Safe text with the lead bytes the pre-check stops at still comes back as it was.
        for s in ["„quoted“", "\u{FEFE}x", "\u{00A0}", "ؠ", "東京 São Paulo"] {
            #expect(Sanitize.visible(s) == s)
        }
        #expect(!Sanitize.mayBeUnsafe("東京 São Paulo München"))
        #expect(Sanitize.inline(String(repeating: "a", count: 50), limit: 10) == "aaaaaaaaa…")
        #expect(Sanitize.inline("a\u{7f}" + String(repeating: "b", count: 20), limit: 8) == "a\\u007f…")
    }

    @Test("string helpers: bytes without allocating, first byte, blank")
    func stringHelpers() throws {
        let doc = try JSONDocument(parsing: #"["plain", "\u0024set", "  \t", "", "\u0020", "a\"b", 5]"#)
        let e = doc.elements(doc.root).map { $0 }
        #expect(doc.withStringBytes(e[0]) { Array($0) } == Array("plain".utf8))
        #expect(doc.withStringBytes(e[1]) { Array($0) } == Array("$set".utf8))
        #expect(doc.withStringBytes(e[6]) { $0.count } == 0, "non-strings give no bytes")
        #expect(doc.stringStarts(e[0], with: UInt8(ascii: "p")))
        #expect(doc.stringStarts(e[1], with: UInt8(ascii: "$")), "escaped first character")
        #expect(!doc.stringStarts(e[3], with: UInt8(ascii: "$")))
        #expect(!doc.stringStarts(e[6], with: UInt8(ascii: "5")))
        #expect(doc.isBlankString(e[2]))
        #expect(doc.isBlankString(e[3]))
        #expect(doc.isBlankString(e[4]))
        #expect(!doc.isBlankString(e[5]))
    }

    @Test("operation keys are recognised by bytes, escaped or not")
    func operationClassify() throws {
        let doc = try JSONDocument(parsing: #"{"$set":1,"\u0024setOnce":2,"$SET":3,"set":4,"$setAlways":5,"$":6,"$clearAll":7}"#)
        let got = doc.members(doc.root).map { IdentifyOperation.classify(doc, $0.key) }
        #expect(got == [.set, .setOnce, nil, nil, nil, nil, .clearAll])
        for op in IdentifyOperation.allCases {
            let d = try JSONDocument(parsing: "{\"\(op.rawValue)\":{}}")
            #expect(IdentifyOperation.classify(d, 1) == op)
        }
    }

    @Test("the byte-level reserved-id check agrees with the documented list")
    func reservedIDs() {
        let yes = ["anonymous", "ANONYMOUS", " null ", "\tnil", "n/a", "NA", "undefined", "Unknown", "\"\"", "\"\"\"\"", "{}",
                   "LMY47D", "0", "-1", "00000000-0000-0000-0000-000000000000", "00000000", "0000-0000-0000", "none"]
        let no = ["", " ", "anonymous1", "nul", "0000000", "-2", "00000000-0000-0000-0000-000000000001", "null-user", "{ }", "ANONYMOUS-X"]
        for s in yes { #expect(ReservedIDRule.isReserved(s), "\(s)") }
        for s in no { #expect(!ReservedIDRule.isReserved(s), "\(s)") }
        for s in ReservedIDRule.reserved { #expect(ReservedIDRule.isReserved(s.uppercased()), "\(s)") }
    }

    @Test("the parser summarises each container: height, long strings, nested arrays")
    func tapeSummaries() throws {
        let long = String(repeating: "x", count: 1025)
        let doc = try JSONDocument(parsing: #"{"a":{"b":[1,{"c":[[2]]}]},"s":"short","t":{"k":"\#(long)"},"u":{"\#(long)":1},"e":[],"f":[{}],"g":"\#(String(repeating: "y", count: 1024))"}"#)
        func at(_ p: String) throws -> Int { try #require(JSONPointer.resolve(p, in: doc)) }
        #expect(doc.height(doc.root) == 6)           // root > a > b > {c} > c > [2]
        #expect(doc.height(try at("/a")) == 5)
        #expect(doc.height(try at("/a/b/1/c/0")) == 1)
        #expect(doc.height(try at("/s")) == 0)
        #expect(doc.height(try at("/e")) == 1)
        #expect(doc.height(try at("/f")) == 2)
        #expect(doc.subtreeHasNestedArray(doc.root))
        #expect(doc.subtreeHasNestedArray(try at("/a")))
        #expect(doc.subtreeHasNestedArray(try at("/a/b/1/c")))
        #expect(!doc.subtreeHasNestedArray(try at("/a/b/1/c/0")))
        #expect(!doc.subtreeHasNestedArray(try at("/f")), "an array of objects is not nested")
        #expect(doc.subtreeHasLongString(doc.root))
        #expect(doc.subtreeHasLongString(try at("/t")))
        #expect(doc.subtreeHasLongString(try at("/u")), "long keys count")
        #expect(!doc.subtreeHasLongString(try at("/a")))
        #expect(!doc.subtreeHasLongString(try at("/s")), "scalars have no subtree")
        // 1024 bytes exactly is not over the threshold.
        let edge = try JSONDocument(parsing: #"{"g":"\#(String(repeating: "y", count: 1024))"}"#)
        #expect(!edge.subtreeHasLongString(edge.root))
        // Escapes count as source bytes (a superset: the rule then counts characters).
        let escaped = try JSONDocument(parsing: "[\"" + String(repeating: "\\u00e9", count: 200) + "\"]")
        #expect(escaped.subtreeHasLongString(escaped.root))
        #expect(StringTooLongRule.limit >= JSONTapeEntry.longStringBytes, "the skip must never hide a too-long string")
    }

    @Test("heights of deep documents are exact, and match the too-deep rule")
    func deepHeights() throws {
        for n in [1, 2, 39, 40, 41, 100, 511] {
            let doc = try JSONDocument(parsing: String(repeating: "[", count: n) + String(repeating: "]", count: n))
            #expect(doc.height(doc.root) == n)
            let found = TooDeepRule.firstTooDeep(doc, doc.root, doc.next(doc.root))
            #expect(found == (n > TooDeepRule.limit ? TooDeepRule.limit : nil))
        }
    }

    @Test("dedup keys: parts are delimited, 0 is never produced, escapes hash as their value")
    func keyHasher() throws {
        func h(_ parts: [String]) -> UInt64 {
            var k = KeyHasher()
            for var p in parts { p.withUTF8 { k.add($0) } }
            return k.finish()
        }
        #expect(h(["ab", "c"]) != h(["a", "bc"]))
        #expect(h(["", "x"]) != h(["x", ""]))
        #expect(h(["device-1", "insert-1"]) == h(["device-1", "insert-1"]))
        var seen = Set<UInt64>()
        for i in 0..<20_000 { seen.insert(h(["device-\(i % 97)", "insert-\(i)"])) }
        #expect(seen.count == 20_000)
        #expect(!seen.contains(0))
        let a = try JSONDocument(parsing: #"{"insert_id":"ab","device_id":"d1"}"#)
        let b = try JSONDocument(parsing: #"{"insert_id":"\u0061b","device_id":"d\u0031"}"#)
        #expect(InsertKey.hash(a, a.root) == InsertKey.hash(b, b.root))
    }

    @Test("IngestedKeys keeps the first request per key across growth")
    func ingestedKeys() {
        var t = IngestedKeys()
        #expect(t.lookup(42) == nil)
        for k in 1...5000 as ClosedRange<UInt64> { t.insertIfAbsent(k &* 0x9E37_79B9_7F4A_7C15, Int(k % 7)) }
        for k in 1...5000 as ClosedRange<UInt64> { t.insertIfAbsent(k &* 0x9E37_79B9_7F4A_7C15, 99) }
        #expect(t.count == 5000)
        for k in 1...5000 as ClosedRange<UInt64> { #expect(t.lookup(k &* 0x9E37_79B9_7F4A_7C15) == Int(k % 7)) }
        #expect(t.lookup(12345) == nil)
    }

    @Test("IngestedHistory remembers at least one generation of keys and at most two")
    func ingestedHistory() {
        var h = IngestedHistory(generationLimit: 1000)
        func key(_ k: Int) -> UInt64 { UInt64(k) &* 0x9E37_79B9_7F4A_7C15 | 1 }
        for k in 1...1000 { h.insertIfAbsent(key(k), k) }
        #expect(h.count == 1000)
        // A key of the full current generation keeps its first request across the rotation.
        h.insertIfAbsent(key(500), 9999)
        #expect(h.lookup(key(500)) == 500)
        #expect(h.count == 1000)
        // A key seen in the previous generation is still found, with its first request.
        for k in 1001...1500 { h.insertIfAbsent(key(k), k) }
        h.insertIfAbsent(key(7), 9999)
        #expect(h.lookup(key(7)) == 7)
        #expect(h.count == 1500)
        // The previous generation is forgotten once the current one fills again.
        for k in 1501...2001 { h.insertIfAbsent(key(k), k) }
        #expect(h.lookup(key(7)) == nil)
        #expect(h.lookup(key(1001)) == 1001)
        #expect(h.lookup(key(2001)) == 2001)
        #expect(h.count <= 2000)
        // The last `generationLimit` keys are always remembered.
        for k in 1...50_000 { h.insertIfAbsent(key(k + 10_000), k) }
        for k in 49_001...50_000 { #expect(h.lookup(key(k + 10_000)) == k) }
        #expect(h.count <= 2000)
    }

    @Test("record facts are right for every record when the key table is reused")
    func factsReuse() throws {
        let body = CoreTest.body([
            #"{"user_id":"user-1","event_type":"a","insert_id":"i-1"}"#,
            #"{"device_id":"device-2","time":1795371070308}"#,
            #"[1]"#,
            #"{"user_id":"user-3","user_id":"user-3b","userId":"x","groups":{}}"#,
        ])
        let r = CoreTest.decode(CoreTest.json(body))
        let doc = try #require(r.document)
        var table: [Int32] = []
        var seen: [(Int?, Int?, Int?, UInt64, Int, Int, Bool)] = []
        for i in r.records.indices {
            var f = RecordFacts(request: r, doc: doc, index: i, table: &table)
            seen.append((f[.userID].map { doc.sourceOffset($0) }, f[.deviceID].map { doc.sourceOffset($0) }, f[.insertID],
                         f.presentMask, f.unknownKeys.count, f.duplicateKeys.count, f.insertKey != nil))
            // Same facts as a fresh table gives.
            let fresh = RecordFacts(doc: doc, node: r.records[i], index: i, kind: .event, pointer: r.recordPointer(i))
            for field in EventField.allCases { #expect(f[field] == fresh[field], "record \(i) \(field)") }
            #expect(f.pointer == "/events/\(i)")
            #expect(fresh.pointer == "/events/\(i)")
            f.reclaimTable(into: &table)
        }
        #expect(seen[0].0 != nil && seen[0].1 == nil && seen[0].2 != nil && seen[0].6)
        #expect(seen[1].0 == nil && seen[1].1 != nil && seen[1].2 == nil && !seen[1].6)
        #expect(seen[2].3 == 0, "a non-object has no fields")
        #expect(seen[3].4 == 1 && seen[3].5 == 1, "userId is unknown, the second user_id a duplicate")
        #expect(seen[3].3 == (1 << UInt64(EventField.userID.rawValue)) | (1 << UInt64(EventField.groups.rawValue)))
    }

    @Test("facts limited to a few fields give those fields as the full facts do, and skip the other keys")
    func factsLimitedToFields() throws {
        let wanted: [EventField] = [.userID, .deviceID, .eventType, .time, .timestamp, .groups, .userProperties]
        let filter = FieldFilter(wanted)
        let body = CoreTest.body([
            // Keys of a wanted field's length and first letter (`user_xx`, `times_tam`), escaped keys
            // (classified by name, never filtered), duplicates (the first one counts), nested objects.
            #"{"user_xx":1,"user_id":"u-1","user_id":"u-2","device_id":"d","times_tam":2,"timestamp":3,"time":4,"#
                + #""os_name":"x","event_properties":{"user_id":"inner"},"event_type":"a","groups":{"org":"o"},"#
                + #""user_properties":{"$set":{"plan":"pro"}},"platform":"Web"}"#,
            #"{"device_id":"escaped","user_id":"e","event_type":"$identify","user_agent":"ua","extra":null}"#,
            #"{}"#,
        ])
        let r = CoreTest.decode(CoreTest.json(body))
        let doc = try #require(r.document)
        var table: [Int32] = []
        var limitedTable: [Int32] = []
        for i in r.records.indices {
            var full = RecordFacts(request: r, doc: doc, index: i, table: &table)
            var limited = RecordFacts(request: r, doc: doc, index: i, table: &limitedTable, only: filter)
            for f in wanted { #expect(limited[f] == full[f], "record \(i) \(f)") }
            #expect(limited.isIdentify == full.isIdentify)
            if i == 0 {
                // The other fields were skipped, not classified.
                #expect(full[.platform] != nil && limited[.platform] == nil && limited[.osName] == nil)
                #expect(limited.unknownKeys.map { doc.string($0) } == ["user_xx", "times_tam", "timestamp"],
                        "let through and found unknown (timestamp is amplitude-js's, not an HTTP V2 event's)")
                #expect(limited.duplicateKeys.count == 1 && limited[.userID].map { doc.string($0) } == "u-1")
            }
            full.reclaimTable(into: &table)
            limited.reclaimTable(into: &limitedTable)
        }
        #expect(!filter.admits("os_name", 7) && filter.admits("user_id", 7) && !filter.admits("", 0))
    }

    @Test("commit records the keys even when the request was not the last one validated")
    func commitWithoutPending() {
        let e = CoreTest.event(["insert_id": "\"late-1\""])
        let first = CoreTest.decode(CoreTest.events(e))
        let other = CoreTest.decode(CoreTest.events(CoreTest.event()))
        var ctx = ValidationContext()
        let v = Validator()
        _ = v.validate(first, context: &ctx)
        _ = v.validate(other, context: &ctx)   // the pending keys are now other's
        ctx.commit(first, accepted: true)        // falls back to hashing first's records
        let again = v.validate(CoreTest.decode(CoreTest.events(e)), context: &ctx)
        #expect(again.contains { $0.rule == RuleID.duplicateInsertID })
    }
}
