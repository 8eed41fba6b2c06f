/// The profile a change belongs to.
public enum ProfileTarget: Sendable, Hashable {
    case user(Int)
    case group(Int)

    init(raw: Int32) { self = raw >= 0 ? .user(Int(raw)) : .group(Int(-1 - raw)) }
}

/// One property change of one event, with names and values resolved (what the UI lists).
public struct ProfileChange: Sendable, Equatable {
    /// Event ordinal (0-based over every record the simulator saw).
    public var event: Int
    public var target: ProfileTarget
    public var property: String
    public var operation: ProfileOperation
    public var kind: ChangeKind
    public var reason: ChangeReason
    /// The value before the event (nil: the property did not exist).
    public var before: ProfileValue?
    /// The value after (nil: the property does not exist). Equals `before` for no-ops and drops.
    public var after: ProfileValue?
    /// The value the operation sent, for no-ops and drops (applied changes show `after`).
    public var sent: ProfileValue?
    /// A sent string was cut to 1024 characters.
    public var truncated: Bool
    /// Another operation of the same payload targeted this property first (the SDKs keep one).
    public var repeatedInPayload: Bool
    /// A new user property past the project's 1 000: kept, not indexed.
    public var unindexed: Bool

    public var applied: Bool { kind == .added || kind == .changed || kind == .removed }
}

/// A user as Amplitude resolves them (§A3): what a Users list row and the User tab header show.
public struct ResolvedUser: Sendable, Equatable {
    /// Index in the simulation; `amplitudeID` is this plus one (a stand-in for Amplitude's id).
    public var index: Int
    public var amplitudeID: Int { index + 1 }
    public var userID: String?
    public var deviceIDs: [String]
    /// How the user came to be and every device or user that joined it, in order.
    public var links: [IdentityLink]
    /// Users merged into this one (§A3.5), by index.
    public var mergedUsers: [Int]
    /// The user this one was merged into, if it was.
    public var mergedInto: Int?
    /// `/usermap`: the global user this user_id is mapped to.
    public var globalUserID: String?
    /// Events (identifies included) attributed to the user, merged users' included.
    public var eventCount: Int
    /// Latest event time (ms since the epoch).
    public var lastSeen: Int64
    public var propertyCount: Int
    /// Profile findings reported on the user's events.
    public var findingCount: Int
    /// Persistent group memberships (`groups` on an identify / setGroup), type → values.
    public var groups: [(type: String, values: [String])]

    public static func == (a: ResolvedUser, b: ResolvedUser) -> Bool {
        a.index == b.index && a.userID == b.userID && a.deviceIDs == b.deviceIDs && a.links == b.links
            && a.mergedUsers == b.mergedUsers && a.mergedInto == b.mergedInto && a.globalUserID == b.globalUserID
            && a.eventCount == b.eventCount && a.lastSeen == b.lastSeen && a.propertyCount == b.propertyCount
            && a.findingCount == b.findingCount && a.groups.map(\.type) == b.groups.map(\.type)
            && a.groups.map(\.values) == b.groups.map(\.values)
    }
}

/// A group profile (`$groupidentify`, `/groupidentify`).
public struct GroupProfile: Sendable, Equatable {
    public var index: Int
    public var type: String
    public var value: String
    public var propertyCount: Int
    public var lastSeen: Int64
    /// Events that updated or named the group, by ordinal.
    public var events: [Int]
}

/// Where an event came from and what became of it.
public struct ProfileEvent: Sendable, Equatable {
    public var ordinal: Int
    /// The `captureID` passed to `apply`.
    public var capture: Int64
    /// Index of the record in its request.
    public var record: Int
    /// The user it belongs to as it arrived (before later merges), or nil.
    public var user: Int?
    public var status: ProfileEventStatus
    /// False for identify-only updates: their changes apply from the user's next event (§A2).
    public var ownChangesApply: Bool
    public var changeCount: Int
}

extension ProfileSimulator {
    // MARK: Events

    /// Events the simulator has seen (applied or not).
    public var eventCount: Int { events.count }

    public func event(_ n: Int) -> ProfileEvent? {
        guard events.indices.contains(n) else { return nil }
        let e = events[n]
        let first = firstEvent(ofCapture: e.capture).map(Int.init) ?? n
        return ProfileEvent(ordinal: n, capture: e.capture, record: n - first, user: e.user >= 0 ? Int(e.user) : nil,
                            status: e.status, ownChangesApply: e.ownChangesApply, changeCount: changeRange(n).count)
    }

    /// Ordinals of the events of one request.
    public func events(forCapture id: Int64) -> Range<Int> {
        guard let first = firstEvent(ofCapture: id).map(Int.init) else { return 0..<0 }
        var end = first
        while end < events.count && events[end].capture == id { end += 1 }
        return first..<end
    }

