/// Settings that change how captures are decoded.
public struct DecodeOptions: Sendable, Equatable {
    /// Hard cap on a decompressed body (gzip bomb guard). Above the largest Amplitude limit
    /// (20 MB for `/batch`) so `payload-too-large` can still be reported precisely.
    public var maxDecompressedBytes: Int
    /// Decode every capture as this endpoint, whatever its path (`check --endpoint`).
    public var endpointOverride: Endpoint?
    /// Paths that mean the amplitude-js legacy upload (`/` by default).
    public var legacyPaths: [String]

    public init(maxDecompressedBytes: Int = 32 << 20, endpointOverride: Endpoint? = nil, legacyPaths: [String] = ["/"]) {
        self.maxDecompressedBytes = maxDecompressedBytes
        self.endpointOverride = endpointOverride
        self.legacyPaths = legacyPaths
    }
}

/// What a decoder gets: the capture, its routed endpoint and the content-decoded body.
public struct DecoderInput: Sendable {
    public var capture: Capture
    public var endpoint: Endpoint
    public var pathPrefix: String
    /// Body after `Content-Encoding` was undone.
    public var body: [UInt8]
    /// `body` already parsed (a capture line that held it as embedded JSON), or nil: JSON
    /// decoders use it instead of parsing again. Its bytes are exactly `body`.
    public var parsedBody: JSONDocument? = nil

    /// `body` as a document: `parsed` when there is one (its bytes are `body`), else parsed here.
    static func document(_ body: [UInt8], parsed: JSONDocument?) -> Result<JSONDocument, JSONParseError> {
        if let parsed { return .success(parsed) }
        do { return .success(try JSONDocument(parsing: body)) } catch { return .failure(error) }
    }
}

/// Turns the body of one kind of Amplitude request into a `DecodedRequest`.
///
/// Decoders only recover structure (where the API key, the options and the records are);
/// judging that structure is the rules' job.
public protocol WireDecoder: Sendable {
    /// Stable id, shown in the Request pane and in JSON reports.
    var id: String { get }
    /// Endpoints this decoder handles.
    var endpoints: [Endpoint] { get }
    func decode(_ input: DecoderInput) -> DecodedRequest
}

/// All wire decoders, and the one entry point that routes a capture to the right one.
public struct DecoderRegistry: Sendable {
    public let decoders: [any WireDecoder]

    public init(_ decoders: [any WireDecoder]) { self.decoders = decoders }

    /// Every format ampscope understands.
    public static let standard = DecoderRegistry([
        HTTPV2Decoder(),
        FormRecordsDecoder.identify,
        FormRecordsDecoder.groupIdentify,
        FormRecordsDecoder.usermap,
        FormRecordsDecoder.httpV1,
        SegmentDecoder(),
        LegacyUploadDecoder(),
        UnknownEndpointDecoder(),
    ])

    public func decoder(for endpoint: Endpoint) -> any WireDecoder {
        decoders.first { $0.endpoints.contains(endpoint) } ?? UnknownEndpointDecoder()
    }

    /// Decodes one capture. Never throws: every problem becomes a located finding.
    /// `parsedBody` is the body already parsed (its bytes must be `capture.body`); it is used
    /// when no content encoding has to be undone first.
    public func decode(_ capture: Capture, options: DecodeOptions = DecodeOptions(), parsedBody: JSONDocument? = nil) -> DecodedRequest {
        var r = decodeBody(capture, options: options, parsedBody: parsedBody)
        r.method = capture.method
        r.headers = capture.headers
        r.redaction = capture.redaction
        return r
    }

