/// `$clearAll` on its own: legal, and worth seeing, because it wipes the user's profile.
public struct ClearAllRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.clearAll, severity: .info, scope: .identify,
                               summary: "$clearAll removes every user property of the user.") }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        let doc = e.doc
        IdentifyTargets.forEachMap(e) { field, obj in
            guard doc.member(obj, "$clearAll") != nil, doc.count(obj) == 1 else { return }
            let who = e.string(.userID).map { "user '\(Sanitize.inline($0, limit: 40))'" } ?? e.string(.deviceID).map { "device '\(Sanitize.inline($0, limit: 40))'" } ?? "this user"
            out.add(info, e.path(field.wireName) + "/$clearAll", event: e.index, "$clearAll removes every user property of \(who)")
        }
    }
}
