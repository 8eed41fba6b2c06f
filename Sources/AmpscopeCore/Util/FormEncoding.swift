/// `application/x-www-form-urlencoded` parsing and writing (WHATWG URL standard rules).
public enum FormEncoding {
    public struct Problem: Error, Sendable, Equatable {
        /// Byte offset in the encoded text.
        public var offset: Int
        public var reason: String
    }

    /// Splits `a=1&b=2` into decoded (name, value) pairs. `+` is a space. Malformed `%` escapes
    /// and invalid UTF-8 are reported (the first one), never fatal: the field keeps the raw text.
    public static func parse(_ bytes: some Collection<UInt8>) -> (fields: [(name: String, value: String)], problem: Problem?) {
        var fields: [(name: String, value: String)] = []
        var problem: Problem?
        let a = Array(bytes)
        var start = 0
        func decode(_ lo: Int, _ hi: Int) -> String {
            var out: [UInt8] = []
            out.reserveCapacity(hi - lo)
            var i = lo
            while i < hi {
                let c = a[i]
                if c == UInt8(ascii: "+") {
                    out.append(0x20)
                    i += 1
                } else if c == UInt8(ascii: "%") {
                    if i + 2 < hi, let h = hexValue(a[i + 1]), let l = hexValue(a[i + 2]) {
                        out.append(h << 4 | l)
                        i += 3
                    } else {
                        if problem == nil {
                            problem = Problem(offset: i, reason: "malformed percent escape at byte \(i)")
                        }
                        out.append(c)
                        i += 1
                    }
                } else {
                    out.append(c)
                    i += 1
                }
            }
            if let bad = UTF8Check.firstInvalidOffset(out) {
                if problem == nil {
                    problem = Problem(offset: lo, reason: "field at byte \(lo) is not valid UTF-8 after decoding (byte \(bad) of the value)")
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
        var i = 0
        while i <= a.count {
            if i == a.count || a[i] == UInt8(ascii: "&") {
                if i > start {
                    var eq = start
                    while eq < i && a[eq] != UInt8(ascii: "=") { eq += 1 }
                    let name = decode(start, eq)
                    let value = eq < i ? decode(eq + 1, i) : ""
                    fields.append((name, value))
                }
                start = i + 1
            }
            i += 1
        }
        return (fields, problem)
    }

    @inline(__always) static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x37 + v }

    /// Encodes pairs as `application/x-www-form-urlencoded` (space as `+`).
    public static func encode(_ fields: [(String, String)]) -> String {
        fields.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    public static func escape(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + s.utf8.count / 2)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "*"):
                out.append(b)
            case 0x20:
                out.append(UInt8(ascii: "+"))
            default:
                // Upper-case hex digits written directly (a JSON value in a form is mostly escapes).
                out.append(UInt8(ascii: "%"))
                out.append(hexDigit(b >> 4))
                out.append(hexDigit(b & 15))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
