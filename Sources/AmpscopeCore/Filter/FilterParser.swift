/// Turns filter text into a `FilterExpression` (see Docs/filter.md for the language).
///
/// Grammar, loosest binding first:
/// ```
/// expr    := and ( ("or" | "||" | "|") and )*
/// and     := unary ( ["and" | "&&" | "&"] unary )*      (juxtaposition means and)
/// unary   := ("!" | "not") unary | primary
/// primary := "(" expr ")" | field OP value | prop.NAME [OP value] | word | "quoted phrase"
/// ```
/// Errors carry the scalar offset of the problem so the UI can draw a caret under it.
public enum FilterParser {
    public static func parse(_ text: String) throws(FilterError) -> FilterExpression {
        var lexer = Lexer(Array(text.unicodeScalars))
        let tokens = try lexer.tokens()
        var p = Parser(tokens: tokens, end: lexer.scalars.count)
        if tokens.isEmpty { return .all }
        let e = try p.parseOr()
        if p.i < tokens.count {
            let t = tokens[p.i]
            if case .rparen = t.kind {
                throw FilterError(position: t.position, message: "unexpected ')' without a matching '('")
            }
            throw FilterError(position: t.position, message: "unexpected \(t.kind.describe)")
        }
        return e
    }

    // MARK: Tokens

    struct Token {
        enum Kind {
            case lparen, rparen, not, and, or
            case predicate(field: String, fieldPos: Int, name: String?, op: FilterOperator, opPos: Int, value: String, valuePos: Int, valueLength: Int)
            case word(String, quoted: Bool)

            var describe: String {
                switch self {
                case .lparen: return "'('"
                case .rparen: return "')'"
                case .not: return "'!'"
                case .and: return "'and'"
                case .or: return "'or'"
                case .predicate(let f, _, _, let op, _, let v, _, _): return "'\(f)\(op.rawValue)\(v)'"
                case .word(let w, _): return "'\(w)'"
                }
            }
        }
        var kind: Kind
        var position: Int
        var length: Int
    }

    struct Lexer {
        let scalars: [Unicode.Scalar]
        var i = 0
        init(_ s: [Unicode.Scalar]) { scalars = s }

        static func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }
        static func isIdentStart(_ c: Unicode.Scalar) -> Bool { c.isASCII && (c.properties.isAlphabetic || c == "_") }
        static func isIdent(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || ("0"..."9").contains(c) }
        static func isOpStart(_ c: Unicode.Scalar) -> Bool { c == ":" || c == "=" || c == "~" || c == "<" || c == ">" || c == "!" }

        mutating func tokens() throws(FilterError) -> [Token] {
            var out: [Token] = []
            while true {
                while i < scalars.count && Lexer.isSpace(scalars[i]) { i += 1 }
                guard i < scalars.count else { return out }
                let c = scalars[i]
                let start = i
                switch c {
                case "(": out.append(Token(kind: .lparen, position: i, length: 1)); i += 1
                case ")": out.append(Token(kind: .rparen, position: i, length: 1)); i += 1
                case "!" where !(i + 1 < scalars.count && scalars[i + 1] == "="):
                    out.append(Token(kind: .not, position: i, length: 1)); i += 1
                case "&" where i + 1 < scalars.count && scalars[i + 1] == "&":
                    out.append(Token(kind: .and, position: i, length: 2)); i += 2
                case "|" where i + 1 < scalars.count && scalars[i + 1] == "|":
                    out.append(Token(kind: .or, position: i, length: 2)); i += 2
                case "&" where i + 1 >= scalars.count || Lexer.isSpace(scalars[i + 1]) || scalars[i + 1] == "(" || scalars[i + 1] == "!":
                    out.append(Token(kind: .and, position: i, length: 1)); i += 1
                case "|" where i + 1 >= scalars.count || Lexer.isSpace(scalars[i + 1]) || scalars[i + 1] == "(" || scalars[i + 1] == "!":
                    out.append(Token(kind: .or, position: i, length: 1)); i += 1
                case "\"", "'":
                    let s = try quoted()
                    out.append(Token(kind: .word(s, quoted: true), position: start, length: i - start))
                default:
                    out.append(try term())
                }
            }
        }

        /// Reads a quoted string starting at `i` (which is the quote). Backslash escapes the next scalar.
        mutating func quoted() throws(FilterError) -> String {
            let q = scalars[i]
            let start = i
            i += 1
            var s = String.UnicodeScalarView()
            while i < scalars.count {
                let c = scalars[i]
                if c == "\\" && i + 1 < scalars.count {
                    s.append(scalars[i + 1])
                    i += 2
                    continue
                }
                if c == q {
                    i += 1
                    return String(s)
                }
                s.append(c)
                i += 1
            }
            throw FilterError(position: start, message: "this quote is never closed: add a matching \(q == "\"" ? "\"" : "'")")
        }

