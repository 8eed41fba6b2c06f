/// Storage of the profile simulator: compact records, addressed by small integer indices.
///
/// Profiles keep only their current properties; history lives in one append-only change log,
/// one `ChangeRecord` per property an event touched (`previous` links a change to the change
/// that set the value before it). Property names are interned once per simulator.

/// One change of one property of one profile (user or group), as stored.
///
/// The value comes first so the one-byte fields fill its tail: 40 bytes a change instead of 48
/// (the change log is most of the simulator's memory).
public struct ChangeRecord: Sendable, Equatable {
    /// Applied changes: the value after (nil when removed). No-ops and drops: the value sent.
    public var value: ProfileValue?
    public var operation: ProfileOperation
    public var kind: ChangeKind
    public var reason: ChangeReason
    /// `ChangeRecord.truncatedFlag` | `repeatedFlag` | `unindexedFlag`.
    public var flags: UInt8
    /// Ordinal of the event (0-based, over every record the simulator saw).
    public var event: Int32
    /// The profile: a user index (>= 0) or a group (`-1 - groupIndex`).
    public var target: Int32
    /// Interned property name.
    public var property: Int32
    /// The applied change that set the value this one found (-1: none, the property was missing).
    public var previous: Int32

    public init(event: Int32, target: Int32, property: Int32, previous: Int32, operation: ProfileOperation,
                kind: ChangeKind, reason: ChangeReason, flags: UInt8, value: ProfileValue?) {
        self.value = value
        self.operation = operation
        self.kind = kind
        self.reason = reason
        self.flags = flags
        self.event = event
        self.target = target
        self.property = property
        self.previous = previous
    }

    /// A sent string was longer than 1024 characters and was cut.
    public static let truncatedFlag: UInt8 = 1
    /// An earlier operation of the same payload targeted this property too (the SDKs would have dropped this one).
    public static let repeatedFlag: UInt8 = 2
    /// A property name past the project's 1 000 user properties: kept, but not indexed.
    public static let unindexedFlag: UInt8 = 4

    public var applied: Bool { kind == .added || kind == .changed || kind == .removed }
}

/// Current properties of a profile, sorted by interned name. An entry holds the change that
/// last set the property; the value is that change's (applied changes carry the value after),
/// so a property costs 8 bytes here and its value is stored once, in the change log.
struct PropertyTable: Sendable {
    struct Entry: Sendable {
        var name: Int32
        /// The last applied change (index into the change log).
        var lastChange: Int32
    }
    /// Includes tombstones (removed properties keep their last change), see `count`.
    var entries: [Entry] = []
    private(set) var count = 0

    /// Index of the first entry whose name is not below `name` (binary search).
    private func lowerBound(_ name: Int32) -> Int {
        var lo = 0
        var hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].name < name { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    func find(_ name: Int32) -> Int? {
        let i = lowerBound(name)
        return i < entries.count && entries[i].name == name ? i : nil
    }

    static func value(_ e: Entry, _ log: [ChangeRecord]) -> ProfileValue? {
        e.lastChange >= 0 ? log[Int(e.lastChange)].value : nil
    }

    /// The current value, read from the change log `log`.
    func value(_ name: Int32, _ log: [ChangeRecord]) -> ProfileValue? { find(name).flatMap { Self.value(entries[$0], log) } }
    func lastChange(_ name: Int32) -> Int32 { find(name).map { entries[$0].lastChange } ?? -1 }

    /// Records that change `change` (about to be appended to `log`) set the property (`present`)
    /// or removed it.
    mutating func store(_ name: Int32, present: Bool, change: Int32, _ log: [ChangeRecord]) {
        if let i = find(name) {
            let was = Self.value(entries[i], log) != nil
            if !was, present { count += 1 }
            if was, !present { count -= 1 }
            entries[i].lastChange = change
            return
        }
        entries.insert(Entry(name: name, lastChange: change), at: lowerBound(name))
        if present { count += 1 }
    }

    /// Present properties (name, value) in name-id order.
    func present(_ log: [ChangeRecord]) -> [(Int32, ProfileValue)] { entries.compactMap { e in Self.value(e, log).map { (e.name, $0) } } }
}

/// How a user came to be, or how another user or device joined it
/// (`profiles-and-plans.md` §A3, Amplitude's identity resolution).
public enum IdentityLinkKind: UInt8, Sendable, CustomStringConvertible {
    /// First seen with a user_id.
    case newUser
    /// First seen as an anonymous device (device_id only).
    case anonymousDevice
    /// §A3.2: the anonymous device's first user_id: the same Amplitude user, now known.
    case loggedIn
    /// §A3.5: an anonymous user merged into an existing known user ("merged_amplitude_id").
    case merged
    /// §A3.4: a different user_id on a device that had another user: a new Amplitude user.
    case newUserOnDevice
    /// §A3.3: a known user_id on another device: the device joins that user.
    case deviceJoined
    /// §A3 `/usermap`: the user_id is mapped to a global user (properties are not merged).
    case mapped
    /// `/usermap` with `unmap`.
    case unmapped

