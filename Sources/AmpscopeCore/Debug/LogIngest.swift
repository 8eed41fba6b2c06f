/// The body of `POST /ampscope/log`, the proxy endpoint an app ships its SDK log lines to
/// (see Docs/debug.md for the wire format and the logger snippets).
///
/// Accepted bodies (optionally `Content-Encoding: gzip`):
/// - `text/plain` (or no type): log text, one line per `\n` (CRLF allowed), exactly as the SDK
///   prints it;
/// - `application/json`: `{"source": "web", "lines": [ "text", {"text": "…", "time": 1763834765921}, … ]}`,
///   or just the array. `time` is epoch ms or an ISO-8601 string; an item may hold several
///   lines (a multi-line message), which are split.
/// The query parameter `format=json` (or `text`) overrides the content type, so a browser can
/// send JSON as `text/plain` (a CORS "simple request", no preflight).
/// The log source name comes from the JSON `source`, else the `source` query parameter, else
/// `http`. Lines are fed, in order, to one `DebugLogParser` per source, so a JSON block may
/// span several requests.
public struct LogIngestRequest: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var text: [UInt8]
        /// The time the client gave, epoch ms.
        public var time: Int64?
        public init(text: [UInt8], time: Int64? = nil) {
            self.text = text
            self.time = time
        }
    }

    public var source: String
    public var lines: [Line]

    public init(source: String, lines: [Line]) {
        self.source = source
        self.lines = lines
    }
}

public enum LogIngest {
    /// The endpoint path on the proxy.
    public static let path = "/ampscope/log"
    /// Largest body accepted (after decompression).
    public static let maxBodyBytes = 16 << 20
    /// Most lines in one request.
    public static let maxLines = 200_000
    /// Longest source name kept.
    static let maxSourceLength = 64

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// HTTP status to answer (400, 413, 415).
        public var status: Int
        public var reason: String
        public var description: String { "\(status): \(reason)" }
    }

    /// Decodes a request body. `query` is the query string without `?`.
    public static func decode(body: [UInt8], contentType: String?, contentEncoding: String? = nil,
                              query: String = "") -> Result<LogIngestRequest, Failure> {
        var bytes = body
        if let enc = contentEncoding?.trimmingASCIISpaces.asciiLowercased, !enc.isEmpty, enc != "identity" {
            guard enc == "gzip" || enc == "x-gzip" else {
                return .failure(Failure(status: 415, reason: "unsupported Content-Encoding '\(Sanitize.inline(enc, limit: 20))' (use gzip or none)"))
            }
            switch Inflate.gunzip(body, limit: maxBodyBytes) {
            case .success(let b): bytes = b
            case .failure(let e): return .failure(Failure(status: 400, reason: "gzip body could not be inflated: \(e)"))
            }
        }
        guard bytes.count <= maxBodyBytes else {
            return .failure(Failure(status: 413, reason: "body over \(maxBodyBytes) bytes"))
        }
        let queryFields = FormEncoding.parse(Array(query.utf8)).fields
        let querySource = queryFields.first { $0.name == "source" }?.value
        let forced = queryFields.first { $0.name == "format" }?.value.asciiLowercased
        if let f = forced, f != "json", f != "text" {
            return .failure(Failure(status: 400, reason: "format must be json or text"))
        }
        let type = (contentType ?? "").asciiLowercased.split(separator: ";").first.map { String($0).trimmingASCIISpaces } ?? ""
        let isJSON = forced == "json" || (forced == nil && type == "application/json") || (forced == nil && type.hasSuffix("+json"))
            || (forced == nil && type.isEmpty && bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }).map { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") } == true
                && (try? JSONDocument(parsing: bytes)) != nil)
        var source = cleanSource(querySource) ?? "http"
        var lines: [LogIngestRequest.Line] = []
        if isJSON {
            let doc: JSONDocument
            do { doc = try JSONDocument(parsing: bytes) } catch {
                return .failure(Failure(status: 400, reason: "body is not valid JSON (\(error.description))"))
            }
            var array: Int?
            switch doc.kind(doc.root) {
            case .array: array = doc.root
            case .object:
                if let s = doc.member(doc.root, "source").flatMap({ doc.stringValue($0) }), let c = cleanSource(s) { source = c }
                if let l = doc.member(doc.root, "lines"), doc.kind(l) == .array { array = l }
            default: break
            }
            guard let array else {
                return .failure(Failure(status: 400, reason: "expected {\"lines\": [...]} or an array of lines"))
            }
            for (n, item) in doc.elements(array).enumerated() {
                var text: String
                var time: Int64?
                switch doc.kind(item) {
                case .string: text = doc.string(item)
                case .object:
                    guard let t = doc.member(item, "text") ?? doc.member(item, "line"), doc.kind(t) == .string else {
                        return .failure(Failure(status: 400, reason: "lines[\(n)] has no string 'text'"))
                    }
                    text = doc.string(t)
                    if let tv = doc.member(item, "time") {
                        time = doc.int64(tv) ?? doc.double(tv).flatMap { $0.isFinite && abs($0) < 1e15 ? Int64($0) : nil }
                            ?? doc.stringValue(tv).flatMap(Timestamp.parseISO8601)
                    }
                default:
                    return .failure(Failure(status: 400, reason: "lines[\(n)] must be a string or {\"text\": …, \"time\": …}"))
                }
                if text.hasSuffix("\n") { text.removeLast() }
                for part in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
                    lines.append(LogIngestRequest.Line(text: Array(part), time: time))
                }
                if lines.count > maxLines { break }
            }
        } else if forced == "text" || type.isEmpty || type.hasPrefix("text/") || type == "application/octet-stream" {
            var parts = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
            if parts.last?.isEmpty == true { parts.removeLast() }
            lines = parts.map { LogIngestRequest.Line(text: Array($0)) }
        } else {
            return .failure(Failure(status: 415, reason: "unsupported Content-Type '\(Sanitize.inline(type, limit: 40))' (use text/plain or application/json)"))
        }
        guard lines.count <= maxLines else {
            return .failure(Failure(status: 413, reason: "more than \(maxLines) lines in one request"))
        }
        return .success(LogIngestRequest(source: source, lines: lines))
    }

    /// The JSON answer for an accepted request: `{"code":200,"lines":N}`.
    public static func acceptedBody(lines: Int) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject(); w.field("code", 200); w.field("lines", lines); w.endObject()
        return w.bytes
    }

    /// The JSON answer for a refused request: `{"code":400,"error":"…"}`.
    public static func failureBody(_ f: Failure) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject(); w.field("code", f.status); w.field("error", f.reason); w.endObject()
        return w.bytes
    }

    /// Source names are shown in lists: printable ASCII letters, digits and `-_.:@/`, at most 64.
    static func cleanSource(_ s: String?) -> String? {
        guard let s else { return nil }
        let kept = s.unicodeScalars.filter { u in
            (u.value >= 0x30 && u.value <= 0x39) || (u.value | 0x20 >= 0x61 && u.value | 0x20 <= 0x7A) || "-_.:@/".unicodeScalars.contains(u)
        }
        let out = String(String.UnicodeScalarView(kept.prefix(maxSourceLength)))
        return out.isEmpty ? nil : "http:" + out
    }
}
