/// Epoch-millisecond formatting and parsing without Foundation (fast, locale-free, UTC).
public enum Timestamp {
    /// `2026-11-22T18:06:05.928Z`
    public static func iso8601(ms: Int64) -> String {
        let (date, h, m, s, frac) = split(ms)
        return date + "T" + pad(h) + ":" + pad(m) + ":" + pad(s) + "." + pad(frac, 3) + "Z"
    }

    /// `2026-11-22`
    public static func date(ms: Int64) -> String { split(ms).0 }

    /// `18:06:05.928` (UTC)
    public static func clock(ms: Int64) -> String {
        let (_, h, m, s, frac) = split(ms)
        return pad(h) + ":" + pad(m) + ":" + pad(s) + "." + pad(frac, 3)
    }

    static func split(_ ms: Int64) -> (String, Int, Int, Int, Int) {
        let (secs, frac) = floorDiv(ms, 1000)
        let (days, sod) = floorDiv(secs, 86_400)
        let (y, mo, d) = civil(fromDays: days)
        let date = (y < 0 ? "-" : "") + pad(Int(abs(y)), 4) + "-" + pad(mo) + "-" + pad(d)
        return (date, Int(sod / 3600), Int(sod % 3600 / 60), Int(sod % 60), Int(frac))
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    static func pad(_ v: Int, _ width: Int = 2) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Howard Hinnant's days-from-civil inverse.
    static func civil(fromDays z0: Int64) -> (Int64, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, Int(m), Int(d))
    }

    static func days(fromCivil y0: Int64, _ m: Int, _ d: Int) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(m > 2 ? m - 3 : m + 9)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Parses ISO-8601 / RFC 3339 date-times such as `2026-11-22T18:06:05.928Z`,
    /// `2026-11-22 18:06:05+01:00` or a bare date. Returns epoch ms.
    public static func parseISO8601(_ s: String) -> Int64? {
        let b = Array(s.utf8)
        var i = 0
        func num(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for j in i..<i + n {
                let d = Int(b[j]) - 48
                guard d >= 0 && d < 10 else { return nil }
                v = v * 10 + d
            }
            i += n
            return v
        }
        func eat(_ c: Character) -> Bool {
            if i < b.count && b[i] == c.asciiValue! { i += 1; return true }
            return false
        }
        guard let y = num(4), eat("-"), let mo = num(2), eat("-"), let d = num(2), (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var ms = days(fromCivil: Int64(y), mo, d) * 86_400_000
        if i == b.count { return ms }
        guard eat("T") || eat("t") || eat(" ") else { return nil }
        guard let h = num(2), eat(":"), let mi = num(2) else { return nil }
        var sec = 0
        if eat(":") { guard let s2 = num(2) else { return nil }; sec = s2 }
        ms += Int64(h * 3_600_000 + mi * 60_000 + sec * 1000)
        if eat(".") || eat(",") {
            var scale: Int64 = 100
            var frac: Int64 = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                frac += Int64(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            ms += frac
        }
        if i == b.count { return ms }
        if eat("Z") || eat("z") { return i == b.count ? ms : nil }
        let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
        guard eat("+") || eat("-"), let oh = num(2) else { return nil }
        _ = eat(":")
        let om = num(2) ?? 0
        ms -= sign * Int64(oh * 3_600_000 + om * 60_000)
        return i == b.count ? ms : nil
    }
}
