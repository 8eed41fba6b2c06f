/// Why a JSON text could not be parsed, and where.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset of the problem in the parsed text.
    public var offset: Int
    /// 1-based line and column (columns count bytes) of `offset`.
    public var line: Int
    public var column: Int
    public var reason: String

    public var description: String { "line \(line), column \(column): \(reason)" }
}

/// A strict RFC 8259 parser that validates UTF-8 and writes a `JSONDocument` tape.
///
/// Iterative (an explicit container stack), so hostile nesting cannot overflow the call stack;
/// nesting beyond `maxDepth` is an error rather than a crash.
public enum JSONParser {
    public static let defaultMaxDepth = 512

    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONDocument {
        guard bytes.count < Int(UInt32.max) else {
            throw JSONParseError(offset: 0, line: 1, column: 1, reason: "text larger than 4 GiB")
        }
        guard !bytes.isEmpty else {
            throw JSONParseError(offset: 0, line: 1, column: 1, reason: "empty text where a JSON value was expected")
        }
        let result: Result<[JSONTapeEntry], JSONParseError> = bytes.withUnsafeBufferPointer { buf in
            var s = State(p: buf.baseAddress!, n: buf.count, maxDepth: maxDepth)
            defer { s.release() }
            guard s.run() else {
                var line = 1
                var col = 1
                for j in 0..<min(s.errorOffset, buf.count) {
                    if buf[j] == 0x0A { line += 1; col = 1 } else { col += 1 }
                }
                return .failure(JSONParseError(offset: s.errorOffset, line: line, column: col, reason: s.errorReason))
            }
            // The tape is built in a scratch buffer and copied once into an exactly sized array.
            return .success(Array(UnsafeBufferPointer(start: s.tape, count: s.count)))
        }
        switch result {
        case .success(let tape): return JSONDocument(bytes: bytes, tape: tape)
        case .failure(let e): throw e
        }
    }

    /// Parser state over a non-empty buffer. The tape is a manually grown buffer: appending is a
    /// capacity check and a store (an Array append also checks uniqueness every time).
    struct State {
        let p: UnsafePointer<UInt8>
        let n: Int
        let maxDepth: Int
        var i = 0
        var errorOffset = 0
        var errorReason = ""
        var stack: [Int] = []
        var tape: UnsafeMutablePointer<JSONTapeEntry>
        var count = 0
        var capacity: Int

        init(p: UnsafePointer<UInt8>, n: Int, maxDepth: Int) {
            self.p = p
            self.n = n
            self.maxDepth = maxDepth
            capacity = n / 8 + 16
            tape = .allocate(capacity: capacity)
        }

        func release() { tape.deallocate() }

        @inline(__always) mutating func push(_ e: JSONTapeEntry) {
            if count == capacity { grow() }
            (tape + count).initialize(to: e)
            count &+= 1
        }

        @inline(never) mutating func grow() {
            let bigger = UnsafeMutablePointer<JSONTapeEntry>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: tape, count: count)
            tape.deallocate()
            tape = bigger
            capacity *= 2
        }

        mutating func fail(_ reason: String, at off: Int? = nil) -> Bool {
            errorOffset = off ?? i
            errorReason = reason
            return false
        }

