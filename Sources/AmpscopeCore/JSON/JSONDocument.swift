/// A parsed JSON text kept as its original bytes plus a flat "tape" of value entries.
///
/// Nothing is copied out of the source while parsing: strings and numbers are byte ranges,
/// containers record where their subtree ends so siblings can be skipped in O(1). Values are
/// addressed by their tape index (`JSONDocument.Index`). Reading a string or a number decodes
/// it on demand. This is what lets ampscope decode and validate hundreds of thousands of
/// events per second on one core, where Foundation's JSON builds a tree of boxed values.
public struct JSONDocument: Sendable {
    /// Tape index of a value. The root value is always `0`.
    public typealias Index = Int

    /// The exact bytes that were parsed.
    public let bytes: [UInt8]
    @usableFromInline let tape: [JSONTapeEntry]

    @usableFromInline init(bytes: [UInt8], tape: [JSONTapeEntry]) {
        self.bytes = bytes
        self.tape = tape
    }

    /// Parses `bytes` as one JSON value (surrounding whitespace allowed).
    public init(parsing bytes: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONParseError) {
        self = try JSONParser.parse(bytes, maxDepth: maxDepth)
    }

    /// Parses the UTF-8 of `text`.
    public init(parsing text: String, maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONParseError) {
        self = try JSONParser.parse(Array(text.utf8), maxDepth: maxDepth)
    }

    public var root: Index { 0 }
    public var valueCount: Int { tape.count }

    @inlinable public func kind(_ i: Index) -> JSONKind { tape[i].kind }

    /// Index of the value after `i` and its whole subtree.
    @inlinable public func next(_ i: Index) -> Index {
        let e = tape[i]
        return e.kind.isContainer ? Int(e.c) : i + 1
    }

    /// Byte range of the value's source text (strings exclude their quotes).
    @inlinable public func byteRange(_ i: Index) -> Range<Int> {
        let e = tape[i]
        return Int(e.a)..<Int(e.b)
    }

    /// The source text of a value exactly as it appeared (strings include their quotes).
    public func rawBytes(_ i: Index) -> ArraySlice<UInt8> {
        let e = tape[i]
        if e.kind == .string { return bytes[Int(e.a) - 1..<Int(e.b) + 1] }
        return bytes[Int(e.a)..<Int(e.b)]
    }

    public func rawText(_ i: Index) -> String { String(decoding: rawBytes(i), as: UTF8.self) }

    /// Byte offset where the value starts (for strings: the opening quote).
    public func sourceOffset(_ i: Index) -> Int {
        let e = tape[i]
        return e.kind == .string ? Int(e.a) - 1 : Int(e.a)
    }

    // MARK: Containers

    /// Members of an object: (key index, value index) pairs in source order.
    @inlinable public func members(_ object: Index) -> MemberSequence {
        precondition(tape[object].kind == .object, "members(_:) needs an object")
        return MemberSequence(doc: self, start: object + 1, end: Int(tape[object].c))
    }

    /// Elements of an array in source order.
    @inlinable public func elements(_ array: Index) -> ElementSequence {
        precondition(tape[array].kind == .array, "elements(_:) needs an array")
        return ElementSequence(doc: self, start: array + 1, end: Int(tape[array].c))
    }

    /// Height of a container's subtree (1 for a container holding only scalars); 0 for scalars.
    @inlinable public func height(_ i: Index) -> Int { tape[i].kind.isContainer ? Int(tape[i].height) : 0 }

    /// True when a container's subtree holds a string with more than `JSONTapeEntry.longStringBytes` source bytes.
    @inlinable public func subtreeHasLongString(_ i: Index) -> Bool {
        tape[i].kind.isContainer && tape[i].flags & JSONTapeEntry.subtreeHasLongString != 0
    }

    /// True when a container's subtree holds an array that directly contains an array.
    @inlinable public func subtreeHasNestedArray(_ i: Index) -> Bool {
        tape[i].kind.isContainer && tape[i].flags & JSONTapeEntry.subtreeHasNestedArray != 0
    }

    /// Number of members of an object or elements of an array; 0 for scalars.
    public func count(_ i: Index) -> Int {
        switch tape[i].kind {
        case .object: return members(i).reduce(0) { n, _ in n + 1 }
        case .array: return elements(i).reduce(0) { n, _ in n + 1 }
        default: return 0
        }
    }

