/// `options` is an object; its only documented key is `min_id_length`, a positive integer.
public struct InvalidOptionsRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.invalidOptions, severity: .warning, scope: .request,
                               summary: "`options` is not an object, or `min_id_length` is not a positive integer.") }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard let doc = r.document, doc.kind(doc.root) == .object, let o = doc.member(doc.root, "options") else { return }
        switch doc.kind(o) {
        case .object:
            for (k, v) in doc.members(o) {
                if doc.keyEquals(k, "min_id_length") {
                    if doc.int64(v) == nil || doc.int64(v)! < 1 {
                        let shown = doc.kind(v) == .number ? doc.rawText(v) : doc.kind(v).description
                        let d = context.settings.defaultMinIdLength
                        out.add(info, "/options/min_id_length", "min_id_length must be a positive integer, but it is \(Sanitize.inline(shown)), so it overrides nothing: the default minimum (\(d)) applies and ids shorter than \(d) characters are rejected; to accept shorter ids send a positive value such as 1")
                    }
                } else {
                    let name = doc.string(k)
                    let hint = name == "minIdLength" ? " (did you mean 'min_id_length'?)" : ""
                    out.add(info, "/options/" + JSONPointer.escape(name), "'\(Sanitize.inline(name))' is not an Amplitude option and is ignored\(hint)")
                }
            }
        case .string where doc.string(o) == "undefined":
            out.add(info, "/options", severity: .info, "options=undefined (sent by Segment's Amplitude destination when min_id_length is unset) is ignored")
        case .null:
            return
        default:
            out.add(info, "/options", "options must be an object like {\"min_id_length\": 5}, but it is \(doc.kind(o))")
        }
    }
}
