/// What Amplitude would answer a request: status, content type and the exact body bytes.
public struct EmulatedAnswer: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
    public var accepted: Bool { (200..<300).contains(status) }
}

/// Computes Amplitude's answer from a decoded request and its findings (pure; the clock is a parameter).
///
/// Only `error` findings change the answer, through their rule's `AnswerEffect`. Shapes follow
/// Amplitude's docs and answers recorded from real SDK traffic (`Docs/answers.md`):
/// JSON with an integer `code` for `/2/httpapi` and `/batch` (SDKs read the body's `code`,
/// not the status line), plain text for the form endpoints.
public struct AnswerEmulator: Sendable {
    public let rules: RuleRegistry

    public init(rules: RuleRegistry = .standard) { self.rules = rules }

    public static let jsonType = "application/json; charset=utf-8"
    public static let textType = "text/plain; charset=utf-8"

    /// Per-event fields listed in a 400 answer, in first-seen order.
    struct EventMap {
        var fields: [String] = []
        var indices: [String: [Int]] = [:]
        mutating func add(_ field: String, _ index: Int) {
            if indices[field] == nil { fields.append(field); indices[field] = [] }
            if indices[field]!.last != index { indices[field]!.append(index) }
        }
        var isEmpty: Bool { fields.isEmpty }
    }

    public func answer(for r: DecodedRequest, findings: [Finding], now: Int64) -> EmulatedAnswer {
        if r.endpoint == .segment { return segmentAnswer(for: r, findings: findings) }
        var tooLarge = false
        var methodBad = false
        var notFound = r.endpoint == .unknown
        var invalid: String?
        var missingField: String?
        var invalidKey = false
        var badChecksum = false
        var missing = EventMap()
        var invalidFields = EventMap()
        var idLengths = EventMap()

        for f in findings where f.severity == .error {
            guard let effect = rules.info(f.rule)?.effect else { continue }
            switch effect {
            case .none: break
            case .payloadTooLarge: tooLarge = true
            case .methodNotAllowed: methodBad = true
            case .notFound: notFound = true
            case .invalidRequest(let text): if invalid == nil { invalid = text }
            case .missingRequestField(let name):
                if missingField == nil { missingField = name == "events" ? String(r.recordsPointer.dropFirst()) : name }
            case .invalidAPIKey: invalidKey = true
            case .badChecksum: badChecksum = true
            case .eventMissingField, .eventInvalidField, .eventInvalidIdLength:
                guard let index = f.event else { continue }
                let field = Self.field(of: f.path, record: r.recordPointer(index))
                switch effect {
                case .eventMissingField: missing.add(field, index)
                case .eventInvalidField: invalidFields.add(field, index)
                default: idLengths.add(field, index)
                }
            }
        }
        if r.endpoint == .httpV2 || r.endpoint == .batch || r.endpoint == .unknown {
            // Not an Amplitude path, so not necessarily an Amplitude client: besides the `code`
            // and `error` Amplitude's SDKs read, `message` for clients of other tracking APIs
            // (analytics-python reads `code` and `message` of any error answer).
            if notFound { return json(404, error: "Invalid request path") { $0.field("message", "Invalid request path") } }
            if methodBad { return json(405, error: "Method not allowed") }
            if tooLarge { return json(413, error: "Payload too large") }
            if let invalid {
                let emptyBody = r.body.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
                return json(400, error: emptyBody ? "Missing request body" : invalid)
            }
            if let missingField {
                return json(400, error: "Request missing required field") { $0.field("missing_field", missingField) }
            }
            if invalidKey { return json(400, error: "Invalid API key: " + (r.apiKey ?? "")) }
            if !missing.isEmpty || !invalidFields.isEmpty || !idLengths.isEmpty {
                let error = !missing.isEmpty ? "Request missing required field"
                    : !idLengths.isEmpty ? "Invalid id length for user_id or device_id"
                    : "Invalid field values on some events"
                return json(400, error: error) { w in
                    if !missing.isEmpty { Self.write(missing, "events_with_missing_fields", &w) }
                    if !invalidFields.isEmpty { Self.write(invalidFields, "events_with_invalid_fields", &w) }
                    if !idLengths.isEmpty {
                        // Amplitude lists both id fields, the unused one empty.
                        var both = EventMap()
                        for f in ["user_id", "device_id"] { both.fields.append(f); both.indices[f] = idLengths.indices[f] ?? [] }
                        for f in idLengths.fields where both.indices[f] == nil { both.fields.append(f); both.indices[f] = idLengths.indices[f] }
                        idLengths = both
                        Self.write(idLengths, "events_with_invalid_id_lengths", &w)
                    }
                }
            }
            return json(200, error: nil) { w in
                w.field("events_ingested", r.records.count)
                w.field("payload_size_bytes", r.wireBodySize)
                w.field("server_upload_time", now)
            }
        }
        // Form endpoints answer text.
        if methodBad { return text(405, "method_not_allowed") }
        if tooLarge { return json(413, error: "Payload too large") }
        if invalidKey || missingField == "api_key" { return text(400, "invalid_api_key") }
        if badChecksum { return text(400, "bad_checksum") }
        if invalid != nil || missingField != nil { return text(400, "missing_event") }
        var fields: [String] = []
        for m in [missing, invalidFields, idLengths] { for f in m.fields where !fields.contains(f) { fields.append(f) } }
        if !fields.isEmpty {
            return text(400, "invalid_event_field. Invalid fields [\(fields.joined(separator: ", "))].")
        }
        return text(200, "success")
    }

    /// The field an event finding is about: the first token after the record's own pointer.
    static func field(of path: String, record: String) -> String {
        guard path.hasPrefix(record) else { return "event" }
        let rest = path.dropFirst(record.count)
        let tokens = JSONPointer.tokens(String(rest))
        return tokens.first ?? "event"
    }

    static func write(_ m: EventMap, _ key: String, _ w: inout JSONWriter) {
        w.key(key)
        w.beginObject()
        for f in m.fields {
            w.key(f)
            w.beginArray()
            for i in m.indices[f]! { w.int(i) }
            w.endArray()
        }
        w.endObject()
    }

    func json(_ status: Int, error: String?, extra: (inout JSONWriter) -> Void = { _ in }) -> EmulatedAnswer {
        var w = JSONWriter()
        w.beginObject()
        w.field("code", status)
        if let error { w.field("error", error) }
        extra(&w)
        w.endObject()
        return EmulatedAnswer(status: status, contentType: Self.jsonType, body: w.bytes)
    }

    func text(_ status: Int, _ body: String) -> EmulatedAnswer {
        EmulatedAnswer(status: status, contentType: Self.textType, body: Array(body.utf8))
    }
}
