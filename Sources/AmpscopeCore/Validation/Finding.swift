/// How bad a finding is.
public enum Severity: String, Sendable, Codable, Comparable, CaseIterable {
    /// Amplitude rejects the request or drops the data.
    case error
    /// Accepted, but almost certainly not what was meant.
    case warning
    /// Worth knowing; nothing is wrong.
    case info

    private var rank: Int {
        switch self {
        case .error: return 2
        case .warning: return 1
        case .info: return 0
        }
    }
    /// `error > warning > info`.
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One thing a rule found in a request.
public struct Finding: Sendable, Hashable, Codable {
    /// Stable rule id, e.g. `id-too-short`.
    public var rule: String
    public var severity: Severity
    /// JSON Pointer into the decoded request view, e.g. `/events/1/user_id`.
    public var path: String
    /// Index of the event it concerns, when it concerns one.
    public var event: Int?
    /// A sentence a user understands.
    public var message: String

    public init(rule: String, severity: Severity, path: String, event: Int? = nil, message: String) {
        self.rule = rule
        self.severity = severity
        self.path = path
        self.event = event
        self.message = message
    }
}

/// Counts by severity.
public struct FindingCounts: Sendable, Hashable, Codable {
    public var errors = 0
    public var warnings = 0
    public var infos = 0
    public init() {}
    public init(_ findings: some Sequence<Finding>) {
        for f in findings { add(f.severity) }
    }
    public mutating func add(_ s: Severity) {
        switch s {
        case .error: errors += 1
        case .warning: warnings += 1
        case .info: infos += 1
        }
    }
    public static func += (a: inout FindingCounts, b: FindingCounts) {
        a.errors += b.errors
        a.warnings += b.warnings
        a.infos += b.infos
    }
    /// The worst severity present.
    public var worst: Severity? { errors > 0 ? .error : warnings > 0 ? .warning : infos > 0 ? .info : nil }
}
