/// An identify that changes nothing. The Python SDK refuses to send one
/// ("Empty identify properties"), so seeing it on the wire means a hand-built payload.
public struct EmptyIdentifyRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.emptyIdentify, severity: .warning, scope: .identify,
                               summary: "An identify has no user properties (or only empty operations) and changes nothing.") }
    public init() {}

    static let bookkeeping: Set<EventField> = [.userID, .deviceID, .eventType, .time, .insertID, .library, .eventID, .sessionID, .userProperties, .plan, .ingestionMetadata, .sequenceNumber, .uuid, .timestamp, .apiProperties, .eventProperties]

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, e.isIdentify else { return }
        let doc = e.doc
        if let up = e[.userProperties], doc.kind(up) == .object {
            var anything = false
            for (k, v) in doc.members(up) {
                let isOp = IdentifyOperation.classify(doc, k) != nil
                if !isOp || doc.kind(v) != .object || doc.count(v) > 0 || doc.keyEquals(k, "$clearAll") { anything = true; break }
            }
            if anything { return }
            out.add(info, e.path(.userProperties), event: e.index, "this identify's operations are all empty; it changes nothing")
            return
        }
        if e.kind == .identification {
            // /identify may update device fields (platform, country...) without user_properties.
            for f in EventField.allCases where e.value(f) != nil && !Self.bookkeeping.contains(f) { return }
        }
        out.add(info, e.path(.userProperties), event: e.index, "this identify has no user_properties; it changes nothing")
    }
}
