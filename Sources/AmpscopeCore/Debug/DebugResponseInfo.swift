/// A response body an SDK logged, read from either spelling: the TypeScript SDK logs its
/// parsed, camelCased copy (`eventsWithInvalidIdLengths`, `throttledEvents`), the wire uses
/// snake_case (`events_with_invalid_id_lengths`).
public struct DebugResponseInfo: Sendable, Equatable {
    /// The status word before the body (`success`, `invalid`, `rate_limit`, `payload_too_large`,
    /// `timeout`, `failed`, `unknown`), or from `Status 'failed' provided for N events`.
    public var status: String?
    /// The body's `code`, when it has one.
    public var code: Int?
    public var error: String?
    public var missingField: String?
    /// `N` of `Status '…' provided for N events`.
    public var eventCount: Int?
    public var eventsIngested: Int?
    public var payloadSizeBytes: Int?
    /// Indices into the request's events the body names, with why (`invalid id length: user_id`,
    /// `missing field: user_id`, `invalid field: time`, `silenced`, `throttled`).
    public var flagged: [Int: [String]]
    /// User and device ids over their daily quota (their events are dropped by the SDKs).
    public var exceededQuotaUsers: [String]
    public var exceededQuotaDevices: [String]
    /// The body as compact JSON ("" when it was not JSON).
    public var json: String

    public init(status: String? = nil, code: Int? = nil, error: String? = nil, missingField: String? = nil,
                eventCount: Int? = nil, eventsIngested: Int? = nil, payloadSizeBytes: Int? = nil,
                flagged: [Int: [String]] = [:], exceededQuotaUsers: [String] = [], exceededQuotaDevices: [String] = [],
                json: String = "") {
        self.status = status
        self.code = code
        self.error = error
        self.missingField = missingField
        self.eventCount = eventCount
        self.eventsIngested = eventsIngested
        self.payloadSizeBytes = payloadSizeBytes
        self.flagged = flagged
        self.exceededQuotaUsers = exceededQuotaUsers
        self.exceededQuotaDevices = exceededQuotaDevices
        self.json = json
    }

    /// The TypeScript status word for an HTTP/body code (transports/base.ts `buildResponse`).
    public static func statusWord(code: Int) -> String {
        switch code {
        case 200..<300: return "success"
        case 429: return "rate_limit"
        case 413: return "payload_too_large"
        case 408: return "timeout"
        case 400..<500: return "invalid"
        case 500...: return "failed"
        default: return "unknown"
        }
    }

    /// The HTTP code a status word stands for (nil for `failed`/`unknown`, which cover many).
    public static func code(forStatusWord w: String) -> Int? {
        switch w {
        case "success": return 200
        case "invalid": return 400
        case "rate_limit": return 429
        case "payload_too_large": return 413
        case "timeout": return 408
        default: return nil
        }
    }

    static let statusWords: Set<String> = ["success", "invalid", "rate_limit", "payload_too_large", "timeout", "failed", "unknown", "skipped"]

    /// Reads a body object.
    public static func from(_ doc: JSONDocument, _ node: Int, status: String? = nil) -> DebugResponseInfo? {
        guard doc.kind(node) == .object else { return nil }
        var r = DebugResponseInfo(status: status, json: DebugJSON.compact(doc, node))
        func member(_ camel: StaticString, _ snake: StaticString) -> Int? { doc.member(node, camel) ?? doc.member(node, snake) }
        func int(_ i: Int?) -> Int? { i.flatMap { doc.int64($0) }.map { Int(truncatingIfNeeded: $0) } }
        r.code = int(doc.member(node, "code"))
        r.error = doc.member(node, "error").flatMap { doc.stringValue($0) }
        if let m = member("missingField", "missing_field"), let s = doc.stringValue(m), !s.isEmpty { r.missingField = s }
        r.eventsIngested = int(member("eventsIngested", "events_ingested"))
        r.payloadSizeBytes = int(member("payloadSizeBytes", "payload_size_bytes"))
        func flagMap(_ node: Int?, _ label: String) {
            guard let node, doc.kind(node) == .object else { return }
            for (k, v) in doc.members(node) where doc.kind(v) == .array {
                for e in doc.elements(v) {
                    if let i = int(e) { r.flagged[i, default: []].append("\(label): \(doc.string(k))") }
                }
            }
        }
        func flagList(_ node: Int?, _ label: String) {
            guard let node, doc.kind(node) == .array else { return }
            for e in doc.elements(node) { if let i = int(e) { r.flagged[i, default: []].append(label) } }
        }
        flagMap(member("eventsWithInvalidIdLengths", "events_with_invalid_id_lengths"), "invalid id length")
        flagMap(member("eventsWithMissingFields", "events_with_missing_fields"), "missing field")
        flagMap(member("eventsWithInvalidFields", "events_with_invalid_fields"), "invalid field")
        flagList(member("silencedEvents", "silenced_events"), "silenced")
        flagList(member("throttledEvents", "throttled_events"), "throttled")
        func keys(_ node: Int?) -> [String] {
            guard let node, doc.kind(node) == .object else { return [] }
            return doc.members(node).map { doc.string($0.key) }
        }
        r.exceededQuotaUsers = keys(member("exceededDailyQuotaUsers", "exceeded_daily_quota_users"))
        r.exceededQuotaDevices = keys(member("exceededDailyQuotaDevices", "exceeded_daily_quota_devices"))
        if r.status == nil, let e = r.error { r.applyStatusSentence(e) }
        return r
    }

    /// `Status 'failed' provided for 2 events` → status `failed`, count 2.
    mutating func applyStatusSentence(_ e: String) {
        let prefix = "Status '"
        guard e.hasPrefix(prefix) else { return }
        let rest = e.dropFirst(prefix.count)
        guard let q = rest.firstIndex(of: "'") else { return }
        status = String(rest[..<q])
        let tail = rest[rest.index(after: q)...]
        let marker = " provided for "
        if tail.hasPrefix(marker) {
            eventCount = Int(tail.dropFirst(marker.count).prefix { $0.isASCII && $0.isNumber })
        }
    }

    /// Reasons the body gives for the event at `index` of its request (including quota drops
    /// when the event's ids are given).
    public func reasons(forIndex index: Int, userID: String? = nil, deviceID: String? = nil) -> [String] {
        var out = flagged[index] ?? []
        if let u = userID, exceededQuotaUsers.contains(u) { out.append("user over daily quota") }
        if let d = deviceID, exceededQuotaDevices.contains(d) { out.append("device over daily quota") }
        return out
    }
}
