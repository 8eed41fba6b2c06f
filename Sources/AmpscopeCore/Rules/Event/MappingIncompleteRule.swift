/// A `/usermap` mapping needs `user_id`, and `global_user_id` unless `unmap` is true.
public struct MappingIncompleteRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.mappingIncomplete, severity: .error, scope: .event,
                               summary: "A user mapping lacks user_id, or global_user_id without unmap.", effect: .eventMissingField) }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, e.kind == .mapping else { return }
        if e.string(.userID).map({ $0.isEmpty }) ?? true, e[.userID].map({ e.doc.kind($0) == .string || e.doc.kind($0) == .null }) ?? true {
            out.add(info, e.path(.userID), event: e.index, "mapping \(e.index) has no user_id")
        }
        let unmap = e[.unmap].map { e.doc.kind($0) == .true } ?? false
        if unmap {
            if e.value(.globalUserID) != nil {
                out.add(info, e.path(.globalUserID), event: e.index, severity: .warning, "mapping \(e.index) has unmap: true, so its global_user_id is ignored")
            }
        } else if e.string(.globalUserID).map({ $0.isEmpty }) ?? true, e[.globalUserID].map({ e.doc.kind($0) != .number }) ?? true {
            out.add(info, e.path(.globalUserID), event: e.index, "mapping \(e.index) has no global_user_id (required unless \"unmap\": true)")
        }
    }
}
