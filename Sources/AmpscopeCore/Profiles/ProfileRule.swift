/// A rule that looks at what the profile simulation made of one event (its property changes,
/// no-ops and drops, the identity link it created), not at the request alone.
///
/// The request rules (`RequestRule`, `RecordRule`) cannot see profiles: they judge one
/// request with no memory of the user. Profile rules run inside `ProfileSimulator.apply` on
/// events that did something noteworthy, and report the same `Finding`s with stable ids
/// (`Docs/rules.md`, "Profile rules"), read back with `findings(forCapture:)`.
public protocol ProfileRule: Sendable {
    var info: RuleInfo { get }
    func check(_ event: ProfileEventFacts, _ out: inout FindingSink)
}

extension RuleID {
    // Profile rules (`Sources/AmpscopeCore/Profiles/Rules`)
    public static let setOnceNoEffect = "set-once-no-effect"
    public static let addOntoNonNumber = "add-onto-non-number"
    public static let userIDChangedOnDevice = "user-id-changed-on-device"
    public static let identifyThrottled = "identify-throttled"
    public static let userPropertyLimit = "user-property-limit"
    public static let literalNullUserID = "literal-null-user-id"
}

/// The profile rules ampscope runs, in reporting order.
public enum ProfileRules {
    public static let standard: [any ProfileRule] = [
        SetOnceNoEffectRule(),
        AddOntoNonNumberRule(),
        UserIDChangedOnDeviceRule(),
        IdentifyThrottledRule(),
        UserPropertyLimitRule(),
        LiteralNullUserIDRule(),
    ]

    public static var infos: [RuleInfo] { standard.map(\.info) }

    /// A user_id that is the text of a null (`"None"` from Python, `"null"`, `"undefined"`,
    /// `"nil"`), compared ignoring case and surrounding spaces.
    public static func isLiteralNull(_ s: String) -> Bool {
        switch s.trimmingASCIISpaces.asciiLowercased {
        case "none", "null", "undefined", "nil": return true
        default: return false
        }
    }
}

/// One simulated event as the profile rules see it.
public struct ProfileEventFacts: Sendable {
    /// Event ordinal in the simulation.
    public let ordinal: Int
    /// Index of the record in its request (the finding's `event`).
    public let recordIndex: Int
    public let recordPointer: String
    /// The event's user_id (read from the simulator's ids on access: most noteworthy events
    /// are reported by rules that never ask).
    public var userID: String? { userIDKey >= 0 ? ids.string(userIDKey) : nil }
    /// The user_id is the text of a null (`ProfileRules.isLiteralNull`), as the simulator
    /// judged it once when it first saw the id.
    public let userIDIsLiteralNull: Bool
    public var deviceID: String? { deviceIDKey >= 0 ? devices.string(deviceIDKey) : nil }
    /// The user the event belongs to, resolved through merges (-1: none).
    public let user: Int
    /// The identity link this event created, if any.
    public var link: IdentityLink? {
        storedLink?.resolved(ids: ids, devices: devices)
    }
    /// The kind of `link`, without reading its ids.
    public var linkKind: IdentityLinkKind? { storedLink?.kind }
    /// What the event did to user and group properties, in the order it was applied.
    public let changes: ProfileEventChanges
    /// This event's updates are the first ones dropped by the hourly throttle.
    public let throttleStarted: Bool
    /// Property updates of the user applied in the hour before this event.
    public let updatesInLastHour: Int
    /// Offsets into `changes` of properties that are new past the project limit.
    public let unindexed: [Int]
    /// User properties the project has seen so far.
    public let projectUserProperties: Int
    public let options: ProfileOptions
    private let doc: JSONDocument
    private let node: Int
    private let keys: [Int]
    private let ids: ByteInterner
    private let devices: ByteInterner
    private let userIDKey: Int32
    private let deviceIDKey: Int32
    private let storedLink: StoredLink?

    init(simulator s: borrowing ProfileSimulator, record: borrowing RecordFacts, step: ProfileSimulator.EventStep) {
        ordinal = Int(step.ordinal)
        recordIndex = record.index
        recordPointer = record.pointer
        ids = s.ids
        devices = s.devices
        userIDKey = step.userID
        deviceIDKey = step.deviceID
        userIDIsLiteralNull = step.userID >= 0 && s.idIsLiteralNull[Int(step.userID)]
        let raw = s.events.count > Int(step.ordinal) ? s.events[Int(step.ordinal)].user : -1
        user = raw >= 0 ? Int(s.resolved(raw)) : -1
        storedLink = step.link
        changes = ProfileEventChanges(log: s.changes, names: s.names, first: step.firstChange, event: Int(step.ordinal))
        throttleStarted = step.throttleStarted
        updatesInLastHour = step.updatesInLastHour
        unindexed = step.unindexed
        projectUserProperties = s.userPropertyCount
        options = s.options
        doc = record.doc
        node = record.node
        keys = step.keys
    }

    /// JSON Pointer of the property a change came from (the record's pointer when it came
    /// from no key of its own, e.g. a merge or `$clearAll`).
    public func path(of change: Int) -> String {
        let k = change < keys.count ? keys[change] : -1
        guard k >= 0 else { return recordPointer }
        return doc.pointer(to: k, within: node, base: recordPointer)
    }

    /// Pointer of a top-level field of the record.
    public func path(_ field: EventField) -> String { recordPointer + "/" + JSONPointer.escape(field.wireName) }
}

/// One event's changes as the profile rules see them: built on access (a rule that looks for
/// one operation reads each change's operation and reason, and resolves names and values only
/// for the changes it reports).
public struct ProfileEventChanges: RandomAccessCollection, Sendable {
    private let log: ChangeLog
    private let names: ByteInterner
    private let first: Int
    private let event: Int
    public let count: Int

    init(log: ChangeLog, names: ByteInterner, first: Int, event: Int) {
        self.log = log
        self.names = names
        self.first = first
        self.event = event
        count = log.count - first
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(_ i: Int) -> ProfileChange { log.change(first + i, event: event, names: names) }

    /// Change `i`'s operation and what it did, without resolving it.
    public func operation(_ i: Int) -> ProfileOperation { log[first + i].operation }
    public func reason(_ i: Int) -> ChangeReason { log[first + i].reason }
}
