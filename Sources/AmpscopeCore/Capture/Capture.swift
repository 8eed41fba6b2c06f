/// One HTTP request exactly as it reached ampscope, from any source.
///
/// Every source (the proxy, a replayed file, the demo generator) produces this same value and
/// hands it to one ingestion path, so nothing downstream can tell live and replayed traffic
/// apart. Decoding is a view over `body`; the raw bytes are never replaced.
public struct Capture: Sendable, Equatable {
    /// Store id; 0 until the store assigns one.
    public var id: Int64
    /// When the request arrived (or was recorded), in milliseconds since the Unix epoch.
    public var receivedAt: Int64
    public var source: CaptureSource
    public var method: String
    /// Path without the query string, e.g. `/2/httpapi`.
    public var path: String
    /// Query string without the leading `?` ("" when none).
    public var query: String
    public var httpVersion: String
    /// Headers in wire order.
    public var headers: [HTTPHeader]
    /// The body bytes as sent (still compressed when `Content-Encoding` says so).
    public var body: [UInt8]
    /// Peer address, when known.
    public var client: String?
    /// An answer recorded with the request: the upstream's in forward mode, an injected fault,
    /// or the response stored in a replayed file.
    public var recordedResponse: RecordedResponse?
    /// Set on a capture read from an export that masked its API key (`RedactionNote`).
    public var redaction: RedactionNote?

    public init(id: Int64 = 0, receivedAt: Int64, source: CaptureSource, method: String = "POST",
                path: String, query: String = "", httpVersion: String = "HTTP/1.1",
                headers: [HTTPHeader] = [], body: [UInt8], client: String? = nil,
                recordedResponse: RecordedResponse? = nil) {
        self.id = id
        self.receivedAt = receivedAt
        self.source = source
        self.method = method
        self.path = path
        self.query = query
        self.httpVersion = httpVersion
        self.headers = headers
        self.body = body
        self.client = client
        self.recordedResponse = recordedResponse
    }

    /// First header value with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Path and query as a request target (`/2/httpapi?x=1`).
    public var target: String { query.isEmpty ? path : path + "?" + query }
}

/// Where a capture came from. `name` is what the stream shows in its source column.
public struct CaptureSource: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case proxy, replay, demo, stdin, http
    }
    public var kind: Kind
    /// A file name, `proxy`, `demo`, ...
    public var name: String
    /// 1-based line (or HAR entry) the capture came from, for replayed files.
    public var line: Int?

    public init(kind: Kind, name: String, line: Int? = nil) {
        self.kind = kind
        self.name = name
        self.line = line
    }

    public static let proxy = CaptureSource(kind: .proxy, name: "proxy")
    public static let demo = CaptureSource(kind: .demo, name: "demo")

    /// `file.jsonl:12`, or the name alone.
    public var location: String { line.map { "\(name):\($0)" } ?? name }
}

public struct HTTPHeader: Sendable, Hashable, Codable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP answer that was actually given or recorded (as opposed to the emulated one).
public struct RecordedResponse: Sendable, Equatable {
    public enum Origin: String, Sendable, Codable {
        /// The real upstream's answer in forward mode.
        case upstream
        /// A fault answered on purpose by `--inject`.
        case injected
        /// The answer stored in a replayed file (fixture line, HAR entry).
        case recorded
        /// ampscope's own answer when the upstream failed (the `error` says why).
        case fallback
    }
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    public var origin: Origin
    /// Why the upstream could not be reached, for `.fallback`.
    public var error: String?
    /// Milliseconds between the request and this answer, when measured.
    public var latencyMs: Double?

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8], origin: Origin,
                error: String? = nil, latencyMs: Double? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.origin = origin
        self.error = error
        self.latencyMs = latencyMs
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

extension String {
    /// ASCII case-insensitive equality (header names, content types).
    public func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = utf8
        let b = other.utf8
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where x | (x &- 65 < 26 ? 0x20 : 0) != y | (y &- 65 < 26 ? 0x20 : 0) {
            return false
        }
        return true
    }

    /// ASCII lower-casing without Foundation.
    public var asciiLowercased: String {
        // Most inputs (paths, header values, keys) are lowercase already: no copy for them.
        let hasUpper = utf8.withContiguousStorageIfAvailable { b in b.contains { $0 &- 65 < 26 } } ?? true
        guard hasUpper else { return self }
        return String(decoding: utf8.map { $0 &- 65 < 26 ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