        @inline(__always) mutating func skipWS() {
            while i < n {
                let c = p[i]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i &+= 1 } else { return }
            }
        }

        mutating func run() -> Bool {
            skipWS()
            if i >= n { return fail("only whitespace where a JSON value was expected") }
            // Value position.
            valueLoop: while true {
                guard i < n else { return fail("unexpected end of text: a value is missing") }
                let c = p[i]
                switch c {
                case UInt8(ascii: "\""):
                    guard readString() else { return false }
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if stack.count >= maxDepth {
                        return fail("nested deeper than \(maxDepth) levels")
                    }
                    let isObject = c == UInt8(ascii: "{")
                    if !isObject, let parent = stack.last, tape[parent].kind == .array {
                        tape[parent].flags |= JSONTapeEntry.subtreeHasNestedArray
                    }
                    stack.append(count)
                    push(JSONTapeEntry(kind: isObject ? .object : .array, a: UInt32(truncatingIfNeeded: i), b: 0))
                    i &+= 1
                    skipWS()
                    guard i < n else { return fail("unexpected end of text inside \(isObject ? "an object" : "an array")") }
                    if p[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        i &+= 1
                        close()
                        // fall through to after-value handling
                    } else if isObject {
                        guard readKey() else { return false }
                        continue valueLoop
                    } else {
                        continue valueLoop
                    }
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    guard readNumber() else { return false }
                case UInt8(ascii: "t"):
                    guard literal("true", .true) else { return false }
                case UInt8(ascii: "f"):
                    guard literal("false", .false) else { return false }
                case UInt8(ascii: "n"):
                    guard literal("null", .null) else { return false }
                default:
                    return fail("unexpected \(describeByte(c)) where a value was expected")
                }
                // After a complete value.
                afterValue: while true {
                    guard let open = stack.last else {
                        skipWS()
                        if i < n { return fail("unexpected \(describeByte(p[i])) after the end of the JSON value") }
                        return true
                    }
                    skipWS()
                    let top = tape[open].kind
                    guard i < n else {
                        return fail("unexpected end of text: \(top == .object ? "'}'" : "']'") is missing")
                    }
                    let c2 = p[i]
                    if c2 == UInt8(ascii: ",") {
                        i &+= 1
                        skipWS()
                        if top == .object {
                            guard readKey() else { return false }
                        }
                        continue valueLoop
                    }
                    if top == .object && c2 == UInt8(ascii: "}") || top == .array && c2 == UInt8(ascii: "]") {
                        i &+= 1
                        close()
                        continue afterValue
                    }
                    return fail("expected ',' or '\(top == .object ? "}" : "]")' but found \(describeByte(c2))")
                }
            }
        }

        /// Closes the innermost container and folds its subtree summary into its parent.
        @inline(__always) mutating func close() {
            let open = stack.removeLast()
            tape[open].b = UInt32(truncatingIfNeeded: i)
            tape[open].c = UInt32(truncatingIfNeeded: count)
            let h = tape[open].height == .max ? .max : tape[open].height &+ 1  // children's max + this level
            tape[open].height = h
            if let parent = stack.last {
                if tape[parent].height < h { tape[parent].height = h }
                tape[parent].flags |= tape[open].flags & (JSONTapeEntry.subtreeHasLongString | JSONTapeEntry.subtreeHasNestedArray)
            }
        }

        /// Reads `"key" :` and leaves `i` at the value.
        mutating func readKey() -> Bool {
            guard i < n else { return fail("unexpected end of text: an object key is missing") }
            guard p[i] == UInt8(ascii: "\"") else {
                return fail("expected a quoted object key but found \(describeByte(p[i]))")
            }
            guard readString() else { return false }
            if i < n && p[i] == UInt8(ascii: ":") {  // compact JSON: no blank before the colon
                i &+= 1
            } else {
                skipWS()
                guard i < n, p[i] == UInt8(ascii: ":") else {
                    return fail(i < n ? "expected ':' after an object key but found \(describeByte(p[i]))" : "unexpected end of text after an object key")
                }
                i &+= 1
            }
            if i < n && p[i] > 0x20 { return true }  // the value follows directly
            skipWS()
            return true
        }

        mutating func literal(_ word: StaticString, _ kind: JSONKind) -> Bool {
            let len = word.utf8CodeUnitCount
            guard i + len <= n else { return fail("truncated literal, expected '\(word)'") }
            let w = word.utf8Start
            for j in 0..<len where p[i + j] != w[j] { return fail("invalid literal, expected '\(word)'") }
            push(JSONTapeEntry(kind: kind, a: UInt32(truncatingIfNeeded: i), b: UInt32(truncatingIfNeeded: i + len)))
            i &+= len
            return true
        }

        mutating func readNumber() -> Bool {
            let start = i
            var isInt = true
            if p[i] == UInt8(ascii: "-") { i &+= 1 }
            guard i < n, isDigit(p[i]) else { return fail("a '-' must be followed by a digit") }
            if p[i] == UInt8(ascii: "0") {
                i &+= 1
                if i < n, isDigit(p[i]) { return fail("numbers may not have leading zeros") }
            } else {
                while i < n, isDigit(p[i]) { i &+= 1 }
            }
            if i < n, p[i] == UInt8(ascii: ".") {
                isInt = false
                i &+= 1
                guard i < n, isDigit(p[i]) else { return fail("a decimal point must be followed by a digit") }
                while i < n, isDigit(p[i]) { i &+= 1 }
            }
            if i < n, p[i] | 0x20 == UInt8(ascii: "e") {
                isInt = false
                i &+= 1
                if i < n, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i &+= 1 }
                guard i < n, isDigit(p[i]) else { return fail("an exponent must have digits") }
                while i < n, isDigit(p[i]) { i &+= 1 }
            }
            push(JSONTapeEntry(kind: .number, flags: isInt ? JSONTapeEntry.isInteger : 0,
                               a: UInt32(truncatingIfNeeded: start), b: UInt32(truncatingIfNeeded: i)))
            return true
        }

        /// Bytes of an 8-byte word that need a closer look inside a string: '"', '\\', a control
        /// byte, or a byte >= 0x80. Returns the word's "special" high bits; the lowest set bit
        /// marks exactly the first such byte (borrows only travel upwards).
        @inline(__always) static func specialBits(_ w: UInt64) -> UInt64 {
            let hi: UInt64 = 0x8080_8080_8080_8080
            let lo: UInt64 = 0x0101_0101_0101_0101
            let q = w ^ (lo &* 0x22)
            let b = w ^ (lo &* 0x5C)
            return (((q &- lo) & ~q) | ((b &- lo) & ~b) | (w &- (lo &* 0x20)) | w) & hi
        }

        /// Reads a string starting at the opening quote. The common case (plain ASCII, at least
        /// 16 bytes from the end of the text) is inlined into the callers; anything else (escapes,
        /// non-ASCII, errors, the end of the text) starts over in `readStringSlow`.
        @inline(__always) mutating func readString() -> Bool {
            let start = i &+ 1
            var j = start
            while j &+ 16 <= n {
                let w1 = Self.specialBits(UnsafeRawPointer(p + j).loadUnaligned(as: UInt64.self))
                let w2 = Self.specialBits(UnsafeRawPointer(p + (j &+ 8)).loadUnaligned(as: UInt64.self))
                if w1 | w2 == 0 { j &+= 16; continue }
                j &+= w1 != 0 ? w1.trailingZeroBitCount >> 3 : 8 &+ w2.trailingZeroBitCount >> 3
                if p[j] != UInt8(ascii: "\"") { break }
                push(JSONTapeEntry(kind: .string, a: UInt32(truncatingIfNeeded: start), b: UInt32(truncatingIfNeeded: j)))
                if j &- start > JSONTapeEntry.longStringBytes, let top = stack.last {
                    tape[top].flags |= JSONTapeEntry.subtreeHasLongString
                }
                i = j &+ 1
                return true
            }
            return readStringSlow()
        }

        /// Reads a string starting at the opening quote; validates escapes and UTF-8.
        @inline(never) mutating func readStringSlow() -> Bool {
            let quote = i
            i &+= 1
            let start = i
            var flags: UInt8 = 0
            while true {
                // Skip plain ASCII 16 bytes at a time, then land exactly on the first special byte.
                while i &+ 16 <= n {
                    let w1 = Self.specialBits(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                    let w2 = Self.specialBits(UnsafeRawPointer(p + (i &+ 8)).loadUnaligned(as: UInt64.self))
                    if w1 | w2 == 0 { i &+= 16; continue }
                    i &+= w1 != 0 ? w1.trailingZeroBitCount >> 3 : 8 &+ w2.trailingZeroBitCount >> 3
                    break
                }
                if i &+ 16 > n {
                    while i &+ 8 <= n {
                        let w = Self.specialBits(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                        if w == 0 { i &+= 8; continue }
                        i &+= w.trailingZeroBitCount >> 3
                        break
                    }
                }
                guard i < n else { return fail("unterminated string", at: quote) }
                let c = p[i]
                if c == UInt8(ascii: "\"") {
                    push(JSONTapeEntry(kind: .string, flags: flags, a: UInt32(truncatingIfNeeded: start), b: UInt32(truncatingIfNeeded: i)))
                    if i &- start > JSONTapeEntry.longStringBytes, let top = stack.last {
                        tape[top].flags |= JSONTapeEntry.subtreeHasLongString
                    }
                    i &+= 1
                    return true
                }
                if c == UInt8(ascii: "\\") {
                    flags |= JSONTapeEntry.hasEscapes
                    guard i + 1 < n else { return fail("unterminated escape sequence") }
                    let e = p[i + 1]
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                         UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        i &+= 2
                    case UInt8(ascii: "u"):
                        guard i + 6 <= n else { return fail("truncated \\u escape") }
                        for j in 2..<6 where hexValue(p[i + j]) == nil {
                            return fail("invalid \\u escape: \(describeByte(p[i + j])) is not a hex digit", at: i + j)
                        }
                        i &+= 6
                    default:
                        // describeByte quotes printable bytes itself ('x'); say "\x" for those, the byte otherwise.
                        let shown = e >= 0x21 && e < 0x7F ? "'\\\(Character(Unicode.Scalar(e)))'" : "\\ followed by \(describeByte(e))"
                        return fail("invalid escape \(shown)")
                    }
                    continue
                }
                if c < 0x20 {
                    return fail("control character \(describeByte(c)) must be escaped inside a string")
                }
                if c < 0x80 { i &+= 1; continue }  // only in the last few bytes of the text
                let len = utf8SequenceLength(p, i, n)
                if len == 0 { return fail("invalid UTF-8 byte 0x\(hex2(c)) inside a string") }
                i &+= len
            }
        }
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }
}

