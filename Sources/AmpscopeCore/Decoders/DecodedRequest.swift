/// The Amplitude API a request was meant for.
public enum Endpoint: String, Sendable, Codable, CaseIterable {
    case httpV2 = "/2/httpapi"
    case batch = "/batch"
    case identify = "/identify"
    case groupIdentify = "/groupidentify"
    case usermap = "/usermap"
    /// amplitude-js 8.x form upload to the host root.
    case legacy = "/"
    /// Not an Amplitude ingestion path.
    case unknown = "?"
    // New cases go last: `allCases` order indexes the store's compiled filter tables (IndexFilter).
    /// Amplitude's deprecated HTTP API V1: form fields `api_key` and `event`.
    case httpV1 = "/httpapi"
    /// Segment's Tracking API (`/v1/track`, `/v1/batch`, `/v1/t`...): not Amplitude's, but what
    /// a Segment library sends; mapped to the Amplitude requests its destinations would send.
    case segment = "/v1"

    /// Everything ampscope says about an endpoint, in one place: its names, how users spell it,
    /// how it answers, and its slot in the store's compiled filter tables. Adding an endpoint
    /// is a case above (its path as the raw value, routed by `route(path:)`) and a row here.
    public struct Info: Sendable {
        /// Short label for narrow columns.
        public var shortName: String
        /// Spellings `--endpoint` and the filter's `endpoint:` accept (lowercase), besides the path.
        public var spellings: [String]
        /// JSON endpoints answer JSON with a `code`; the form endpoints answer plain text.
        public var answersJSON: Bool
    }

    public var info: Info { Self.infos[slot] }

    private static let infos: [Info] = allCases.sorted { $0.slot < $1.slot }.map(\.makeInfo)

    private var makeInfo: Info {
        switch self {
        case .httpV2: return Info(shortName: "httpapi", spellings: ["2/httpapi", "httpapi", "http", "v2", "http-v2"], answersJSON: true)
        case .batch: return Info(shortName: "batch", spellings: ["batch"], answersJSON: true)
        case .identify: return Info(shortName: "identify", spellings: ["identify"], answersJSON: false)
        case .groupIdentify: return Info(shortName: "groupid", spellings: ["groupidentify", "group-identify"], answersJSON: false)
        case .usermap: return Info(shortName: "usermap", spellings: ["usermap"], answersJSON: false)
        case .legacy: return Info(shortName: "legacy", spellings: ["legacy", "amplitude-js"], answersJSON: false)
        case .unknown: return Info(shortName: "unknown", spellings: [], answersJSON: true)
        case .httpV1: return Info(shortName: "httpapi1", spellings: ["httpapi-v1", "v1-httpapi", "httpv1"], answersJSON: false)
        case .segment: return Info(shortName: "segment", spellings: ["segment", "v1"], answersJSON: true)
        }
    }

    /// Index in per-endpoint tables (`info`, the store's compiled filter tables): dense, 0-based,
    /// stable across versions (new endpoints take the next number). A switch, so the filter's
    /// row loop reads it without allocating.
    @inline(__always) public var slot: Int {
        switch self {
        case .httpV2: return 0
        case .batch: return 1
        case .identify: return 2
        case .groupIdentify: return 3
        case .usermap: return 4
        case .legacy: return 5
        case .unknown: return 6
        case .httpV1: return 7
        case .segment: return 8
        }
    }

    /// The path as a user types it (`/2/httpapi`, `/` for legacy, `unknown`).
    public var displayName: String { self == .unknown ? "unknown" : rawValue }

    /// Short label for narrow columns.
    public var shortName: String { info.shortName }

    /// JSON endpoints answer JSON with a `code`; the form endpoints answer plain text.
    public var answersJSON: Bool { info.answersJSON }

    /// Resolves an endpoint from a spelling users type: `/2/httpapi`, `httpapi`, `batch`, `/`, `legacy`...
    public init?(userSpelling s: String) {
        let t = s.asciiLowercased
        if let e = Endpoint.allCases.first(where: { $0 != .unknown && ($0.rawValue == t || $0.info.spellings.contains(t)) }) {
            self = e
        } else if SegmentPath.parse(t) != nil || SegmentPath.parse("/" + t) != nil {
            self = .segment
        } else {
            return nil
        }
    }

    /// Amplitude's paths in the order `route` tries them as suffixes (a longer one before the
    /// shorter one it ends with: `/groupidentify` before `/identify`).
    static let exactPaths: [Endpoint] = [.httpV2, .httpV1, .batch, .groupIdentify, .identify, .usermap]