        /// A field predicate (`type:Foo`, `prop.plan=pro`, `prop."a b"`), or a bare word.
        mutating func term() throws(FilterError) -> Token {
            let start = i
            var j = i
            if Lexer.isIdentStart(scalars[j]) {
                while j < scalars.count && Lexer.isIdent(scalars[j]) { j += 1 }
                let ident = String(String.UnicodeScalarView(scalars[start..<j]))
                let lower = ident.lowercased()
                // prop.NAME / uprop.NAME
                if (lower == "prop" || lower == "uprop" || lower == "profile"), j < scalars.count, scalars[j] == "." {
                    i = j + 1
                    guard i < scalars.count, !Lexer.isSpace(scalars[i]) else {
                        throw FilterError(position: i, message: "expected a property name after '\(ident).'")
                    }
                    var name: String
                    if scalars[i] == "\"" || scalars[i] == "'" {
                        name = try quoted()
                    } else {
                        let ns = i
                        while i < scalars.count, !Lexer.isSpace(scalars[i]), !Lexer.isOpStart(scalars[i]),
                              scalars[i] != "(", scalars[i] != ")", scalars[i] != "\"", scalars[i] != "'" { i += 1 }
                        name = String(String.UnicodeScalarView(scalars[ns..<i]))
                    }
                    guard !name.isEmpty else {
                        throw FilterError(position: i, message: "expected a property name after '\(ident).'")
                    }
                    if i < scalars.count, Lexer.isOpStart(scalars[i]), !(scalars[i] == "!" && !(i + 1 < scalars.count && scalars[i + 1] == "=")) {
                        return try predicateRest(field: lower, fieldPos: start, name: name)
                    }
                    return Token(kind: .predicate(field: lower, fieldPos: start, name: name, op: .exists, opPos: i, value: "", valuePos: i, valueLength: 0),
                                 position: start, length: i - start)
                }
                if j < scalars.count, Lexer.isOpStart(scalars[j]), !(scalars[j] == "!" && !(j + 1 < scalars.count && scalars[j + 1] == "=")) {
                    i = j
                    return try predicateRest(field: lower, fieldPos: start, name: nil)
                }
                let kw = lower
                if kw == "and" || kw == "or" || kw == "not" {
                    i = j
                    let kind: Token.Kind = kw == "and" ? .and : kw == "or" ? .or : .not
                    return Token(kind: kind, position: start, length: j - start)
                }
            }
            // A bare word: up to whitespace or a parenthesis.
            var k = start
            while k < scalars.count, !Lexer.isSpace(scalars[k]), scalars[k] != "(", scalars[k] != ")" { k += 1 }
            i = k
            let w = String(String.UnicodeScalarView(scalars[start..<k]))
            return Token(kind: .word(w, quoted: false), position: start, length: k - start)
        }