@inline(__always) func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - 48
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - 87
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - 55
    default: return nil
    }
}

func hex2(_ c: UInt8) -> String {
    let d = Array("0123456789ABCDEF".utf8)
    return String(decoding: [d[Int(c >> 4)], d[Int(c & 15)]], as: UTF8.self)
}

/// "'x'" for printable ASCII, "byte 0x1B" otherwise: never echoes raw control bytes.
func describeByte(_ c: UInt8) -> String {
    if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
    if c == 0x20 { return "a space" }
    return "byte 0x\(hex2(c))"
}

/// Length of the valid UTF-8 sequence starting at `i` (2...4), or 0 if it is not valid.
/// Rejects overlong forms, surrogates and code points above U+10FFFF.
@inline(__always) func utf8SequenceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
    let c = p[i]
    @inline(__always) func cont(_ j: Int) -> Bool { j < n && p[j] & 0xC0 == 0x80 }
    switch c {
    case 0xC2...0xDF:
        return cont(i + 1) ? 2 : 0
    case 0xE0:
        return i + 1 < n && p[i + 1] >= 0xA0 && p[i + 1] <= 0xBF && cont(i + 2) ? 3 : 0
    case 0xE1...0xEC, 0xEE, 0xEF:
        return cont(i + 1) && cont(i + 2) ? 3 : 0
    case 0xED:
        return i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F && cont(i + 2) ? 3 : 0
    case 0xF0:
        return i + 1 < n && p[i + 1] >= 0x90 && p[i + 1] <= 0xBF && cont(i + 2) && cont(i + 3) ? 4 : 0
    case 0xF1...0xF3:
        return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0
    case 0xF4:
        return i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x8F && cont(i + 2) && cont(i + 3) ? 4 : 0
    default:
        return 0
    }
}

