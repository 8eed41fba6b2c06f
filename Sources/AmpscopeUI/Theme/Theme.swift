/// Colours and attributes for every style role, read from a theme file (see Docs/themes.md).
public struct Theme: Sendable, Equatable {
    public var name: String
    /// Roles the file sets; other roles use their parent's style.
    public private(set) var explicit: [StyleRole: Style]
    /// Every role resolved, by `StyleRole.ordinal`.
    private var table: [Style]

    public init(name: String, styles: [StyleRole: Style]) {
        self.name = name
        self.explicit = styles
        self.table = StyleRole.allCases.map { Theme.resolve($0, styles) }
    }

    static func resolve(_ role: StyleRole, _ styles: [StyleRole: Style]) -> Style {
        var r: StyleRole? = role
        while let cur = r {
            if let s = styles[cur] { return s }
            r = cur.parent
        }
        return .plain
    }

    /// The style of a role (its own, or inherited).
    public func style(_ role: StyleRole) -> Style { table[role.ordinal] }

    /// The same theme with every colour removed, attributes kept (`NO_COLOR`, monochrome terminals).
    public var withoutColor: Theme {
        var s: [StyleRole: Style] = [:]
        for (k, v) in explicit { s[k] = Style(attributes: v.attributes) }
        return Theme(name: name + " (no colour)", styles: s)
    }

    public static func == (a: Theme, b: Theme) -> Bool { a.name == b.name && a.explicit == b.explicit }

    /// A built-in theme by name (`dark`, `light`, `high-contrast`, `mono`).
    public static func builtin(_ name: String) -> Theme? {
        guard let text = BuiltinThemes.sources[name] else { return nil }
        return try? ThemeParser.parse(text, name: name)
    }

    /// The default theme.
    public static var dark: Theme { builtin("dark")! }
    public static var mono: Theme { builtin("mono")! }
}

/// A theme file that could not be read: where and why.
public struct ThemeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(source: String, line: Int, column: Int, message: String) {
        self.source = source
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        line > 0 ? "theme \(source), line \(line), column \(column): \(message)" : "theme \(source): \(message)"
    }
}

