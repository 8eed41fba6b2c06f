/// JSON helpers for SDK log records: compact and canonical re-serialisation of a sub-value,
/// flattening (for state diffs), a bracket-depth scanner for multi-line blocks, and a relaxed
/// reader for the JavaScript object literals some SDK lines print.
public enum DebugJSON {
    /// The value at `i` as compact JSON, keys in source order, strings and numbers as written.
    public static func compact(_ doc: JSONDocument, _ i: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(min(doc.bytes.count, 1 << 16))
        writeCompact(doc, i, &out, sorted: false)
        return String(decoding: out, as: UTF8.self)
    }

    /// The value at `i` as canonical JSON: object keys sorted, strings re-escaped, numbers
    /// normalised, so two texts of the same value compare equal.
    public static func canonical(_ doc: JSONDocument, _ i: Int) -> String {
        var out: [UInt8] = []
        writeCompact(doc, i, &out, sorted: true)
        return String(decoding: out, as: UTF8.self)
    }

    static func writeCompact(_ doc: JSONDocument, _ i: Int, _ out: inout [UInt8], sorted: Bool, depth: Int = 0) {
        switch doc.kind(i) {
        case .object:
            out.append(UInt8(ascii: "{"))
            var members = Array(doc.members(i))
            if sorted { members.sort { doc.string($0.key) < doc.string($1.key) } }
            for (n, (k, v)) in members.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                if sorted { JSONWriter.appendQuoted(doc.string(k), to: &out) } else { out.append(contentsOf: doc.rawBytes(k)) }
                out.append(UInt8(ascii: ":"))
                writeCompact(doc, v, &out, sorted: sorted, depth: depth + 1)
            }
            out.append(UInt8(ascii: "}"))
        case .array:
            out.append(UInt8(ascii: "["))
            for (n, v) in doc.elements(i).enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                writeCompact(doc, v, &out, sorted: sorted, depth: depth + 1)
            }
            out.append(UInt8(ascii: "]"))
        case .string:
            if sorted { JSONWriter.appendQuoted(doc.string(i), to: &out) } else { out.append(contentsOf: doc.rawBytes(i)) }
        case .number:
            if sorted {
                if let v = doc.int64(i) {
                    out.append(contentsOf: String(v).utf8)
                } else if let d = doc.double(i), d.isFinite {
                    if d == d.rounded(), abs(d) < 1e15 { out.append(contentsOf: String(Int64(d)).utf8) } else { out.append(contentsOf: "\(d)".utf8) }
                } else {
                    out.append(contentsOf: doc.rawBytes(i))
                }
            } else {
                out.append(contentsOf: doc.rawBytes(i))
            }
        case .true: out.append(contentsOf: "true".utf8)
        case .false: out.append(contentsOf: "false".utf8)
        case .null: out.append(contentsOf: "null".utf8)
        }
    }

    /// What identifies an event's content besides its type and ids: the canonical JSON of its
    /// `event_properties`, or of `user_properties` for `$identify` and `group_properties` for
    /// `$groupidentify`. nil when the event carries none.
    public static func eventFingerprint(_ doc: JSONDocument, _ event: Int) -> String? {
        guard doc.kind(event) == .object else { return nil }
        let type = doc.member(event, "event_type").flatMap { doc.stringValue($0) }
        let key: StaticString
        switch type {
        case "$identify": key = "user_properties"
        case "$groupidentify": key = "group_properties"
        default: key = "event_properties"
        }
        guard let p = doc.member(event, key), doc.kind(p) == .object, doc.count(p) > 0 else { return nil }
        return canonical(doc, p)
    }

    /// Flattens nested objects into dotted keys (`config.optOut`); arrays and scalars become
    /// compact JSON values. Stops at `maxEntries`.
    public static func flatten(_ doc: JSONDocument, _ i: Int, prefix: String = "", maxDepth: Int = 8,
                               maxEntries: Int = 2000) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        func walk(_ node: Int, _ path: String, _ depth: Int) {
            guard out.count < maxEntries else { return }
            if doc.kind(node) == .object, depth < maxDepth, doc.count(node) > 0 {
                for (k, v) in doc.members(node) {
                    let name = doc.string(k)
                    walk(v, path.isEmpty ? name : path + "." + name, depth + 1)
                }
            } else {
                out.append((path, compact(doc, node)))
            }
        }
        walk(i, prefix, 0)
        return out
    }

    /// Parses JSON, or a JavaScript object literal with bare keys (`{code: 0, error: "x"}`).
    public static func parseLenient(_ text: some Collection<UInt8>) -> JSONDocument? {
        let bytes = Array(text)
        if let d = try? JSONDocument(parsing: bytes) { return d }
        let quoted = quoteBareKeys(bytes)
        guard quoted != bytes else { return nil }
        return try? JSONDocument(parsing: quoted)
    }

    /// Puts quotes around identifier keys outside strings (`{code: 0}` → `{"code": 0}`).
    static func quoteBareKeys(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count + 16)
        var i = 0
        var inString = false
        var lastSignificant: UInt8 = 0
        func isIdentStart(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || c == 0x5F || c == 0x24 }
        func isIdent(_ c: UInt8) -> Bool { isIdentStart(c) || (c >= 0x30 && c <= 0x39) }
        while i < b.count {
            let c = b[i]
            if inString {
                out.append(c)
                if c == 0x5C, i + 1 < b.count { out.append(b[i + 1]); i += 2; continue }
                if c == 0x22 { inString = false; lastSignificant = c }
                i += 1
                continue
            }
            if c == 0x22 { inString = true; out.append(c); i += 1; continue }
            if isIdentStart(c), lastSignificant == UInt8(ascii: "{") || lastSignificant == UInt8(ascii: ",") {
                var j = i
                while j < b.count, isIdent(b[j]) { j += 1 }
                var k = j
                while k < b.count, b[k] == 0x20 || b[k] == 0x09 { k += 1 }
                if k < b.count, b[k] == UInt8(ascii: ":") {
                    out.append(0x22)
                    out.append(contentsOf: b[i..<j])
                    out.append(0x22)
                    i = j
                    lastSignificant = 0x22
                    continue
                }
            }
            out.append(c)
            if c != 0x20 && c != 0x09 && c != 0x0A && c != 0x0D { lastSignificant = c }
            i += 1
        }
        return out
    }
}

/// Tracks bracket depth across lines of a JSON text, ignoring brackets inside strings.
struct JSONDepthScanner: Sendable {
    private(set) var depth = 0
    private var inString = false
    private var escaped = false
    /// A closing bracket came with no opening one (the text is not one JSON value).
    private(set) var underflow = false

    mutating func scan(_ bytes: some Collection<UInt8>) {
        for c in bytes {
            if inString {
                if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
                continue
            }
            switch c {
            case 0x22: inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { underflow = true } else { depth -= 1 }
            default: break
            }
        }
    }

    /// A newline ends any string (JSON strings cannot hold a raw newline).
    mutating func endLine() {
        inString = false
        escaped = false
    }
}
