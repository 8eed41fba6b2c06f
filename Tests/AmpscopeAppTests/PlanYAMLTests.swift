@testable import AmpscopeApp
import AmpscopeCore
import Testing
import Yams

/// Plan YAML is composed without Yams' implicit tag rules (their regexes were most of the time
/// of loading a plan) and typed by `PlanYAML.convert` itself: every scalar must come out as
/// Yams' default rules and constructors make it.
@Suite struct PlanYAMLTests {
    /// Scalars of every kind the rules tell apart, and the near misses of each.
    static let scalars: [String] = [
        // bool words, their case variants and near misses
        "yes", "Yes", "YES", "yEs", "no", "No", "NO", "nO", "true", "True", "TRUE", "tRUE", "false", "False", "FALSE",
        "on", "On", "ON", "oN", "off", "Off", "OFF", "y", "n", "Y", "N", "t", "f",
        // null
        "null", "Null", "NULL", "nULL", "nu_ll", "~", "",
        // numbers
        "0", "1", "-1", "+1", "01", "0x1F", "0o17", "0b101", "1_000", "_1", "1__0", "1.5", ".5", "-.5", "1e5", "1E-5", "1.",
        "0x1p3", "1:30", "-1:30:00", "1:30.5", "190:20:30.15",
        // words Double or the float rule read
        ".inf", "-.inf", "+.inf", ".Inf", ".NaN", ".nan", "inf", "Inf", "INF", "-inf", "infinity", "Infinity", "in_f",
        "nan", "NaN", "snan", "sNaN", "nan(1)", "NaN(0x10)", "snan(2)", "nan(", "inf:30", "nan:1", "a:b", "x:1",
        // plain words and texts
        "string", "number", "integer", "boolean", "object", "array", "any", "Event Type 1", "p0", "infinite", "nanny",
        "nullable", "snack", "inferno", "Search Performed", "München", "東京", "a_b", "x1", "e5", "abcdefghijk",
        "infinity_and_beyond", "nan_", "_nan", "<<", "=", "2026-12-07", "2026-12-07 10:00:00",
    ]

    /// What the plan reader made of a scalar before: Yams' default rules, then null, bool, int,
    /// float in that order.
    static func reference(_ yaml: String) throws -> PlanNode? {
        guard case .mapping(let m)? = try Yams.compose(yaml: yaml), let (_, n) = m.first, case .scalar(let s) = n else { return nil }
        if s.style == .singleQuoted || s.style == .doubleQuoted || s.style == .literal || s.style == .folded { return .string(s.string) }
        if n.null != nil { return .null }
        if let b = n.bool { return .bool(b) }
        if let i = n.int { return .int(Int64(i)) }
        if let d = n.float { return .double(d) }
        return .string(s.string)
    }

    static func same(_ a: PlanNode?, _ b: PlanNode?) -> Bool {
        if case .double(let x)? = a, case .double(let y)? = b { return x == y || (x.isNaN && y.isNaN) }
        return a == b
    }

    @Test(arguments: ["", "!!str ", "!!int ", "!!float ", "!!bool ", "!!null ", "! "])
    func scalarsAsYamsTypesThem(tag: String) throws {
        for scalar in Self.scalars {
            // Plain, then quoted (always a string).
            for text in [scalar, "'\(scalar)'"] where !(text.isEmpty && !tag.isEmpty) {
                let yaml = "v: \(tag)\(text)\n"
                let expected = try Self.reference(yaml)
                guard case .map(let m) = try PlanYAML.parse(yaml), let got = m.first?.1 else {
                    Issue.record("\(yaml) did not parse to a map")
                    continue
                }
                #expect(Self.same(got, expected), "\(yaml.debugDescription): \(got) against Yams' \(String(describing: expected))")
            }
        }
    }

    /// The fast test agrees with the constructors on its own too: whenever it says "a word",
    /// Yams reads no null, int or float from the scalar.
    @Test func plainWordsAreNoNumbers() throws {
        for scalar in Self.scalars where PlanYAML.isPlainWord(scalar) {
            let n = Node(scalar, Tag(.implicit), .plain)
            #expect(n.null == nil && n.int == nil && n.float == nil, "\(scalar)")
        }
        #expect(PlanYAML.isPlainWord("string") && PlanYAML.isPlainWord("Event Type 1") && PlanYAML.isPlainWord("infinite"))
        #expect(!PlanYAML.isPlainWord("Infinity") && !PlanYAML.isPlainWord("in_f") && !PlanYAML.isPlainWord("nan(7)")
                && !PlanYAML.isPlainWord("inf:30") && !PlanYAML.isPlainWord("_x") && !PlanYAML.isPlainWord("1x"))
    }

    /// Duplicate keys are still refused with the rules off.
    @Test func duplicateKeysRefused() {
        #expect(throws: PlanError.self) { try PlanYAML.parse("events:\n  a: 1\n  a: 2\n") }
    }
}
