/// The record list must be present and an array (`events`, `identification`, `mapping`, `e`).
public struct MissingEventsRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.missingEvents, severity: .error, scope: .request,
                               summary: "The request has no list of events (identifications, mappings), or it has the wrong type.",
                               effect: .missingRequestField("events")) }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard let doc = r.document, doc.kind(doc.root) == .object, r.endpoint != .unknown else { return }
        let field = String(r.recordsPointer.dropFirst())
        guard let node = doc.member(doc.root, named: field) else {
            // An HTTP API V1 form at `/`: wrong-endpoint says what was meant.
            if r.endpoint == .legacy, LegacyUploadDecoder.misroutedForm(r.formFields) == .httpAPIV1 { return }
            var hint = ""
            for (k, _) in doc.members(doc.root) {
                let name = doc.string(k)
                if name != field && name.asciiLowercased == field {
                    hint = "; found '\(Sanitize.inline(name))', but the key is case-sensitive"
                    break
                }
                if field == "events" && (name == "event" || name == "data" || name == "batch") {
                    hint = "; found '\(name)', but Amplitude reads only 'events'"
                }
            }
            out.add(info, r.recordsPointer, "the request has no '\(field)'\(hint)")
            return
        }
        switch doc.kind(node) {
        case .array:
            if r.records.isEmpty {
                out.add(info, r.recordsPointer, severity: .warning,
                        "'\(field)' is an empty array: the request carries nothing for Amplitude to ingest")
            }
        case .object where r.recordsIsSingleObject:
            break  // /identify and /usermap accept one object
        case .null:
            out.add(info, r.recordsPointer, "'\(field)' is null, which Amplitude reads as no '\(field)'")
        default:
            out.add(info, r.recordsPointer, "'\(field)' must be an array of objects, but it is \(doc.kind(node))")
        }
    }
}
