/// Masks API keys (and other secrets) for the screen and for exports.
///
/// Masking keeps the first and last four characters and the length of an API key, so several
/// projects stay distinguishable (`0123************************cdef`) while the key itself does
/// not leak. Secret headers keep only their scheme word (`Basic ****`): the end of a base64
/// credential is the end of the secret.
public enum Redactor {
    public static func mask(_ key: String) -> String {
        // Keys are ASCII hex almost always: byte slicing gives the same result as characters,
        // without breaking the string into grapheme clusters (once per stored request).
        let utf8 = key.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) {
            let n = utf8.count
            guard n >= 12 else { return String(repeating: "*", count: max(4, n)) }
            return String(decoding: utf8.prefix(4), as: UTF8.self) + String(repeating: "*", count: min(n - 8, 56))
                + String(decoding: utf8.suffix(4), as: UTF8.self)
        }
        let chars = Array(key)
        guard chars.count >= 12 else { return String(repeating: "*", count: max(4, chars.count)) }
        return String(chars.prefix(4)) + String(repeating: "*", count: min(chars.count - 8, 56)) + String(chars.suffix(4))
    }

    /// A secret header value with nothing of the secret left: an auth scheme word
    /// (`Basic`, `Bearer`) is kept, the credential becomes `****`.
    public static func maskHeaderValue(_ value: String) -> String {
        let parts = value.trimmingASCIISpaces.split(separator: " ", maxSplits: 1)
        if parts.count == 2, parts[0].allSatisfy({ $0.isLetter || $0 == "-" }) {
            return String(parts[0]) + " ****"
        }
        return "****"
    }

    /// Header names whose values are secrets.
    static let secretHeaders: Set<String> = ["authorization", "proxy-authorization", "x-api-key", "cookie"]

    /// Names under which a body may carry an API key, besides the decoded one (a request ampscope
    /// could not decode as Amplitude's, such as one sent to an unknown path).
    static let keyFieldNames: Set<String> = ["api_key", "apiKey", "apikey", "api-key", "API_KEY", "client"]

    /// The capture as it may be shown or exported: body content-decoded with API keys masked,
    /// `Content-Encoding` dropped and `Content-Length` fixed accordingly, secret headers masked,
    /// `api_key`/`client` masked in the query string, and the keys masked in a recorded answer
    /// (`Invalid API key: …`). It carries a `RedactionNote` so re-validation judges it as the
    /// original was judged.
    public static func redactedCapture(_ p: Processed) -> Capture {
        var c = p.capture
        let keys = secrets(p)
        let body = redactBody(p, keys: keys)
        let bodyChanged = body != c.body
        c.body = body
        c.headers = c.headers.compactMap { h in
            let n = h.name.asciiLowercased
            if secretHeaders.contains(n) { return HTTPHeader(h.name, maskHeaderValue(h.value)) }
            if bodyChanged && n == "content-encoding" { return nil }
            if bodyChanged && n == "content-length" { return HTTPHeader(h.name, String(body.count)) }
            return h
        }
        c.query = redactQuery(c.query)
        if var r = c.recordedResponse {
            r.body = maskAll(r.body, keys)
            c.recordedResponse = r
        }
        c.redaction = note(p)
        return c
    }

    /// An answer body with the request's keys masked (`Invalid API key: <key>`).
    public static func redactAnswer(_ body: [UInt8], of p: Processed) -> [UInt8] { maskAll(body, secrets(p)) }

    /// The content-decoded body with every API key occurrence masked (JSON `api_key`, form
    /// `api_key`/`client`, and key-named fields of bodies ampscope could not decode as Amplitude's).
    /// A body whose content encoding could not be undone is returned as sent.
    public static func redactBody(_ p: Processed) -> [UInt8] { redactBody(p, keys: secrets(p)) }

    static func redactBody(_ p: Processed, keys: [String]) -> [UInt8] {
        let plain = p.request.body.isEmpty ? p.capture.body : p.request.body
        return maskAll(plain, keys)
    }

    /// The keys to mask in a capture: the decoded API key, else string values of key-named
    /// JSON members (any depth) or form fields of the body and query.
    public static func secrets(_ p: Processed) -> [String] {
        if let key = p.request.apiKey, !key.trimmingASCIISpaces.isEmpty { return [key] }
        var found: [String] = []
        let body = p.request.body.isEmpty ? p.capture.body : p.request.body
        if let doc = p.request.document ?? (try? JSONDocument(parsing: body)) {
            collectKeys(doc, doc.root, into: &found)
        } else if UTF8Check.firstInvalidOffset(body) == nil {
            for (n, v) in FormEncoding.parse(body).fields where keyFieldNames.contains(n) && !v.isEmpty { found.append(v) }
        }
        for (n, v) in FormEncoding.parse(Array(p.capture.query.utf8)).fields where keyFieldNames.contains(n) && !v.isEmpty {
            found.append(v)
        }
        return found
    }

    static func collectKeys(_ doc: JSONDocument, _ node: Int, into found: inout [String], depth: Int = 0) {
        guard depth < 64 else { return }
        switch doc.kind(node) {
        case .object:
            for (k, v) in doc.members(node) {
                if doc.kind(v) == .string, keyFieldNames.contains(doc.string(k)) {
                    let s = doc.string(v)
                    if !s.trimmingASCIISpaces.isEmpty && !found.contains(s) { found.append(s) }
                } else if doc.kind(v).isContainer {
                    collectKeys(doc, v, into: &found, depth: depth + 1)
                }
            }
        case .array:
            for e in doc.elements(node) where doc.kind(e).isContainer { collectKeys(doc, e, into: &found, depth: depth + 1) }
        default:
            break
        }
    }

    /// Replaces every occurrence of each key's text (JSON and form encodings of a hex key are identical).
    public static func maskAll(_ bytes: [UInt8], _ keys: [String]) -> [UInt8] {
        var out = bytes
        for key in keys where !key.isEmpty {
            let masked = Array(mask(key).utf8)
            var variants = [Array(key.utf8)]
            let escaped = Array(FormEncoding.escape(key).utf8)
            if escaped != variants[0] { variants.append(escaped) }
            for v in variants { out = replaceAll(out, v, masked) }
        }
        return out
    }

    public static func redactQuery(_ q: String) -> String {
        guard !q.isEmpty else { return q }
        let parsed = FormEncoding.parse(Array(q.utf8))
        guard parsed.fields.contains(where: { keyFieldNames.contains($0.name) }) else { return q }
        return FormEncoding.encode(parsed.fields.map { ($0.name, keyFieldNames.contains($0.name) ? mask($0.value) : $0.value) })
    }

    /// What re-validation must know about a capture whose key is masked (nil without a key).
    public static func note(_ p: Processed) -> RedactionNote? {
        guard let key = p.request.apiKey, !key.trimmingASCIISpaces.isEmpty else { return nil }
        let format = p.findings.first { $0.rule == RuleID.apiKeyFormat }?.message
        var matched: Bool?
        switch LegacyChecksum.verdict(p.request) {
        case .verified?, .verifiedWhenCaptured?: matched = true
        case .mismatch?, .mismatchWhenCaptured?: matched = false
        case .missing?, nil: matched = nil
        }
        return RedactionNote(maskedKey: mask(key), keyFormatProblem: format, checksumMatched: matched)
    }

    public static func replaceAll(_ hay: [UInt8], _ needle: [UInt8], _ with: [UInt8]) -> [UInt8] {
        guard !needle.isEmpty, hay.count >= needle.count else { return hay }
        var out: [UInt8] = []
        out.reserveCapacity(hay.count)
        var i = 0
        let first = needle[0]
        while i < hay.count {
            if hay[i] == first && i + needle.count <= hay.count && hay[i..<i + needle.count].elementsEqual(needle) {
                out.append(contentsOf: with)
                i += needle.count
            } else {
                out.append(hay[i])
                i += 1
            }
        }
        return out
    }
}