/// Reads the theme file format:
/// ```
/// # comment
/// extends dark                       (optional: start from a built-in theme)
/// role = FG [on BG] [bold] [dim] [italic] [underline] [reverse]
/// ```
/// Colours: `default` (the terminal's own), black, red, green, yellow, blue, magenta, cyan,
/// white, bright-* and gray, `0`–`255`, `#rrggbb` or `#rgb`; any colour may name its 16-colour
/// stand-in after a slash (`#ff8700/yellow`).
public enum ThemeParser {
    public static func parse(_ text: String, name: String) throws(ThemeError) -> Theme {
        var styles: [StyleRole: Style] = [:]
        var seen: [StyleRole: Int] = [:]
        var lineNo = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let line = stripComment(String(rawLine))
            let trimmed = line.trimmed(" \t\r")
            if trimmed.isEmpty { continue }
            func fail(_ col: Int, _ m: String) -> ThemeError { ThemeError(source: name, line: lineNo, column: col, message: m) }
            if trimmed.hasPrefix("extends ") || trimmed.hasPrefix("extends\t") {
                let base = String(trimmed.dropFirst(8)).trimmed(" \t")
                guard let t = BuiltinThemes.sources[base], base != name else {
                    throw fail(column(of: "extends", in: line) + 8,
                               "'extends' names a built-in theme: \(BuiltinThemes.names.joined(separator: ", "))")
                }
                let baseTheme = try parse(t, name: base)
                for (k, v) in baseTheme.explicit where seen[k] == nil { styles[k] = v }
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                throw fail(column(of: trimmed, in: line), "expected 'role = colour ...'")
            }
            let roleName = String(line[..<eq]).trimmed(" \t")
            let roleCol = column(of: roleName, in: line)
            guard let role = StyleRole(rawValue: roleName) else {
                var m = "unknown role '\(roleName)'"
                if let s = suggestion(roleName) { m += " (did you mean '\(s)'?)" }
                m += "; the roles are listed in Docs/themes.md"
                throw fail(roleCol, m)
            }
            if let first = seen[role] {
                throw fail(roleCol, "role '\(roleName)' is already set on line \(first)")
            }
            seen[role] = lineNo
            // Tokens with their columns.
            var tokens: [(String, Int)] = []
            var cur = ""
            var curStart = 0
            var col = line.distance(from: line.startIndex, to: eq) + 2
            for ch in line[line.index(after: eq)...] {
                if ch == " " || ch == "\t" || ch == "\r" {
                    if !cur.isEmpty { tokens.append((cur, curStart)); cur = "" }
                } else {
                    if cur.isEmpty { curStart = col }
                    cur.append(ch)
                }
                col += 1
            }
            if !cur.isEmpty { tokens.append((cur, curStart)) }
            guard !tokens.isEmpty else { throw fail(col, "expected a colour or attribute after '='") }
            var style = Style()
            var fgSet = false
            var i = 0
            while i < tokens.count {
                let (tok, tcol) = tokens[i]
                let lower = tok.lowercased()
                if let attr = TextAttributes.names.first(where: { $0.0 == lower })?.1 {
                    style.attributes.insert(attr)
                } else if lower == "on" {
                    guard i + 1 < tokens.count else { throw fail(tcol, "expected a background colour after 'on'") }
                    style.bg = try colorSpec(tokens[i + 1].0, col: tokens[i + 1].1, fail: fail)
                    i += 1
                } else if !fgSet {
                    style.fg = try colorSpec(tok, col: tcol, fail: fail)
                    fgSet = true
                } else {
                    if looksLikeColor(tok) { throw fail(tcol, "expected 'on' before the background colour '\(tok)'") }
                    throw fail(tcol, "unknown attribute '\(tok)': use bold, dim, italic, underline or reverse")
                }
                i += 1
            }
            styles[role] = style
        }
        return Theme(name: name, styles: styles)
    }

    static func colorSpec(_ tok: String, col: Int, fail: (Int, String) -> ThemeError) throws(ThemeError) -> ColorSpec {
        let parts = tok.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, let c = TerminalColor(spelling: parts[0]) else {
            throw fail(col, "bad colour '\(parts[0])': use default, a name such as red or bright-blue, 0-255, or #rrggbb")
        }
        var spec = ColorSpec(c)
        if parts.count == 2 {
            guard let f = TerminalColor(spelling: parts[1]) else {
                throw fail(col + parts[0].count + 1, "bad 16-colour fallback '\(parts[1])': use a name such as red or bright-blue, or 0-15")
            }
            switch f {
            case .ansi, .default: spec.fallback16 = f
            default: throw fail(col + parts[0].count + 1, "the fallback after '/' must be one of the 16 standard colours (a name or 0-15)")
            }
        }
        return spec
    }

    static func looksLikeColor(_ t: String) -> Bool { TerminalColor(spelling: t.split(separator: "/").first.map(String.init) ?? t) != nil }

    /// Removes `# comment` (a `#` at the line start or after a space, followed by a space or the end).
    static func stripComment(_ line: String) -> String {
        let chars = Array(line)
        for i in chars.indices where chars[i] == "#" {
            let before = i == 0 || chars[i - 1] == " " || chars[i - 1] == "\t"
            let after = i + 1 >= chars.count || chars[i + 1] == " " || chars[i + 1] == "\t" || chars[i + 1] == "#"
            let lineStart = chars[..<i].allSatisfy { $0 == " " || $0 == "\t" }
            if lineStart || (before && after) { return String(chars[..<i]) }
        }
        return line
    }

    static func column(of s: String, in line: String) -> Int {
        guard !s.isEmpty else { return 1 }
        let a = Array(line), b = Array(s)
        guard b.count <= a.count else { return 1 }
        for i in 0...(a.count - b.count) where Array(a[i..<i + b.count]) == b { return i + 1 }
        return 1
    }

    /// The closest role name, when one is close.
    static func suggestion(_ name: String) -> String? {
        var best: (String, Int)?
        for r in StyleRole.allCases {
            let d = editDistance(name, r.rawValue)
            if d <= 3, best == nil || d < best!.1 { best = (r.rawValue, d) }
        }
        return best?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count)
        for i in 1...x.count {
            var cur = [i] + Array(repeating: 0, count: y.count)
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[y.count]
    }
}

extension String {
    func trimmed(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