    /// Value of the first member whose key is `key`, or nil (also nil when `object` is not an object).
    @inlinable public func member(_ object: Index, _ key: StaticString) -> Index? {
        guard tape[object].kind == .object else { return nil }
        for (k, v) in members(object) where keyEquals(k, key) { return v }
        return nil
    }

    public func member(_ object: Index, named key: String) -> Index? {
        guard tape[object].kind == .object else { return nil }
        var key = key
        return key.withUTF8 { kb in
            for (k, v) in members(object) where stringEquals(k, kb) { return v }
            return nil
        }
    }

    // MARK: Strings

    /// True when the string at `i` has no escape sequences (its bytes are its value).
    @inlinable public func isPlainString(_ i: Index) -> Bool { tape[i].flags & JSONTapeEntry.hasEscapes == 0 }

    /// Compares a string value (usually an object key) with a static ASCII key, without allocating.
    @inlinable public func keyEquals(_ i: Index, _ key: StaticString) -> Bool {
        let e = tape[i]
        guard e.kind == .string, e.flags & JSONTapeEntry.hasEscapes == 0 else {
            return e.kind == .string && string(i) == key.description
        }
        let n = Int(e.b - e.a)
        guard n == key.utf8CodeUnitCount else { return false }
        return bytes.withUnsafeBufferPointer { p in
            let base = p.baseAddress! + Int(e.a)
            let k = key.utf8Start
            for j in 0..<n where base[j] != k[j] { return false }
            return true
        }
    }

    /// Compares a string value with the UTF-8 bytes `other`.
    public func stringEquals(_ i: Index, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        let e = tape[i]
        guard e.kind == .string else { return false }
        if e.flags & JSONTapeEntry.hasEscapes != 0 {
            return Array(string(i).utf8).elementsEqual(other)
        }
        let n = Int(e.b - e.a)
        guard n == other.count else { return false }
        return bytes.withUnsafeBufferPointer { p in
            memcmpEqual(p.baseAddress! + Int(e.a), other.baseAddress, n)
        }
    }

    /// The decoded value of a string (escapes resolved). Empty for non-strings.
    public func string(_ i: Index) -> String {
        let e = tape[i]
        guard e.kind == .string else { return "" }
        let r = Int(e.a)..<Int(e.b)
        if e.flags & JSONTapeEntry.hasEscapes == 0 {
            return String(decoding: bytes[r], as: UTF8.self)
        }
        return JSONStringDecoder.decode(bytes[r])
    }

    /// The value as a string if it is one.
    public func stringValue(_ i: Index) -> String? { tape[i].kind == .string ? string(i) : nil }

    /// Calls `body` with the UTF-8 of a string value (escapes resolved), without allocating when
    /// the string has no escapes. Empty bytes for non-strings.
    @inlinable public func withStringBytes<R>(_ i: Index, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let e = tape[i]
        guard e.kind == .string else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        if e.flags & JSONTapeEntry.hasEscapes == 0 {
            return try bytes.withUnsafeBufferPointer { p in
                try body(UnsafeBufferPointer(rebasing: p[Int(e.a)..<Int(e.b)]))
            }
        }
        var s = string(i)
        return try s.withUTF8 { try body($0) }
    }

    /// True when the string value starts with the ASCII byte `b` (after escapes are resolved).
    @inlinable public func stringStarts(_ i: Index, with b: UInt8) -> Bool {
        let e = tape[i]
        guard e.kind == .string, e.b > e.a else { return false }
        if e.flags & JSONTapeEntry.hasEscapes == 0 || bytes[Int(e.a)] != UInt8(ascii: "\\") {
            return bytes[Int(e.a)] == b
        }
        return withStringBytes(i) { $0.first == b }
    }

    /// True for a string that is empty or only ASCII spaces and tabs.
    public func isBlankString(_ i: Index) -> Bool {
        withStringBytes(i) { p in p.allSatisfy { $0 == 0x20 || $0 == 0x09 } }
    }

