/// Amplitude's docs: operations and plain top-level properties cannot be mixed in one object;
/// put plain values inside `$set`. Segment's destination produces such objects.
public struct MixedUserPropertiesRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.mixedUserProperties, severity: .warning, scope: .identify,
                               summary: "Plain properties sit beside $set/$setOnce/... operations in one user_properties object.") }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        let doc = e.doc
        IdentifyTargets.forEachMap(e) { field, obj in
            // One pass: any operation key, and the plain (non-'$') keys.
            var hasOperation = false
            var firstPlain: Int?
            var plainCount = 0
            for (k, _) in doc.members(obj) {
                if doc.stringStarts(k, with: UInt8(ascii: "$")) {
                    if !hasOperation && IdentifyOperation.classify(doc, k) != nil { hasOperation = true }
                } else {
                    plainCount += 1
                    if firstPlain == nil { firstPlain = k }
                }
            }
            guard hasOperation, let first = firstPlain else { return }
            var plain: [String] = []
            for (k, _) in doc.members(obj) where !doc.stringStarts(k, with: UInt8(ascii: "$")) && plain.count < 3 {
                plain.append(doc.string(k))
            }
            let list = plain.map { "'\(Sanitize.inline($0, limit: 30))'" }.joined(separator: ", ") + (plainCount > 3 ? " and \(plainCount - 3) more" : "")
            out.add(info, e.path(field.wireName) + "/" + JSONPointer.escape(doc.string(first)), event: e.index,
                    "\(list) sit\(plainCount == 1 ? "s" : "") beside operations in \(field.wireName); Amplitude's docs say not to mix them: move \(plainCount == 1 ? "it" : "them") into $set")
        }
    }
}
