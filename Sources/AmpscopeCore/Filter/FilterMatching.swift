
/// A case-insensitive substring needle, folded once so that matching a row allocates nothing.
///
/// ASCII letters fold byte-wise (the fast path for ids and event types); a needle with non-ASCII
/// letters falls back to comparing lower-cased strings.
struct FoldedNeedle: Sendable {
    let bytes: [UInt8]
    let asciiOnly: Bool

    init(_ s: String) {
        asciiOnly = s.utf8.allSatisfy { $0 < 0x80 }
        bytes = Array((asciiOnly ? s : s.lowercased()).utf8).map(FoldedNeedle.fold)
    }

    @inline(__always) static func fold(_ b: UInt8) -> UInt8 { b &- 65 < 26 ? b | 0x20 : b }

    func matches(_ s: borrowing String) -> Bool {
        if bytes.isEmpty { return true }
        if asciiOnly, let r = s.utf8.withContiguousStorageIfAvailable({ FoldedNeedle.search($0, bytes) }) { return r }
        var hay = asciiOnly ? copy s : s.lowercased()
        return hay.withUTF8 { FoldedNeedle.search($0, bytes) }
    }

    /// True when `s`, folded, starts with (`atEnd` false) or ends with the needle; `whole`: equals it.
    func anchored(_ s: borrowing String, atEnd: Bool, whole: Bool) -> Bool {
        func check(_ h: UnsafeBufferPointer<UInt8>) -> Bool {
            let n = bytes.count
            if whole ? h.count != n : h.count < n { return false }
            let off = atEnd ? h.count - n : 0
            for j in 0..<n where FoldedNeedle.fold(h[off + j]) != bytes[j] { return false }
            return true
        }
        if asciiOnly, let r = s.utf8.withContiguousStorageIfAvailable(check) { return r }
        var hay = asciiOnly ? copy s : s.lowercased()
        return hay.withUTF8(check)
    }

    /// Finds `needle` (already folded) in `hay`, folding ASCII letters of `hay` on the fly.
    static func search(_ hay: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        let n = needle.count
        guard n <= hay.count, let h = hay.baseAddress else { return false }
        return needle.withUnsafeBufferPointer { np in
            let p = np.baseAddress!
            let first = p[0]
            // The first byte in either case, so the scan compares without folding.
            let firstUpper = first &- 97 < 26 ? first & 0xDF : first
            var i = 0
            let last = hay.count - n
            while i <= last {
                let c = h[i]
                if c == first || c == firstUpper {
                    var j = 1
                    while j < n && fold(h[i + j]) == p[j] { j += 1 }
                    if j == n { return true }
                }
                i += 1
            }
            return false
        }
    }
}

/// A regular expression that is safe to run over untrusted captured text.
///
/// Patterns with nested unbounded repetition (`(a+)+`) or back-references can take exponential
/// time on a backtracking engine and are refused when the filter is parsed. Plain literals with
/// an optional `^`/`$` anchor skip the regex engine. Results are remembered per distinct value
/// (event types and sources repeat across millions of rows), up to a bound.
final class GuardedRegex: Sendable {
    enum Literal: Sendable { case contains, prefix, suffix, whole }
    let pattern: String
    private let literal: (FoldedNeedle, Literal)?
    /// The compiled regex and the remembered results; one lock, because `Regex` compiles lazily.
    private struct Engine {
        var regex: Regex<AnyRegexOutput>?
        var memo: [String: Bool] = [:]
    }
    private let engine: Guarded<Engine>
    static let memoLimit = 50_000
    /// Only this many UTF-8 bytes of a value are searched.
    static let subjectLimit = 1024

    init(pattern: String) throws(RegexProblem) {
        self.pattern = pattern
        if let lit = GuardedRegex.literalForm(pattern) {
            literal = lit
            engine = Guarded(Engine(regex: nil))
            return
        }
        try GuardedRegex.checkSafe(pattern)
        do {
            let r = try Regex(pattern).ignoresCase()
            engine = Guarded(Engine(regex: r))
            literal = nil
        } catch {
            throw RegexProblem(offset: 0, message: "not a valid regular expression (\(error))")
        }
    }

    func matches(_ s: borrowing String) -> Bool {
        if let (needle, kind) = literal {
            switch kind {
            case .contains: return needle.matches(s)
            case .prefix, .suffix, .whole: return GuardedRegex.anchored(s, needle, kind)
            }
        }
        let s = copy s
        return engine.withLock { e in
            if let known = e.memo[s] { return known }
            guard let regex = e.regex else { return false }
            let subject = s.utf8.count > GuardedRegex.subjectLimit
                ? String(decoding: s.utf8.prefix(GuardedRegex.subjectLimit), as: UTF8.self) : s
            let result = (try? regex.firstMatch(in: subject)) != nil
            if e.memo.count >= GuardedRegex.memoLimit { e.memo.removeAll(keepingCapacity: true) }
            e.memo[s] = result
            return result
        }
    }