    /// Length of a string value in Unicode scalars, without building a String when possible.
    public func stringScalarCount(_ i: Index) -> Int {
        let e = tape[i]
        guard e.kind == .string else { return 0 }
        if e.flags & JSONTapeEntry.hasEscapes != 0 { return string(i).unicodeScalars.count }
        return bytes.withUnsafeBufferPointer { p in
            var n = 0
            for j in Int(e.a)..<Int(e.b) where p[j] & 0xC0 != 0x80 { n += 1 }
            return n
        }
    }

    /// Byte length of the string's source text (an upper bound on its UTF-8 length).
    @inlinable public func stringSourceLength(_ i: Index) -> Int { Int(tape[i].b - tape[i].a) }

    // MARK: Numbers and literals

    /// True for a number written without fraction or exponent.
    public func isIntegerLiteral(_ i: Index) -> Bool {
        tape[i].kind == .number && tape[i].flags & JSONTapeEntry.isInteger != 0
    }

    /// Integer value of a number written as an integer that fits in Int64.
    public func int64(_ i: Index) -> Int64? {
        let e = tape[i]
        guard e.kind == .number, e.flags & JSONTapeEntry.isInteger != 0 else { return nil }
        return bytes.withUnsafeBufferPointer { p in
            var j = Int(e.a)
            let end = Int(e.b)
            var negative = false
            if p[j] == UInt8(ascii: "-") { negative = true; j += 1 }
            var v: Int64 = 0
            while j < end {
                let d = Int64(p[j] &- 48)
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (s, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
                if o1 || o2 { return nil }
                v = s
                j += 1
            }
            return v
        }
    }

    /// Value of any number as a Double (nil for non-numbers).
    public func double(_ i: Index) -> Double? {
        let e = tape[i]
        guard e.kind == .number else { return nil }
        if e.flags & JSONTapeEntry.isInteger != 0, let v = int64(i) { return Double(v) }
        if let d = bytes.withUnsafeBufferPointer({ Self.exactDouble($0.baseAddress! + Int(e.a), Int(e.b &- e.a)) }) { return d }
        return Double(String(decoding: bytes[Int(e.a)..<Int(e.b)], as: UTF8.self))
    }

    /// Powers of ten that a Double holds exactly.
    @usableFromInline static let exactPowersOfTen: [Double] = (0...22).map { n in (0..<n).reduce(1.0) { x, _ in x * 10 } }

    /// The value of a JSON number text when it is a decimal mantissa below 2^53 scaled by 10^-22…10^22
    /// ("12.5", "-0.001", "3e4"), else nil. Both factors are exact Doubles, so the one
    /// multiplication or division rounds once, correctly: the same Double as `Double(String)`
    /// (Clinger's fast path), without building a String.
    static func exactDouble(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        var j = 0
        var negative = false
        if j < n && p[j] == UInt8(ascii: "-") { negative = true; j += 1 }
        var mantissa: UInt64 = 0
        var scale = 0  // decimal exponent contributed by fraction digits
        var digits = 0
        var seenDot = false
        while j < n {
            let c = p[j]
            if c == UInt8(ascii: ".") {
                if seenDot { return nil }
                seenDot = true
            } else if c >= 48 && c <= 57 {
                mantissa = mantissa &* 10 &+ UInt64(c &- 48)
                digits += 1
                if digits > 18 { return nil }  // 10^18 < 2^63: no overflow before the check below
                if seenDot { scale -= 1 }
            } else {
                break
            }
            j += 1
        }
        guard digits > 0, mantissa <= 1 << 53 else { return nil }
        if j < n {
            guard p[j] == UInt8(ascii: "e") || p[j] == UInt8(ascii: "E") else { return nil }
            j += 1
            var expNegative = false
            if j < n && (p[j] == UInt8(ascii: "-") || p[j] == UInt8(ascii: "+")) { expNegative = p[j] == UInt8(ascii: "-"); j += 1 }
            var exp = 0
            var expDigits = 0
            while j < n, p[j] >= 48, p[j] <= 57 {
                exp = exp * 10 + Int(p[j] &- 48)
                expDigits += 1
                if expDigits > 4 { return nil }
                j += 1
            }
            guard expDigits > 0, j == n else { return nil }
            scale += expNegative ? -exp : exp
        }
        guard scale >= -22 && scale <= 22 else { return nil }
        var d = Double(mantissa)
        if scale < 0 { d /= exactPowersOfTen[-scale] } else if scale > 0 { d *= exactPowersOfTen[scale] }
        return negative ? -d : d
    }

    public func bool(_ i: Index) -> Bool? {
        switch tape[i].kind {
        case .true: return true
        case .false: return false
        default: return nil
        }
    }

    // MARK: Sub-documents

    /// The container at `i` as a document of its own, without parsing it again: its bytes are
    /// copied out and its slice of the tape is rebased (byte offsets and subtree ends). A capture
    /// line that holds its body as embedded JSON is parsed once and the decoders read the body
    /// from this (`CaptureLine.parseLine`).
    public func subdocument(_ i: Index) -> JSONDocument {
        let top = tape[i]
        precondition(top.kind.isContainer, "subdocument(_:) needs an object or an array")
        let lo = Int(top.a)
        let end = Int(top.c)
        let byteShift = top.a
        let indexShift = UInt32(truncatingIfNeeded: i)
        let n = end - i
        let sub = [JSONTapeEntry](unsafeUninitializedCapacity: n) { out, initialized in
            tape.withUnsafeBufferPointer { t in
                let src = t.baseAddress! + i
                let dst = out.baseAddress!
                for k in 0..<n {
                    var e = src[k]
                    e.a &-= byteShift
                    e.b &-= byteShift
                    // Only containers hold a tape index in `c` (scalars keep 0).
                    e.c &-= e.kind.isContainer ? indexShift : 0
                    (dst + k).initialize(to: e)
                }
            }
            initialized = n
        }
        return JSONDocument(bytes: Array(bytes[lo..<Int(top.b)]), tape: sub)
    }
}

/// The kind of a JSON value.
public enum JSONKind: UInt8, Sendable, CustomStringConvertible {
    case object, array, string, number, `true`, `false`, null

