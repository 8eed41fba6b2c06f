import Foundation

/// A problem in an input file, located by line (or HAR entry).
public struct InputProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var reason: String

    public init(source: String, line: Int, reason: String) {
        self.source = source
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(source):\(line): \(reason)" }
}

/// ampscope's capture line format: one JSON object per request (JSON Lines).
///
/// It is a superset of the line shape of the recorded SDK fixtures (`seq`, `received_ms`,
/// `client`, `method`, `path`, `query`, `http_version`, `headers` as `[name, value]` pairs,
/// `body` as text or `body_base64`, `response {status, body}`), so those files replay as they
/// are. ampscope adds `source`, response `headers`/`origin`/`body_base64`/`error`, and writes an
/// informational `emulated` answer and `findings` (ignored on reading: captures are always
/// re-validated). See Docs/capture-format.md.
public enum CaptureLine {
    /// 2: request bodies that are JSON objects or arrays are written as embedded JSON (read in
    /// one parse); 1: every body was a string. Readers accept both (Docs/capture-format.md).
    public static let formatVersion = 2

    /// A parsed line: the capture, and its body as a document when the line held it as embedded
    /// JSON (parsed with the line; `DecoderRegistry.decode(_:options:parsedBody:)` uses it).
    public struct Parsed: Sendable {
        public var capture: Capture
        public var body: JSONDocument?
    }

    /// Parses one line. `name` and `line` locate problems and become the capture's source.
    public static func parse(_ bytes: ArraySlice<UInt8>, name: String, line: Int,
                             sourceKind: CaptureSource.Kind = .replay) -> Result<Capture?, InputProblem> {
        parse(Array(bytes), name: name, line: line, sourceKind: sourceKind)
    }

    /// Parses one line held in its own array (parsed in place: the document shares its storage).
    public static func parse(_ bytes: [UInt8], name: String, line: Int,
                             sourceKind: CaptureSource.Kind = .replay) -> Result<Capture?, InputProblem> {
        parseLine(bytes, name: name, line: line, sourceKind: sourceKind).map { $0?.capture }
    }

    /// `parse`, keeping an embedded JSON body's parse (its bytes are the capture's body).
    public static func parseLine(_ bytes: [UInt8], name: String, line: Int,
                                 sourceKind: CaptureSource.Kind = .replay) -> Result<Parsed?, InputProblem> {
        func fail(_ reason: String) -> Result<Parsed?, InputProblem> {
            .failure(InputProblem(source: name, line: line, reason: reason))
        }
        let doc: JSONDocument
        do {
            doc = try JSONDocument(parsing: bytes)
        } catch {
            return fail("not valid JSON (\(error.description))")
        }
        let root = doc.root
        guard doc.kind(root) == .object else { return fail("a capture line must be a JSON object") }
        // The optional header line of ampscope files carries no request.
        if doc.member(root, "ampscope_capture") != nil { return .success(nil) }
        func str(_ k: StaticString) -> String? { doc.member(root, k).flatMap { doc.stringValue($0) } }
        func int(_ k: StaticString) -> Int64? {
            guard let v = doc.member(root, k) else { return nil }
            // A number beyond Int64 (1e19) reads as absent rather than trapping.
            return doc.int64(v) ?? doc.double(v).flatMap { Int64(exactly: $0.rounded(.towardZero)) }
        }
        guard let path = str("path") else {
            return fail("missing 'path' (a capture line needs at least method, path and body)")
        }
        var body: [UInt8] = []
        var bodyDocument: JSONDocument?
        if let b64 = str("body_base64") {
            guard let data = Data(base64Encoded: b64, options: .ignoreUnknownCharacters) else {
                return fail("'body_base64' is not valid base64")
            }
            body = [UInt8](data)
        } else if let b = doc.member(root, "body") {
            switch doc.kind(b) {
            case .string: body = doc.stringBytes(b)  // escapes resolved straight into bytes
            case .null: body = []
            case .object, .array:
                // A body stored as JSON (format 2): its text is the body, already parsed.
                let sub = doc.subdocument(b)
                body = sub.bytes
                bodyDocument = sub
            default: body = Array(doc.rawBytes(b))
            }
        }
        var headers: [HTTPHeader] = []
        if let h = doc.member(root, "headers") {
            headers = parseHeaders(doc, h)
        }
        let source = CaptureSource(kind: sourceKind, name: name, line: line)
        var capture = Capture(
            receivedAt: int("received_ms") ?? int("time") ?? 0,
            source: source,
            method: str("method") ?? "POST",
            path: path,
            query: str("query") ?? "",
            httpVersion: str("http_version") ?? "HTTP/1.1",
            headers: headers,
            body: body,
            client: str("client"))
        if let resp = doc.member(root, "response"), doc.kind(resp) == .object {
            capture.recordedResponse = parseResponse(doc, resp, defaultOrigin: .recorded)
        }
        if let note = doc.member(root, "redacted") { capture.redaction = RedactionNote.read(doc, note) }
        return .success(Parsed(capture: capture, body: bodyDocument))
    }

