/// The kinds of input file ampscope reads, detected from their first bytes.
public enum InputFormat: String, Sendable, CaseIterable {
    /// ampscope capture lines, or the recorded fixture line shape (JSON Lines).
    case captures
    /// HAR 1.2 from browser devtools, Charles, Proxyman.
    case har
    /// One raw request body (JSON or form); `--endpoint` says which API it was for.
    case body
    /// TypeScript SDK console output (`Amplitude Logger [Debug]: {…}`).
    case tsLog = "ts-log"
    /// Python SDK log lines (`INFO:amplitude:…`).
    case pythonLog = "python-log"
    /// An ampscope store (SQLite).
    case store
    /// gzip-compressed file of any of these.
    case gzip

    /// Guesses the format from a file's first bytes (and its name for tie-breaks).
    public static func detect(prefix: [UInt8], name: String) -> InputFormat? {
        if Inflate.looksGzipped(prefix) { return .gzip }
        if prefix.starts(with: Array("SQLite format 3".utf8)) { return .store }
        let text = String(decoding: prefix.prefix(64 * 1024), as: UTF8.self)
        let trimmed = text.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "\u{FEFF}" }
        if trimmed.first == "{" {
            if HAR.looksLikeHAR(Array(trimmed.utf8.prefix(4096))) { return .har }
            let firstLine = trimmed.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            if let doc = try? JSONDocument(parsing: firstLine), doc.kind(doc.root) == .object {
                if doc.member(doc.root, "ampscope_capture") != nil { return .captures }
                if doc.member(doc.root, "path") != nil && (doc.member(doc.root, "method") != nil || doc.member(doc.root, "body") != nil) {
                    return .captures
                }
            }
            // Python SDK records as JSON lines (`.log.jsonl`) before "a JSON request body".
            if DebugLogParser.sniff(prefix) == .python { return .pythonLog }
            return .body
        }
        switch DebugLogParser.sniff(prefix) {
        case .typescript?, .amplitudeJS?: return .tsLog
        case .python?: return .pythonLog
        case nil: break
        }
        if trimmed.first == "[" { return .body }
        if name.hasSuffix(".har") { return .har }
        if trimmed.contains("=") && !trimmed.contains("\n\n") { return .body }
        return nil
    }

    public init?(userSpelling s: String) {
        switch s.asciiLowercased {
        case "captures", "capture", "jsonl", "fixture", "ampscope": self = .captures
        case "har": self = .har
        case "body", "raw": self = .body
        case "ts-log", "ts", "typescript", "node", "browser": self = .tsLog
        case "python-log", "python", "py": self = .pythonLog
        case "store", "sqlite": self = .store
        default: return nil
        }
    }
}

/// A raw request body file turned into a capture.
public enum RawBody {
    /// Which endpoint a body was probably meant for when the user did not say.
    public static func guessEndpoint(_ body: [UInt8]) -> Endpoint {
        if LegacyUploadDecoder.looksLikeJSONObject(body) { return looksLikeSegment(body) ? .segment : .httpV2 }
        let fields = FormEncoding.parse(body).fields.map(\.name)
        if fields.contains("e") && fields.contains("client") { return .legacy }
        if fields.contains("mapping") { return .usermap }
        if fields.contains("identification") {
            let text = String(decoding: body, as: UTF8.self)
            return text.contains("group_type") ? .groupIdentify : .identify
        }
        return .httpV2
    }

    /// A JSON body in Segment's shape: a `batch` or `writeKey`, or a call with `type` and an `anonymousId`/`userId`.
    static func looksLikeSegment(_ body: [UInt8]) -> Bool {
        guard let doc = try? JSONDocument(parsing: body), doc.kind(doc.root) == .object else { return false }
        let root = doc.root
        if doc.member(root, "batch") != nil || doc.member(root, "writeKey") != nil { return true }
        return doc.member(root, "type") != nil && (doc.member(root, "anonymousId") != nil || doc.member(root, "userId") != nil)
    }

    public static func capture(_ body: [UInt8], name: String, endpoint: Endpoint?) -> Capture {
        let e = endpoint ?? guessEndpoint(body)
        let json = LegacyUploadDecoder.looksLikeJSONObject(body) || body.first == UInt8(ascii: "[")
        let type = json ? "application/json" : "application/x-www-form-urlencoded"
        var headers = [HTTPHeader("Content-Type", type)]
        if Inflate.looksGzipped(body) { headers = [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Content-Encoding", "gzip")] }
        return Capture(receivedAt: 0, source: CaptureSource(kind: .replay, name: name, line: 1), method: "POST",
                       path: e == .unknown ? "/2/httpapi" : e.rawValue, headers: headers, body: body)
    }
}

/// Splits a buffer into lines (LF or CRLF), giving each line's 1-based number.
public struct LineSplitter: Sequence {
    let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public struct Iterator: IteratorProtocol {
        let bytes: [UInt8]
        var start = 0
        var line = 0
        public mutating func next() -> (line: Int, text: ArraySlice<UInt8>)? {
            guard start < bytes.count else { return nil }
            line += 1
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            var stop = end
            if stop > start && bytes[stop - 1] == 0x0D { stop -= 1 }
            let slice = bytes[start..<stop]
            start = end + 1
            return (line, slice)
        }
    }
    public func makeIterator() -> Iterator { Iterator(bytes: bytes) }
}
