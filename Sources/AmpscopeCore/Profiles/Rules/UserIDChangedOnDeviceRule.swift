/// A different user_id on a device that belonged to another user makes a new Amplitude user;
/// user ids never merge (`profiles-and-plans.md` §A3.4 and "User IDs cannot be merged").
public struct UserIDChangedOnDeviceRule: ProfileRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.userIDChangedOnDevice, severity: .warning, scope: .profile,
                               summary: "A new user_id on a device that had another user: Amplitude makes a new user, and user ids never merge.") }
    public init() {}

    public func check(_ e: ProfileEventFacts, _ out: inout FindingSink) {
        guard e.linkKind == .newUserOnDevice, let link = e.link, let uid = e.userID else { return }
        out.add(info, e.path(.userID), event: e.recordIndex,
                "user_id '\(Sanitize.inline(uid, limit: 40))' on device '\(Sanitize.inline(link.deviceID ?? "", limit: 40))', which belonged to user '\(Sanitize.inline(link.other ?? "", limit: 40))': Amplitude makes a new user, and the two are never merged (if this is the same person, keep one user_id; if the first user logged out, reset the device_id too)")
    }
}