    private func decodeBody(_ capture: Capture, options: DecodeOptions, parsedBody: JSONDocument?) -> DecodedRequest {
        var (endpoint, prefix) = Endpoint.route(path: capture.path, legacyPaths: options.legacyPaths)
        if let forced = options.endpointOverride { (endpoint, prefix) = (forced, "") }
        let variant = options.endpointOverride == nil
            ? Endpoint.variantProblem(path: capture.path, endpoint: endpoint, prefix: prefix) : nil

        // Undo Content-Encoding first: every format sees plain bytes.
        let encoding = capture.header("Content-Encoding")?.asciiLowercased.trimmingASCIISpaces ?? ""
        var body = capture.body
        var encodingProblem: String?
        switch encoding {
        case "", "identity":
            // Some clients gzip without saying so; accept it, but say so.
            if Inflate.looksGzipped(body) {
                switch Inflate.gunzip(body, limit: options.maxDecompressedBytes) {
                case .success(let plain):
                    body = plain
                    encodingProblem = "body is gzip-compressed but has no 'Content-Encoding: gzip' header"
                case .failure(let e):
                    // The gzip magic is neither JSON nor form text: say what is wrong with the
                    // compressed data (a bomb stops at the cap like a declared gzip body).
                    return failedEncoding(capture, endpoint, prefix,
                                          "the body starts with the gzip signature but has no 'Content-Encoding: gzip' header, and it cannot be expanded: \(e.description)",
                                          tooLarge: e.isTooLarge)
                }
            }
        case "gzip", "x-gzip":
            switch Inflate.gunzip(body, limit: options.maxDecompressedBytes) {
            case .success(let plain): body = plain
            case .failure(let e): return failedEncoding(capture, endpoint, prefix, e.description, tooLarge: e.isTooLarge)
            }
        case "deflate":
            switch Inflate.inflateDeflate(body, limit: options.maxDecompressedBytes) {
            case .success(let plain): body = plain
            case .failure(let e): return failedEncoding(capture, endpoint, prefix, e.description, tooLarge: e.isTooLarge)
            }
        default:
            return failedEncoding(capture, endpoint, prefix, "unsupported Content-Encoding '\(Sanitize.inline(encoding))' (ampscope understands gzip and deflate)", tooLarge: false)
        }

        // A JSON body sent to the legacy root is almost always an SDK whose server URL lacks
        // the /2/httpapi path: decode it as HTTP V2 so the user sees the events, and say so.
        var misrouted = false
        if endpoint == .legacy && options.endpointOverride == nil && LegacyUploadDecoder.looksLikeJSONObject(body) {
            endpoint = .httpV2
            misrouted = true
        }
        // Another API's form posted to `/`: a client configured with the bare host.
        var misroutedForm: LegacyUploadDecoder.MisroutedForm?
        if endpoint == .legacy && options.endpointOverride == nil && !misrouted
            && !Self.contains(body, "client=") && !Self.contains(Array(capture.query.utf8), "client=") {
            let fields = FormEncoding.parse(Array(capture.query.utf8)).fields + FormEncoding.parse(body).fields
            misroutedForm = LegacyUploadDecoder.misroutedForm(fields)
            if case .decodable(let intended) = misroutedForm { endpoint = intended }
        }
        var input = DecoderInput(capture: capture, endpoint: endpoint, pathPrefix: prefix, body: body)
        if let parsedBody, (encoding == "" || encoding == "identity") && encodingProblem == nil && parsedBody.bytes == body {
            input.parsedBody = parsedBody
        }
        var decoded = decoder(for: endpoint).decode(input)
        let path = Sanitize.inline(capture.path)
        if misrouted {
            decoded.problem(RuleID.wrongEndpoint,
                            "JSON events were posted to '\(path)', which is amplitude-js's legacy form endpoint; point the SDK's server URL at /2/httpapi (decoded here as HTTP V2)",
                            severity: .warning)
        }
        switch misroutedForm {
        case .decodable(let intended):
            decoded.problem(RuleID.wrongEndpoint,
                            "form fields api_key and \(decoded.recordsPointer.dropFirst()) were posted to '\(path)', amplitude-js's upload path, which reads only client and e; add \(intended.rawValue) to the client's URL (decoded here as \(intended.rawValue))",
                            severity: .warning)
        case .httpAPIV1:
            decoded.problem(RuleID.wrongEndpoint,
                            "form fields api_key and event are the HTTP API V1's (POST /httpapi), but they were posted to '\(path)', amplitude-js's upload path, which reads its key from client and its events from e; Amplitude's '/' finds no client here and answers 'invalid_api_key'. Add /httpapi to the client's URL (or move to /2/httpapi)",
                            path: "/client")
        case nil:
            break
        }
        if let variant { decoded.problem(RuleID.pathVariant, variant, severity: .warning) }
        if let encodingProblem {
            decoded.problem(RuleID.bodyEncoding, encodingProblem, severity: .warning)
        }
        return decoded
    }

    /// True when `needle` occurs in `hay` (a cheap test before parsing a form).
    static func contains(_ hay: [UInt8], _ needle: StaticString) -> Bool {
        let n = Array(UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount))
        guard hay.count >= n.count else { return false }
        var i = 0
        while i + n.count <= hay.count {
            if hay[i] == n[0] && hay[i..<i + n.count].elementsEqual(n) { return true }
            i += 1
        }
        return false
    }

    private func failedEncoding(_ capture: Capture, _ endpoint: Endpoint, _ prefix: String, _ message: String, tooLarge: Bool) -> DecodedRequest {
        var r = DecodedRequest(endpoint: endpoint, pathPrefix: prefix, decoder: "content-encoding", body: [],
                               wireBodySize: capture.body.count, recordKind: .event)
        r.problem(tooLarge ? RuleID.payloadTooLarge : RuleID.bodyEncoding, message)
        return r
    }
}

extension InflateError {
    var isTooLarge: Bool { if case .tooLarge = self { return true } else { return false } }
}

extension String {
    /// Trims ASCII spaces and tabs.
    public var trimmingASCIISpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