    @inlinable public var isContainer: Bool { self == .object || self == .array }

    /// The word a user reads in messages ("an object", "a number", ...).
    public var description: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .true, .false: return "a boolean"
        case .null: return "null"
        }
    }
}

/// One tape slot. Scalars: `a..<b` is the byte range (strings without quotes).
/// Containers: `a..<b` is the byte range of the whole text and `c` the tape index after the subtree.
///
/// While parsing, each container also gets a summary of its subtree, so checks that look for
/// something rare (a very long string, a list of lists, deep nesting) can skip a whole event in
/// O(1): `height` (1 for a container of scalars; saturates at 65535) and the flags
/// `subtreeHasLongString` and `subtreeHasNestedArray`.
@frozen public struct JSONTapeEntry: Sendable {
    public var kind: JSONKind
    public var flags: UInt8
    /// Containers: height of the subtree (this container counts 1).
    public var height: UInt16
    public var a: UInt32
    public var b: UInt32
    public var c: UInt32

    /// Strings: the source has escape sequences (its bytes are not its value).
    public static let hasEscapes: UInt8 = 1
    /// Numbers: written without fraction or exponent.
    public static let isInteger: UInt8 = 2
    /// Containers: some string in the subtree (key or value) has more than `longStringBytes` source bytes.
    public static let subtreeHasLongString: UInt8 = 4
    /// Containers: some array in the subtree (or this one) has an array as a direct element.
    public static let subtreeHasNestedArray: UInt8 = 8
    /// Threshold for `subtreeHasLongString`: Amplitude's 1024-character string limit (a string
    /// of more than 1024 characters has more than 1024 source bytes).
    public static let longStringBytes = 1024

    @inlinable init(kind: JSONKind, flags: UInt8 = 0, a: UInt32, b: UInt32, c: UInt32 = 0) {
        self.kind = kind
        self.flags = flags
        self.height = 0
        self.a = a
        self.b = b
        self.c = c
    }
}