    public var description: String {
        switch self {
        case .newUser: return "new-user"
        case .anonymousDevice: return "anonymous-device"
        case .loggedIn: return "logged-in"
        case .merged: return "merged"
        case .newUserOnDevice: return "new-user-on-device"
        case .deviceJoined: return "device-joined"
        case .mapped: return "mapped"
        case .unmapped: return "unmapped"
        }
    }
}

/// One identity event of a user.
public struct IdentityLink: Sendable, Equatable {
    public var kind: IdentityLinkKind
    /// The event (ordinal) where it happened.
    public var event: Int
    /// The device involved, when one was.
    public var deviceID: String?
    /// The other user involved: the merged anonymous user, the device's previous user, the global user.
    public var other: String?
    /// For `.merged`: the index of the user merged into this one.
    public var otherUser: Int?
}

/// One resolved user. Most users have one device and one identity link, so the first of each is
/// kept in the record itself and only further ones in an array (an array of one costs a heap
/// block of 64 to 112 bytes, for 100 000 users 10 MB).
struct UserRecord: Sendable {
    var userID: String?
    var firstDevice: String?
    var moreDevices: [String] = []
    /// The devices as a set once there are more than a few (a user a load test sends with a new
    /// device per event gathers thousands, and each join asks whether the user has the device).
    var deviceSet: Set<String>?
    var firstLink: IdentityLink?
    var moreLinks: [IdentityLink] = []
    /// Index of the user this one merged into (-1: not merged).
    var mergedInto: Int32 = -1
    /// Users merged into this one (§A3.5).
    var merged: [Int32] = []
    var eventCount: Int32 = 0
    var findingCount: Int32 = 0
    var lastSeen: Int64 = 0
    var props = PropertyTable()
    /// Ordinals of this user's events, in order.
    var events: [Int32] = []
    /// Times of recent applied property updates (the last hour), for the throttle.
    var updateTimes: [Int64] = []
    /// Set while throttled (a finding is reported once per throttled stretch).
    var throttled = false
    /// Persistent group memberships (`groups` on an identify), type → values.
    var groups: [(type: String, values: [String])] = []

    /// The user's devices, in the order they joined.
    var deviceIDs: [String] { firstDevice.map { [$0] + moreDevices } ?? moreDevices }
    var hasDevices: Bool { firstDevice != nil }
    func hasDevice(_ d: String) -> Bool {
        if firstDevice == d { return true }
        if let set = deviceSet { return set.contains(d) }
        return moreDevices.contains(d)
    }
    mutating func addDevice(_ d: String) {
        guard firstDevice != nil else { firstDevice = d; return }
        moreDevices.append(d)
        if deviceSet != nil {
            deviceSet!.insert(d)
        } else if moreDevices.count >= 8 {
            deviceSet = Set(moreDevices)
        }
    }

    /// The user's identity links, in order.
    var links: [IdentityLink] { firstLink.map { [$0] + moreLinks } ?? moreLinks }
    mutating func addLink(_ l: IdentityLink) {
        if firstLink == nil { firstLink = l } else { moreLinks.append(l) }
    }
}

struct GroupRecord: Sendable {
    var type: String
    var value: String
    var props = PropertyTable()
    var lastSeen: Int64 = 0
    /// Ordinals of the events that updated the group or named it.
    var events: [Int32] = []
}

/// Per-event bookkeeping.
struct EventRecord: Sendable {
    var capture: Int64
    /// Index of the record in its request.
    var record: Int32
    /// User index, -1 when the event has no user (group identifications, mappings, no ids).
    var user: Int32
    /// End (exclusive) of the event's changes in the change log; the start is the previous event's end.
    var changeEnd: Int32
    var status: ProfileEventStatus
    /// True when the event's own property changes are part of its snapshot (ordinary events);
    /// false for identify-only updates, which apply from the next event.
    var ownChangesApply: Bool
}

/// Whether an event reached the profiles.
public enum ProfileEventStatus: UInt8, Sendable, CustomStringConvertible {
    /// Applied to the profiles.
    case applied
    /// The request was not ingested (Amplitude answered an error, or a fault was injected).
    case notIngested
    /// A copy of an insert_id Amplitude already ingested (`duplicate-insert-id`).
    case duplicate
    /// Past `ProfileOptions.stopAfterEvent`.
    case beyondLimit
    /// Not an object, or without a usable user_id, device_id or group.
    case unattributed

    public var description: String {
        switch self {
        case .applied: return "applied"
        case .notIngested: return "not-ingested"
        case .duplicate: return "duplicate"
        case .beyondLimit: return "beyond-limit"
        case .unattributed: return "unattributed"
        }
    }
}

/// Interned property names (one table for users and groups).
struct NameTable: Sendable {
    private(set) var names: [String] = []
    private var ids: [String: Int32] = [:]

    mutating func intern(_ s: String) -> (id: Int32, isNew: Bool) {
        if let i = ids[s] { return (i, false) }
        let i = Int32(names.count)
        names.append(s)
        ids[s] = i
        return (i, true)
    }

    func id(_ s: String) -> Int32? { ids[s] }
    subscript(_ i: Int32) -> String { names[Int(i)] }
}
