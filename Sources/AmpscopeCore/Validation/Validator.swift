/// Settings for validation that users can change.
public struct ValidationSettings: Sendable, Equatable {
    /// Minimum id length when a request has no `options.min_id_length` (`--min-id-length`).
    public var defaultMinIdLength: Int
    /// When set, requests with any other API key get `Invalid API key` (`--api-key`).
    public var expectedAPIKey: String?

    public init(defaultMinIdLength: Int = 5, expectedAPIKey: String? = nil) {
        self.defaultMinIdLength = defaultMinIdLength
        self.expectedAPIKey = expectedAPIKey
    }
}

/// State that spans requests within one input (a check run, a replay, a proxy session).
///
/// Today that is the set of `insert_id`s Amplitude would have ingested, so a resend after an
/// accepted request is flagged while an SDK's retry after a rejected one is not.
public struct ValidationContext: Sendable {
    public var settings: ValidationSettings
    /// Hash of (device_id, insert_id) → the request sequence number that first got it ingested.
    var ingested: [UInt64: Int] = [:]
    /// Sequence number of the request being validated (1-based).
    public private(set) var sequence = 0

    public init(settings: ValidationSettings = ValidationSettings()) { self.settings = settings }

    /// Effective minimum id length for a request.
    public func minIdLength(for request: DecodedRequest) -> Int {
        request.minIdLength ?? settings.defaultMinIdLength
    }

    func firstIngestion(of key: UInt64) -> Int? { ingested[key] }

    mutating func beginRequest() { sequence += 1 }

    /// Records what Amplitude ingested from a request, once its answer is known.
    public mutating func commit(_ request: DecodedRequest, accepted: Bool) {
        guard accepted, let doc = request.document else { return }
        let seq = sequence
        for r in request.records where doc.kind(r) == .object {
            if let key = InsertKey.hash(doc, r) { ingested[key] = ingested[key] ?? seq }
        }
    }
}

/// Hashing of (device_id, insert_id), the key Amplitude deduplicates on.
enum InsertKey {
    static func hash(_ doc: JSONDocument, _ record: Int) -> UInt64? {
        guard let ins = doc.member(record, "insert_id"), doc.kind(ins) == .string else { return nil }
        var h = FNV1a()
        if let d = doc.member(record, "device_id"), doc.kind(d) == .string { h.add(doc.string(d)) }
        h.addSeparator()
        h.add(doc.string(ins))
        return h.value
    }
}

struct FNV1a {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ s: String) {
        for b in s.utf8 { value = (value ^ UInt64(b)) &* 0x100_0000_01b3 }
    }
    mutating func addSeparator() { value = (value ^ 0xFF) &* 0x100_0000_01b3 }
}

/// Runs every rule over a decoded request.
public struct Validator: Sendable {
    public let rules: RuleRegistry

    public init(rules: RuleRegistry = .standard) { self.rules = rules }

    /// Findings for one request: decode problems first, then request rules, then record rules
    /// in record order. Call `context.commit` after the answer is known.
    public func validate(_ request: DecodedRequest, context: inout ValidationContext) -> [Finding] {
        context.beginRequest()
        var sink = FindingSink()
        sink.append(contentsOf: request.problems)
        for rule in rules.requestRules { rule.check(request, context, &sink) }
        if let doc = request.document {
            for (i, node) in request.records.enumerated() {
                let facts = RecordFacts(doc: doc, node: node, index: i, kind: request.recordKind,
                                        pointer: request.recordPointer(i))
                for rule in rules.recordRules { rule.check(facts, request, context, &sink) }
            }
        }
        return sink.findings
    }
}
