/// `$setOnce` of another value on a property that already has one: the value sent is not kept
/// (`profiles-and-plans.md` §A1). Not reported for the first-touch attribution properties the
/// SDKs and Segment's destinations send with `$setOnce` on every session or event by design
/// (`AttributionNames`): their no-op is the point, and the developer cannot change it.
public struct SetOnceNoEffectRule: ProfileRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.setOnceNoEffect, severity: .info, scope: .profile,
                               summary: "$setOnce on a property that already has another value: the value sent is not kept.") }
    public init() {}

    public func check(_ e: ProfileEventFacts, _ out: inout FindingSink) {
        for i in e.changes.indices where e.changes.operation(i) == .setOnce && e.changes.reason(i) == .alreadySet {
            let c = e.changes[i]
            // Re-sending the value the property already has is how setOnce is meant to be used.
            guard let sent = c.sent, sent != c.before, !AttributionNames.firstTouch.contains(c.property) else { continue }
            out.add(info, e.path(of: i), event: e.recordIndex,
                    "$setOnce '\(Sanitize.inline(c.property, limit: 40))' = \(sent.display(limit: 30)) has no effect: the user's value is already \(c.before?.display(limit: 30) ?? "set"), and $setOnce never overwrites (use $set to change it)")
        }
    }
}

/// User properties that web attribution sets with `$setOnce` whenever it sees a campaign or a
/// referrer, so that the first touch stays: amplitude-js with `includeUtm`, `includeReferrer`,
/// `includeGclid` and `includeFbclid`, the Browser SDK 2 for every campaign key on each new
/// campaign (`"EMPTY"` for the keys it did not see; `Docs/facts/amplitude-wire.md` §3, "Web
/// attribution"), and Segment's Amplitude destinations (`amplitude-wire.md` §7 and
/// `segment-wire.md`: `setOnce` of `initial_referrer` and `initial_utm_*`).
public enum AttributionNames {
    /// The campaign keys; each is sent as `initial_` + key. Reddit's click id is there twice:
    /// releases from August 2025 on send `rdt_cid`, earlier ones the misspelt `rtd_cid`.
    static let campaignKeys = [
        "utm_campaign", "utm_content", "utm_id", "utm_medium", "utm_source", "utm_term", "referrer", "referring_domain",
        "dclid", "gbraid", "gclid", "fbclid", "ko_click_id", "li_fat_id", "msclkid", "rdt_cid", "rtd_cid", "ttclid", "twclid", "wbraid",
    ]
    public static let firstTouch = Set(campaignKeys.map { "initial_" + $0 })
}