/// UTF-8 validation for whole buffers (form fields, raw bodies); returns the offset of the first bad byte.
public enum UTF8Check {
    public static func firstInvalidOffset(_ bytes: some Collection<UInt8>) -> Int? {
        let a = Array(bytes)
        return a.withUnsafeBufferPointer { buf -> Int? in
            guard let p = buf.baseAddress else { return nil }
            var i = 0
            let n = buf.count
            while i < n {
                if p[i] < 0x80 { i += 1; continue }
                let len = utf8SequenceLength(p, i, n)
                if len == 0 { return i }
                i += len
            }
            return nil
        }
    }
}

/// Resolves JSON escape sequences in an already validated string body.
enum JSONStringDecoder {
    static func decode(_ body: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var i = body.startIndex
        let end = body.endIndex
        func hex4(_ j: Int) -> UInt32 {
            var v: UInt32 = 0
            for k in j..<j + 4 { v = v << 4 | UInt32(hexValue(body[k]) ?? 0) }
            return v
        }
        func append(_ scalar: UInt32) {
            let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
            out.append(contentsOf: String(s).utf8)
        }
        while i < end {
            let c = body[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            let e = body[i + 1]
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                let u = hex4(i + 2)
                if u >= 0xD800 && u < 0xDC00, i + 12 <= end, body[i + 6] == UInt8(ascii: "\\"), body[i + 7] == UInt8(ascii: "u") {
                    let lo = hex4(i + 8)
                    if lo >= 0xDC00 && lo < 0xE000 {
                        append(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00))
                        i += 12
                        continue
                    }
                }
                append(u >= 0xD800 && u < 0xE000 ? 0xFFFD : u)  // lone surrogate
                i += 6
                continue
            default: out.append(e)  // " \ /
            }
            i += 2
        }
        return String(decoding: out, as: UTF8.self)
    }
}
