import Foundation

/// HAR 1.2 (HTTP Archive) reading and writing.
///
/// Reading picks out Amplitude requests from a browser, Charles or Proxyman export: entries
/// whose host is Amplitude's (`*.amplitude.com`), or whose host is local (a capture through
/// ampscope itself) and whose path is an Amplitude endpoint. Everything else is counted as
/// skipped, never reported as an error.
public enum HAR {
    public struct ReadResult: Sendable {
        public var captures: [Capture]
        public var skipped: Int
        public var problems: [InputProblem]
    }

    public static func looksLikeHAR(_ prefix: some Collection<UInt8>) -> Bool {
        let s = String(decoding: prefix.prefix(4096), as: UTF8.self)
        return s.contains("\"log\"") && (s.contains("\"entries\"") || s.contains("\"version\"") || s.contains("\"creator\""))
    }

    public static func read(_ bytes: [UInt8], name: String) -> ReadResult {
        var result = ReadResult(captures: [], skipped: 0, problems: [])
        let doc: JSONDocument
        do {
            doc = try JSONDocument(parsing: bytes)
        } catch {
            result.problems.append(InputProblem(source: name, line: error.line, reason: "not valid JSON (\(error.description))"))
            return result
        }
        guard doc.kind(doc.root) == .object, let log = doc.member(doc.root, "log"), doc.kind(log) == .object,
              let entries = doc.member(log, "entries"), doc.kind(entries) == .array else {
            result.problems.append(InputProblem(source: name, line: 1, reason: "not a HAR file: expected {\"log\": {\"entries\": [...]}}"))
            return result
        }
        for (n, entry) in doc.elements(entries).enumerated() {
            let entryNo = n + 1
            guard doc.kind(entry) == .object, let req = doc.member(entry, "request"), doc.kind(req) == .object else {
                result.problems.append(InputProblem(source: name, line: entryNo, reason: "entry \(entryNo) has no request object"))
                continue
            }
            func s(_ o: Int, _ k: StaticString) -> String? { doc.member(o, k).flatMap { doc.stringValue($0) } }
            guard let url = s(req, "url") else {
                result.problems.append(InputProblem(source: name, line: entryNo, reason: "entry \(entryNo) has no request url"))
                continue
            }
            let parts = URLParts(url)
            let method = (s(req, "method") ?? "GET").uppercased()
            let routed = Endpoint.route(path: parts.path).endpoint
            let isAmplitudeHost = parts.host.asciiLowercased.hasSuffix("amplitude.com")
            let isLocal = ["localhost", "127.0.0.1", "[::1]", "::1", "0.0.0.0"].contains(parts.hostname.asciiLowercased)
            // Amplitude's hosts, or a local ampscope proxy; never the page's own traffic.
            let include = method != "OPTIONS" && (isAmplitudeHost || isLocal) && routed != .unknown
                && (routed != .legacy || method == "POST")
            guard include else {
                result.skipped += 1
                continue
            }
            var headers = doc.member(req, "headers").map { CaptureLine.parseHeaders(doc, $0) } ?? []
            if !headers.contains(where: { $0.name.caseInsensitiveEquals("Host") }) { headers.append(HTTPHeader("Host", parts.host)) }
            var body: [UInt8] = []
            if let post = doc.member(req, "postData"), doc.kind(post) == .object {
                if let text = s(post, "text") {
                    if s(post, "encoding") == "base64", let d = Data(base64Encoded: text, options: .ignoreUnknownCharacters) {
                        body = [UInt8](d)
                    } else {
                        body = Array(text.utf8)
                    }
                } else if let params = doc.member(post, "params"), doc.kind(params) == .array {
                    var fields: [(String, String)] = []
                    for p in doc.elements(params) where doc.kind(p) == .object {
                        fields.append((s(p, "name") ?? "", s(p, "value") ?? ""))
                    }
                    body = Array(FormEncoding.encode(fields).utf8)
                }
                if !headers.contains(where: { $0.name.caseInsensitiveEquals("Content-Type") }), let mt = s(post, "mimeType"), !mt.isEmpty {
                    headers.append(HTTPHeader("Content-Type", mt))
                }
            }
            // Browsers record the decoded body; a Content-Encoding header would now lie.
            if !Inflate.looksGzipped(body) {
                headers.removeAll { $0.name.caseInsensitiveEquals("Content-Encoding") }
            }
            let started = s(entry, "startedDateTime").flatMap { Timestamp.parseISO8601($0) } ?? 0
            var capture = Capture(receivedAt: started, source: CaptureSource(kind: .replay, name: name, line: entryNo),
                                  method: method, path: parts.path, query: parts.query,
                                  httpVersion: s(req, "httpVersion") ?? "HTTP/1.1", headers: headers, body: body,
                                  client: s(entry, "serverIPAddress"))
            if let resp = doc.member(entry, "response"), doc.kind(resp) == .object,
               let st = doc.member(resp, "status").flatMap({ doc.int64($0) }), st > 0 {
                var rbody: [UInt8] = []
                if let content = doc.member(resp, "content"), doc.kind(content) == .object, let text = s(content, "text") {
                    if s(content, "encoding") == "base64", let d = Data(base64Encoded: text, options: .ignoreUnknownCharacters) {
                        rbody = [UInt8](d)
                    } else {
                        rbody = Array(text.utf8)
                    }
                }
                let rh = doc.member(resp, "headers").map { CaptureLine.parseHeaders(doc, $0) } ?? []
                let time = doc.member(entry, "time").flatMap { doc.double($0) }
                capture.recordedResponse = RecordedResponse(status: Int(st), headers: rh, body: rbody, origin: .recorded, latencyMs: time)
            }
            // ampscope's own exports say what they masked (a custom field, as HAR 1.2 allows).
            if let note = doc.member(entry, "_ampscope_redacted") { capture.redaction = RedactionNote.read(doc, note) }
            result.captures.append(capture)
        }
        return result
    }

