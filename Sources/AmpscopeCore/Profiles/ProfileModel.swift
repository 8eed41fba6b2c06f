/// Storage of the profile simulator: compact records, addressed by small integer indices.
///
/// Profiles keep only their current properties; history lives in one append-only change log,
/// one `ChangeRecord` per property an event touched (`previous` links a change to the change
/// that set the value before it). Property names are interned once per simulator.

/// One change of one property of one profile (user or group), as stored.
///
/// 32 bytes: the value (17), the operation and flags in one byte, the kind and reason in
/// another, then three indices. The event is not stored: changes are appended in event order
/// and an event's `changeEnd` bounds its changes, so whoever reads a change knows its event
/// (the change log is most of the simulator's memory; it was 48 bytes, then 40).
public struct ChangeRecord: Sendable, Equatable {
    /// Applied changes: the value after (nil when removed). No-ops and drops: the value sent.
    public var value: ProfileValue?
    /// `operation.rawValue | flags << 4`.
    private var operationAndFlags: UInt8
    /// `kind.rawValue | reason.rawValue << 3`.
    private var kindAndReason: UInt8
    /// How many suffix changes end at this one, up to `ChangeLog.checkpointInterval` (0 when
    /// it holds its whole value): set by `ChangeLog.append` in what was a padding byte, so that
    /// an `$append` asks one record instead of walking the chain (a cache miss per record).
    var chain: UInt8 = 0
    /// The profile: a user index (>= 0) or a group (`-1 - groupIndex`).
    public var target: Int32
    /// Interned property name.
    public var property: Int32
    /// The applied change that set the value this one found (-1: none, the property was missing).
    public var previous: Int32

    public init(target: Int32, property: Int32, previous: Int32, operation: ProfileOperation,
                kind: ChangeKind, reason: ChangeReason, flags: UInt8, value: ProfileValue?) {
        self.value = value
        operationAndFlags = operation.rawValue | flags << 4
        kindAndReason = kind.rawValue | reason.rawValue << 3
        self.target = target
        self.property = property
        self.previous = previous
    }

    /// The record's fields as spilled, the value left for `ChangeLog` to place.
    var spilledFields: SpilledChange {
        SpilledChange(valueAt: 0, valueLength: 0, operationAndFlags: operationAndFlags, kindAndReason: kindAndReason,
                      chain: chain, target: target, property: property, previous: previous)
    }

    /// A record read back from a spilled chunk, with its decoded value.
    init(spilled s: SpilledChange, value: ProfileValue?) {
        self.value = value
        operationAndFlags = s.operationAndFlags
        kindAndReason = s.kindAndReason
        chain = s.chain
        target = s.target
        property = s.property
        previous = s.previous
    }

    public var operation: ProfileOperation {
        get { ProfileOperation(rawValue: operationAndFlags & 0x0F)! }
        set { operationAndFlags = operationAndFlags & 0xF0 | newValue.rawValue }
    }
    /// `ChangeRecord.truncatedFlag` | `repeatedFlag` | `unindexedFlag`.
    public var flags: UInt8 {
        get { operationAndFlags >> 4 }
        set { operationAndFlags = operationAndFlags & 0x0F | newValue << 4 }
    }
    public var kind: ChangeKind {
        get { ChangeKind(rawValue: kindAndReason & 0x07)! }
        set { kindAndReason = kindAndReason & 0xF8 | newValue.rawValue }
    }
    public var reason: ChangeReason {
        get { ChangeReason(rawValue: kindAndReason >> 3)! }
        set { kindAndReason = kindAndReason & 0x07 | newValue.rawValue << 3 }
    }

    /// A sent string was longer than 1024 characters and was cut.
    public static let truncatedFlag: UInt8 = 1
    /// An earlier operation of the same payload targeted this property too (the SDKs would have dropped this one).
    public static let repeatedFlag: UInt8 = 2
    /// A property name past the project's 1 000 user properties: kept, but not indexed.
    public static let unindexedFlag: UInt8 = 4
    /// The value holds only the items this change added at the end of the list its `previous`
    /// change holds (`ChangeLog`).
    static let suffixFlag: UInt8 = 8

