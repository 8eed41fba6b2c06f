/// Interns byte strings as dense `Int32` ids, looked up by their bytes.
///
/// The profile simulator looks up a user_id, a device_id and every property name of every
/// event; as `[String: Int32]` each lookup built a `String` from the JSON bytes and hashed it
/// with SipHash, and every entry cost a 16-byte key (plus a heap block for ids over 15 bytes)
/// in a table less than half full. Here the bytes of all strings sit one after another in one
/// array, and the open-addressing table holds one 8-byte word per slot (32 bits of the hash
/// beside the id), so an entry costs its bytes plus about 25 bytes, and a lookup reads the
/// JSON bytes in place.
///
/// Strings compare by their UTF-8 bytes (not by Unicode canonical equivalence as `String`
/// does): two ids are the same when their bytes are, which is how a server compares them.
struct ByteInterner: Sendable {
    /// Every string's bytes, one after another; string `i` ends at `ends[i]` and starts where
    /// string `i - 1` ends.
    private var bytes: [UInt8] = []
    /// Offsets as `Int`: a load test with a new device per event can pass 4 GB of ids.
    private var ends: [Int] = []
    /// 0: empty; else `hash32 << 32 | (id + 1)`.
    private var slots: [UInt64] = []

    init() {}

    var count: Int { ends.count }

    // MARK: Lookups

    func find(_ p: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard !slots.isEmpty else { return nil }
        let h = Self.hash(p)
        return probe(p, h).id
    }

    /// The id of `p`, adding it when it is new.
    mutating func intern(_ p: UnsafeBufferPointer<UInt8>) -> (id: Int32, isNew: Bool) {
        if slots.isEmpty { grow() }
        let h = Self.hash(p)
        let (found, slot) = probe(p, h)
        if let found { return (found, false) }
        let id = Int32(ends.count)
        bytes.append(contentsOf: p)
        ends.append(bytes.count)
        slots[slot] = UInt64(h) << 32 | UInt64(UInt32(id) + 1)
        // Grow past 60 % full: linear probing stays short, and the table costs 8 bytes a slot.
        if ends.count * 5 > slots.count * 3 { grow() }
        return (id, true)
    }

    func find(_ s: String) -> Int32? {
        var s = s
        return s.withUTF8 { find($0) }
    }

    mutating func intern(_ s: String) -> (id: Int32, isNew: Bool) {
        var s = s
        return s.withUTF8 { intern($0) }
    }

    /// The string at tape index `i` of `doc` (a JSON string).
    func find(_ doc: JSONDocument, _ i: Int) -> Int32? {
        Self.withKeyBytes(doc, i) { find($0) }
    }

    mutating func intern(_ doc: JSONDocument, _ i: Int) -> (id: Int32, isNew: Bool) {
        Self.withKeyBytes(doc, i) { intern($0) }
    }

    /// The bytes a JSON string is interned by: its source bytes when it has no escapes (the
    /// parser has checked they are UTF-8), else the UTF-8 of the decoded string, so every
    /// spelling of a string gets one id.
    static func withKeyBytes<R>(_ doc: JSONDocument, _ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if doc.isPlainString(i) { return doc.withStringBytes(i, body) }
        var s = doc.string(i)
        return s.withUTF8(body)
    }

    // MARK: Reading back

    func withBytes<R>(_ id: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let i = Int(id)
        let start = i == 0 ? 0 : ends[i - 1]
        let end = ends[i]
        return bytes.withUnsafeBufferPointer { all in body(UnsafeBufferPointer(rebasing: all[start..<end])) }
    }

    func string(_ id: Int32) -> String {
        withBytes(id) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether string `id` is `p`.
    func equals(_ id: Int32, _ p: UnsafeBufferPointer<UInt8>) -> Bool {
        withBytes(id) { s in s.count == p.count && (s.isEmpty || memcmpEqual(s.baseAddress!, p.baseAddress, s.count)) }
    }

    // MARK: The table

    private func probe(_ p: UnsafeBufferPointer<UInt8>, _ h: UInt32) -> (id: Int32?, slot: Int) {
        // The three arrays opened once (comparing through `equals` opened two of them per
        // candidate, with a retain and release of each: most of a lookup's time).
        slots.withUnsafeBufferPointer { slots in
            ends.withUnsafeBufferPointer { ends in
                bytes.withUnsafeBufferPointer { bytes in
                    let mask = slots.count - 1
                    var s = Int(h) & mask
                    while true {
                        let word = slots[s]
                        if word == 0 { return (nil, s) }
                        if UInt32(truncatingIfNeeded: word >> 32) == h {
                            let id = Int(truncatingIfNeeded: word & 0xFFFF_FFFF) - 1
                            let start = id == 0 ? 0 : ends[id - 1]
                            let count = ends[id] - start
                            if count == p.count && (count == 0 || memcmpEqual(bytes.baseAddress! + start, p.baseAddress, count)) {
                                return (Int32(id), s)
                            }
                        }
                        s = (s + 1) & mask
                    }
                }
            }
        }
    }

    private mutating func grow() {
        let size = max(16, slots.count * 2)
        var fresh = [UInt64](repeating: 0, count: size)
        let mask = size - 1
        for word in slots where word != 0 {
            var s = Int(UInt32(truncatingIfNeeded: word >> 32)) & mask
            while fresh[s] != 0 { s = (s + 1) & mask }
            fresh[s] = word
        }
        slots = fresh
    }

    static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var k = KeyHasher()
        k.add(p)
        let h = k.finish()
        return UInt32(truncatingIfNeeded: h ^ h >> 32)
    }
}
