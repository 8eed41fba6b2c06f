import Foundation

/// Builds compact JSON text into a byte buffer, with keys in the order they are written.
///
/// Used for emulated answers (byte-exact bodies), machine-readable reports and synthesized
/// request views. Strings are escaped per RFC 8259; non-ASCII is written as UTF-8, and
/// control characters, U+2028 and U+2029 as `\u` escapes.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = [false]

    public init() {}

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    private mutating func separator() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    // Containers use `valuePrefix` like scalars: a container that is a member's value must consume
    // the pending key, or the next scalar in it would skip its comma (`{"a":[[],1]}` came out `[[]1]`).
    public mutating func beginObject() { valuePrefix(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    public mutating func endObject() { needsComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    public mutating func beginArray() { valuePrefix(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    public mutating func endArray() { needsComma.removeLast(); bytes.append(UInt8(ascii: "]")) }

    /// Writes `"key":` inside an object; the next value call writes its value.
    public mutating func key(_ k: String) {
        separator()
        JSONWriter.appendQuoted(k, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
        pendingKey = true
    }
    private var pendingKey = false

    private mutating func valuePrefix() {
        if pendingKey {
            pendingKey = false
            needsComma[needsComma.count - 1] = true
        } else {
            separator()
        }
    }

    public mutating func string(_ s: String) { valuePrefix(); JSONWriter.appendQuoted(s, to: &bytes) }
    public mutating func int(_ v: Int) { valuePrefix(); bytes.append(contentsOf: String(v).utf8) }
    public mutating func int64(_ v: Int64) { valuePrefix(); bytes.append(contentsOf: String(v).utf8) }
    public mutating func double(_ v: Double) {
        valuePrefix()
        if v.isFinite {
            if v == v.rounded(), abs(v) < 1e15 { bytes.append(contentsOf: String(Int64(v)).utf8) } else { bytes.append(contentsOf: "\(v)".utf8) }
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
    }
    public mutating func bool(_ v: Bool) { valuePrefix(); bytes.append(contentsOf: (v ? "true" : "false").utf8) }
    public mutating func null() { valuePrefix(); bytes.append(contentsOf: "null".utf8) }
    /// Writes already valid JSON text as a value (e.g. a sub-document copied from a capture).
    public mutating func raw<C: Collection>(_ json: C) where C.Element == UInt8 { valuePrefix(); bytes.append(contentsOf: json) }

    /// Convenience: `"key": "value"`, `"key": n`, ...
    public mutating func field(_ k: String, _ v: String) { key(k); string(v) }
    public mutating func field(_ k: String, _ v: Int) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: Int64) { key(k); int64(v) }
    public mutating func field(_ k: String, _ v: Bool) { key(k); bool(v) }
    public mutating func field(_ k: String, _ v: String?) { key(k); if let v { string(v) } else { null() } }
    public mutating func field(_ k: String, _ v: Int?) { key(k); if let v { int(v) } else { null() } }

    /// Appends `s` as a quoted JSON string.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendQuoted(bytes: $0, to: &out) }
    }

    /// Appends valid UTF-8 as a quoted JSON string.
    public static func appendQuoted(bytes p: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        needsCare.withUnsafeBufferPointer { care in
            let n = p.count
            var i = 0
            var run = 0  // start of the pending run of bytes that need no escaping
            while i < n {
                let b = p[i]
                // Fast path: most bytes are copied as they are, in runs (one table load a byte).
                if !care[Int(b)] {
                    i += 1
                    continue
                }
                if run < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: p[run..<i])) }
                switch b {
                case UInt8(ascii: "\""): out.append(0x5C); out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C); out.append(0x5C)
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                case 0..<0x20, 0x7F:
                    out.append(contentsOf: "\\u00".utf8)
                    out.append(contentsOf: hex2(b).lowercased().utf8)
                case 0xE2 where i + 2 < n && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9):
                    // U+2028 / U+2029 are valid JSON but end a line in JavaScript source.
                    out.append(contentsOf: (p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                    i += 2
                default: out.append(b)
                }
                i += 1
                run = i
            }
            if run < n { out.append(contentsOf: UnsafeBufferPointer(rebasing: p[run..<n])) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Writes a value of a parsed document as compact JSON in this writer's form: keys in
    /// source order (duplicates kept), strings re-escaped as `string(_:)` escapes them,
    /// numbers as written.
    public mutating func value(_ doc: JSONDocument, _ i: Int) {
        switch doc.kind(i) {
        case .object:
            beginObject()
            for (k, v) in doc.members(i) {
                separator()
                doc.withStringBytes(k) { JSONWriter.appendQuoted(bytes: $0, to: &bytes) }
                bytes.append(UInt8(ascii: ":"))
                needsComma[needsComma.count - 1] = false
                pendingKey = true
                value(doc, v)
            }
            endObject()
        case .array:
            beginArray()
            for v in doc.elements(i) { value(doc, v) }
            endArray()
        case .string:
            valuePrefix()
            doc.withStringBytes(i) { JSONWriter.appendQuoted(bytes: $0, to: &bytes) }
        case .number: raw(doc.rawBytes(i))
        case .true: bool(true)
        case .false: bool(false)
        case .null: null()
        }
    }

    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// RFC 6901 JSON Pointer helpers.
public enum JSONPointer {
    /// Escapes one reference token (`~` → `~0`, `/` → `~1`).
    /// Byte-level: tokens are escaped for every field of every finding and mapped value, so
    /// this must not go through Foundation's string search.
    public static func escape(_ token: String) -> String {
        // Scanned as contiguous bytes (native strings have them): the generic UTF8View walk
        // showed up in mapping profiles.
        let special = token.utf8.withContiguousStorageIfAvailable { b in
            b.contains { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }
        } ?? token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") })
        guard special else { return token }
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count + 4)
        for b in token.utf8 {
            switch b {
            case UInt8(ascii: "~"): out.append(UInt8(ascii: "~")); out.append(UInt8(ascii: "0"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "~")); out.append(UInt8(ascii: "1"))
            default: out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func join(_ base: String, _ token: String) -> String { base + "/" + escape(token) }
    public static func join(_ base: String, _ index: Int) -> String { base + "/" + String(index) }

    /// Splits a pointer into unescaped tokens ("" → []).
    public static func tokens(_ pointer: String) -> [String] {
        guard !pointer.isEmpty else { return [] }
        return pointer.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst().map(unescape)
    }

    /// `~1` → `/`, then `~0` → `~` (RFC 6901 §4: in that order, so `~01` is `~1`).
    static func unescape(_ token: Substring.UTF8View) -> String {
        guard token.contains(UInt8(ascii: "~")) else { return String(Substring(token)) }
        var out: [UInt8] = []
        out.reserveCapacity(token.count)
        var it = token.makeIterator()
        var pending: UInt8?
        while let b = pending ?? it.next() {
            pending = nil
            guard b == UInt8(ascii: "~") else { out.append(b); continue }
            guard let n = it.next() else { out.append(b); break }
            switch n {
            case UInt8(ascii: "1"): out.append(UInt8(ascii: "/"))
            case UInt8(ascii: "0"): out.append(UInt8(ascii: "~"))
            default: out.append(b); pending = n
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Resolves a pointer in a document to a tape index.
    public static func resolve(_ pointer: String, in doc: JSONDocument, from start: JSONDocument.Index = 0) -> JSONDocument.Index? {
        var i = start
        for t in tokens(pointer) {
            switch doc.kind(i) {
            case .object:
                guard let v = doc.member(i, named: t) else { return nil }
                i = v
            case .array:
                // RFC 6901: "0" or digits without a leading zero (Int() would also take "+1" and "01").
                guard !t.isEmpty, t.utf8.allSatisfy({ $0 &- 48 < 10 }), t == "0" || !t.hasPrefix("0"),
                      let n = Int(t) else { return nil }
                var found: Int?
                for (k, e) in doc.elements(i).enumerated() where k == n { found = e; break }
                guard let f = found else { return nil }
                i = f
            default:
                return nil
            }
        }
        return i
    }
}

/// The bytes `JSONWriter.appendQuoted` looks at twice: control characters, `"`, `\`, DEL, and
/// 0xE2 (the first byte of U+2028 and U+2029).
private let needsCare: [Bool] = (0...255).map { b in
    b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F || b == 0xE2
}