        /// After a field name: the operator and its value.
        mutating func predicateRest(field: String, fieldPos: Int, name: String?) throws(FilterError) -> Token {
            let opPos = i
            let op: FilterOperator
            let c = scalars[i]
            let next: Unicode.Scalar? = i + 1 < scalars.count ? scalars[i + 1] : nil
            switch c {
            case ":": op = .contains; i += 1
            case "=": op = .equals; i += 1; if next == "=" { i += 1 }
            case "~": op = .regex; i += 1
            case "!": op = .notEquals; i += 2
            case "<": if next == "=" { op = .lessOrEqual; i += 2 } else { op = .less; i += 1 }
            case ">": if next == "=" { op = .greaterOrEqual; i += 2 } else { op = .greater; i += 1 }
            default: throw FilterError(position: i, message: "expected an operator")
            }
            let valuePos = i
            guard i < scalars.count, !Lexer.isSpace(scalars[i]), scalars[i] != ")" else {
                let f = name.map { "\(field).\($0)" } ?? field
                throw FilterError(position: i, message: "expected a value right after '\(f)\(op.rawValue)' (quote values that contain spaces)")
            }
            var value: String
            if scalars[i] == "\"" || scalars[i] == "'" {
                value = try quoted()
            } else {
                // Unquoted: up to whitespace or an unbalanced ')', so `(type~(a|b))` works.
                var depth = 0
                let vs = i
                while i < scalars.count, !Lexer.isSpace(scalars[i]) {
                    if scalars[i] == "(" { depth += 1 }
                    if scalars[i] == ")" {
                        if depth == 0 { break }
                        depth -= 1
                    }
                    i += 1
                }
                value = String(String.UnicodeScalarView(scalars[vs..<i]))
            }
            return Token(kind: .predicate(field: field, fieldPos: fieldPos, name: name, op: op, opPos: opPos, value: value,
                                          valuePos: valuePos, valueLength: i - valuePos),
                         position: fieldPos, length: i - fieldPos)
        }
    }

    // MARK: Parser

    struct Parser {
        let tokens: [Token]
        let end: Int
        var i = 0

        init(tokens: [Token], end: Int) {
            self.tokens = tokens
            self.end = end
        }

        var atEnd: Bool { i >= tokens.count }

        mutating func parseOr() throws(FilterError) -> FilterExpression {
            var parts = [try parseAnd()]
            while !atEnd, case .or = tokens[i].kind {
                i += 1
                guard !atEnd, startsTerm(tokens[i]) else {
                    throw FilterError(position: atEnd ? end : tokens[i].position, message: "expected a filter term after 'or'")
                }
                parts.append(try parseAnd())
            }
            return parts.count == 1 ? parts[0] : .or(parts)
        }

        func startsTerm(_ t: Token) -> Bool {
            switch t.kind {
            case .lparen, .not, .predicate, .word: return true
            case .rparen, .and, .or: return false
            }
        }

        mutating func parseAnd() throws(FilterError) -> FilterExpression {
            guard !atEnd else { throw FilterError(position: end, message: "expected a filter term") }
            guard startsTerm(tokens[i]) else {
                let t = tokens[i]
                if case .rparen = t.kind { throw FilterError(position: t.position, message: "expected a filter term before ')'") }
                throw FilterError(position: t.position, length: t.length, message: "expected a filter term before \(t.kind.describe)")
            }
            var parts = [try parseUnary()]
            while !atEnd {
                let t = tokens[i]
                if case .and = t.kind {
                    i += 1
                    guard !atEnd, startsTerm(tokens[i]) else {
                        throw FilterError(position: atEnd ? end : tokens[i].position, message: "expected a filter term after 'and'")
                    }
                    parts.append(try parseUnary())
                } else if startsTerm(t) {
                    parts.append(try parseUnary())
                } else {
                    break
                }
            }
            return parts.count == 1 ? parts[0] : .and(parts)
        }

        mutating func parseUnary() throws(FilterError) -> FilterExpression {
            let t = tokens[i]
            if case .not = t.kind {
                i += 1
                guard !atEnd, startsTerm(tokens[i]) else {
                    throw FilterError(position: atEnd ? end : tokens[i].position, message: "expected a filter term after '!'")
                }
                return .not(try parseUnary())
            }
            return try parsePrimary()
        }

        mutating func parsePrimary() throws(FilterError) -> FilterExpression {
            let t = tokens[i]
            i += 1
            switch t.kind {
            case .lparen:
                if !atEnd, case .rparen = tokens[i].kind {
                    throw FilterError(position: t.position, length: 2, message: "empty parentheses")
                }
                let e = try parseOr()
                guard !atEnd, case .rparen = tokens[i].kind else {
                    throw FilterError(position: t.position, message: "this '(' is never closed: add a ')'")
                }
                i += 1
                return e
            case .word(let w, _):
                return .text(FilterText(value: w, needle: FoldedNeedle(w)))
            case .predicate(let f, let fieldPos, let name, let op, let opPos, let value, let valuePos, let valueLength):
                return .predicate(try FilterCompiler.predicate(field: f, fieldPos: fieldPos, name: name, op: op, opPos: opPos,
                                                               value: value, valuePos: valuePos, valueLength: valueLength))
            default:
                throw FilterError(position: t.position, message: "expected a filter term, found \(t.kind.describe)")
            }
        }
    }
}