    public var applied: Bool {
        let k = kind
        return k == .added || k == .changed || k == .removed
    }
}

/// The simulator's change log: one `ChangeRecord` per property an event touched, in event order.
///
/// A list that grows by `$append` or `$postInsert` would be stored whole at every change, so a
/// user who appends on every identify costs the square of their list's length (on the replay
/// bench's file, where each user appends a page to `visited` on every identify, that was about
/// half of the profiles' memory). Such a change stores only the items it added
/// (`ChangeRecord.suffixFlag`), and its full value is rebuilt from the change it extended; every
/// `checkpointInterval`-th change of a chain stores the whole list again, so a read walks at
/// most that many records.
struct ChangeLog: Sendable {
    /// The newest records; the `spilled` before them are in `storage`.
    private var hot: [ChangeRecord] = []
    /// Storage offset of each spilled chunk, in order.
    private var chunkOffsets: [Int] = []
    private(set) var spilled = 0
    /// Records per spilled chunk (the log spills once `2 × chunk` are in memory).
    let chunk: Int
    let storage: (any ProfileSpillStorage)?
    /// Spilled records read lately, decoded (nil without a storage).
    private let recent: SpilledChangeCache?
    static let checkpointInterval = 16

    init(storage: (any ProfileSpillStorage)? = nil, chunk: Int = 1 << 19) {
        self.storage = storage
        self.chunk = max(1, chunk)
        recent = storage == nil ? nil : SpilledChangeCache()
    }

    var count: Int { spilled + hot.count }
    var isEmpty: Bool { count == 0 }
    /// Record `i`. A read accessor, so that asking one field of a record in memory (its chain,
    /// flags, previous) borrows it in place: a getter copied the whole record, retaining and
    /// releasing its value, for each field asked.
    subscript(_ i: Int) -> ChangeRecord {
        _read {
            if i >= spilled { yield hot[i - spilled] } else { yield cold(i) }
        }
    }

    mutating func append(_ c: ChangeRecord) {
        var c = c
        if c.flags & ChangeRecord.suffixFlag != 0 {
            let before = c.previous >= 0 ? Int(self[Int(c.previous)].chain) : 0
            c.chain = UInt8(min(Self.checkpointInterval, before + 1))
        } else {
            c.chain = 0
        }
        hot.append(c)
        // After a refused append, try again each time another chunk has gathered.
        if storage != nil, hot.count >= 2 * chunk, hot.count % chunk == 0 { spill() }
    }

    /// Writes every whole chunk of records in memory but the newest to the storage (more than
    /// one after refused appends), stopping at the first it refuses. A chunk is the records'
    /// fixed-size parts, then the values too long to sit in them.
    private mutating func spill() {
        guard let storage else { return }
        let stride = MemoryLayout<SpilledChange>.stride
        var written = 0
        var encoded: [UInt8] = []
        while hot.count - written * chunk >= 2 * chunk {
            var bytes = [UInt8](repeating: 0, count: chunk * stride)
            for k in 0..<chunk {
                let c = hot[written * chunk + k]
                var s = c.spilledFields
                if let v = c.value {
                    encoded.removeAll(keepingCapacity: true)
                    SpilledValue.encode(v, into: &encoded)
                    if encoded.count <= 8 {
                        var inline: UInt64 = 0
                        withUnsafeMutableBytes(of: &inline) { $0.copyBytes(from: encoded) }
                        s.valueAt = inline
                        s.valueLength = UInt32(encoded.count) | SpilledChange.inlineBit
                    } else {
                        s.valueAt = UInt64(bytes.count)
                        s.valueLength = UInt32(encoded.count)
                        bytes.append(contentsOf: encoded)
                    }
                }
                bytes.withUnsafeMutableBytes { $0.storeBytes(of: s, toByteOffset: k * stride, as: SpilledChange.self) }
            }
            guard let at = bytes.withUnsafeBytes({ storage.append($0) }) else { break }
            chunkOffsets.append(at)
            written += 1
        }
        spilled += written * chunk
        hot.removeFirst(written * chunk)
    }

