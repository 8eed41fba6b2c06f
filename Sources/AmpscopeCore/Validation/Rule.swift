/// What an `error` finding of a rule does to Amplitude's answer.
public enum AnswerEffect: Sendable, Equatable {
    /// Nothing: the rule only informs.
    case none
    /// 400 `Request missing required field` with `missing_field` set to this name.
    case missingRequestField(String)
    /// 400 with this `error` text and no per-event detail (`Invalid JSON request body`, ...).
    case invalidRequest(String)
    /// 413 `Payload too large`.
    case payloadTooLarge
    /// 404: not an ingestion path.
    case notFound
    /// 405: wrong HTTP method.
    case methodNotAllowed
    /// Listed in `events_with_missing_fields` under the field the finding points at.
    case eventMissingField
    /// Listed in `events_with_invalid_fields` under the field the finding points at.
    case eventInvalidField
    /// Listed in `events_with_invalid_id_lengths` under `user_id` or `device_id`.
    case eventInvalidIdLength
    /// amplitude-js legacy: text `bad_checksum`.
    case badChecksum
    /// 400 `Invalid API key: …` (only when a valid key is configured).
    case invalidAPIKey
}

/// Static description of a rule, shared by the validator, the docs and `ampscope rules`.
public struct RuleInfo: Sendable, Equatable {
    public var id: String
    /// Default severity; a rule may report a lower one for milder cases (e.g. `time-not-ms`).
    public var severity: Severity
    public var scope: RuleScope
    /// One line: what the rule checks.
    public var summary: String
    public var effect: AnswerEffect
    /// True when the rule's findings depend on what was ingested before this request (the
    /// request history in `ValidationContext`), not on the request alone. The validator runs
    /// such rules in arrival order, and stores keep their findings for captures they re-read.
    public var dependsOnHistory: Bool

    public init(id: String, severity: Severity, scope: RuleScope, summary: String, effect: AnswerEffect = .none,
                dependsOnHistory: Bool = false) {
        self.id = id
        self.severity = severity
        self.scope = scope
        self.summary = summary
        self.effect = effect
        self.dependsOnHistory = dependsOnHistory
    }
}

public enum RuleScope: String, Sendable, Codable {
    case request, event, identify
    /// Found by the profile simulation (`ProfileRule`).
    case profile
}

/// Collects findings from rules.
public struct FindingSink: Sendable {
    public private(set) var findings: [Finding] = []
    public init() {}
    public mutating func add(_ f: Finding) { findings.append(f) }
    public mutating func add(_ info: RuleInfo, _ path: String, event: Int? = nil, severity: Severity? = nil, _ message: String) {
        findings.append(Finding(rule: info.id, severity: severity ?? info.severity, path: path, event: event, message: message))
    }
    public mutating func append(contentsOf other: [Finding]) { findings.append(contentsOf: other) }
}

/// A rule that looks at a whole request (size, API key, record list...).
public protocol RequestRule: Sendable {
    var info: RuleInfo { get }
    func check(_ request: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink)
}

/// A rule that looks at one record (event, identification, mapping) at a time.
public protocol RecordRule: Sendable {
    var info: RuleInfo { get }
    func check(_ record: RecordFacts, _ request: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink)
}

/// Rule ids, in one place so decoders, the answer emulator and tests agree on spelling.
public enum RuleID {
    // Decoding and request level
    public static let bodyNotJSON = "body-not-json"
    public static let bodyEncoding = "body-encoding"
    public static let formEncoding = "form-encoding"
    public static let unknownEndpoint = "unknown-endpoint"
    public static let wrongEndpoint = "wrong-endpoint"
    public static let pathVariant = "path-variant"
    public static let unreadableInput = "unreadable-input"
    public static let methodNotAllowed = "method-not-allowed"
    public static let missingAPIKey = "missing-api-key"
    public static let missingEvents = "missing-events"
    public static let apiKeyFormat = "api-key-format"
    public static let invalidAPIKey = "invalid-api-key"
    public static let payloadTooLarge = "payload-too-large"
    public static let tooManyEvents = "too-many-events"
    public static let contentType = "content-type"
    public static let badChecksum = "bad-checksum"
    public static let invalidOptions = "invalid-options"
    // Events
    public static let notAnObject = "event-not-object"
    public static let missingEventType = "missing-event-type"
    public static let missingID = "missing-id"
    public static let idTooShort = "id-too-short"
    public static let reservedID = "reserved-id"
    public static let idNotString = "id-not-string"
    public static let timeNotMs = "time-not-ms"
    public static let sessionIDNotMs = "session-id-not-ms"
    public static let stringTooLong = "string-too-long"
    public static let nestedArray = "nested-array"
    public static let tooDeep = "too-deep"
    public static let tooManyGroups = "too-many-groups"
    public static let unknownField = "unknown-field"
    public static let fieldType = "field-type"
    public static let reservedEventType = "reserved-event-type"
    public static let revenueIncomplete = "revenue-incomplete"
    public static let duplicateInsertID = "duplicate-insert-id"
    public static let missingInsertID = "missing-insert-id"
    public static let mappingIncomplete = "mapping-incomplete"
    // Identify
    public static let mixedUserProperties = "mixed-user-properties"
    public static let propertyInMultipleOps = "property-in-multiple-ops"
    public static let clearAllNotAlone = "clear-all-not-alone"
    public static let clearAll = "clear-all"
    public static let addNonNumeric = "add-non-numeric"
    public static let unknownOperation = "unknown-operation"
    public static let opsOnNonIdentify = "ops-on-non-identify"
    public static let emptyIdentify = "empty-identify"
    public static let groupIdentifyIncomplete = "group-identify-incomplete"
}
