/// `$add` onto a stored value that is not a number adds nothing (the request-level
/// `add-non-numeric` rule checks the value sent; this one needs the user's stored value).
/// `profiles-and-plans.md` §A1: `$add` on an existing non-numeric value is UNCONFIRMED; we say
/// nothing changes.
public struct AddOntoNonNumberRule: ProfileRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.addOntoNonNumber, severity: .warning, scope: .profile,
                               summary: "$add onto a user or group property whose value is not a number: nothing is added.") }
    public init() {}

    public func check(_ e: ProfileEventFacts, _ out: inout FindingSink) {
        for i in e.changes.indices where e.changes.operation(i) == .add && e.changes.reason(i) == .storedNotANumber {
            let c = e.changes[i]
            out.add(info, e.path(of: i), event: e.recordIndex,
                    "$add '\(Sanitize.inline(c.property, limit: 40))' onto \(c.before?.display(limit: 30) ?? "a value"), which is not a number: nothing is added (was it first set with $set or $append?)")
        }
    }
}
