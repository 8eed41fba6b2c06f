/// `$setOnce` on a property that already holds another value changes nothing
/// (`profiles-and-plans.md` §A1: "no-op" on an existing value).
public struct SetOnceNoEffectRule: ProfileRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.setOnceNoEffect, severity: .info, scope: .profile,
                               summary: "$setOnce on a property that already has another value: the value sent is not kept.") }
    public init() {}

    public func check(_ e: ProfileEventFacts, _ out: inout FindingSink) {
        for i in e.changes.indices where e.changes.operation(i) == .setOnce && e.changes.reason(i) == .alreadySet {
            let c = e.changes[i]
            // Re-sending the value the property already has is how setOnce is meant to be used.
            guard let sent = c.sent, sent != c.before else { continue }
            out.add(info, e.path(of: i), event: e.recordIndex,
                    "$setOnce '\(Sanitize.inline(c.property, limit: 40))' = \(sent.display(limit: 30)) has no effect: the user's value is already \(c.before?.display(limit: 30) ?? "set"), and $setOnce never overwrites (use $set to change it)")
        }
    }
}
