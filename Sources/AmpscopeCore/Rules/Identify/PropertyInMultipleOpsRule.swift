/// One property under two operations of one identify. The SDKs keep only the first operation
/// on a property and drop the rest; a hand-built payload reaches Amplitude, which applies
/// operations in its own fixed order, not in payload order.
public struct PropertyInMultipleOpsRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.propertyInMultipleOps, severity: .warning, scope: .identify,
                               summary: "One property is the target of two operations in the same identify.") }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        let doc = e.doc
        IdentifyTargets.forEachMap(e) { field, obj in
            // (property key tape index, its operation) seen so far; compared by bytes, no Strings.
            var seen: [(key: Int, op: IdentifyOperation)] = []
            for (k, v) in doc.members(obj) {
                guard let op = IdentifyOperation.classify(doc, k), op != .clearAll, doc.kind(v) == .object else { continue }
                for (pk, _) in doc.members(v) {
                    let earlier = doc.withStringBytes(pk) { name in seen.first { doc.stringEquals($0.key, name) }?.op }
                    guard let earlier else {
                        seen.append((pk, op))
                        continue
                    }
                    let prop = doc.string(pk)
                    let order = IdentifyOperation.serverOrder
                    let firstApplied = order.firstIndex(of: earlier)! <= order.firstIndex(of: op)! ? earlier : op
                    out.add(info, e.path(field.wireName) + "/" + JSONPointer.escape(op.rawValue) + "/" + JSONPointer.escape(prop), event: e.index,
                            "'\(Sanitize.inline(prop, limit: 40))' is in both \(earlier.rawValue) and \(op.rawValue). The SDKs apply only the first operation on a property; Amplitude applies \(firstApplied.rawValue) first and then the other, whatever the payload order")
                }
            }
        }
    }
}