    private func cold(_ i: Int) -> ChangeRecord {
        precondition(i >= 0, "ChangeLog index out of range")
        let base = chunkOffsets[i / chunk]
        let at = base + (i % chunk) * MemoryLayout<SpilledChange>.stride
        if let r = recent?.record(at: at) { return r }
        // A record that cannot be read back reads as a no-op on nothing (never expected: the
        // storage wrote it).
        guard let r = read(at: at, chunkBase: base) else {
            return ChangeRecord(target: 0, property: 0, previous: -1, operation: .set, kind: .noEffect,
                                reason: .none, flags: 0, value: nil)
        }
        recent?.keep(r, at: at)
        return r
    }

    private func read(at: Int, chunkBase base: Int) -> ChangeRecord? {
        let s = withUnsafeTemporaryAllocation(of: SpilledChange.self, capacity: 1) { p -> SpilledChange? in
            guard let storage, storage.read(at: at, into: UnsafeMutableRawBufferPointer(p)) else { return nil }
            return p[0]
        }
        guard let s else { return nil }
        var value: ProfileValue?
        let length = Int(s.valueLength & ~SpilledChange.inlineBit)
        if s.valueLength & SpilledChange.inlineBit != 0 {
            var inline = s.valueAt
            value = withUnsafeBytes(of: &inline) { SpilledValue.decode(UnsafeRawBufferPointer(rebasing: $0[0..<min(8, length)])) }
        } else if length > 0 {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 1)
            defer { buffer.deallocate() }
            if storage!.read(at: base + Int(s.valueAt), into: buffer) { value = SpilledValue.decode(UnsafeRawBufferPointer(buffer)) }
        }
        return ChangeRecord(spilled: s, value: value)
    }

    /// The value change `i` holds, whole (the value after for an applied change, the value sent
    /// for a no-op or a drop); nil for a removal or `i` < 0.
    func value(_ i: Int32) -> ProfileValue? {
        guard i >= 0 else { return nil }
        // A whole value in memory (the common case) is read in place: copying the record first
        // retained and released its value once more per read.
        if Int(i) >= spilled, hot[Int(i) - spilled].flags & ChangeRecord.suffixFlag == 0 { return hot[Int(i) - spilled].value }
        let first = self[Int(i)]
        guard first.flags & ChangeRecord.suffixFlag != 0 else { return first.value }
        var pieces: [ProfileValue?] = []
        var total = 0
        var j = i
        var r = first
        while true {
            pieces.append(r.value)
            total += r.value?.listCount ?? 0
            j = r.previous
            guard j >= 0 else { break }
            r = self[Int(j)]
            if r.flags & ChangeRecord.suffixFlag == 0 { break }
        }
        let base = j >= 0 ? r.value : nil
        var out: [ProfileValue] = []
        out.reserveCapacity(total + (base?.listCount ?? 0))
        if let base { out.append(contentsOf: base.listItems) }
        for p in pieces.reversed() {
            if let v = p { out.append(contentsOf: v.listItems) }
        }
        return .array(out)
    }

    /// Change `i`, made by event `event`, with its name and values resolved.
    func change(_ i: Int, event: Int, names: ByteInterner) -> ProfileChange {
        let c = self[i]
        let before = value(c.previous)
        let value = value(Int32(i))
        return ProfileChange(event: event, target: ProfileTarget(raw: c.target), property: names.string(c.property),
                             operation: c.operation, kind: c.kind, reason: c.reason, before: before,
                             after: c.applied ? value : before, sent: c.applied ? nil : value,
                             truncated: c.flags & ChangeRecord.truncatedFlag != 0,
                             repeatedInPayload: c.flags & ChangeRecord.repeatedFlag != 0,
                             unindexed: c.flags & ChangeRecord.unindexedFlag != 0)
    }

    /// Whether change `i` leaves a value (it is not a removal; -1: no change).
    func holdsValue(_ i: Int32) -> Bool {
        guard i >= 0 else { return false }
        let c = self[Int(i)]
        return c.flags & ChangeRecord.suffixFlag != 0 || c.value != nil
    }

    /// How many suffix changes end at change `i` (0 when it holds its whole value), up to the
    /// checkpoint interval.
    func chainLength(_ i: Int32) -> Int { i >= 0 ? Int(self[Int(i)].chain) : 0 }

    /// `chainLength` counted by walking the chain (what `ChangeRecord.chain` keeps; for tests).
    func walkedChainLength(_ i: Int32) -> Int {
        var n = 0
        var j = i
        while j >= 0, n < Self.checkpointInterval, self[Int(j)].flags & ChangeRecord.suffixFlag != 0 {
            n += 1
            j = self[Int(j)].previous
        }
        return n
    }
}

