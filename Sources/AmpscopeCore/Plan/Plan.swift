/// A tracking plan: the events an app may send, their properties, the user properties and the
/// group types with theirs (Docs/plan.md). Pure data; `PlanNode` reads and writes it, the
/// importers (`PlanImport`) build it from other tools' exports, `PlanChecker` judges events.
public struct Plan: Sendable, Equatable {
    public var name: String?
    public var version: String?
    public var events: [PlanEvent]
    public var user: PlanPropertySet
    public var groups: [PlanGroupType]

    public init(name: String? = nil, version: String? = nil, events: [PlanEvent] = [], user: PlanPropertySet = PlanPropertySet(),
                groups: [PlanGroupType] = []) {
        self.name = name
        self.version = version
        self.events = events
        self.user = user
        self.groups = groups
    }

    public func event(named n: String) -> PlanEvent? { events.first { $0.name == n } }
}

/// What the plan says about an event type.
public enum PlanStatus: String, Sendable, Equatable, CaseIterable {
    /// Planned but not shipped yet: seeing it is fine.
    case planned
    /// Shipped.
    case live
    /// Still accepted, to be removed: each instance is a warning.
    case deprecated
    /// Must not be sent (Amplitude Data would not ingest it): each instance is an error.
    case blocked
}

/// The JSON types a property may have. `integer` is a number without a fraction; `any` accepts all.
public enum PlanType: String, Sendable, Equatable, CaseIterable {
    case string, number, integer, boolean, array, object, any

    /// Whether a JSON value of this kind fits the type (`integer` needs `isInteger`).
    public func accepts(_ kind: JSONKind, isInteger: Bool) -> Bool {
        switch self {
        case .any: return true
        case .string: return kind == .string
        case .number: return kind == .number
        case .integer: return kind == .number && isInteger
        case .boolean: return kind == .true || kind == .false
        case .array: return kind == .array
        case .object: return kind == .object
        }
    }
}

/// A scalar allowed by an `enum` (strings, numbers and booleans compare by value).
public enum PlanScalar: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case number(Double)
    case bool(Bool)

    public var description: String {
        switch self {
        case .string(let s): return s
        case .number(let d): return PlanScalar.format(d)
        case .bool(let b): return b ? "true" : "false"
        }
    }

    static func format(_ d: Double) -> String {
        if d.rounded() == d, abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }
}

/// One property of an event, of the user or of a group.
public struct PlanProperty: Sendable, Equatable {
    public var name: String
    public var type: PlanType
    public var required: Bool
    public var description: String?
    /// Allowed values (nil: any value of the type).
    public var enumValues: [PlanScalar]?
    /// A regular expression string values must match (anywhere, unless anchored with ^ and $).
    public var regex: String?
    /// Bounds for numbers (inclusive).
    public var min: Double?
    public var max: Double?
    /// The type of each element of an array.
    public var itemType: PlanType?

    public init(name: String, type: PlanType = .any, required: Bool = false, description: String? = nil,
                enumValues: [PlanScalar]? = nil, regex: String? = nil, min: Double? = nil, max: Double? = nil,
                itemType: PlanType? = nil) {
        self.name = name
        self.type = type
        self.required = required
        self.description = description
        self.enumValues = enumValues
        self.regex = regex
        self.min = min
        self.max = max
        self.itemType = itemType
    }
}

/// Properties and whether others are allowed (`additional_properties`, true by default).
public struct PlanPropertySet: Sendable, Equatable {
    public var properties: [PlanProperty]
    public var additionalProperties: Bool

    public init(properties: [PlanProperty] = [], additionalProperties: Bool = true) {
        self.properties = properties
        self.additionalProperties = additionalProperties
    }

    public var isEmpty: Bool { properties.isEmpty && additionalProperties }
}

public struct PlanEvent: Sendable, Equatable {
    public var name: String
    public var status: PlanStatus
    public var description: String?
    public var properties: PlanPropertySet

    public init(name: String, status: PlanStatus = .live, description: String? = nil, properties: PlanPropertySet = PlanPropertySet()) {
        self.name = name
        self.status = status
        self.description = description
        self.properties = properties
    }
}

public struct PlanGroupType: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var properties: PlanPropertySet

    public init(name: String, description: String? = nil, properties: PlanPropertySet = PlanPropertySet()) {
        self.name = name
        self.description = description
        self.properties = properties
    }
}
