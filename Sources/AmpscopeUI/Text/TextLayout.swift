/// Wrapping and padding of untrusted text by display width.
public enum TextLayout {
    /// Splits text into rows of at most `width` columns, breaking at spaces when it can.
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        let gs = SafeText.glyphs(text)
        if gs.isEmpty { return [""] }
        var rows: [String] = []
        var cur: [Glyph] = []
        var w = 0
        var lastSpace: Int?
        for g in gs {
            if w + g.width > width {
                if let sp = lastSpace, sp > 0 {
                    rows.append(cur[..<sp].map(\.text).joined())
                    cur = Array(cur[(sp + 1)...])
                    w = cur.reduce(0) { $0 + $1.width }
                } else {
                    rows.append(cur.map(\.text).joined())
                    cur = []
                    w = 0
                }
                lastSpace = nil
                if let i = cur.lastIndex(where: { $0.text == " " }) { lastSpace = i }
            }
            if g.text == " " && !g.escaped { lastSpace = cur.count }
            cur.append(g)
            w += g.width
        }
        rows.append(cur.map(\.text).joined())
        return rows
    }

    /// Text padded with spaces (or cut with `…`) to exactly `width` columns.
    public static func pad(_ text: String, _ width: Int) -> String {
        let t = SafeText.truncated(text, width: width)
        let w = DisplayWidth.of(t)
        return w < width ? t + String(repeating: " ", count: width - w) : t
    }

    /// Right-aligned in `width` columns.
    public static func padLeft(_ text: String, _ width: Int) -> String {
        let t = SafeText.truncated(text, width: width)
        let w = DisplayWidth.of(t)
        return w < width ? String(repeating: " ", count: width - w) + t : t
    }

    /// `1,234,567`.
    public static func grouped(_ n: Int) -> String {
        let s = String(abs(n))
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + String(out.reversed())
    }

    /// `1.2 KB`.
    public static func bytes(_ n: Int) -> String {
        if n < 1024 { return "\(n) B" }
        if n < 1024 * 1024 { return String(format1(Double(n) / 1024)) + " KB" }
        return String(format1(Double(n) / 1024 / 1024)) + " MB"
    }

    static func format1(_ d: Double) -> String {
        let t = (d * 10).rounded() / 10
        return t == t.rounded() ? String(Int(t)) : String(t)
    }
}

/// Clock and date text from epoch milliseconds, with a fixed offset (no time zone database).
public enum TimeFormat {
    /// `14:03:07.123`.
    public static func clock(_ ms: Int64, offsetSeconds: Int) -> String {
        let (_, _, _, h, m, s, milli) = parts(ms, offsetSeconds)
        return "\(two(h)):\(two(m)):\(two(s)).\(three(milli))"
    }

    /// `2026-11-22 14:03:07.123`.
    public static func dateTime(_ ms: Int64, offsetSeconds: Int) -> String {
        let (y, mo, d, h, m, s, milli) = parts(ms, offsetSeconds)
        return "\(y)-\(two(mo))-\(two(d)) \(two(h)):\(two(m)):\(two(s)).\(three(milli))"
    }

    /// `UTC`, `UTC+02:00`.
    public static func zone(_ offsetSeconds: Int) -> String {
        if offsetSeconds == 0 { return "UTC" }
        let sign = offsetSeconds < 0 ? "-" : "+"
        let a = abs(offsetSeconds)
        return "UTC\(sign)\(two(a / 3600)):\(two((a % 3600) / 60))"
    }

    static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
    static func three(_ v: Int) -> String { v < 10 ? "00\(v)" : v < 100 ? "0\(v)" : String(v) }

    static func parts(_ ms: Int64, _ offset: Int) -> (Int, Int, Int, Int, Int, Int, Int) {
        let t = ms + Int64(offset) * 1000
        var days = t / 86_400_000
        var rem = t % 86_400_000
        if rem < 0 { rem += 86_400_000; days -= 1 }
        let milli = Int(rem % 1000)
        let secs = Int(rem / 1000)
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d), secs / 3600, (secs % 3600) / 60, secs % 60, milli)
    }
}
