/// HTTP V2 (`POST /2/httpapi`) and Batch (`POST /batch`) bodies: `{"api_key", "events", "options"}`.
///
/// Unknown top-level keys (`client_upload_time`, `request_metadata`) are kept in the view and
/// tolerated. `text/plain` bodies (the browser's `sendBeacon`) decode the same way.
public struct HTTPV2Decoder: WireDecoder {
    public let id = "http-v2"
    public let endpoints: [Endpoint] = [.httpV2, .batch]

    public init() {}

    public func decode(_ input: DecoderInput) -> DecodedRequest {
        var r = DecodedRequest(endpoint: input.endpoint, pathPrefix: input.pathPrefix, decoder: id, body: input.body,
                               wireBodySize: input.capture.body.count, recordKind: .event)
        Self.decodeJSONBody(into: &r, parsed: input.parsedBody)
        return r
    }

    /// Shared with decoders that fall back to a JSON body: parses `r.body` and finds the parts.
    /// `parsed`: the body already parsed (its bytes are `r.body`), or nil to parse it here.
    static func decodeJSONBody(into r: inout DecodedRequest, parsed: JSONDocument? = nil) {
        if r.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            r.problem(RuleID.bodyNotJSON, "the request body is empty; Amplitude answers 'Missing request body'")
            return
        }
        let doc: JSONDocument
        switch DecoderInput.document(r.body, parsed: parsed) {
        case .success(let d): doc = d
        case .failure(let error):
            r.problem(RuleID.bodyNotJSON, "the body is not valid JSON (\(error.description))")
            return
        }
        guard doc.kind(doc.root) == .object else {
            r.document = doc
            r.problem(RuleID.bodyNotJSON, "the body must be a JSON object with api_key and events, but it is \(doc.kind(doc.root))")
            return
        }
        r.document = doc
        let root = doc.root
        if let k = doc.member(root, "api_key"), doc.kind(k) == .string { r.apiKey = doc.string(k) }
        if let e = doc.member(root, "events"), doc.kind(e) == .array {
            r.recordsNode = e
            r.records = Array(doc.elements(e))
        }
        if let o = doc.member(root, "options"), doc.kind(o) == .object { r.readOptions(doc, o) }
    }
}