/// Spilled change records read lately, decoded: a direct-mapped table keyed by the record's
/// offset in the storage (unique even between copies of a log that spilled apart). The fold
/// asks for the same old records again and again (a property set long ago and sent again with
/// every identify), and a `pread` and a decode cost more than a lock.
final class SpilledChangeCache: Sendable {
    private struct Slot {
        var at = -1
        var record: ChangeRecord?
    }
    static let slotCount = 1 << 14
    private let slots = Guarded([Slot](repeating: Slot(), count: slotCount))

    private static func slot(_ at: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(at)) &* 0x9E37_79B9_7F4A_7C15) >> 40) & (slotCount - 1)
    }

    func record(at: Int) -> ChangeRecord? {
        let k = Self.slot(at)
        return slots.withLock { $0[k].at == at ? $0[k].record : nil }
    }

    func keep(_ r: ChangeRecord, at: Int) {
        let k = Self.slot(at)
        slots.withLock { $0[k] = Slot(at: at, record: r) }
    }
}

/// Current properties of a profile, sorted by interned name. An entry holds the change that
/// last set the property; the value is that change's (applied changes carry the value after),
/// so a property costs 8 bytes here and its value is stored once, in the change log.
struct PropertyTable: Sendable {
    struct Entry: Sendable {
        var name: Int32
        /// The last applied change (index into the change log, below 2^31) in the low 31 bits;
        /// the top bit is set while the property has a value (that change did not remove it), so
        /// a lookup answers "is it there?" without reading the change log (a cache miss per
        /// property on a large log).
        private var packed: UInt32

        init(name: Int32, lastChange: Int32, present: Bool) {
            self.name = name
            packed = UInt32(bitPattern: lastChange) & 0x7FFF_FFFF | (present ? 0x8000_0000 : 0)
        }

        /// The last applied change (index into the change log).
        var lastChange: Int32 { Int32(bitPattern: packed & 0x7FFF_FFFF) }
        /// The property has a value: `ChangeLog.holdsValue(lastChange)`, kept here.
        var present: Bool { packed & 0x8000_0000 != 0 }
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

    static func value(_ e: Entry, _ log: ChangeLog) -> ProfileValue? { log.value(e.lastChange) }

    /// The current value, read from the change log `log`.
    func value(_ name: Int32, _ log: ChangeLog) -> ProfileValue? { find(name).flatMap { Self.value(entries[$0], log) } }

    /// Where property `name` is (or would go) and its last change: one search for an
    /// operation and the change it records. The value is read from the log only when needed
    /// (`ChangeLog.value(lastChange)`).
    struct Lookup {
        var index: Int
        var found: Bool
        /// The last applied change (-1: the property never existed).
        var lastChange: Int32
        /// The property has a value (it exists and was not removed).
        var present: Bool
    }

