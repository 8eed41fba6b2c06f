/// Every Amplitude request names its project by API key (`api_key`, or `client` for amplitude-js).
public struct MissingAPIKeyRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.missingAPIKey, severity: .error, scope: .request,
                               summary: "The request has no API key (or it is not a non-empty string).",
                               effect: .missingRequestField("api_key")) }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard let doc = r.document, doc.kind(doc.root) == .object, r.endpoint != .unknown else { return }
        let field = String(r.apiKeyPointer.dropFirst())
        guard let k = doc.member(doc.root, named: field) else {
            // An HTTP API V1 form at `/`: wrong-endpoint says what was meant.
            if r.endpoint == .legacy, LegacyUploadDecoder.misroutedForm(r.formFields) == .httpAPIV1 { return }
            var hint = ""
            for alt in ["apiKey", "api-key", "apikey", "API_KEY", "key"] where doc.member(doc.root, named: alt) != nil {
                hint = "; found '\(alt)', but Amplitude reads only '\(field)'"
                break
            }
            out.add(info, r.apiKeyPointer, "the request has no '\(field)'\(hint)")
            return
        }
        if doc.kind(k) == .null {
            out.add(info, r.apiKeyPointer, "'\(field)' is null, which Amplitude reads as no key")
        } else if doc.kind(k) != .string {
            out.add(info, r.apiKeyPointer, "'\(field)' must be a string, but it is \(doc.kind(k))")
        } else if doc.string(k).trimmingASCIISpaces.isEmpty {
            out.add(info, r.apiKeyPointer, "'\(field)' is empty")
        }
    }
}
