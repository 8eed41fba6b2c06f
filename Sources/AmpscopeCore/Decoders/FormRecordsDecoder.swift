/// `/identify`, `/groupidentify`, `/usermap` and V1 `/httpapi`: form fields `api_key` plus a JSON-valued record
/// field (`identification` or `mapping`, one object or an array) and optional `options`.
///
/// Fields may come in the query string (GET, as the docs allow), in an
/// `application/x-www-form-urlencoded` body, or both. `options` may be JSON or the literal
/// `undefined` that Segment's destination sends. A hand-written client that posts the same
/// keys as a JSON object is decoded too (the `content-type` rule says it is wrong).
public struct FormRecordsDecoder: WireDecoder {
    public let id: String
    public let endpoints: [Endpoint]
    /// Name of the form field holding the records.
    public let recordField: String
    public let recordKind: RecordKind

    public static let identify = FormRecordsDecoder(id: "identify-form", endpoint: .identify,
                                                    recordField: "identification", recordKind: .identification)
    public static let groupIdentify = FormRecordsDecoder(id: "groupidentify-form", endpoint: .groupIdentify,
                                                         recordField: "identification", recordKind: .groupIdentification)
    public static let usermap = FormRecordsDecoder(id: "usermap-form", endpoint: .usermap,
                                                   recordField: "mapping", recordKind: .mapping)
    /// Amplitude's deprecated HTTP API V1 (`/httpapi`): `api_key` and `event` (one event or an array).
    public static let httpV1 = FormRecordsDecoder(id: "httpapi-v1-form", endpoint: .httpV1,
                                                  recordField: "event", recordKind: .event)

    init(id: String, endpoint: Endpoint, recordField: String, recordKind: RecordKind) {
        self.id = id
        self.endpoints = [endpoint]
        self.recordField = recordField
        self.recordKind = recordKind
    }

    public func decode(_ input: DecoderInput) -> DecodedRequest {
        var r = DecodedRequest(endpoint: input.endpoint, pathPrefix: input.pathPrefix, decoder: id, body: input.body,
                               wireBodySize: input.capture.body.count, recordKind: recordKind)
        r.recordsPointer = "/" + recordField
        let contentType = input.capture.header("Content-Type")?.asciiLowercased ?? ""
        if contentType.contains("json") || (contentType.isEmpty && LegacyUploadDecoder.looksLikeJSONObject(input.body)) {
            decodeJSONView(&r)
            return r
        }
        if contentType.hasPrefix("multipart/") {
            r.problem(RuleID.formEncoding, "multipart/form-data bodies are not decoded by ampscope yet; send application/x-www-form-urlencoded (as the SDKs do)")
            return r
        }
        var fields: [(name: String, value: String)] = []
        for (part, where_) in [(Array(input.capture.query.utf8), "query string"), (input.body, "body")] where !part.isEmpty {
            let parsed = FormEncoding.parse(part)
            if let p = parsed.problem {
                r.problem(RuleID.formEncoding, "the \(where_) is not valid form encoding: \(p.reason)")
            }
            fields += parsed.fields
        }
        r.formFields = fields
        FormView.build(&r, jsonFields: [recordField, "options"])
        locateParts(&r)
        return r
    }

    private func decodeJSONView(_ r: inout DecodedRequest) {
        do {
            r.document = try JSONDocument(parsing: r.body)
        } catch {
            r.problem(RuleID.bodyNotJSON, "the body is not valid JSON (\(error.description))")
            return
        }
        guard let doc = r.document, doc.kind(doc.root) == .object else {
            r.problem(RuleID.bodyNotJSON, "the body must be a JSON object or form fields")
            return
        }
        locateParts(&r)
    }

    /// Finds the API key, records and options in the view.
    private func locateParts(_ r: inout DecodedRequest) {
        guard let doc = r.document else { return }
        if let k = doc.member(doc.root, "api_key"), doc.kind(k) == .string { r.apiKey = doc.string(k) }
        if let rec = doc.member(doc.root, named: recordField) {
            switch doc.kind(rec) {
            case .array:
                r.recordsNode = rec
                r.records = Array(doc.elements(rec))
            case .object:
                r.recordsNode = rec
                r.records = [rec]
                r.recordsIsSingleObject = true
            default:
                break
            }
        }
        if let o = doc.member(doc.root, "options"), doc.kind(o) == .object { r.readOptions(doc, o) }
    }
}

/// Builds the JSON view of a form request: one member per field name (first occurrence),
/// JSON-valued fields embedded as JSON when they parse, strings otherwise.
enum FormView {
    static func build(_ r: inout DecodedRequest, jsonFields: Set<String>) {
        var w = JSONWriter()
        w.beginObject()
        var seen = Set<String>()
        for (name, value) in r.formFields where !seen.contains(name) {
            seen.insert(name)
            w.key(name)
            if jsonFields.contains(name) {
                let bytes = Array(value.utf8)
                if name == "options" && value == "undefined" {
                    w.string(value)
                    continue
                }
                do {
                    _ = try JSONDocument(parsing: bytes)
                    w.raw(bytes)
                } catch {
                    w.string(value)
                    r.problem(RuleID.bodyNotJSON, "form field '\(name)' is not valid JSON (\(error.description))",
                              path: "/" + JSONPointer.escape(name))
                }
            } else {
                w.string(value)
            }
        }
        w.endObject()
        r.document = try? JSONDocument(parsing: w.bytes)
    }
}
