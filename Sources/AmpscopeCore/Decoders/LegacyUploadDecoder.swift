/// amplitude-js 8.x upload: `POST /` with form fields `checksum`, `client` (the API key),
/// `e` (a JSON array of events), `upload_time` and `v` (`2`).
///
/// The view is `{"client": …, "e": […], "upload_time": …, "v": …, "checksum": …}`, so findings
/// point at `/e/0/user_id`. Legacy events use `timestamp`, `uuid`, `sequence_number`, a
/// `library` object and `api_properties`; the rules know these names.
public struct LegacyUploadDecoder: WireDecoder {
    public let id = "amplitude-js-form"
    public let endpoints: [Endpoint] = [.legacy]

    public init() {}

    public func decode(_ input: DecoderInput) -> DecodedRequest {
        var r = DecodedRequest(endpoint: .legacy, pathPrefix: input.pathPrefix, decoder: id, body: input.body,
                               wireBodySize: input.capture.body.count, recordKind: .legacyEvent)
        r.apiKeyPointer = "/client"
        r.recordsPointer = "/e"
        var fields: [(name: String, value: String)] = []
        for (part, where_) in [(Array(input.capture.query.utf8), "query string"), (input.body, "body")] where !part.isEmpty {
            let parsed = FormEncoding.parse(part)
            if let p = parsed.problem {
                r.problem(RuleID.formEncoding, "the \(where_) is not valid form encoding: \(p.reason)")
            }
            fields += parsed.fields
        }
        r.formFields = fields
        FormView.build(&r, jsonFields: ["e"])
        guard let doc = r.document else { return r }
        if let k = doc.member(doc.root, "client"), doc.kind(k) == .string { r.apiKey = doc.string(k) }
        if let e = doc.member(doc.root, "e"), doc.kind(e) == .array {
            r.recordsNode = e
            r.records = Array(doc.elements(e))
        }
        return r
    }

    /// What a form posted to `/` without amplitude-js's `client` field was meant for, judged by
    /// its field names: another Amplitude API whose client has only the host as its URL.
    public enum MisroutedForm: Equatable, Sendable {
        /// `api_key` + `identification` (or `mapping`): an API ampscope decodes.
        case decodable(Endpoint)
        /// `api_key` + `event`: the HTTP API V1 (`POST /httpapi`).
        case httpAPIV1
    }

    /// Recognises the form of another API posted to `/` (nil when it has `client`, or is not one).
    public static func misroutedForm(_ fields: [(name: String, value: String)]) -> MisroutedForm? {
        func has(_ n: String) -> Bool { fields.contains { $0.name == n } }
        guard !has("client"), has("api_key") else { return nil }
        if let ident = fields.first(where: { $0.name == "identification" }) {
            return .decodable(ident.value.contains("\"group_type\"") ? .groupIdentify : .identify)
        }
        if has("mapping") { return .decodable(.usermap) }
        if has("event") { return .httpAPIV1 }
        return nil
    }

    /// True when the first non-blank byte is `{` (a JSON object, not a form).
    public static func looksLikeJSONObject(_ body: [UInt8]) -> Bool {
        for b in body {
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { continue }
            return b == UInt8(ascii: "{")
        }
        return false
    }
}