/// Written next to a capture whose API key an export masked, so `ampscope check` of the export
/// reaches the verdicts of the live run: the masked key is never judged as a key, and a
/// checksum is never recomputed over the mask. The live run's verdicts travel instead.
public struct RedactionNote: Sendable, Equatable {
    /// The mask that stands for the API key everywhere in the capture.
    public var maskedKey: String
    /// The `api-key-format` message about the original key; nil when it was well-formed.
    public var keyFormatProblem: String?
    /// amplitude-js uploads: whether the original checksum matched; nil when there was none.
    public var checksumMatched: Bool?

    public init(maskedKey: String, keyFormatProblem: String? = nil, checksumMatched: Bool? = nil) {
        self.maskedKey = maskedKey
        self.keyFormatProblem = keyFormatProblem
        self.checksumMatched = checksumMatched
    }

    /// True when `key` (as decoded from the capture) is this note's mask.
    public func masks(_ key: String?) -> Bool { key == maskedKey }

    /// `{"api_key": mask, "api_key_format": …, "checksum_matched": …}` (capture lines, HAR).
    public func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.field("api_key", maskedKey)
        w.field("api_key_format", keyFormatProblem)
        w.key("checksum_matched")
        if let m = checksumMatched { w.bool(m) } else { w.null() }
        w.endObject()
    }

    /// Reads what `write` wrote (nil when it is not such an object).
    public static func read(_ doc: JSONDocument, _ node: Int) -> RedactionNote? {
        guard doc.kind(node) == .object, let k = doc.member(node, "api_key"), doc.kind(k) == .string else { return nil }
        let format = doc.member(node, "api_key_format").flatMap { doc.kind($0) == .string ? doc.string($0) : nil }
        let matched = doc.member(node, "checksum_matched").flatMap { n -> Bool? in
            switch doc.kind(n) {
            case .true: return true
            case .false: return false
            default: return nil
            }
        }
        return RedactionNote(maskedKey: doc.string(k), keyFormatProblem: format, checksumMatched: matched)
    }
}