    /// Finds the endpoint for a request path. A prefix before the Amplitude path is allowed
    /// (`/eu/2/httpapi`, `/amp/batch`), so users can route regions or apps through one proxy;
    /// the prefix is returned. A bare `/` (or a configured legacy path) is the legacy upload.
    public static func route(path: String, legacyPaths: [String] = ["/"]) -> (endpoint: Endpoint, prefix: String) {
        // A documented path itself (nearly every request): what the search below finds for it,
        // without lowercasing and cutting strings.
        if !legacyPaths.contains(path), let e = exactPaths.first(where: { $0.rawValue == path }) { return (e, "") }
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        if legacyPaths.contains(p) || p.isEmpty { return (.legacy, p == "/" ? "" : p) }
        let lower = p.asciiLowercased
        // Segment's `/v1/<call>` first: `/v1/batch` and `/v1/identify` also end like Amplitude paths.
        if let s = SegmentPath.parse(lower) { return (.segment, String(p.dropLast(s.suffixLength))) }
        if lower.hasSuffix("/v1") { return (.segment, String(p.dropLast(3))) }  // a raw Segment body (`check --endpoint segment`)
        for e in exactPaths where lower.hasSuffix(e.rawValue) {
            let prefix = String(p.dropLast(e.rawValue.count))
            // `/v2/httpapi`, `/3/httpapi`: a mistyped HTTP V2 path, not V1 under a prefix.
            if e == .httpV1, let last = prefix.split(separator: "/").last,
               last.drop(while: { $0 == "v" || $0 == "V" }).allSatisfy(\.isNumber) { return (.unknown, "") }
            return (e, prefix)
        }
        return (.unknown, "")
    }

    /// Why `path` is not the exact spelling Amplitude documents for the endpoint it was routed
    /// to (nil when it is). ampscope routes a trailing slash, an empty segment (`//2/httpapi`)
    /// and another letter case, but Amplitude documents only the exact paths, so the user is
    /// told how to fix the client's URL. A prefix before the path (`/eu/2/httpapi`) is
    /// ampscope's own routing and not judged, unless it ends in an empty segment.
    public static func variantProblem(path: String, endpoint: Endpoint, prefix: String) -> String? {
        // The documented spelling (nearly every request): nothing to say, nothing to build.
        if prefix.isEmpty, endpoint != .legacy, path == endpoint.rawValue { return nil }
        if path.utf8.count == prefix.utf8.count + endpoint.rawValue.utf8.count, path.hasSuffix(endpoint.rawValue),
           endpoint != .legacy, !path.contains("//") {
            return nil
        }
        let shown = "'" + Sanitize.inline(path, limit: 80) + "'"
        if endpoint == .legacy {
            // Only `/` itself or a configured legacy path; `//` routes here as well.
            guard path.count > 1, path.allSatisfy({ $0 == "/" }) else { return nil }
            return "\(shown) has an empty path segment ('//'): the client's URL ends with a '/' that its own path adds again; remove the trailing slash from the configured URL (amplitude-js apiEndpoint)"
        }
        // Segment's paths are matched by their own table (`SegmentPath`), not by one documented path.
        guard endpoint != .unknown, endpoint != .segment else { return nil }
        var reasons: [String] = []
        var fixes: [String] = []
        if path.contains("//") {
            reasons.append("an empty path segment ('//')")
            fixes.append("remove the trailing slash from the base URL (serverUrl) the client appends \(endpoint.rawValue) to")
        }
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        if p.count < path.count {
            reasons.append("a trailing slash")
            fixes.append("remove the trailing slash from serverUrl")
        }
        let tail = p.dropFirst(min(prefix.count, p.count))
        if tail != Substring(endpoint.rawValue) {
            reasons.append("'\(Sanitize.inline(String(tail), limit: 40))' in another letter case")
            fixes.append("write the path as \(endpoint.rawValue) (URL paths are case-sensitive)")
        }
        guard !reasons.isEmpty else { return nil }
        return "\(shown) has \(reasons.joined(separator: " and ")), where Amplitude documents exactly \(endpoint.rawValue); whether Amplitude routes this spelling is unconfirmed, so events may be lost in production although ampscope decoded it as \(endpoint.rawValue): \(fixes.joined(separator: "; "))"
    }
}

/// What kind of record an entry of the request's list is.
public enum RecordKind: String, Sendable, Codable {
    /// An HTTP V2 / batch event.
    case event
    /// An `identification` of `/identify`.
    case identification
    /// An `identification` of `/groupidentify`.
    case groupIdentification
    /// A `mapping` of `/usermap`.
    case mapping
    /// An amplitude-js 8.x event in the legacy `e` field.
    case legacyEvent
    /// A Segment call (track, identify...), in a `/v1/...` body or its `batch` array.
    case segmentCall
}

