import Foundation

/// Segment's Tracking API (`/v1/track`, `/v1/batch`, the short paths `/v1/t`…, `/v1/import`):
/// one call object, or a batch envelope `{"batch":[…], "context", "integrations", "writeKey"}`.
///
/// The body is JSON whatever the Content-Type (browsers send `text/plain`, segment-wire.md §1
/// "Authentication"). The write key is `writeKey` in the body, else the user of an HTTP Basic
/// `Authorization` header. The records are the calls; the `segment-*` rules judge them and the
/// mapper turns each into the Amplitude requests a destination would send.
public struct SegmentDecoder: WireDecoder {
    public let id = "segment"
    public let endpoints: [Endpoint] = [.segment]

    public init() {}

    public func decode(_ input: DecoderInput) -> DecodedRequest {
        var r = DecodedRequest(endpoint: .segment, pathPrefix: input.pathPrefix, decoder: id, body: input.body,
                               wireBodySize: input.capture.body.count, recordKind: .segmentCall)
        r.apiKeyPointer = "/writeKey"
        r.recordsPointer = ""
        r.recordsIsSingleObject = true
        let path = SegmentPath.parse(input.capture.path.asciiLowercased)
        var info = SegmentRequestInfo(path: path, isBatch: path?.isBatch ?? false, writeKeySource: .none)
        decodeBody(input, &r, &info)
        r.segment = info
        return r
    }

    private func decodeBody(_ input: DecoderInput, _ r: inout DecodedRequest, _ info: inout SegmentRequestInfo) {
        let path = info.path
        if r.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            r.problem(RuleID.bodyNotJSON, "the request body is empty; Segment answers 400 (malformed JSON)")
            info.writeKeySource = Self.basicAuthUser(input.capture) != nil ? .basicAuth : .none
            return
        }
        let doc: JSONDocument
        switch DecoderInput.document(r.body, parsed: input.parsedBody) {
        case .success(let d): doc = d
        case .failure(let error):
            r.problem(RuleID.bodyNotJSON, "the body is not valid JSON (\(error.description)); Segment answers 400 and drops the whole request")
            return
        }
        r.document = doc
        guard doc.kind(doc.root) == .object else {
            r.problem(RuleID.bodyNotJSON, "a Segment body must be a JSON object (one call or {\"batch\":[…]}), but it is \(doc.kind(doc.root)); Segment answers 400")
            return
        }
        let root = doc.root
        // Without a Segment path (a raw body, `--endpoint segment`) the body says which it is.
        if path == nil { info.isBatch = doc.member(root, "batch") != nil }
        if info.isBatch {
            r.recordsPointer = "/batch"
            r.recordsIsSingleObject = false
            if let b = doc.member(root, "batch"), doc.kind(b) == .array {
                r.recordsNode = b
                r.records = Array(doc.elements(b))
            }
            if let c = doc.member(root, "context"), doc.kind(c) == .object { info.envelopeContext = c }
            if let i = doc.member(root, "integrations"), doc.kind(i) == .object { info.envelopeIntegrations = i }
        } else {
            r.recordsNode = root
            r.records = [root]
        }
        if let k = doc.member(root, "writeKey"), doc.kind(k) == .string, !doc.string(k).isEmpty {
            r.apiKey = doc.string(k)
            info.writeKeySource = .body
        } else if let user = Self.basicAuthUser(input.capture), !user.isEmpty {
            r.apiKey = user
            r.apiKeyPointer = ""
            info.writeKeySource = .basicAuth
        }
    }

    /// The user of an `Authorization: Basic base64(user:password)` header (Segment's write key).
    public static func basicAuthUser(_ capture: Capture) -> String? {
        guard let auth = capture.header("Authorization")?.trimmingASCIISpaces,
              auth.utf8.count > 6, String(auth.prefix(6)).asciiLowercased == "basic " else { return nil }
        let encoded = String(auth.dropFirst(6)).trimmingASCIISpaces
        guard let data = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters),
              let text = String(data: data, encoding: .utf8) else { return nil }
        return text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
    }
}
