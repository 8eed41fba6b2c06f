/// A key file that could not be read: where and why.
public struct KeyConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "\(source), line \(line), column \(column): \(message)" }
}

/// Reads `keys.conf`: lines `[CONTEXT] KEY = COMMAND` (`none` unbinds), `#` comments.
public enum KeyConfigParser {
    public static func apply(_ text: String, to table: KeyTable, source: String = "keys.conf") throws(KeyConfigError) -> KeyTable {
        var t = table
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            var line = String(raw)
            line = ThemeParser.stripComment(line)
            let trimmed = line.trimmed(" \t\r")
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            func fail(_ col: Int, _ m: String) -> KeyConfigError { KeyConfigError(source: source, line: lineNo, column: col, message: m) }
            // `=` as a key (`= = unfold-all`) is written as the first token, so split on the last " = ".
            guard let eq = line.lastIndex(of: "=") else {
                throw fail(1, "expected '[context] key = command'")
            }
            let lhs = line[..<eq].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            let rhs = String(line[line.index(after: eq)...]).trimmed(" \t\r")
            guard !lhs.isEmpty, lhs.count <= 2 else {
                throw fail(1, "expected '[context] key = command'")
            }
            var context = KeyContext.global
            if lhs.count == 2 {
                guard let c = KeyContext(rawValue: lhs[0].lowercased()) else {
                    throw fail(ThemeParser.column(of: lhs[0], in: line),
                               "unknown context '\(lhs[0])': use \(KeyContext.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                context = c
            }
            let keyName = lhs.last!
            guard let key = Key(spelling: keyName) else {
                throw fail(ThemeParser.column(of: keyName, in: line),
                           "unknown key '\(keyName)': use a character, space, enter, tab, esc, up, pgdn, ctrl-x, f1 ... (Docs/keys.md)")
            }
            let cmdCol = line.distance(from: line.startIndex, to: eq) + 2
            guard !rhs.isEmpty else { throw fail(cmdCol, "expected a command after '='") }
            if rhs.lowercased() == "none" {
                t.bind(key, to: nil, in: context)
                continue
            }
            guard let cmd = Command(rawValue: rhs.lowercased()) else {
                var m = "unknown command '\(rhs)'"
                if let s = Command.allCases.map(\.rawValue).min(by: { ThemeParser.editDistance($0, rhs) < ThemeParser.editDistance($1, rhs) }),
                   ThemeParser.editDistance(s, rhs) <= 3 {
                    m += " (did you mean '\(s)'?)"
                }
                throw fail(ThemeParser.column(of: rhs, in: line), m + "; the commands are listed in Docs/keys.md")
            }
            t.bind(key, to: cmd, in: context)
        }
        return t
    }
}
