/// Amplitude drops the property updates of a user who updates them more than 1 800 times an
/// hour, silently: events are still ingested (`profiles-and-plans.md` §A4; `amplitude-wire.md`
/// §1.3). Reported once when the drops start; every dropped change is in the change list.
public struct IdentifyThrottledRule: ProfileRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.identifyThrottled, severity: .error, scope: .profile,
                               summary: "A user updated properties more than 1 800 times in an hour: Amplitude silently drops the rest.") }
    public init() {}

    public func check(_ e: ProfileEventFacts, _ out: inout FindingSink) {
        guard e.throttleStarted else { return }
        let who = e.userID.map { "user '\(Sanitize.inline($0, limit: 40))'" } ?? "device '\(Sanitize.inline(e.deviceID ?? "", limit: 40))'"
        out.add(info, e.path(.userProperties), event: e.recordIndex,
                "\(who) already updated properties \(e.updatesInLastHour) times in the last hour (limit \(e.options.updatesPerHour)): Amplitude drops this update and the next ones, without an error, until the hourly count falls; batch the changes into fewer identifies")
    }
}
