import AmpscopeCore

/// One drawable unit of text: a base character with any combining marks, and its width in cells.
public struct Glyph: Equatable, Sendable {
    public var text: String
    /// 1 or 2 columns.
    public var width: Int
    /// Part of a visible escape (`\u001b`) standing in for a character that must not be drawn.
    public var escaped: Bool

    public init(_ text: String, width: Int, escaped: Bool = false) {
        self.text = text
        self.width = width
        self.escaped = escaped
    }
}

/// Turns untrusted text into glyphs that cannot move the cursor, change colours or break a layout.
///
/// - Controls, C1, DEL, bidi embeddings/overrides/isolates, zero-width characters, line and
///   paragraph separators, other format characters and unassigned code points become visible
///   escapes (`\u001b`, `\u202e`) via `AmpscopeCore.Sanitize`.
/// - A zero-width joiner between two emoji is dropped, so 👨‍👩‍👧 is drawn as 👨👩👧 (2 cells
///   each): glibc counts the joined sequence as 6 columns and tmux as 2, and only separate
///   emoji measure the same everywhere. Variation selectors are dropped for the same reason.
/// - Combining marks join the previous glyph (at most three per glyph, so "zalgo" text cannot
///   grow without bound); a mark with nothing before it is drawn on a dotted circle.
/// - Invalid UTF-8 never reaches here as such: raw bytes go through `Sanitize.bytes` (`\xNN`).
public enum SafeText {
    static let maxMarks = 3

    /// Calls `body` for each glyph of `text`, in order.
    @inlinable public static func forEachGlyph(_ text: String, _ body: (Glyph) -> Void) {
        // Fast path: printable ASCII.
        var ascii = true
        for b in text.utf8 where b < 0x20 || b >= 0x7F {
            ascii = false
            break
        }
        if ascii {
            for b in text.utf8 { body(Glyph(String(Unicode.Scalar(b)), width: 1)) }
            return
        }
        slowGlyphs(text, body)
    }

    @usableFromInline static func slowGlyphs(_ text: String, _ body: (Glyph) -> Void) {
        let scalars = Array(text.unicodeScalars)
        var pending: Glyph?
        var marks = 0
        func flush() {
            if let p = pending { body(p) }
            pending = nil
            marks = 0
        }
        func escape(_ v: UInt32) {
            flush()
            for c in Sanitize.escape(v).unicodeScalars { body(Glyph(String(c), width: 1, escaped: true)) }
        }
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            let v = s.value
            defer { i += 1 }
            if v == 0x200D, i > 0, i + 1 < scalars.count, isEmoji(scalars[i - 1]), isEmoji(scalars[i + 1]) {
                continue  // ZWJ inside an emoji sequence: draw the parts side by side
            }
            if v == 0xFE0E || v == 0xFE0F { continue }  // variation selectors
            if mustEscape(s) {
                escape(v)
                continue
            }
            let w = DisplayWidth.of(s)
            if w == 0 {
                if pending == nil {
                    pending = Glyph("\u{25CC}", width: 1)
                }
                if marks < maxMarks {
                    pending!.text.unicodeScalars.append(s)
                    marks += 1
                }
                continue
            }
            flush()
            pending = Glyph(String(s), width: w)
        }
        flush()
    }

    static func isEmoji(_ s: Unicode.Scalar) -> Bool {
        s.value > 0x7F && (s.properties.isEmoji || (0x1F3FB...0x1F3FF).contains(s.value))
    }

    /// True for scalars drawn as an escape rather than as themselves.
    public static func mustEscape(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if Sanitize.isUnsafe(v) { return true }
        if v < 0xA0 { return false }
        switch s.properties.generalCategory {
        case .format, .unassigned, .surrogate, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// The glyphs of `text` as an array.
    public static func glyphs(_ text: String) -> [Glyph] {
        var out: [Glyph] = []
        forEachGlyph(text) { out.append($0) }
        return out
    }

    /// `text` cut to at most `width` columns, with `…` when something was cut.
    public static func truncated(_ text: String, width: Int) -> String {
        guard width > 0 else { return "" }
        let gs = glyphs(text)
        let total = gs.reduce(0) { $0 + $1.width }
        if total <= width { return gs.map(\.text).joined() }
        var out = ""
        var used = 0
        for g in gs {
            if used + g.width > width - 1 { break }
            out += g.text
            used += g.width
        }
        return out + "…"
    }
}
