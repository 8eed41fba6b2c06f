/// A user_id that is the text of a null lumps every device that sends it into one user
/// (`profiles-and-plans.md` §A3 "Edge cases": `"None"` "lumps all such users into one").
/// Amplitude rejects some spellings outright (`reserved-id`); this rule reports the ones that
/// got through, each time another device joins the lumped user.
public struct LiteralNullUserIDRule: ProfileRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.literalNullUserID, severity: .warning, scope: .profile,
                               summary: "user_id is the text of a null (\"None\", \"null\", \"undefined\"): every such device becomes one user.") }
    public init() {}

    public func check(_ e: ProfileEventFacts, _ out: inout FindingSink) {
        guard e.userIDIsLiteralNull, let uid = e.userID, let kind = e.linkKind else { return }
        switch kind {
        case .newUser, .loggedIn, .deviceJoined, .newUserOnDevice, .merged: break
        default: return
        }
        out.add(info, e.path(.userID), event: e.recordIndex,
                "user_id '\(Sanitize.inline(uid, limit: 20))' is a null written as text (Python's str(None), JavaScript's String(undefined)): every device that sends it joins one Amplitude user; send no user_id until the user is known")
    }
}