    static func anchored(_ s: borrowing String, _ needle: FoldedNeedle, _ kind: Literal) -> Bool {
        switch kind {
        case .prefix: return needle.anchored(s, atEnd: false, whole: false)
        case .suffix: return needle.anchored(s, atEnd: true, whole: false)
        case .whole: return needle.anchored(s, atEnd: false, whole: true)
        case .contains: return needle.matches(s)
        }
    }

    static let metacharacters: Set<Character> = [".", "^", "$", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "\\"]

    /// `abc`, `^abc`, `abc$`, `^abc$` with no other metacharacter.
    static func literalForm(_ p: String) -> (FoldedNeedle, Literal)? {
        var body = Substring(p)
        let start = body.hasPrefix("^")
        if start { body = body.dropFirst() }
        let end = body.hasSuffix("$")
        if end { body = body.dropLast() }
        guard !body.contains(where: { metacharacters.contains($0) }) else { return nil }
        let needle = FoldedNeedle(String(body))
        switch (start, end) {
        case (false, false): return (needle, .contains)
        case (true, false): return (needle, .prefix)
        case (false, true): return (needle, .suffix)
        case (true, true): return (needle, .whole)
        }
    }

    /// Refuses back-references and a repeated group that itself contains unbounded repetition.
    static func checkSafe(_ p: String) throws(RegexProblem) {
        let chars = Array(p.unicodeScalars)
        // For each open group: (offset, contains an unbounded quantifier).
        var stack: [(Int, Bool)] = []
        var i = 0
        var inClass = false
        func unboundedQuantifier(at j: Int) -> Bool {
            guard j < chars.count else { return false }
            switch chars[j] {
            case "*", "+": return true
            case "{":
                var k = j + 1
                var text = ""
                while k < chars.count && chars[k] != "}" { text.unicodeScalars.append(chars[k]); k += 1 }
                return text.hasSuffix(",")
            default: return false
            }
        }
        func markUnbounded() { if !stack.isEmpty { stack[stack.count - 1].1 = true } }
        while i < chars.count {
            let c = chars[i]
            if c == "\\" {
                if i + 1 < chars.count, ("1"..."9").contains(chars[i + 1]) || chars[i + 1] == "k" {
                    throw RegexProblem(offset: i, message: "back-references are not supported (they can make matching very slow)")
                }
                if unboundedQuantifier(at: i + 2) { markUnbounded() }
                i += 2
                continue
            }
            if inClass {
                if c == "]" {
                    inClass = false
                    if unboundedQuantifier(at: i + 1) { markUnbounded() }
                }
                i += 1
                continue
            }
            switch c {
            case "[": inClass = true
            case "(": stack.append((i, false))
            case ")":
                if let g = stack.popLast() {
                    if unboundedQuantifier(at: i + 1) {
                        if g.1 {
                            throw RegexProblem(offset: g.0, message: "nested repetition such as (a+)+ can take exponential time; simplify the pattern")
                        }
                        markUnbounded()
                    } else if g.1 {
                        markUnbounded()
                    }
                }
            default:
                if c != "*" && c != "+" && c != "{" && unboundedQuantifier(at: i + 1) { markUnbounded() }
            }
            i += 1
        }
    }
}

struct RegexProblem: Error {
    var offset: Int
    var message: String
}

/// How a predicate tests a value, prepared when the filter is parsed.
enum ValueTest: Sendable {
    case contains(FoldedNeedle)
    case equals(String)
    case notEquals(String)
    case regex(GuardedRegex)
    case number(FilterOperator, Double)
    /// `status:4xx`: the hundreds digit.
    case statusClass(Int)
    /// Severity tests: `severity:error` (has one), `severity>info` (worst above info).
    case severity(FilterOperator, Severity?)
    case endpoint(Endpoint)
    /// `has:debug`, `has:call`, `has:sdkwarn`, `has:wire`.
    case has(DebugHas)
    case exists

    func matchString(_ s: String?) -> Bool {
        guard let s else { return false }
        switch self {
        case .contains(let n): return n.matches(s)
        case .equals(let v): return s == v
        case .notEquals(let v): return s != v
        case .regex(let r): return r.matches(s)
        case .number(let op, let v):
            guard let d = Double(s) else { return false }
            return ValueTest.compare(d, op, v)
        case .statusClass(let c): return Int(s).map { $0 / 100 == c } ?? false
        case .exists: return true
        case .severity, .endpoint, .has: return false
        }
    }

    func matchNumber(_ x: Int64?) -> Bool {
        guard let x else { return false }
        switch self {
        case .number(let op, let v): return ValueTest.compare(Double(x), op, v)
        case .statusClass(let c): return x / 100 == Int64(c)
        case .exists: return true
        default: return matchString(String(x))
        }
    }

    @inline(__always) static func compare(_ a: Double, _ op: FilterOperator, _ b: Double) -> Bool {
        switch op {
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        case .notEquals: return a != b
        default: return a == b
        }
    }
}
