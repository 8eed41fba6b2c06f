/// Makes untrusted text (ids, paths, property values from captured payloads) safe to show.
///
/// Control characters, escape sequences, bidirectional overrides and zero-width characters
/// are replaced by visible escapes (`\u001b`), so nothing a client sends can move a cursor,
/// change colours or reorder text on a user's terminal or in a report.
public enum Sanitize {
    /// True for scalars that must never reach a terminal as themselves.
    @inlinable public static func isUnsafe(_ v: UInt32) -> Bool {
        switch v {
        case 0x00...0x1F, 0x7F...0x9F: return true           // C0, DEL, C1 (includes CSI 0x9B)
        case 0x200B...0x200F: return true                     // zero width, ZWJ, LRM/RLM
        case 0x2028, 0x2029: return true                      // line/paragraph separators
        case 0x202A...0x202E, 0x2066...0x2069: return true    // bidi embeddings, overrides, isolates
        case 0x061C, 0xFEFF, 0xFFF9...0xFFFB: return true     // ALM, BOM/ZWNBSP, annotations
        case 0xD800...0xDFFF: return true
        default: return false
        }
    }

    /// The visible stand-in for an unsafe scalar: `\n`, `\t`, `\u001b`, `\u{202e}`.
    public static func escape(_ v: UInt32) -> String {
        switch v {
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0..<0x10000:
            let h = String(v, radix: 16)
            return "\\u" + String(repeating: "0", count: max(0, 4 - h.count)) + h
        default:
            return "\\u{" + String(v, radix: 16) + "}"
        }
    }

    /// The whole string with unsafe scalars escaped.
    public static func visible(_ s: String) -> String {
        guard mayBeUnsafe(s), s.unicodeScalars.contains(where: { isUnsafe($0.value) }) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for u in s.unicodeScalars {
            if isUnsafe(u.value) { out += escape(u.value) } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    /// False when no scalar of `s` can be unsafe, decided on its UTF-8 bytes without decoding
    /// them: every unsafe scalar is an ASCII control or DEL, or starts with one of the lead bytes
    /// C2 (C1 controls), D8 (U+061C), E2 (U+2000 to U+2FFF) or EF (U+F000 to U+FFFF), or is a
    /// surrogate, which a Swift string never holds. True: `isUnsafe` decides, scalar by scalar.
    @inline(__always) static func mayBeUnsafe(_ s: String) -> Bool {
        let fast = s.utf8.withContiguousStorageIfAvailable { b -> Bool in
            for c in b {
                if c < 0x20 || c == 0x7F || c == 0xC2 || c == 0xD8 || c == 0xE2 || c == 0xEF { return true }
            }
            return false
        }
        return fast ?? true
    }

    /// For one-line messages: escaped and cut to `limit` characters with an ellipsis.
    public static func inline(_ s: String, limit: Int = 80) -> String {
        let v = visible(s)
        // No more characters than UTF-8 bytes: a short string needs no grapheme count.
        guard v.utf8.count > limit else { return v }
        if v.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII (after `visible`, printable): a character per byte.
            return String(decoding: v.utf8.prefix(max(1, limit - 1)), as: UTF8.self) + "…"
        }
        guard v.count > limit else { return v }
        return String(v.prefix(max(1, limit - 1))) + "…"
    }

    /// Like `inline`, but keeps the end (file paths: `…/requests/short_user_id.jsonl:1`).
    public static func inlineTail(_ s: String, limit: Int = 80) -> String {
        let v = visible(s)
        guard v.count > limit else { return v }
        return "…" + String(v.suffix(max(1, limit - 1)))
    }

    /// Text from bytes that may not be UTF-8: invalid bytes shown as `\xNN`, unsafe scalars escaped.
    public static func bytes(_ b: some Collection<UInt8>) -> String {
        let a = Array(b)
        if UTF8Check.firstInvalidOffset(a) == nil { return visible(String(decoding: a, as: UTF8.self)) }
        var out = ""
        var i = 0
        a.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            while i < a.count {
                let c = a[i]
                if c < 0x80 {
                    out += isUnsafe(UInt32(c)) ? escape(UInt32(c)) : String(Unicode.Scalar(c))
                    i += 1
                    continue
                }
                let len = utf8SequenceLength(base, i, a.count)
                if len == 0 {
                    out += "\\x" + hex2(c)
                    i += 1
                } else {
                    out += visible(String(decoding: a[i..<i + len], as: UTF8.self))
                    i += len
                }
            }
        }
        return out
    }
}
