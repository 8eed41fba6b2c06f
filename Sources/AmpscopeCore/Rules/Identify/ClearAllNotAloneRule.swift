/// `$clearAll` must travel on its own identify: the SDKs refuse to combine it with other
/// operations, but a raw HTTP caller is not stopped.
public struct ClearAllNotAloneRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.clearAllNotAlone, severity: .warning, scope: .identify,
                               summary: "$clearAll is combined with other operations or properties in one identify.") }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        let doc = e.doc
        IdentifyTargets.forEachMap(e) { field, obj in
            guard doc.member(obj, "$clearAll") != nil else { return }
            let others = doc.members(obj).map { doc.string($0.key) }.filter { $0 != "$clearAll" }
            guard !others.isEmpty else { return }
            out.add(info, e.path(field.wireName) + "/$clearAll", event: e.index,
                    "$clearAll is sent together with \(others.prefix(3).map { Sanitize.inline($0, limit: 30) }.joined(separator: ", ")): the SDKs refuse this (\"send $clearAll on its own Identify\"); Amplitude clears all properties first, so the rest may not mean what you think")
        }
    }
}