    func lookup(_ name: Int32, _ log: ChangeLog) -> Lookup {
        let i = lowerBound(name)
        guard i < entries.count && entries[i].name == name else { return Lookup(index: i, found: false, lastChange: -1, present: false) }
        let e = entries[i]
        return Lookup(index: i, found: true, lastChange: e.lastChange, present: e.present)
    }

    /// Records that change `change` (about to be appended to the log) set the property
    /// (`present`) or removed it; `at` is the property's lookup before the change.
    mutating func store(_ name: Int32, at: Lookup, present: Bool, change: Int32) {
        if at.found {
            let was = at.present
            if !was, present { count += 1 }
            if was, !present { count -= 1 }
            entries[at.index] = Entry(name: name, lastChange: change, present: present)
            return
        }
        entries.insert(Entry(name: name, lastChange: change, present: present), at: at.index)
        if present { count += 1 }
    }

    /// Present properties (name, value) in name-id order.
    func present(_ log: ChangeLog) -> [(Int32, ProfileValue)] { entries.compactMap { e in Self.value(e, log).map { (e.name, $0) } } }
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

/// An identity link as the simulator stores it: ids instead of strings (20 bytes instead of
/// 64; a load test that moves devices between users makes hundreds of thousands).
struct StoredLink: Sendable {
    var kind: IdentityLinkKind
    var event: Int32
    /// Interned device id, -1: none.
    var device: Int32 = -1
    /// The other user's index (`IdentityLink.otherUser`), -1: none.
    var otherUser: Int32 = -1
    /// Interned id of `IdentityLink.other` (a user_id or a global user id), -1: none.
    var other: Int32 = -1

    /// The link with its ids read back from the simulator's interners.
    func resolved(ids: ByteInterner, devices: ByteInterner) -> IdentityLink {
        IdentityLink(kind: kind, event: Int(event), deviceID: device >= 0 ? devices.string(device) : nil,
                     other: other >= 0 ? ids.string(other) : nil, otherUser: otherUser >= 0 ? Int(otherUser) : nil)
    }
}

/// What most users never need, kept out of line (`UserRecord.extra`).
final class UserExtra: @unchecked Sendable {
    var moreDevices: [Int32] = []
    /// The devices as a set once there are more than a few (a user a load test sends with a new
    /// device per event gathers thousands, and each join asks whether the user has the device).
    var deviceSet: Int32Set?
    var moreLinks: [StoredLink] = []
    /// Users merged into this one (§A3.5).
    var merged: [Int32] = []
    /// Persistent group memberships (`groups` on an identify), type → values.
    var groups: [(type: String, values: [String])] = []

    init() {}

    func copy() -> UserExtra {
        let c = UserExtra()
        c.moreDevices = moreDevices
        c.deviceSet = deviceSet
        c.moreLinks = moreLinks
        c.merged = merged
        c.groups = groups
        return c
    }
}

/// One resolved user, in about 100 bytes: ids are interned (`ProfileSimulator.ids`,
/// `devices`), the link that created the user is kept as three fields (every user has one),
/// and the lists most users never fill live in `extra`, allocated on first use and copied
/// before a write when a copy of the simulator shares it.
struct UserRecord: Sendable {
    /// Interned user_id, -1: anonymous.
    var userID: Int32 = -1
    /// Interned id of the first device, -1: none.
    var firstDevice: Int32 = -1
    /// How the user came to be (`newUser`, `anonymousDevice` or `newUserOnDevice`), at which
    /// event, and for `newUserOnDevice` the device's previous user_id (interned, -1: none).
    var origin: IdentityLinkKind = .newUser
    /// Set while throttled (a finding is reported once per throttled stretch).
    var throttled = false
    var originEvent: Int32 = -1
    var originOther: Int32 = -1
    /// Index of the user this one merged into (-1: not merged).
    var mergedInto: Int32 = -1
    var eventCount: Int32 = 0
    var findingCount: Int32 = 0
    var lastSeen: Int64 = 0
    var props = PropertyTable()
    /// Ordinal of this user's latest event (-1: none); `EventRecord.previousOfUser` leads back
    /// through the rest (`ProfileSimulator.eventOrdinals(ofUser:)`).
    var lastEvent: Int32 = -1
    /// Times of recent applied property updates (the last hour), for the throttle: those from
    /// `updateHead` on (the ones before it have expired; they are cut off in bulk, not one
    /// shift of the whole list per event, which a user near the limit made 1 800 long).
    var updateTimes: [Int64] = []
    var updateHead: Int32 = 0
    private(set) var extra: UserExtra?

