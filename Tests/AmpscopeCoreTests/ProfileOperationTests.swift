import Testing
@testable import AmpscopeCore

/// Every operation on a missing, scalar, list and wrong-typed stored value
/// (`Docs/facts/profiles-and-plans.md` §A1; the UNCONFIRMED cells follow `Docs/profiles.md`).
@Suite("Profile operations")
struct ProfileOperationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var op: ProfileOperation
        var stored: ProfileValue?
        var sent: ProfileValue
        var expected: OperationResult
        /// The fact the row encodes.
        var fact: String
        var testDescription: String { "\(op) on \(stored?.jsonText ?? "missing") with \(sent.jsonText): \(fact)" }
    }

    static func s(_ v: String) -> ProfileValue { .string(v) }
    static func i(_ v: Int64) -> ProfileValue { .int(v) }
    static func list(_ xs: [ProfileValue]) -> ProfileValue { .array(xs) }
    static let object = ProfileValue.object(Array("{\"a\":1}".utf8))

    static let cases: [Case] = [
        // $set: creates, overwrites scalars and lists (§A1 row $set).
        Case(op: .set, stored: nil, sent: s("pro"), expected: .value(s("pro")), fact: "§A1 $set creates"),
        Case(op: .set, stored: s("free"), sent: s("pro"), expected: .value(s("pro")), fact: "§A1 $set overwrites a scalar"),
        Case(op: .set, stored: list([s("a")]), sent: s("pro"), expected: .value(s("pro")), fact: "§A1 $set overwrites a list"),
        Case(op: .set, stored: i(3), sent: object, expected: .value(object), fact: "§A1 $set stores any value"),
        // $setOnce: sets a missing property, a no-op otherwise (§A1 row $setOnce).
        Case(op: .setOnce, stored: nil, sent: s("2024"), expected: .value(s("2024")), fact: "§A1 $setOnce sets a missing property"),
        Case(op: .setOnce, stored: s("2023"), sent: s("2024"), expected: .noEffect(.alreadySet), fact: "§A1 $setOnce no-op on a scalar"),
        Case(op: .setOnce, stored: list([s("x")]), sent: s("2024"), expected: .noEffect(.alreadySet), fact: "§A1 $setOnce no-op on a list"),
        Case(op: .setOnce, stored: .null, sent: s("2024"), expected: .noEffect(.alreadySet), fact: "a stored null is a value (UNCONFIRMED)"),
        // $add: starts from 0, adds to numbers (§A1 row $add, android-sdk "initialized to 0", set 10 add 5 = 15).
        Case(op: .add, stored: nil, sent: i(5), expected: .value(i(5)), fact: "§A1 $add starts from 0"),
        Case(op: .add, stored: i(10), sent: i(5), expected: .value(i(15)), fact: "§A1 set 10 then add 5 gives 15"),
        Case(op: .add, stored: .double(1.5), sent: i(2), expected: .value(.double(3.5)), fact: "§A1 $add on a float"),
        Case(op: .add, stored: i(1), sent: s("2"), expected: .value(i(3)), fact: "§A1/wire §2.3 AJS sends numeric strings"),
        Case(op: .add, stored: s("7"), sent: i(1), expected: .value(i(8)), fact: "a stored numeric string is a number (UNCONFIRMED)"),
        Case(op: .add, stored: s("gold"), sent: i(1), expected: .noEffect(.storedNotANumber), fact: "§A1 $add onto a string: UNCONFIRMED, no-op"),
        Case(op: .add, stored: list([i(1)]), sent: i(1), expected: .noEffect(.storedNotANumber), fact: "§A1 $add onto a list: UNCONFIRMED, no-op"),
        Case(op: .add, stored: i(1), sent: s("one"), expected: .noEffect(.sentNotANumber), fact: "wire §2.3 $add needs a number"),
        Case(op: .add, stored: i(.max), sent: i(1), expected: .value(.double(Double(Int64.max) + 1)), fact: "overflow becomes a float"),
        // $append / $prepend: [] when missing, a scalar becomes a list, no de-duplication (§A1).
        Case(op: .append, stored: nil, sent: s("a"), expected: .value(list([s("a")])), fact: "§A1 $append starts from []"),
        Case(op: .append, stored: s("a"), sent: s("b"), expected: .value(list([s("a"), s("b")])), fact: "§A1 a scalar is converted into a list"),
        Case(op: .append, stored: list([s("a")]), sent: s("a"), expected: .value(list([s("a"), s("a")])), fact: "§A1 no duplicate check"),
        Case(op: .append, stored: list([s("a")]), sent: list([s("b"), s("c")]), expected: .value(list([s("a"), s("b"), s("c")])), fact: "§A1 an array adds each element"),
        Case(op: .append, stored: object, sent: s("b"), expected: .value(list([object, s("b")])), fact: "an object is a scalar (UNCONFIRMED)"),
        Case(op: .prepend, stored: nil, sent: list([s("x"), s("y")]), expected: .value(list([s("x"), s("y")])), fact: "§A1 $prepend starts from []"),
        Case(op: .prepend, stored: s("a"), sent: s("b"), expected: .value(list([s("b"), s("a")])), fact: "§A1 $prepend converts a scalar"),
        Case(op: .prepend, stored: list([s("a")]), sent: list([s("x"), s("y")]), expected: .value(list([s("x"), s("y"), s("a")])), fact: "§A1 prepend keeps the sent order (UNCONFIRMED)"),
        // $preInsert / $postInsert: only values not present (§A1).
        Case(op: .preInsert, stored: nil, sent: s("p1"), expected: .value(list([s("p1")])), fact: "§A1 $preInsert starts from []"),
        Case(op: .postInsert, stored: list([s("a")]), sent: list([s("a"), s("b")]), expected: .value(list([s("a"), s("b")])), fact: "§A1 only values not already present"),
        Case(op: .preInsert, stored: list([s("a")]), sent: list([s("b"), s("c")]), expected: .value(list([s("b"), s("c"), s("a")])), fact: "§A1 at the front, sent list keeps its order"),
        Case(op: .postInsert, stored: list([s("a")]), sent: s("a"), expected: .noEffect(.alreadyPresent), fact: "§A1 nothing new to insert"),
        Case(op: .postInsert, stored: s("a"), sent: s("b"), expected: .value(list([s("a"), s("b")])), fact: "§A1 scalar UNCONFIRMED: a one-element list"),
        // $remove: no-op when missing, removes every instance (§A1).
        Case(op: .remove, stored: nil, sent: s("a"), expected: .noEffect(.absent), fact: "§A1 $remove on a missing property"),
        Case(op: .remove, stored: list([s("a"), s("b"), s("a")]), sent: s("a"), expected: .value(list([s("b")])), fact: "§A1 removes all instances"),
        Case(op: .remove, stored: list([s("a")]), sent: s("z"), expected: .noEffect(.nothingToRemove), fact: "§A1 nothing to remove"),
        Case(op: .remove, stored: s("a"), sent: s("a"), expected: .value(list([])), fact: "§A1 scalar UNCONFIRMED: a one-element list"),
        // $unset: removes, no-op when missing (§A1).
        Case(op: .unset, stored: nil, sent: s("-"), expected: .noEffect(.absent), fact: "§A1 $unset on a missing property"),
        Case(op: .unset, stored: s("x"), sent: s("-"), expected: .removed, fact: "§A1 $unset removes a scalar"),
        Case(op: .unset, stored: list([s("x")]), sent: s("-"), expected: .removed, fact: "§A1 $unset removes a list"),
    ]

    @Test("each operation on each kind of stored value", arguments: cases)
    func operation(_ c: Case) {
        #expect(PropertyOperations.apply(c.op, stored: c.stored, sent: c.sent) == c.expected)
    }

    @Test("values read from JSON: numbers stay integers, objects are compact text, long strings are cut to 1024 characters (§A1 Limits)")
    func values() throws {
        let long = String(repeating: "é", count: 1500)
        let doc = try JSONDocument(parsing: "[1, 2.5, \"a\", true, null, [1, [2]], { \"k\" : [1, 2] }, \"\(long)\"]")
        let items = Array(doc.elements(doc.root))
        #expect(ProfileValue(doc, items[0]) == .int(1))
        #expect(ProfileValue(doc, items[1]) == .double(2.5))
        #expect(ProfileValue(doc, items[3]) == .bool(true))
        #expect(ProfileValue(doc, items[4]) == .null)
        #expect(ProfileValue(doc, items[5]) == .array([.int(1), .array([.int(2)])]))
        #expect(ProfileValue(doc, items[6]).jsonText == "{\"k\":[1,2]}")
        var truncated = false
        let cut = ProfileValue(doc, items[7], truncated: &truncated)
        #expect(truncated)
        #expect(cut == .string(String(repeating: "é", count: 1024)))
    }
}