    static func parseHeaders(_ doc: JSONDocument, _ h: Int) -> [HTTPHeader] {
        var headers: [HTTPHeader] = []
        switch doc.kind(h) {
        case .array:
            for pair in doc.elements(h) {
                if doc.kind(pair) == .array {
                    let parts = Array(doc.elements(pair))
                    if parts.count >= 2 { headers.append(HTTPHeader(doc.string(parts[0]), doc.string(parts[1]))) }
                } else if doc.kind(pair) == .object,
                          let n = doc.member(pair, "name").flatMap({ doc.stringValue($0) }),
                          let v = doc.member(pair, "value").flatMap({ doc.stringValue($0) }) {
                    headers.append(HTTPHeader(n, v))
                }
            }
        case .object:
            for (k, v) in doc.members(h) { headers.append(HTTPHeader(doc.string(k), doc.stringValue(v) ?? doc.rawText(v))) }
        default:
            break
        }
        return headers
    }

    static func parseResponse(_ doc: JSONDocument, _ resp: Int, defaultOrigin: RecordedResponse.Origin) -> RecordedResponse? {
        guard let s = doc.member(resp, "status"), let status = doc.int64(s) else { return nil }
        var body: [UInt8] = []
        if let b64 = doc.member(resp, "body_base64").flatMap({ doc.stringValue($0) }),
           let data = Data(base64Encoded: b64, options: .ignoreUnknownCharacters) {
            body = [UInt8](data)
        } else if let b = doc.member(resp, "body") {
            switch doc.kind(b) {
            case .string: body = doc.stringBytes(b)  // escapes resolved straight into bytes
            case .null: body = []
            default: body = Array(doc.rawBytes(b))
            }
        }
        var origin = defaultOrigin
        if let o = doc.member(resp, "origin").flatMap({ doc.stringValue($0) }), let parsed = RecordedResponse.Origin(rawValue: o) {
            origin = parsed
        } else if let scripted = doc.member(resp, "scripted"), doc.kind(scripted) == .true {
            origin = .injected
        }
        let headers = doc.member(resp, "headers").map { parseHeaders(doc, $0) } ?? []
        let error = doc.member(resp, "error").flatMap { doc.stringValue($0) }
        let latency = doc.member(resp, "latency_ms").flatMap { doc.double($0) }
        return RecordedResponse(status: Int(status), headers: headers, body: body, origin: origin, error: error, latencyMs: latency)
    }