    /// The ordinal of record `record` of capture `id`.
    public func ordinal(capture id: Int64, record: Int) -> Int? {
        let r = events(forCapture: id)
        return r.contains(r.lowerBound + record) ? r.lowerBound + record : nil
    }

    func changeRange(_ n: Int) -> Range<Int> {
        let start = n == 0 ? 0 : Int(events[n - 1].changeEnd)
        let end = Int(events[n].changeEnd)
        return min(start, end)..<end
    }

    /// Change `i` of the log, made by event `event`, with names and values resolved.
    func change(_ i: Int, event: Int) -> ProfileChange { changes.change(i, event: event, names: names) }

    /// What event `n` changed (users and groups), no-ops and drops included, in applied order.
    public func changes(forEvent n: Int) -> [ProfileChange] {
        guard events.indices.contains(n) else { return [] }
        return changeRange(n).map { change($0, event: n) }
    }

    /// Profile findings of one request (same `Finding` type and ids as the request rules).
    public func findings(forCapture id: Int64) -> [Finding] { findingsByCapture[id] ?? [] }

    /// Every profile finding, by capture id.
    public var allFindings: [(capture: Int64, findings: [Finding])] {
        findingsByCapture.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    // MARK: Users

    /// Users as Amplitude resolves them now (merged-away users left out), in order of first event.
    public var resolvedUsers: [ResolvedUser] {
        users.indices.filter { users[$0].mergedInto < 0 }.map(user)
    }

    /// Every user record, merged-away ones included.
    public var userCount: Int { users.count }

    public func user(_ u: Int) -> ResolvedUser {
        let r = users[u]
        let merged = r.merged.map(Int.init)
        var events = Int(r.eventCount)
        var findings = Int(r.findingCount)
        for m in merged {
            events += Int(users[m].eventCount)
            findings += Int(users[m].findingCount)
        }
        let userID = r.userID >= 0 ? ids.string(r.userID) : nil
        return ResolvedUser(index: u, userID: userID, deviceIDs: r.deviceIDs.map(devices.string), links: links(of: r), mergedUsers: merged,
                            mergedInto: r.mergedInto >= 0 ? Int(resolved(r.mergedInto)) : nil,
                            globalUserID: userID.flatMap { aliases[$0] }, eventCount: events,
                            lastSeen: merged.reduce(r.lastSeen) { max($0, users[$1].lastSeen) },
                            propertyCount: r.props.count, findingCount: findings, groups: r.groups)
    }

    /// The user a user_id resolves to.
    public func userIndex(userID: String) -> Int? {
        guard let id = ids.find(userID), userOfID[Int(id)] >= 0 else { return nil }
        return Int(resolved(userOfID[Int(id)]))
    }

    /// The user a device_id's events go to now (its last known user).
    public func userIndex(deviceID: String) -> Int? {
        guard let d = devices.find(deviceID), deviceOwner[Int(d)] >= 0 else { return nil }
        return Int(resolved(deviceOwner[Int(d)]))
    }

    /// Ordinals of a user's own events (not those of users merged into it), in order.
    func eventOrdinals(ofUser u: Int) -> [Int32] {
        var out: [Int32] = []
        var e = users[u].lastEvent
        while e >= 0 {
            out.append(e)
            e = events[Int(e)].previousOfUser
        }
        out.reverse()
        return out
    }

    /// A user's identity links, in order: the one that created the user, then the rest.
    func links(of r: UserRecord) -> [IdentityLink] {
        var out: [IdentityLink] = []
        if r.originEvent >= 0 {
            out.append(link(StoredLink(kind: r.origin, event: r.originEvent, device: r.firstDevice, other: r.originOther)))
        }
        for l in r.moreLinks { out.append(link(l)) }
        return out
    }

    /// A stored link with its ids read back.
    func link(_ l: StoredLink) -> IdentityLink { l.resolved(ids: ids, devices: devices) }

    /// The user an event belongs to now (following merges).
    public func resolvedUser(forEvent n: Int) -> Int? {
        guard events.indices.contains(n), events[n].user >= 0 else { return nil }
        return Int(resolved(events[n].user))
    }

    /// A user's current properties, by name.
    public func properties(ofUser u: Int) -> [(name: String, value: ProfileValue)] {
        sorted(users[u].props.present(changes))
    }

    /// The user properties in effect for event `n` (the snapshot Amplitude stamps on it, §A2):
    /// every earlier change of the event's user, plus the event's own changes unless it is an
    /// identify-only update (those apply from the next event). Built from the change log.
    public func properties(atEvent n: Int) -> [(name: String, value: ProfileValue)] {
        guard events.indices.contains(n), events[n].user >= 0 else { return [] }
        let u = events[n].user
        let own = changeRange(n)
        return sorted(values(of: users[Int(u)].props, before: events[n].ownChangesApply ? own.upperBound : own.lowerBound))
    }

    /// The values a profile's properties held before change `end` of the log: for each property
    /// of the profile's table, the newest applied change below `end`, found by walking the
    /// property's applied changes back from its last one (`ChangeRecord.previous`). Every
    /// applied change of a user is made by one of that user's own events and the log is in
    /// event order, so this is the fold of the user's events up to that point, at the cost of
    /// the changes made since rather than of the user's whole history (the User tab asks it
    /// for every selected event; the `profile.NAME` filter term for every row).
    private func values(of table: PropertyTable, before end: Int) -> [Int32: ProfileValue] {
        var out: [Int32: ProfileValue] = [:]
        for e in table.entries {
            var i = e.lastChange
            while i >= 0 && Int(i) >= end { i = changes[Int(i)].previous }
            if let v = changes.value(i) { out[e.name] = v }
        }
        return out
    }

    /// The user's events (ordinals) that touched `property`, as changes (no-ops included), in
    /// event order. With `limit`, only the newest `limit` (still oldest first): each member's
    /// events are walked from the newest and the walk stops once it has that many, so the User
    /// tab of a user with a long history costs its last touches, not the whole history (a
    /// throttled user in the soak touched two properties on each of tens of thousands of events,
    /// and every selected capture rebuilt all of them, under the follower's lock).
    public func history(ofProperty property: String, user u: Int, limit: Int? = nil) -> [ProfileChange] {
        guard let id = names.find(property), users.indices.contains(u) else { return [] }
        let cap = limit ?? .max
        guard cap > 0 else { return [] }
        // (event, change index) of the touches, newest first per member.
        var found: [(event: Int32, change: Int)] = []
        for member in [u] + users[u].merged.map(Int.init) {
            var taken = 0
            var ev = users[member].lastEvent
            walk: while ev >= 0 {
                for i in changeRange(Int(ev)).reversed() where changes[i].property == id && changes[i].target == Int32(member) {
                    found.append((ev, i))
                    taken += 1
                    if taken == cap { break walk }
                }
                ev = events[Int(ev)].previousOfUser
            }
        }
        // Members' events never coincide (an event has one user); within an event, log order.
        found.sort { $0.event != $1.event ? $0.event < $1.event : $0.change < $1.change }
        return found.suffix(cap).map { change($0.change, event: Int($0.event)) }
    }

    // MARK: Groups

    public var groupProfiles: [GroupProfile] { groups.indices.map(groupProfile) }

    public func groupProfile(_ g: Int) -> GroupProfile {
        let r = groups[g]
        return GroupProfile(index: g, type: r.type, value: r.value, propertyCount: r.props.count, lastSeen: r.lastSeen,
                            events: r.events.map(Int.init))
    }

    public func groupIndex(type: String, value: String) -> Int? { groupIndex[GroupKey(type: type, value: value)].map(Int.init) }

    public func properties(ofGroup g: Int) -> [(name: String, value: ProfileValue)] { sorted(groups[g].props.present(changes)) }

    /// The group's properties in effect for event `n`: group updates "affect only future events" (§A2).
    public func properties(ofGroup g: Int, atEvent n: Int) -> [(name: String, value: ProfileValue)] {
        sorted(fold(target: -1 - Int32(g), events: groups[g].events, through: n, includeLast: false))
    }

    /// The groups event `n` named (`groups`, `$groupidentify`, `/groupidentify`).
    public func groups(forEvent n: Int) -> [Int] { (eventGroups[Int32(n)] ?? []).map(Int.init) }

    // MARK: Helpers

    private func fold(target: Int32, events list: [Int32], through n: Int, includeLast: Bool) -> [Int32: ProfileValue] {
        var table: [Int32: ProfileValue] = [:]
        for ev in list {
            if Int(ev) > n || (Int(ev) == n && !includeLast) { break }
            for i in changeRange(Int(ev)) where changes[i].target == target && changes[i].applied {
                table[changes[i].property] = changes.value(Int32(i))
            }
        }
        return table
    }

    private func sorted<S: Sequence>(_ props: S) -> [(name: String, value: ProfileValue)] where S.Element == (key: Int32, value: ProfileValue) {
        props.map { (names.string($0.key), $0.value) }.sorted { $0.name < $1.name }
    }

    private func sorted(_ props: [(Int32, ProfileValue)]) -> [(name: String, value: ProfileValue)] {
        props.map { (names.string($0.0), $0.1) }.sorted { $0.name < $1.name }
    }
}
