/// How many terminal columns a Unicode scalar takes: 0 (combining), 1 or 2 (East Asian wide, emoji).
///
/// Follows what glibc's `wcwidth` (used by ncurses) and tmux agree on: CJK ideographs, kana,
/// Hangul syllables, fullwidth forms and emoji-presentation symbols are 2; combining marks and
/// Hangul medial/final jamo are 0; regional indicators are 1 each (a flag pair is 2).
/// Characters that are never drawn as themselves (controls, zero-width, bidi) are handled by
/// `SafeText`, not here.
public enum DisplayWidth {
    /// Width of a scalar that is safe to draw.
    @inlinable public static func of(_ s: Unicode.Scalar) -> Int {
        let v = s.value
        if v < 0x300 { return 1 }
        return slowWidth(s)
    }

    @usableFromInline static func slowWidth(_ s: Unicode.Scalar) -> Int {
        let v = s.value
        if isZeroWidth(s) { return 0 }
        if (0x1F1E6...0x1F1FF).contains(v) { return 1 }  // regional indicators
        if isWide(v) { return 2 }
        if v >= 0x2300, s.properties.isEmojiPresentation { return 2 }
        return 1
    }

    /// Combining marks and other scalars drawn on top of the previous cell.
    public static func isZeroWidth(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x300 { return false }
        if (0x1160...0x11FF).contains(v) || (0xD7B0...0xD7FF).contains(v) { return true }  // Hangul medial/final jamo
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// East Asian Wide and Fullwidth blocks (the parts that are not emoji).
    static func isWide(_ v: UInt32) -> Bool {
        if v < 0x1100 { return false }
        switch v {
        case 0x1100...0x115F, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
             0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF,
             0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
             0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1AFF0...0x1B2FF, 0x1F200...0x1F202, 0x1F210...0x1F23B,
             0x1F240...0x1F248, 0x1F250...0x1F251, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// Columns a string takes once made safe (escapes included).
    public static func of(_ text: String) -> Int {
        var w = 0
        SafeText.forEachGlyph(text) { g in w += g.width }
        return w
    }
}