    /// `extra`, created or unshared for a write.
    mutating func editExtra() -> UserExtra {
        if extra == nil {
            extra = UserExtra()
        } else if !isKnownUniquelyReferenced(&extra!) {
            extra = extra!.copy()
        }
        return extra!
    }

    var merged: [Int32] { extra?.merged ?? [] }
    var groups: [(type: String, values: [String])] { extra?.groups ?? [] }

    /// The user's devices (interned), in the order they joined.
    var deviceIDs: [Int32] { firstDevice >= 0 ? [firstDevice] + (extra?.moreDevices ?? []) : [] }
    var hasDevices: Bool { firstDevice >= 0 }
    func hasDevice(_ d: Int32) -> Bool {
        if firstDevice == d { return true }
        guard let extra else { return false }
        if let set = extra.deviceSet { return set.contains(d) }
        return extra.moreDevices.contains(d)
    }
    mutating func addDevice(_ d: Int32) {
        guard firstDevice >= 0 else { firstDevice = d; return }
        let x = editExtra()
        x.moreDevices.append(d)
        if x.deviceSet != nil {
            x.deviceSet!.insert(d)
        } else if x.moreDevices.count >= 8 {
            x.deviceSet = Int32Set(x.moreDevices)
        }
    }

    /// Forgets the update times at or before `hourAgo`; how many are left.
    mutating func updatesAfter(_ hourAgo: Int64) -> Int {
        var head = Int(updateHead)
        let n = updateTimes.count
        while head < n && updateTimes[head] <= hourAgo { head += 1 }
        if head >= 64 && head * 2 >= n {
            updateTimes.removeFirst(head)
            head = 0
        }
        updateHead = Int32(head)
        return updateTimes.count - head
    }

    /// Links after the first, in order.
    var moreLinks: [StoredLink] { extra?.moreLinks ?? [] }
    mutating func addLink(_ l: StoredLink) {
        if originEvent < 0 {
            origin = l.kind
            originEvent = l.event
            originOther = l.other
        } else {
            editExtra().moreLinks.append(l)
        }
    }
}

/// A set of non-negative `Int32`s (interned device ids), in whichever of two forms is smaller:
/// an open-addressing array at most half full, probed from a multiplicative hash, or a bitmap
/// while the values are dense (no larger than 32 per slot the array would have). `Set<Int32>`
/// hashes with SipHash; asking whether a user already has a device (every event of a device
/// that moves between users) was most of the time of resolving users. A load test that pairs
/// users and devices at random gives every user most of a few hundred devices: 4 KB of slots
/// each, a cache miss per question, where the bitmap is one 64-byte line. Real traffic, where a
/// user's few devices are spread over a large id space, keeps the array.
struct Int32Set: Sendable {
    /// Hash form: -1 marks an empty slot; the count is 0 or a power of two. Empty in bitmap form.
    private var slots: [Int32] = []
    /// Bitmap form: bit `v` is set when `v` is in the set. Empty in hash form.
    private var words: [UInt64] = []
    private(set) var count = 0
    /// The largest value held (-1: none).
    private var largest: Int32 = -1

    init() {}

    init(_ items: some Sequence<Int32>) {
        for v in items { insert(v) }
    }

    /// Whether the set is a bitmap now (for tests).
    var isBitmap: Bool { !words.isEmpty }

