/// `$add` increments a number; anything else cannot be added.
public struct AddNonNumericRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.addNonNumeric, severity: .error, scope: .identify,
                               summary: "A $add value is not a number, so nothing is added.") }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        let doc = e.doc
        IdentifyTargets.forEachMap(e) { field, obj in
            guard let add = doc.member(obj, "$add"), doc.kind(add) == .object else { return }
            for (k, v) in doc.members(add) {
                switch doc.kind(v) {
                case .number:
                    continue
                case .string where Double(doc.string(v).trimmingASCIISpaces) != nil:
                    let name = doc.string(k)
                    out.add(info, e.path(field.wireName) + "/$add/" + JSONPointer.escape(name), event: e.index, severity: .warning,
                            "$add '\(Sanitize.inline(name, limit: 30))' is the numeric string \"\(Sanitize.inline(doc.string(v), limit: 20))\"; send a number (amplitude-js accepts strings, the newer SDKs do not)")
                default:
                    let name = doc.string(k)
                    out.add(info, e.path(field.wireName) + "/$add/" + JSONPointer.escape(name), event: e.index,
                            "$add '\(Sanitize.inline(name, limit: 30))' is \(doc.kind(v)); $add needs a number, so nothing is added")
                }
            }
        }
    }
}