/// A request decoded into a JSON view and its list of records (events, identifications...).
///
/// `document` is the request as JSON: the body itself for the JSON endpoints, and for the form
/// endpoints an object built from the form fields with JSON-valued fields embedded as JSON
/// (`{"api_key":"…","identification":[…]}`), so every finding can point into one tree.
public struct DecodedRequest: Sendable {
    public var endpoint: Endpoint
    /// Part of the path before the Amplitude path (`/eu`), "" for none.
    public var pathPrefix: String
    /// Id of the decoder that produced this view.
    public var decoder: String
    /// Body after content decoding (gunzip); the bytes the rules measure.
    public var body: [UInt8]
    /// Body size on the wire.
    public var wireBodySize: Int
    public var document: JSONDocument?
    public var apiKey: String?
    /// Pointer of the API key in the view (`/api_key`, `/client`).
    public var apiKeyPointer: String
    /// Pointer of the record list (`/events`, `/identification`, `/e`, `/mapping`).
    public var recordsPointer: String
    /// Tape index of the record list (an array) when there is one.
    public var recordsNode: Int?
    /// Tape index of each record, in order.
    public var records: [Int]
    public var recordKind: RecordKind
    /// True when the record field held a single object rather than an array (identify/usermap).
    public var recordsIsSingleObject: Bool
    /// `options.min_id_length` when the request carries a valid one: a positive integer.
    /// Anything else (0, negative, not an integer) is no override and the default applies
    /// (`invalid-options` says so; Docs/rules.md).
    public var minIdLength: Int?
    /// Tape index of `options`, when present and an object.
    public var optionsNode: Int?
    /// Form fields as received, for the form endpoints (name, value), in order.
    public var formFields: [(name: String, value: String)]
    /// Problems found while decoding (become findings).
    public var problems: [Finding]
    /// Set when an export masked this capture's API key: rules judge the mask by it.
    public var redaction: RedactionNote?
    /// HTTP method and headers of the capture (for the method and content-type rules).
    public var method: String = "POST"
    public var headers: [HTTPHeader] = []
    /// What the Segment decoder learnt (path, write key, batch or single call); nil for Amplitude requests.
    public var segment: SegmentRequestInfo?

    /// First header value with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    public init(endpoint: Endpoint, pathPrefix: String = "", decoder: String, body: [UInt8], wireBodySize: Int,
                recordKind: RecordKind) {
        self.endpoint = endpoint
        self.pathPrefix = pathPrefix
        self.decoder = decoder
        self.body = body
        self.wireBodySize = wireBodySize
        self.document = nil
        self.apiKey = nil
        self.apiKeyPointer = "/api_key"
        self.recordsPointer = "/events"
        self.recordsNode = nil
        self.records = []
        self.recordKind = recordKind
        self.recordsIsSingleObject = false
        self.minIdLength = nil
        self.optionsNode = nil
        self.formFields = []
        self.problems = []
    }

    /// Decoder id of the placeholder request made for an input line that could not be read.
    public static let unreadableDecoder = "unreadable"

    /// Pointer of record `i` (`/events/3`; `/identification` for a single object).
    public func recordPointer(_ i: Int) -> String {
        recordsIsSingleObject ? recordsPointer : recordsPointer + "/" + String(i)
    }

    public var recordCount: Int { records.count }

    /// Adds a decode problem.
    public mutating func problem(_ rule: String, _ message: String, severity: Severity = .error, path: String = "", event: Int? = nil) {
        problems.append(Finding(rule: rule, severity: severity, path: path, event: event, message: message))
    }

    /// Reads an `options` object: records its node and a valid `min_id_length`.
    mutating func readOptions(_ doc: JSONDocument, _ o: Int) {
        optionsNode = o
        if let m = doc.member(o, "min_id_length"), let v = doc.int64(m), v >= 1, v <= Int64(Int32.max) {
            minIdLength = Int(v)
        }
    }

    /// The source text of an `options.min_id_length` that is present but no valid override
    /// (`0`, `-1`, `"3"`), so messages can say why the default applies.
    public var ignoredMinIdLength: String? {
        guard minIdLength == nil, let doc = document, let o = optionsNode,
              let m = doc.member(o, "min_id_length"), doc.kind(m) != .null else { return nil }
        return doc.rawText(m)
    }

    /// The value of a form field, first occurrence.
    public func formValue(_ name: String) -> String? { formFields.first { $0.name == name }?.value }
}