public struct MemberSequence: Sequence, Sendable {
    @usableFromInline let doc: JSONDocument
    @usableFromInline let start: Int
    @usableFromInline let end: Int
    @inlinable init(doc: JSONDocument, start: Int, end: Int) {
        self.doc = doc
        self.start = start
        self.end = end
    }
    public struct Iterator: IteratorProtocol {
        @usableFromInline let doc: JSONDocument
        @usableFromInline var i: Int
        @usableFromInline let end: Int
        @inlinable init(doc: JSONDocument, i: Int, end: Int) {
            self.doc = doc
            self.i = i
            self.end = end
        }
        @inlinable public mutating func next() -> (key: Int, value: Int)? {
            guard i < end else { return nil }
            let k = i
            let v = i + 1
            i = doc.next(v)
            return (k, v)
        }
    }
    @inlinable public func makeIterator() -> Iterator { Iterator(doc: doc, i: start, end: end) }
}

public struct ElementSequence: Sequence, Sendable {
    @usableFromInline let doc: JSONDocument
    @usableFromInline let start: Int
    @usableFromInline let end: Int
    @inlinable init(doc: JSONDocument, start: Int, end: Int) {
        self.doc = doc
        self.start = start
        self.end = end
    }
    public struct Iterator: IteratorProtocol {
        @usableFromInline let doc: JSONDocument
        @usableFromInline var i: Int
        @usableFromInline let end: Int
        @inlinable init(doc: JSONDocument, i: Int, end: Int) {
            self.doc = doc
            self.i = i
            self.end = end
        }
        @inlinable public mutating func next() -> Int? {
            guard i < end else { return nil }
            let v = i
            i = doc.next(v)
            return v
        }
    }
    @inlinable public func makeIterator() -> Iterator { Iterator(doc: doc, i: start, end: end) }
}

@usableFromInline func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>?, _ n: Int) -> Bool {
    guard let b else { return n == 0 }
    guard n >= 8 else {
        for j in 0..<n where a[j] != b[j] { return false }
        return true
    }
    // Eight bytes at a time; the last word overlaps the one before it (no byte loop).
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    var j = 0
    while j + 8 < n {
        if ra.loadUnaligned(fromByteOffset: j, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: j, as: UInt64.self) { return false }
        j += 8
    }
    return ra.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == rb.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
}

extension JSONDocument {
    /// JSON Pointer of the value at tape index `target`, searched under `node` whose pointer is `base`.
    /// When `target` is an object key, the pointer names the member it introduces.
    public func pointer(to target: Int, within node: Int, base: String) -> String {
        var p = base
        var cur = node
        while cur != target {
            switch kind(cur) {
            case .object:
                var nextCur: Int?
                for (k, v) in members(cur) {
                    if k == target { return p + "/" + JSONPointer.escape(string(k)) }
                    if target >= v && target < next(v) {
                        p += "/" + JSONPointer.escape(string(k))
                        nextCur = v
                        break
                    }
                }
                guard let n = nextCur else { return p }
                cur = n
            case .array:
                var nextCur: Int?
                for (i, v) in elements(cur).enumerated() where target >= v && target < next(v) {
                    p += "/" + String(i)
                    nextCur = v
                    break
                }
                guard let n = nextCur else { return p }
                cur = n
            default:
                return p
            }
        }
        return p
    }

    /// True when tape index `i` is a member key (a string directly followed by its value inside an object).
    /// Keys and values alternate within an object, so this walks the parent.
    public func isKey(_ i: Int, within node: Int) -> Bool {
        var cur = node
        while true {
            switch kind(cur) {
            case .object:
                var descended = false
                for (k, v) in members(cur) {
                    if k == i { return true }
                    if i >= v && i < next(v) { cur = v; descended = true; break }
                }
                if !descended { return false }
            case .array:
                var descended = false
                for v in elements(cur) where i >= v && i < next(v) { cur = v; descended = true; break }
                if !descended { return false }
            default:
                return false
            }
            if cur == i { return false }
        }
    }
}

// MARK: Strings as bytes

extension JSONDocument {
    /// The decoded UTF-8 of a string value (escapes resolved) as bytes, built without a String;
    /// empty for non-strings. Equal to `Array(string(i).utf8)`.
    ///
    /// Large escaped strings (a capture line's `body` is a whole JSON request written as a JSON
    /// string, an escape every few bytes) are copied eight bytes at a time up to the next
    /// backslash. The parser has validated the escapes and the UTF-8, so decoding cannot fail.
    public func stringBytes(_ i: Index) -> [UInt8] {
        let e = tape[i]
        guard e.kind == .string else { return [] }
        let lo = Int(e.a)
        let hi = Int(e.b)
        if e.flags & JSONTapeEntry.hasEscapes == 0 { return Array(bytes[lo..<hi]) }
        return bytes.withUnsafeBufferPointer { src in
            // Every escape decodes to no more bytes than its source text, so the source length bounds the output.
            [UInt8](unsafeUninitializedCapacity: hi - lo) { out, written in
                written = JSONEscapes.decode(src.baseAddress! + lo, count: hi - lo, into: out.baseAddress!)
            }
        }
    }
}