    @inline(__always) private static func home(_ v: Int32, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(UInt32(bitPattern: v)) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Slots the hash form needs for `n` values (at most half full, a power of two, at least 16).
    private static func slotCount(for n: Int) -> Int {
        var c = 16
        while n * 2 > c { c *= 2 }
        return c
    }

    /// A bitmap reaching `largest` takes no more bytes than the hash form of `n` values would.
    private static func bitmapFits(largest: Int32, count n: Int) -> Bool {
        (Int(largest) / 64 + 1) * 8 <= slotCount(for: n) * 4
    }

    func contains(_ v: Int32) -> Bool {
        guard v >= 0 else { return false }
        if !words.isEmpty {
            let w = Int(v) >> 6
            return w < words.count && words[w] & (1 << UInt64(v & 63)) != 0
        }
        guard !slots.isEmpty else { return false }
        return slots.withUnsafeBufferPointer { s in
            let mask = s.count - 1
            var i = Self.home(v, mask)
            while true {
                let x = s[i]
                if x == v { return true }
                if x < 0 { return false }
                i = (i + 1) & mask
            }
        }
    }

    /// Adds `v` (>= 0); false when it was there.
    @discardableResult mutating func insert(_ v: Int32) -> Bool {
        precondition(v >= 0, "Int32Set holds non-negative values")
        if contains(v) { return false }
        let newLargest = max(largest, v)
        if Self.bitmapFits(largest: newLargest, count: count + 1) {
            if words.isEmpty { toBitmap() }
            let w = Int(v) >> 6
            if w >= words.count { words.append(contentsOf: repeatElement(0, count: w + 1 - words.count)) }
            words[w] |= 1 << UInt64(v & 63)
        } else {
            if !words.isEmpty { toHash() }
            if (count + 1) * 2 > slots.count { rehash(into: Self.slotCount(for: count + 1)) }
            place(v)
        }
        count += 1
        largest = newLargest
        return true
    }

    /// Every value, in no particular order.
    private var values: [Int32] {
        if !words.isEmpty {
            var out: [Int32] = []
            out.reserveCapacity(count)
            for (w, word) in words.enumerated() where word != 0 {
                var bits = word
                while bits != 0 {
                    out.append(Int32(w * 64 + bits.trailingZeroBitCount))
                    bits &= bits - 1
                }
            }
            return out
        }
        return slots.filter { $0 >= 0 }
    }

    private mutating func toBitmap() {
        let old = values
        slots = []
        words = [UInt64](repeating: 0, count: max(1, Int(largest) / 64 + 1))
        for x in old { words[Int(x) >> 6] |= 1 << UInt64(x & 63) }
    }

    private mutating func toHash() {
        let old = values
        words = []
        slots = []
        rehash(into: Self.slotCount(for: count + 1))
        for x in old { place(x) }
    }

    private mutating func rehash(into size: Int) {
        let old = slots
        slots = [Int32](repeating: -1, count: size)
        for x in old where x >= 0 { place(x) }
    }

    /// Puts `v` (not present) into a free slot of the hash form.
    private mutating func place(_ v: Int32) {
        let mask = slots.count - 1
        var i = Self.home(v, mask)
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = v
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
///
/// 24 bytes. The record's index in its request is not stored: a request's events are
/// consecutive, so it is the ordinal less the request's first (`captureFirstEvent`).
struct EventRecord: Sendable, BitwiseCopyable {
    var capture: Int64
    /// User index, -1 when the event has no user (group identifications, mappings, no ids).
    var user: Int32
    /// The same user's event before this one (-1: none): a user's events are a list threaded
    /// through the events (`UserRecord.lastEvent`), not an array per user.
    var previousOfUser: Int32 = -1
    /// End (exclusive) of the event's changes in the change log; the start is the previous event's end.
    var changeEnd: Int32
    var status: ProfileEventStatus
    /// True when the event's own property changes are part of its snapshot (ordinary events);
    /// false for identify-only updates, which apply from the next event.
    var ownChangesApply: Bool
}

/// Whether an event reached the profiles.
public enum ProfileEventStatus: UInt8, Sendable, BitwiseCopyable, CustomStringConvertible {
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