    /// The header line that starts an ampscope capture file.
    public static func headerLine(tool: String) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("ampscope_capture", formatVersion)
        w.field("tool", tool)
        w.endObject()
        return w.bytes
    }

    /// Writes one capture as a line (no trailing newline). `redactKeys` masks API keys in the body.
    public static func write(_ p: Processed, seq: Int, redactKeys: Bool) -> [UInt8] {
        let c = p.capture
        var w = JSONWriter()
        w.beginObject()
        w.field("seq", seq)
        w.field("received_ms", c.receivedAt)
        w.key("source")
        w.beginObject()
        w.field("kind", c.source.kind.rawValue)
        w.field("name", c.source.name)
        if let l = c.source.line { w.field("line", l) }
        w.endObject()
        w.field("client", c.client)
        w.field("method", c.method)
        w.field("path", c.path)
        let shown = redactKeys ? Redactor.redactedCapture(p) : c
        w.field("query", shown.query)
        w.field("http_version", c.httpVersion)
        w.key("headers")
        w.beginArray()
        for h in shown.headers {
            w.beginArray()
            w.string(h.name)
            w.string(h.value)
            w.endArray()
        }
        w.endArray()
        let body = shown.body
        // The request's own parse says whether the body is JSON (no second parse to write it).
        let parsed = p.request.document.flatMap { $0.bytes == body ? $0.kind($0.root).isContainer : nil }
        writeBody(body, &w, textKey: "body", base64Key: "body_base64", embedJSON: true, knownJSON: parsed,
                  exact: true)
        w.field("body_bytes", body.count)
        w.field("events_in_body", p.request.records.count)
        if let note = shown.redaction, redactKeys {
            w.key("redacted")
            note.write(&w)
        }
        if let r = shown.recordedResponse {
            w.key("response")
            w.beginObject()
            w.field("status", r.status)
            w.field("origin", r.origin.rawValue)
            writeBody(r.body, &w, textKey: "body", base64Key: "body_base64", embedJSON: true)
            if !r.headers.isEmpty {
                w.key("headers")
                w.beginArray()
                for h in r.headers { w.beginArray(); w.string(h.name); w.string(h.value); w.endArray() }
                w.endArray()
            }
            if let e = r.error { w.field("error", e) }
            if let l = r.latencyMs { w.key("latency_ms"); w.double(l) }
            w.endObject()
        }
        w.key("emulated")
        w.beginObject()
        w.field("status", p.answer.status)
        writeBody(redactKeys ? Redactor.redactAnswer(p.answer.body, of: p) : p.answer.body, &w,
                  textKey: "body", base64Key: "body_base64", embedJSON: true)
        w.endObject()
        w.key("findings")
        w.beginArray()
        for f in p.findings { Report.writeFinding(f, &w) }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// Body as text when it is UTF-8 (JSON embedded as JSON when asked), else as base64.
    ///
    /// `knownJSON` is what an earlier parse of exactly these bytes said (is it an object or an
    /// array); nil parses here. `exact` embeds only bodies whose bytes read back unchanged: no
    /// CR or LF (a line must stay one line) and no whitespace around the value; others are
    /// written as strings.
    static func writeBody(_ body: [UInt8], _ w: inout JSONWriter, textKey: String, base64Key: String,
                          embedJSON: Bool = false, knownJSON: Bool? = nil, exact: Bool = false) {
        if UTF8Check.firstInvalidOffset(body) == nil {
            if embedJSON, !body.isEmpty, !exact || embedsExactly(body),
               knownJSON ?? ((try? JSONDocument(parsing: body)).map { $0.kind($0.root).isContainer } ?? false) {
                w.key(textKey)
                w.raw(body.trimmedJSONWhitespace)
            } else {
                w.field(textKey, String(decoding: body, as: UTF8.self))
            }
            w.field(base64Key, nil as String?)
        } else {
            w.field(textKey, nil as String?)
            w.field(base64Key, Data(body).base64EncodedString())
        }
    }
}

extension CaptureLine {
    /// True when `body`, written raw into a line, reads back as the same bytes: it is one line,
    /// has no whitespace around the value, and holds nothing an export escapes for the
    /// terminal's sake (`Report.terminalSafeJSON`).
    static func embedsExactly(_ body: [UInt8]) -> Bool {
        guard let first = body.first, let last = body.last,
              first == UInt8(ascii: "{") || first == UInt8(ascii: "["),
              last == UInt8(ascii: "}") || last == UInt8(ascii: "]") else { return false }
        let oneLine = body.withUnsafeBufferPointer { p in
            memchr(p.baseAddress!, 0x0A, p.count) == nil && memchr(p.baseAddress!, 0x0D, p.count) == nil
        }
        return oneLine && Report.firstTerminalUnsafe(body) == nil
    }
}

extension Array where Element == UInt8 {
    var trimmedJSONWhitespace: ArraySlice<UInt8> {
        var lo = startIndex
        var hi = endIndex
        func ws(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
        while lo < hi && ws(self[lo]) { lo += 1 }
        while hi > lo && ws(self[hi - 1]) { hi -= 1 }
        return self[lo..<hi]
    }
}