/// Escape decoding from a validated JSON string body into a buffer at least as long as the body.
enum JSONEscapes {
    /// Decodes `count` bytes at `p` into `out`; returns the number of bytes written (<= count).
    /// The output cursor never passes the input cursor, which is what lets the plain runs be
    /// copied as whole 8-byte words.
    static func decode(_ p: UnsafePointer<UInt8>, count n: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var i = 0
        var o = 0
        let lo: UInt64 = 0x0101_0101_0101_0101
        let hi: UInt64 = 0x8080_8080_8080_8080
        let backslashes = lo &* 0x5C
        while i < n {
            // Plain run: copy whole words until one holds a backslash.
            while i &+ 8 <= n {
                let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                UnsafeMutableRawPointer(out + o).storeBytes(of: w, as: UInt64.self)
                let x = w ^ backslashes
                let hit = (x &- lo) & ~x & hi  // lowest set bit marks the first backslash exactly
                if hit == 0 { i &+= 8; o &+= 8; continue }
                let k = hit.trailingZeroBitCount >> 3
                i &+= k
                o &+= k
                break
            }
            // Tail (fewer than 8 bytes left) byte by byte.
            while i < n && p[i] != 0x5C {
                out[o] = p[i]
                i &+= 1
                o &+= 1
            }
            guard i < n else { break }
            // p[i] is a backslash; the parser guarantees a complete escape follows.
            let esc = p[i &+ 1]
            switch esc {
            case UInt8(ascii: "b"): out[o] = 0x08
            case UInt8(ascii: "f"): out[o] = 0x0C
            case UInt8(ascii: "n"): out[o] = 0x0A
            case UInt8(ascii: "r"): out[o] = 0x0D
            case UInt8(ascii: "t"): out[o] = 0x09
            case UInt8(ascii: "u"):
                let u = hex4(p + (i &+ 2))
                if u >= 0xD800 && u < 0xDC00, i &+ 12 <= n, p[i &+ 6] == 0x5C, p[i &+ 7] == UInt8(ascii: "u") {
                    let low = hex4(p + (i &+ 8))
                    if low >= 0xDC00 && low < 0xE000 {
                        o &+= utf8(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00), out + o)
                        i &+= 12
                        continue
                    }
                }
                o &+= utf8(u >= 0xD800 && u < 0xE000 ? 0xFFFD : u, out + o)  // a lone surrogate
                i &+= 6
                continue
            default: out[o] = esc  // " \ /
            }
            o &+= 1
            i &+= 2
        }
        return o
    }

    @inline(__always) static func hex4(_ p: UnsafePointer<UInt8>) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 4 | UInt32(hexValue(p[k]) ?? 0) }
        return v
    }

    /// Writes the UTF-8 of scalar value `v` (not a surrogate, <= 0x10FFFF); returns its length.
    @inline(__always) static func utf8(_ v: UInt32, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        switch v {
        case 0..<0x80:
            out[0] = UInt8(v)
            return 1
        case 0x80..<0x800:
            out[0] = UInt8(0xC0 | v >> 6)
            out[1] = UInt8(0x80 | v & 0x3F)
            return 2
        case 0x800..<0x10000:
            out[0] = UInt8(0xE0 | v >> 12)
            out[1] = UInt8(0x80 | v >> 6 & 0x3F)
            out[2] = UInt8(0x80 | v & 0x3F)
            return 3
        default:
            out[0] = UInt8(0xF0 | v >> 18)
            out[1] = UInt8(0x80 | v >> 12 & 0x3F)
            out[2] = UInt8(0x80 | v >> 6 & 0x3F)
            out[3] = UInt8(0x80 | v & 0x3F)
            return 4
        }
    }
}
