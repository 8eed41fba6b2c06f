/// A colour as a theme names it.
public enum TerminalColor: Equatable, Sendable, Hashable {
    /// The terminal's own foreground or background (keeps a transparent background).
    case `default`
    /// One of the 16 standard colours (0–7 normal, 8–15 bright).
    case ansi(UInt8)
    /// An xterm 256-colour index.
    case indexed(UInt8)
    /// Truecolor.
    case rgb(UInt8, UInt8, UInt8)

    /// The colour for a terminal that has `depth` colours.
    public func reduced(to depth: ColorDepth) -> TerminalColor {
        switch (self, depth) {
        case (.default, _): return .default
        case (_, .none): return .default
        case (.ansi(let n), .ansi8): return .ansi(n & 7)
        case (.ansi, _): return self
        case (.indexed(let n), .ansi8), (.indexed(let n), .ansi16):
            let a = TerminalColor.nearestANSI(TerminalColor.xtermRGB(n), count: depth == .ansi8 ? 8 : 16)
            return .ansi(a)
        case (.indexed, _): return self
        case (.rgb(let r, let g, let b), .ansi8), (.rgb(let r, let g, let b), .ansi16):
            return .ansi(TerminalColor.nearestANSI((r, g, b), count: depth == .ansi8 ? 8 : 16))
        case (.rgb(let r, let g, let b), .indexed256):
            return .indexed(TerminalColor.nearestIndexed((r, g, b)))
        case (.rgb, .truecolor): return self
        }
    }

    /// Approximate RGB of the 16 standard colours (xterm defaults).
    static let ansiRGB: [(UInt8, UInt8, UInt8)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    /// RGB of an xterm 256-colour index.
    public static func xtermRGB(_ n: UInt8) -> (UInt8, UInt8, UInt8) {
        if n < 16 { return ansiRGB[Int(n)] }
        if n >= 232 {
            let v = UInt8(8 + 10 * (Int(n) - 232))
            return (v, v, v)
        }
        let i = Int(n) - 16
        let steps: [UInt8] = [0, 95, 135, 175, 215, 255]
        return (steps[i / 36], steps[(i / 6) % 6], steps[i % 6])
    }

    static func distance(_ a: (UInt8, UInt8, UInt8), _ b: (UInt8, UInt8, UInt8)) -> Int {
        // Weighted for how the eye sees differences.
        let dr = Int(a.0) - Int(b.0), dg = Int(a.1) - Int(b.1), db = Int(a.2) - Int(b.2)
        return 3 * dr * dr + 4 * dg * dg + 2 * db * db
    }

    static func nearestANSI(_ c: (UInt8, UInt8, UInt8), count: Int) -> UInt8 {
        var best = 0
        var bestD = Int.max
        for i in 0..<count {
            let d = distance(c, ansiRGB[i])
            if d < bestD { bestD = d; best = i }
        }
        return UInt8(best)
    }

    static func nearestIndexed(_ c: (UInt8, UInt8, UInt8)) -> UInt8 {
        var best = 16
        var bestD = Int.max
        for i in 16..<256 {
            let d = distance(c, xtermRGB(UInt8(i)))
            if d < bestD { bestD = d; best = i }
        }
        return UInt8(best)
    }

    /// Colour names accepted in theme files, by 16-colour index.
    static let names: [String: UInt8] = [
        "black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7,
        "bright-black": 8, "gray": 8, "grey": 8, "bright-red": 9, "bright-green": 10, "bright-yellow": 11,
        "bright-blue": 12, "bright-magenta": 13, "bright-cyan": 14, "bright-white": 15,
    ]

    /// Parses `default`, a colour name, `0`–`255` (or `color208`), `#rrggbb` or `#rgb`.
    public init?(spelling s: String) {
        let t = s.lowercased()
        if t == "default" || t == "none" || t == "-" { self = .default; return }
        if let n = TerminalColor.names[t] { self = .ansi(n); return }
        var digits = Substring(t)
        if digits.hasPrefix("color") { digits = digits.dropFirst(5) }
        if !digits.isEmpty, digits.allSatisfy(\.isASCII), let n = Int(digits), n >= 0, n <= 255 {
            self = n < 16 ? .ansi(UInt8(n)) : .indexed(UInt8(n))
            return
        }
        if t.hasPrefix("#") {
            let hex = Array(t.dropFirst())
            guard hex.allSatisfy(\.isHexDigit) else { return nil }
            func v(_ a: Character, _ b: Character) -> UInt8 { UInt8(String([a, b]), radix: 16)! }
            if hex.count == 6 { self = .rgb(v(hex[0], hex[1]), v(hex[2], hex[3]), v(hex[4], hex[5])); return }
            if hex.count == 3 { self = .rgb(v(hex[0], hex[0]), v(hex[1], hex[1]), v(hex[2], hex[2])); return }
            return nil
        }
        return nil
    }
}

/// How many colours the terminal can show.
public enum ColorDepth: Int, Sendable, Comparable, CaseIterable {
    case none = 0, ansi8 = 8, ansi16 = 16, indexed256 = 256, truecolor = 16_777_216

    public static func < (a: ColorDepth, b: ColorDepth) -> Bool { a.rawValue < b.rawValue }

    /// Depth for a terminal reporting `colors` (ncurses `COLORS`).
    public init(colors: Int) {
        switch colors {
        case ..<8: self = .none
        case 8..<16: self = .ansi8
        case 16..<256: self = .ansi16
        case 256..<16_777_216: self = .indexed256
        default: self = .truecolor
        }
    }
}

/// Text attributes a theme can ask for.
public struct TextAttributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = TextAttributes(rawValue: 1)
    public static let dim = TextAttributes(rawValue: 2)
    public static let italic = TextAttributes(rawValue: 4)
    public static let underline = TextAttributes(rawValue: 8)
    public static let reverse = TextAttributes(rawValue: 16)

    static let names: [(String, TextAttributes)] = [
        ("bold", .bold), ("dim", .dim), ("italic", .italic), ("underline", .underline), ("reverse", .reverse),
    ]
}

/// A colour with an optional explicit choice for 16-colour terminals (`#ff8700/yellow`).
public struct ColorSpec: Equatable, Sendable, Hashable {
    public var color: TerminalColor
    public var fallback16: TerminalColor?

    public init(_ color: TerminalColor, fallback16: TerminalColor? = nil) {
        self.color = color
        self.fallback16 = fallback16
    }

    public static let `default` = ColorSpec(.default)

    public func resolved(_ depth: ColorDepth) -> TerminalColor {
        if depth <= .ansi16, let f = fallback16 { return f.reduced(to: depth) }
        return color.reduced(to: depth)
    }
}

/// Foreground, background and attributes for one role.
public struct Style: Equatable, Sendable, Hashable {
    public var fg: ColorSpec
    public var bg: ColorSpec
    public var attributes: TextAttributes

    public init(fg: ColorSpec = .default, bg: ColorSpec = .default, attributes: TextAttributes = []) {
        self.fg = fg
        self.bg = bg
        self.attributes = attributes
    }

    public static let plain = Style()
}
