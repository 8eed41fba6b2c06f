/// Masks API keys (and Authorization headers) for the screen and for exports.
///
/// Masking keeps the first and last four characters and the length, so several projects stay
/// distinguishable (`0123************************cdef`) while the key itself does not leak.
public enum Redactor {
    public static func mask(_ key: String) -> String {
        let chars = Array(key)
        guard chars.count >= 12 else { return String(repeating: "*", count: max(4, chars.count)) }
        return String(chars.prefix(4)) + String(repeating: "*", count: min(chars.count - 8, 56)) + String(chars.suffix(4))
    }

    /// Header names whose values are secrets.
    static let secretHeaders: Set<String> = ["authorization", "proxy-authorization", "x-api-key", "cookie"]

    /// The capture as it may be shown or exported: body content-decoded with API keys masked,
    /// `Content-Encoding` dropped and `Content-Length` fixed accordingly, secret headers masked,
    /// and `api_key`/`client` masked in the query string.
    public static func redactedCapture(_ p: Processed) -> Capture {
        var c = p.capture
        let body = redactBody(p)
        let bodyChanged = body != c.body
        c.body = body
        c.headers = c.headers.compactMap { h in
            let n = h.name.asciiLowercased
            if secretHeaders.contains(n) { return HTTPHeader(h.name, mask(h.value)) }
            if bodyChanged && n == "content-encoding" { return nil }
            if bodyChanged && n == "content-length" { return HTTPHeader(h.name, String(body.count)) }
            return h
        }
        c.query = redactQuery(c.query)
        return c
    }

    /// The decoded body with every API key occurrence masked (JSON `api_key`, form `api_key`/`client`).
    public static func redactBody(_ p: Processed) -> [UInt8] {
        let r = p.request
        guard let key = r.apiKey, !key.isEmpty else { return p.capture.body }
        let plain = r.body.isEmpty ? p.capture.body : r.body
        let masked = mask(key)
        // Replace every occurrence of the key's text (JSON and form encodings of a hex key are identical).
        var variants = [Array(key.utf8)]
        let escaped = Array(FormEncoding.escape(key).utf8)
        if escaped != variants[0] { variants.append(escaped) }
        var out = plain
        for v in variants { out = replaceAll(out, v, Array(masked.utf8)) }
        return out
    }

    public static func redactQuery(_ q: String) -> String {
        guard !q.isEmpty else { return q }
        let parsed = FormEncoding.parse(Array(q.utf8))
        guard parsed.fields.contains(where: { $0.name == "api_key" || $0.name == "client" }) else { return q }
        return FormEncoding.encode(parsed.fields.map { ($0.name, ($0.name == "api_key" || $0.name == "client") ? mask($0.value) : $0.value) })
    }

    static func replaceAll(_ hay: [UInt8], _ needle: [UInt8], _ with: [UInt8]) -> [UInt8] {
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
