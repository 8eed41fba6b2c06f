/// A group identify names one group (type and value) and the properties to apply to it.
public struct GroupIdentifyIncompleteRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.groupIdentifyIncomplete, severity: .error, scope: .identify,
                               summary: "A group identify lacks its group (type/value) or its group_properties.") }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, e.isGroupIdentify else { return }
        let doc = e.doc
        if e.kind == .groupIdentification {
            for f in [EventField.groupType, .groupValue] where (e.string(f) ?? "").isEmpty && (e[f].map { doc.kind($0) != .number } ?? true) {
                out.add(info, e.path(f), event: e.index, "group identification \(e.index) has no \(f.wireName)")
            }
        } else {
            if let g = e[.groups], doc.kind(g) == .object, doc.count(g) > 0 {
                // fine
            } else {
                out.add(info, e.path(.groups), event: e.index, "$groupidentify event without groups: Amplitude cannot tell which group to update (send {\"groups\": {\"org\": \"acme\"}})")
            }
        }
        if let gp = e[.groupProperties], doc.kind(gp) == .object, doc.count(gp) > 0 { return }
        out.add(info, e.path(.groupProperties), event: e.index, "group identify without group_properties: it changes nothing (the Python SDK logs 'Empty group identify properties')")
    }
}