/// Checks a predicate's field, operator and value and prepares its test.
enum FilterCompiler {
    static func predicate(field f: String, fieldPos: Int, name: String?, op: FilterOperator, opPos: Int,
                          value: String, valuePos: Int, valueLength: Int) throws(FilterError) -> FilterPredicate {
        guard let field = FilterField.spellings[f] else {
            throw FilterError(position: fieldPos, length: f.unicodeScalars.count,
                              message: "unknown field '\(Sanitize.inline(f, limit: 30))': use one of \(FilterField.listForMessages), or quote the text to search for it")
        }
        func fail(_ m: String) -> FilterError { FilterError(position: valuePos, length: max(1, valueLength), message: m) }
        let test: ValueTest
        switch field {
        case .severity:
            let v = value.lowercased()
            let sev: Severity?
            switch v {
            case "error", "errors", "e": sev = .error
            case "warning", "warnings", "warn", "w": sev = .warning
            case "info", "i": sev = .info
            case "none", "ok", "clean": sev = nil
            default: throw fail("unknown severity '\(Sanitize.inline(value, limit: 30))': use error, warning, info or none")
            }
            switch op {
            case .regex: throw FilterError(position: opPos, message: "'~' does not apply to severity: use severity:error, severity>info...")
            case .exists: test = .exists
            default: test = .severity(op, sev)
            }
            return FilterPredicate(field: field, name: nil, op: op, value: value, test: test)
        case .has:
            guard op == .contains || op == .equals else {
                throw FilterError(position: opPos, length: max(1, op.rawValue.count),
                                  message: "has takes ':' (has:debug); use !has:\(Sanitize.inline(value, limit: 20)) for the opposite")
            }
            guard let what = DebugHas(word: value) else {
                throw fail("unknown has:\(Sanitize.inline(value, limit: 30)): use \(DebugHas.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return FilterPredicate(field: field, name: nil, op: op, value: value, test: .has(what))
        case .fate where op == .contains || op == .equals || op == .notEquals:
            let v = value.lowercased()
            let known = FilterDebug.fates
            guard op == .contains ? known.contains(where: { $0.contains(v) }) : known.contains(value) else {
                throw fail("unknown fate '\(Sanitize.inline(value, limit: 30))': use \(known.joined(separator: ", "))")
            }
        case .segment where op == .contains || op == .equals || op == .notEquals:
            let known = SegmentCallType.allCases.map(\.rawValue)
            let v = value.lowercased()
            guard op == .contains ? known.contains(where: { $0.contains(v) }) : known.contains(value) else {
                throw fail("unknown Segment call type '\(Sanitize.inline(value, limit: 30))': use \(known.joined(separator: ", "))")
            }
        case .dest where op == .contains || op == .equals || op == .notEquals:
            let known = SegmentDestination.allCases.map(\.rawValue)
            let v = value.lowercased()
            guard op == .contains ? known.contains(where: { $0.contains(v) }) : known.contains(value) else {
                throw fail("unknown destination '\(Sanitize.inline(value, limit: 30))': use actions or classic")
            }
        case .endpoint where op == .equals || op == .notEquals:
            guard let e = Endpoint(userSpelling: value) else {
                throw fail("unknown endpoint '\(Sanitize.inline(value, limit: 30))': use /2/httpapi, /batch, /identify, /groupidentify, /usermap or /")
            }
            test = .endpoint(e)
            return FilterPredicate(field: field, name: nil, op: op, value: value, test: op == .notEquals ? .notEquals(e.rawValue) : test)
        default:
            break
        }
        switch op {
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard let d = Double(value), d.isFinite else {
                throw fail("'\(op.rawValue)' compares numbers: '\(Sanitize.inline(value, limit: 30))' is not a number")
            }
            if !field.isNumeric && !field.needsPayload {
                throw FilterError(position: opPos, length: op.rawValue.count,
                                  message: "'\(op.rawValue)' compares numbers, and \(field.rawValue) is text: use ':' (contains), '=' or '~'")
            }
            test = .number(op, d)
        case .regex:
            do {
                test = .regex(try GuardedRegex(pattern: value))
            } catch {
                throw FilterError(position: valuePos + error.offset, message: error.message)
            }
        case .contains, .equals, .notEquals:
            if field.isNumeric {
                let v = value.lowercased()
                if field == .status, v.count == 3, v.hasSuffix("xx"), let d = Int(v.prefix(1)) {
                    test = op == .notEquals ? .number(.notEquals, -1) : .statusClass(d)
                    if op == .notEquals {
                        throw fail("use !status:\(v) to exclude a status class")
                    }
                } else if let d = Double(value) {
                    test = .number(op == .notEquals ? .notEquals : .equals, d)
                } else {
                    throw fail("\(field.rawValue) is a number: '\(Sanitize.inline(value, limit: 30))' is not one\(field == .status ? " (status also takes classes such as 4xx)" : "")")
                }
            } else {
                switch op {
                case .contains: test = .contains(FoldedNeedle(value))
                case .equals: test = .equals(value)
                default: test = .notEquals(value)
                }
            }
        case .exists:
            test = .exists
        }
        return FilterPredicate(field: field, name: name, op: op, value: value, test: test)
    }
}
