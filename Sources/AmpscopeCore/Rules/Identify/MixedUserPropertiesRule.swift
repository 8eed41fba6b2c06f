/// Amplitude's docs: operations and plain top-level properties cannot be mixed in one object;
/// put plain values inside `$set`. Segment's destination produces such objects.
public struct MixedUserPropertiesRule: RecordRule {
    public let info = RuleInfo(id: RuleID.mixedUserProperties, severity: .warning, scope: .identify,
                               summary: "Plain properties sit beside $set/$setOnce/... operations in one user_properties object.")
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        for (field, obj) in IdentifyTargets.maps(e) where IdentifyTargets.hasOperations(e.doc, obj) {
            var plain: [String] = []
            for (k, _) in e.doc.members(obj) {
                let name = e.doc.string(k)
                if !name.hasPrefix("$") { plain.append(name) }
            }
            guard let first = plain.first else { continue }
            let list = plain.prefix(3).map { "'\(Sanitize.inline($0, limit: 30))'" }.joined(separator: ", ") + (plain.count > 3 ? " and \(plain.count - 3) more" : "")
            out.add(info, e.path(field.wireName) + "/" + JSONPointer.escape(first), event: e.index,
                    "\(list) sit\(plain.count == 1 ? "s" : "") beside operations in \(field.wireName); Amplitude's docs say not to mix them: move \(plain.count == 1 ? "it" : "them") into $set")
        }
    }
}
