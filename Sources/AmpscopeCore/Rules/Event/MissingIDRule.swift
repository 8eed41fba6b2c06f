/// Events and identifications need a `user_id` or a `device_id`.
public struct MissingIDRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.missingID, severity: .error, scope: .event,
                               summary: "A record has neither `user_id` nor `device_id`.", effect: .eventMissingField) }
    public init() {}

    static func present(_ e: RecordFacts, _ f: EventField) -> Bool {
        guard let i = e[f] else { return false }
        switch e.doc.kind(i) {
        case .null: return false
        case .string: return e.doc.stringSourceLength(i) > 0
        default: return true  // wrong type: id-not-string reports it
        }
    }

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, e.kind == .event || e.kind == .legacyEvent || e.kind == .identification else { return }
        if e.isGroupIdentify { return }  // a $groupidentify event needs groups, not ids (group-identify-incomplete)
        guard !Self.present(e, .userID) && !Self.present(e, .deviceID) else { return }
        var hint = ""
        for k in e.unknownKeys {
            let name = e.doc.string(k)
            if ["userId", "deviceId", "userID", "deviceID", "user", "uid", "anonymousId", "anonymous_id"].contains(name) {
                hint = "; it has '\(name)', but Amplitude reads only 'user_id' and 'device_id'"
                break
            }
        }
        out.add(info, e.path(.userID), event: e.index,
                "\(e.kind == .identification ? "identification" : "event") \(e.index) has neither user_id nor device_id\(hint)")
    }
}