    /// Writes captures as a HAR 1.2 document that browser devtools can import.
    /// The response is the recorded one when there is one, else ampscope's emulated answer.
    public static func write(_ items: [Processed], tool: String, version: String, redactKeys: Bool) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("log")
        w.beginObject()
        w.field("version", "1.2")
        w.key("creator")
        w.beginObject()
        w.field("name", tool)
        w.field("version", version)
        w.endObject()
        w.key("pages")
        w.beginArray()
        w.endArray()
        w.key("entries")
        w.beginArray()
        for p in items {
            let c = redactKeys ? Redactor.redactedCapture(p) : p.capture
            let host = c.header("Host") ?? "127.0.0.1:8787"
            let url = "http://" + host + c.target
            w.beginObject()
            w.field("startedDateTime", Timestamp.iso8601(ms: c.receivedAt))
            let latency = c.recordedResponse?.latencyMs ?? 0
            w.key("time")
            w.double(latency)
            w.key("request")
            w.beginObject()
            w.field("method", c.method)
            w.field("url", url)
            w.field("httpVersion", c.httpVersion)
            w.key("cookies"); w.beginArray(); w.endArray()
            writeHeaders(c.headers, &w)
            w.key("queryString")
            w.beginArray()
            for (n, v) in FormEncoding.parse(Array(c.query.utf8)).fields {
                w.beginObject(); w.field("name", n); w.field("value", v); w.endObject()
            }
            w.endArray()
            w.key("postData")
            w.beginObject()
            w.field("mimeType", c.header("Content-Type") ?? "application/octet-stream")
            if UTF8Check.firstInvalidOffset(c.body) == nil {
                w.field("text", String(decoding: c.body, as: UTF8.self))
            } else {
                w.field("text", Data(c.body).base64EncodedString())
                w.field("encoding", "base64")
            }
            w.endObject()
            w.field("headersSize", -1)
            w.field("bodySize", c.body.count)
            w.endObject()
            // Response
            let status: Int
            let rheaders: [HTTPHeader]
            let rbody: [UInt8]
            if let r = c.recordedResponse {
                (status, rheaders, rbody) = (r.status, r.headers, r.body)
            } else {
                status = p.answer.status
                rheaders = [HTTPHeader("Content-Type", p.answer.contentType)]
                rbody = redactKeys ? Redactor.redactAnswer(p.answer.body, of: p) : p.answer.body
            }
            w.key("response")
            w.beginObject()
            w.field("status", status)
            w.field("statusText", HTTPStatus.reason(status))
            w.field("httpVersion", "HTTP/1.1")
            w.key("cookies"); w.beginArray(); w.endArray()
            writeHeaders(rheaders, &w)
            w.key("content")
            w.beginObject()
            w.field("size", rbody.count)
            w.field("mimeType", rheaders.first { $0.name.caseInsensitiveEquals("Content-Type") }?.value ?? "application/json")
            w.field("text", String(decoding: rbody, as: UTF8.self))
            w.endObject()
            w.field("redirectURL", "")
            w.field("headersSize", -1)
            w.field("bodySize", rbody.count)
            w.endObject()
            w.key("cache"); w.beginObject(); w.endObject()
            w.key("timings")
            w.beginObject()
            w.key("send"); w.double(0)
            w.key("wait"); w.double(latency)
            w.key("receive"); w.double(0)
            w.endObject()
            if redactKeys, let note = c.redaction {
                w.key("_ampscope_redacted")
                note.write(&w)
            }
            w.key("comment")
            w.string("ampscope: \(p.request.endpoint.displayName), \(p.request.records.count) event(s), emulated \(p.answer.status), \(p.counts.errors) error(s), \(p.counts.warnings) warning(s)")
            w.endObject()
        }
        w.endArray()
        w.endObject()
        w.endObject()
        return w.bytes
    }

    static func writeHeaders(_ headers: [HTTPHeader], _ w: inout JSONWriter) {
        w.key("headers")
        w.beginArray()
        for h in headers {
            w.beginObject()
            w.field("name", h.name)
            w.field("value", h.value)
            w.endObject()
        }
        w.endArray()
    }
}

/// The parts of an absolute or relative URL that ampscope needs.
public struct URLParts: Sendable, Equatable {
    public var scheme: String
    /// host[:port]
    public var host: String
    /// host without port
    public var hostname: String
    public var path: String
    public var query: String

    public init(_ url: String) {
        var rest = Substring(url)
        scheme = ""
        if let r = rest.range(of: "://") {
            scheme = String(rest[..<r.lowerBound]).asciiLowercased
            rest = rest[r.upperBound...]
            let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
            host = String(rest[..<end])
            rest = rest[end...]
        } else {
            host = ""
        }
        if let at = host.lastIndex(of: "@") { host = String(host[host.index(after: at)...]) }
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            hostname = String(host[...close])
        } else {
            hostname = String(host.split(separator: ":", maxSplits: 1).first ?? "")
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        if let q = rest.firstIndex(of: "?") {
            path = String(rest[..<q])
            query = String(rest[rest.index(after: q)...])
        } else {
            path = String(rest)
            query = ""
        }
        if path.isEmpty { path = "/" }
    }
}

public enum HTTPStatus {
    public static func reason(_ s: Int) -> String {
        switch s {
        case 200: return "OK"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Payload Too Large"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return ""
        }
    }
}
