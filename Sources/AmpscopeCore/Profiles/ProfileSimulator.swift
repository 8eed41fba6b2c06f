/// Options of a profile simulation.
public struct ProfileOptions: Sendable {
    /// Apply only the first N events (ordinals 0..<N); later ones are counted, not applied
    /// (`ampscope profile --at N`).
    public var stopAfterEvent: Int?
    /// Property updates per user per rolling hour before Amplitude drops them
    /// (`profiles-and-plans.md` §A4: "more than 1800 times per hour").
    public var updatesPerHour = 1800
    /// User properties per project that Amplitude indexes (§A1 "Limits": 1000).
    public var projectUserPropertyLimit = 1000
    /// Group types and group values per event that Amplitude tracks (§A2, `amplitude-wire.md` §1.2).
    public var groupTypesPerEvent = 5
    public var groupValuesPerEvent = 10
    /// The rules run on each event's simulated outcome.
    public var rules: [any ProfileRule] = ProfileRules.standard
    /// Where per-event history goes past `hotEvents` (nil: it all stays in memory). The live
    /// session gives one (an unlinked temporary file) so that a long capture's profiles take
    /// bounded memory; `ampscope profile` and the tests mostly do not. Docs/profiles.md, "Memory".
    public var spill: (any ProfileSpillStorage)?
    /// About how many of the newest events keep their records in memory when `spill` is set
    /// (between this and twice it; their changes likewise, at two changes an event).
    public var hotEvents = 1 << 20

    public init(stopAfterEvent: Int? = nil) {
        self.stopAfterEvent = stopAfterEvent
    }
}

/// Amplitude's user and group profiles, simulated from the ordered stream of judged requests.
///
/// A pure fold: `apply` takes the next `Processed` request (the live stream calls it as
/// requests arrive, replay and `ampscope profile` call it for each request of a file), so the
/// profiles after any prefix of the stream are the same however it was delivered. It keeps:
/// users as Amplitude resolves them from user_id and device_id (§A3), their current properties,
/// group profiles (§A2), and a log of every property change with the operation that decided it
/// (including the operations that changed nothing), from which the properties in effect at any
/// event are rebuilt. Facts are cited from `Docs/facts/profiles-and-plans.md` Part A (§A1–§A4)
/// and `Docs/facts/amplitude-wire.md` §2; the choices where they stop are in `Docs/profiles.md`.
public struct ProfileSimulator: Sendable {
    public let options: ProfileOptions
    /// Property names, user and group alike.
    var names = ByteInterner()
    /// By name id: the name is a user property of the project (counts towards the limit).
    var isUserProperty: [Bool] = []
    var userPropertyCount = 0
    var users: [UserRecord] = []
    var groups: [GroupRecord] = []
    var groupIndex: [GroupKey: Int32] = [:]
    /// user_ids (and the other ids links name: global user ids).
    var ids = ByteInterner()
    /// By id: the user it belongs to (-1: none), and whether it is a literal null (`"None"`).
    var userOfID: [Int32] = []
    var idIsLiteralNull: [Bool] = []
    var devices = ByteInterner()
    /// By device: the user its events go to now.
    var deviceOwner: [Int32] = []
    /// `/usermap` aliases: user_id → global user id.
    var aliases: [String: String] = [:]
    var changes: ChangeLog
    /// Small lists and objects, built once for every profile that holds the same one.
    var shared = SharedValueCache()
    var events: SpillArray<EventRecord>
    /// The first event of each request, for the requests applied in increasing id order (all
    /// of them, live and replayed): sorted, so found by a binary search.
    var captureStarts: SpillArray<CaptureStart>
    /// The first event of a request applied after one with a higher id (tests, odd callers).
    var outOfOrderStarts: [Int64: Int32] = [:]
    /// Events with status `.applied`.
    var appliedEvents = 0
    var findingsByCapture: [Int64: [Finding]] = [:]
    /// Event ordinal → the groups it named (only events that name groups).
    var eventGroups: [Int32: [Int32]] = [:]
    /// Buffers one event's fold fills and empties again, kept so that it allocates none
    /// (`applyProperties`' operations, plain keys and names; `EventStep.keys`).
    var scratch = FoldScratch()

    struct FoldScratch: Sendable {
        var ops: [(op: IdentifyOperation, value: Int)] = []
        var plain: [(key: Int, value: Int)] = []
        var touched: [Int32] = []
        var keys: [Int] = []
    }

    struct GroupKey: Hashable, Sendable {
        var type: String
        var value: String
    }

    public init(options: ProfileOptions = ProfileOptions()) {
        self.options = options
        let half = max(1, options.hotEvents / 2)
        changes = ChangeLog(storage: options.spill, chunk: max(1, options.hotEvents))
        events = SpillArray(storage: options.spill, chunk: half,
                            placeholder: EventRecord(capture: -1, user: -1, changeEnd: 0, status: .unattributed, ownChangesApply: false))
        captureStarts = SpillArray(storage: options.spill, chunk: max(1, options.hotEvents / 16),
                                   placeholder: CaptureStart(capture: -1, first: -1))
    }

    /// Where a request's events start, as `captureStarts` keeps it.
    struct CaptureStart: BitwiseCopyable, Sendable {
        var capture: Int64
        var first: Int32
    }

    /// The ordinal of the first event of request `id` (nil: not applied, or without records).
    func firstEvent(ofCapture id: Int64) -> Int32? {
        if let n = outOfOrderStarts[id] { return n }
        var lo = 0
        var hi = captureStarts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if captureStarts[mid].capture < id { lo = mid + 1 } else { hi = mid }
        }
        guard lo < captureStarts.count else { return nil }
        let s = captureStarts[lo]
        return s.capture == id ? s.first : nil
    }

    private mutating func noteStart(capture id: Int64) {
        let start = CaptureStart(capture: id, first: Int32(events.count))
        if let last = captureStarts.last, last.capture >= id {
            outOfOrderStarts[id] = start.first
        } else {
            captureStarts.append(start)
        }
    }

    // MARK: The fold

    /// Applies the records of one judged request, in order. `captureID` names the request in
    /// `findings(forCapture:)` and `events(forCapture:)` (the store id, or any increasing number).
    public mutating func apply(_ p: Processed, captureID: Int64) {
        let r = p.request
        guard !r.records.isEmpty, let doc = r.document else { return }
        fold(FoldRecords(doc: doc, records: r.records, kind: r.recordKind, pointerBase: r.recordsPointer,
                         pointerIsFinal: r.recordsIsSingleObject),
             receivedAt: p.capture.receivedAt, ingested: Processed.ingestedByAmplitude(capture: p.capture, answer: p.answer),
             duplicates: ProfileInput.duplicateEvents(p.findings), captureID: captureID)
    }

    /// Applies a request's records from their compact form (`ProfileInput`), parsed: the same
    /// fold as `apply(_:captureID:)` on the judged request it was made from.
    public mutating func apply(_ input: ProfileInput.Parsed, captureID: Int64) {
        let i = input.input
        guard !input.records.isEmpty else { return }
        fold(FoldRecords(doc: input.doc, records: input.records, kind: i.recordKind, pointerBase: i.recordsPointer,
                         pointerIsFinal: i.recordsIsSingleObject),
             receivedAt: i.receivedAt, ingested: i.ingested, duplicates: i.duplicates, captureID: captureID)
    }

    /// The records of one request as the fold reads them.
    struct FoldRecords {
        let doc: JSONDocument
        let records: [Int]
        let kind: RecordKind
        let pointerBase: String
        let pointerIsFinal: Bool
    }

    private mutating func fold(_ r: FoldRecords, receivedAt: Int64, ingested: Bool, duplicates: [Int], captureID: Int64) {
        let doc = r.doc
        noteStart(capture: captureID)
        var sink = FindingSink()
        var table: [Int32] = []
        for i in r.records.indices {
            let ordinal = Int32(events.count)
            var status = ProfileEventStatus.applied
            if let stop = options.stopAfterEvent, Int(ordinal) >= stop {
                status = .beyondLimit
            } else if !ingested {
                status = .notIngested
            } else if duplicates.contains(i) {
                status = .duplicate
            }
            var facts = RecordFacts(doc: doc, node: r.records[i], index: i, kind: r.kind, pointerBase: r.pointerBase,
                                    pointerIsFinal: r.pointerIsFinal, table: &table, hashingInsertID: false, only: Self.fieldsRead)
            var event = EventRecord(capture: captureID, user: -1, changeEnd: Int32(changes.count),
                                    status: status, ownChangesApply: !facts.isIdentify)
            if status == .applied {
                var step = EventStep(ordinal: ordinal, receivedAt: receivedAt)
                swap(&step.keys, &scratch.keys)
                step.keys.removeAll(keepingCapacity: true)
                applyRecord(facts, &step, &event)
                event.changeEnd = Int32(changes.count)
                events.append(event)
                if event.status == .applied { appliedEvents += 1 }
                if step.noteworthy { runRules(facts, step, &sink) }
                swap(&step.keys, &scratch.keys)
            } else {
                events.append(event)
            }
            facts.reclaimTable(into: &table)
        }
        if !sink.findings.isEmpty {
            findingsByCapture[captureID, default: []].append(contentsOf: sink.findings)
            for f in sink.findings {
                guard let e = f.event, let first = firstEvent(ofCapture: captureID) else { continue }
                let u = events[Int(first) + e].user
                if u >= 0 { users[Int(resolved(u))].findingCount += 1 }
            }
        }
    }

    /// The record fields the fold and the profile rules read (`RecordFacts` classifies no other key).
    static let fieldsRead = FieldFilter([
        .userID, .deviceID, .eventType, .time, .timestamp, .groups, .groupProperties, .userProperties,
        .skipUserPropertiesSync, .groupType, .groupValue, .unmap, .globalUserID,
    ])

    /// What the simulation of one record collects for the rules (the record itself, its
    /// `RecordFacts`, travels beside it: a copy in here cost a retain and release of each of
    /// its arrays per event).
    struct EventStep {
        let ordinal: Int32
        let receivedAt: Int64
        /// Interned user_id and device_id of the event, -1: none.
        var userID: Int32 = -1
        var deviceID: Int32 = -1
        var link: StoredLink?
        /// Key tape index of each change this event recorded (parallel to the changes), -1 for none.
        var keys: [Int] = []
        var firstChange = 0
        var throttleStarted = false
        var updatesInLastHour = 0
        var unindexed: [Int] = []
        /// Something a rule may report (no-ops, drops, identity links, limits).
        var noteworthy = false

        init(ordinal: Int32, receivedAt: Int64) {
            self.ordinal = ordinal
            self.receivedAt = receivedAt
        }
    }

    private mutating func applyRecord(_ e: borrowing RecordFacts, _ step: inout EventStep, _ event: inout EventRecord) {
        step.firstChange = changes.count
        guard e.isObject else {
            event.status = .unattributed
            return
        }
        switch e.kind {
        case .mapping:
            applyMapping(e, &step)
            return
        case .groupIdentification:
            applyGroupIdentification(e, &step, &event)
            return
        case .segmentCall:
            // A Segment call itself reaches no profile; the Amplitude requests it maps to do.
            event.status = .unattributed
            return
        case .event, .legacyEvent, .identification:
            break
        }
        let doc = e.doc
        step.userID = internUserID(e, .userID)
        step.deviceID = internDevice(e)
        let time = eventTime(e, fallback: step.receivedAt)
        let u = resolve(userID: step.userID, deviceID: step.deviceID, &step)
        guard u >= 0 else {
            event.status = .unattributed
            return
        }
        event.user = u
        users[Int(u)].eventCount += 1
        users[Int(u)].lastSeen = max(users[Int(u)].lastSeen, time)
        event.previousOfUser = users[Int(u)].lastEvent
        users[Int(u)].lastEvent = step.ordinal
        if step.userID >= 0 && idIsLiteralNull[Int(step.userID)] { step.noteworthy = true }

        let groupsNode = e[.groups].flatMap { doc.kind($0) == .object ? $0 : nil }
        if e.isGroupIdentify {
            // §A2: group_properties apply to the groups named in `groups` ("Updates affect only future events").
            if let g = groupsNode, let props = e[.groupProperties], doc.kind(props) == .object {
                for gi in namedGroups(doc, g, ordinal: step.ordinal) {
                    applyProperties(doc, props, target: -1 - gi, &step, identifyOnly: true, drop: false)
                    groups[Int(gi)].lastSeen = max(groups[Int(gi)].lastSeen, time)
                }
            }
            return
        }
        // §A2: `$skip_user_properties_sync: true` means "user properties aren't synced" (we apply none; UNCONFIRMED).
        if let s = e[.skipUserPropertiesSync], doc.kind(s) == .true { return }
        let props = e[.userProperties].flatMap { doc.kind($0) == .object && doc.count($0) > 0 ? $0 : nil }
        let persistGroups = e.isIdentify && groupsNode.map { doc.count($0) > 0 } == true
        if !e.isIdentify, let g = groupsNode {
            // §A2: event-level groups apply only to this event; they do not persist to the user.
            _ = namedGroups(doc, g, ordinal: step.ordinal)
        }
        guard props != nil || persistGroups else { return }
        let drop = throttle(u, time: time, &step)
        if let props {
            applyProperties(doc, props, target: u, &step, identifyOnly: e.isIdentify, drop: drop)
        }
        if persistGroups, let g = groupsNode {
            applyGroupMembership(doc, g, user: u, &step, drop: drop)
        }
    }

    // MARK: Identity (§A3)

    /// The user an event belongs to, creating or merging users as Amplitude does; -1 without ids.
    /// `uid`, `did`: interned ids, -1 for none.
    private mutating func resolve(userID uid: Int32, deviceID did: Int32, _ step: inout EventStep) -> Int32 {
        let ordinal = step.ordinal
        if uid >= 0 {
            let known = userOfID[Int(uid)]
            if known >= 0 {
                if did >= 0 { joinDevice(did, to: known, &step) }
                return known
            }
            if did >= 0 {
                let d = deviceOwner[Int(did)]
                if d >= 0 {
                    if users[Int(d)].userID < 0 {
                        // §A3.2: anonymous events then a user_id on the same device: the same user, now known.
                        users[Int(d)].userID = uid
                        userOfID[Int(uid)] = d
                        note(StoredLink(kind: .loggedIn, event: ordinal, device: did), user: d, &step)
                        return d
                    }
                    // §A3.4 and wire identify.md: a different user_id on a device is a new user.
                    let other = users[Int(d)].userID
                    let n = newUser(userID: uid, deviceID: did)
                    note(StoredLink(kind: .newUserOnDevice, event: ordinal, device: did, other: other), user: n, &step)
                    return n
                }
            }
            let n = newUser(userID: uid, deviceID: did)
            note(StoredLink(kind: .newUser, event: ordinal, device: did), user: n, &step)
            return n
        }
        guard did >= 0 else { return -1 }
        // §A3.4: an anonymous event after a known user on this device goes to the last known user.
        let d = deviceOwner[Int(did)]
        if d >= 0 { return d }
        let n = newUser(userID: -1, deviceID: did)
        note(StoredLink(kind: .anonymousDevice, event: ordinal, device: did), user: n, &step)
        return n
    }

    private mutating func newUser(userID: Int32, deviceID: Int32) -> Int32 {
        let n = Int32(users.count)
        var rec = UserRecord()
        rec.userID = userID
        if deviceID >= 0 {
            rec.firstDevice = deviceID
            deviceOwner[Int(deviceID)] = n
        }
        users.append(rec)
        if userID >= 0 { userOfID[Int(userID)] = n }
        return n
    }

    private mutating func note(_ link: StoredLink, user: Int32, _ step: inout EventStep) {
        users[Int(user)].addLink(link)
        step.link = link
        // The rules look at new users on a device (and at literal-null ids, noted separately);
        // a device moving between known users is routine.
        if link.kind == .newUserOnDevice { step.noteworthy = true }
    }

    /// A known user's event from `did`: the device joins the user; an anonymous user of that
    /// device merges into it (§A3.5: "merged … because the event … did not have a User ID").
    private mutating func joinDevice(_ did: Int32, to u: Int32, _ step: inout EventStep) {
        let d = deviceOwner[Int(did)]
        guard d >= 0 else {
            deviceOwner[Int(did)] = u
            let hadDevices = users[Int(u)].hasDevices
            users[Int(u)].addDevice(did)
            if hadDevices { note(StoredLink(kind: .deviceJoined, event: step.ordinal, device: did), user: u, &step) }
            return
        }
        guard d != u else { return }
        let other = users[Int(d)].userID
        if other < 0 {
            merge(d, into: u, device: did, &step)
            return
        }
        // §A3.3: a known user_id on a device last used by another user: the device is now this user's.
        deviceOwner[Int(did)] = u
        if !userHasDevice(u, did) {
            users[Int(u)].addDevice(did)
            note(StoredLink(kind: .deviceJoined, event: step.ordinal, device: did, other: other), user: u, &step)
        }
    }

    private mutating func merge(_ a: Int32, into u: Int32, device: Int32, _ step: inout EventStep) {
        users[Int(a)].mergedInto = u
        users[Int(u)].editExtra().merged.append(a)
        for dev in users[Int(a)].deviceIDs {
            deviceOwner[Int(dev)] = u
            if !userHasDevice(u, dev) { users[Int(u)].addDevice(dev) }
        }
        note(StoredLink(kind: .merged, event: step.ordinal, device: device, otherUser: a), user: u, &step)
        // §A3.5: merges "can overwrite user property values"; we carry the anonymous user's
        // properties onto the known user (UNCONFIRMED which side wins; `Docs/profiles.md`).
        var table = take(u)
        for (name, value) in users[Int(a)].props.present(changes) where table.value(name, changes) != value {
            record(&table, target: u, name: name, op: .merge, result: .value(value), sent: value, flags: 0, key: -1, &step)
        }
        put(u, table)
    }

    /// `users[u].hasDevice(d)`, reading the record in place (through the array's subscript the
    /// optimizer copied the whole record, retaining its arrays, for every device a user was asked about).
    private func userHasDevice(_ u: Int32, _ d: Int32) -> Bool {
        users.withUnsafeBufferPointer { $0[Int(u)].hasDevice(d) }
    }

    /// Follows merges to the user a (possibly merged) user is now part of.
    func resolved(_ u: Int32) -> Int32 {
        var x = u
        var hops = 0
        while users[Int(x)].mergedInto >= 0 && hops < users.count {
            x = users[Int(x)].mergedInto
            hops += 1
        }
        return x
    }

    private mutating func applyMapping(_ e: borrowing RecordFacts, _ step: inout EventStep) {
        // §A3 `/usermap`: the user is mapped to a global user; "user properties aren't merged".
        let uidID = internUserID(e, .userID)
        guard uidID >= 0 else { return }
        let uid = ids.string(uidID)
        let unmap = e[.unmap].map { e.doc.kind($0) == .true } ?? false
        let globalID = internUserID(e, .globalUserID)
        let global = globalID >= 0 ? ids.string(globalID) : nil
        if unmap { aliases[uid] = nil } else if let global { aliases[uid] = global } else { return }
        let u = userOfID[Int(uidID)]
        if u >= 0 {
            users[Int(u)].addLink(StoredLink(kind: unmap ? .unmapped : .mapped, event: step.ordinal, other: globalID))
        }
    }

    // MARK: Groups (§A2)

    /// The groups an event names, creating empty group profiles for new ones, within Amplitude's
    /// per-event limits (5 types, 10 values; the rest "aren't tracked").
    private mutating func namedGroups(_ doc: JSONDocument, _ node: Int, ordinal: Int32) -> [Int32] {
        var out: [Int32] = []
        var types = 0
        for (k, v) in doc.members(node) {
            guard types < options.groupTypesPerEvent else { break }
            types += 1
            let type = doc.string(k)
            for value in groupValues(doc, v) {
                guard out.count < options.groupValuesPerEvent else { break }
                let g = group(type: type, value: value)
                if groups[Int(g)].events.last != ordinal { groups[Int(g)].events.append(ordinal) }
                out.append(g)
            }
        }
        if !out.isEmpty { eventGroups[ordinal] = out }
        return out
    }

    /// A group value is a string or an array of strings (§A2, `setGroup`); other scalars are
    /// taken as their JSON text.
    private func groupValues(_ doc: JSONDocument, _ v: Int) -> [String] {
        switch doc.kind(v) {
        case .string: return [doc.string(v)]
        case .array:
            var out: [String] = []
            for e in doc.elements(v) {
                switch doc.kind(e) {
                case .string: out.append(doc.string(e))
                case .number, .true, .false: out.append(doc.rawText(e))
                default: continue
                }
            }
            return out
        case .number, .true, .false: return [doc.rawText(v)]
        default: return []
        }
    }

    private mutating func group(type: String, value: String) -> Int32 {
        let key = GroupKey(type: type, value: value)
        if let g = groupIndex[key] { return g }
        let g = Int32(groups.count)
        groups.append(GroupRecord(type: type, value: value))
        groupIndex[key] = g
        return g
    }

    private mutating func applyGroupIdentification(_ e: borrowing RecordFacts, _ step: inout EventStep, _ event: inout EventRecord) {
        // `amplitude-wire.md` §2.2: group_type, group_value and group_properties.
        let doc = e.doc
        guard let t = e[.groupType], doc.kind(t) == .string, let v = e[.groupValue],
              let props = e[.groupProperties], doc.kind(props) == .object else {
            event.status = .unattributed
            return
        }
        let values = groupValues(doc, v)
        guard let value = values.first else {
            event.status = .unattributed
            return
        }
        let g = group(type: doc.string(t), value: value)
        groups[Int(g)].events.append(step.ordinal)
        eventGroups[step.ordinal] = [g]
        groups[Int(g)].lastSeen = max(groups[Int(g)].lastSeen, eventTime(e, fallback: step.receivedAt))
        applyProperties(doc, props, target: -1 - g, &step, identifyOnly: true, drop: false)
    }

    /// `groups` on an identify persist (§A2: setGroup "sets the groupType:groupName as a user
    /// property"; the Identify API's `groups` persists too): the membership and the property.
    private mutating func applyGroupMembership(_ doc: JSONDocument, _ node: Int, user u: Int32, _ step: inout EventStep, drop: Bool) {
        var table = take(u)
        var types = 0
        for (k, v) in doc.members(node) {
            guard types < options.groupTypesPerEvent else { break }
            types += 1
            let type = doc.string(k)
            let values = Array(groupValues(doc, v).prefix(options.groupValuesPerEvent))
            guard !values.isEmpty else { continue }
            for value in values { _ = group(type: type, value: value) }
            let extra = users[Int(u)].editExtra()
            if let i = extra.groups.firstIndex(where: { $0.type == type }) {
                extra.groups[i].values = values
            } else {
                extra.groups.append((type, values))
            }
            let sent: ProfileValue = doc.kind(v) == .array ? .array(values.map { .string($0) }) : .string(values[0])
            let name = intern(type)
            if drop {
                record(&table, target: u, name: name, op: .group, result: .noEffect(.throttled), sent: sent, flags: 0, key: k, &step, dropped: true)
                continue
            }
            // A `$set` of the same value in this payload (setGroup sends both) already did it.
            if table.value(name, changes) == sent { continue }
            record(&table, target: u, name: name, op: .group, result: .value(sent), sent: sent, flags: 0, key: k, &step)
        }
        put(u, table)
    }

    // MARK: Properties (§A1, §A2)

    /// Applies a `user_properties` / `group_properties` object to a profile: the operations in
    /// Amplitude's order (`$clearAll, $unset, $set, $setOnce, $add, $append, $prepend,
    /// $preInsert, $postInsert, $remove`, §A1 "Order within one payload"), then plain keys
    /// (an ordinary event's properties, §A2; beside operations they are merged after them,
    /// `amplitude-wire.md` §2.4, UNCONFIRMED). Unknown `$` keys are dropped (`unknown-operation`).
    private mutating func applyProperties(_ doc: JSONDocument, _ obj: Int, target: Int32, _ step: inout EventStep,
                                          identifyOnly: Bool, drop: Bool) {
        var ops: [(op: IdentifyOperation, value: Int)] = []
        var plain: [(key: Int, value: Int)] = []
        var touched: [Int32] = []
        swap(&ops, &scratch.ops)
        swap(&plain, &scratch.plain)
        swap(&touched, &scratch.touched)
        ops.removeAll(keepingCapacity: true)
        plain.removeAll(keepingCapacity: true)
        touched.removeAll(keepingCapacity: true)
        defer {
            swap(&ops, &scratch.ops)
            swap(&plain, &scratch.plain)
            swap(&touched, &scratch.touched)
        }
        for (k, v) in doc.members(obj) {
            if let op = IdentifyOperation.classify(doc, k) {
                ops.append((op, v))
            } else if !doc.stringStarts(k, with: UInt8(ascii: "$")) {
                plain.append((k, v))
            }
        }
        var table = take(target)
        if !ops.isEmpty {
            for op in IdentifyOperation.serverOrder {
                for entry in ops where entry.op == op {
                    if op == .clearAll {
                        clearAll(&table, target: target, key: entry.value, &step, drop: drop)
                        continue
                    }
                    // An operation that is not an object carries no properties (`unknown-operation` says so).
                    guard doc.kind(entry.value) == .object else { continue }
                    for (pk, pv) in doc.members(entry.value) {
                        applyOne(doc, ProfileOperation(op), key: pk, value: pv, &table, target: target, &touched, &step, drop: drop)
                    }
                }
            }
        }
        for (k, v) in plain {
            applyOne(doc, .property, key: k, value: v, &table, target: target, &touched, &step, drop: drop)
        }
        put(target, table)
    }

    private mutating func applyOne(_ doc: JSONDocument, _ op: ProfileOperation, key: Int, value: Int, _ table: inout PropertyTable,
                                   target: Int32, _ touched: inout [Int32], _ step: inout EventStep, drop: Bool) {
        let name = intern(doc, key)
        var flags: UInt8 = 0
        if touched.contains(name) { flags |= ChangeRecord.repeatedFlag } else { touched.append(name) }
        var truncated = false
        // `$unset` ignores its value (the SDKs send "-", `amplitude-wire.md` §2.3); "-" stands for it.
        let sent: ProfileValue
        if op == .unset {
            sent = .string("-")
        } else if doc.kind(value) == .array || doc.kind(value) == .object {
            sent = shared.value(doc, value, truncated: &truncated)
        } else {
            sent = ProfileValue(doc, value, truncated: &truncated)
        }
        if truncated { flags |= ChangeRecord.truncatedFlag }
        if drop {
            record(&table, target: target, name: name, op: op, result: .noEffect(.throttled), sent: sent, flags: flags, key: key, &step, dropped: true)
            return
        }
        let at = table.lookup(name, changes)
        if op == .append, at.present, sent.listCount > 0,
           changes.chainLength(at.lastChange) < ChangeLog.checkpointInterval - 1 {
            // `$append` onto a value adds what was sent at the end whatever the list holds
            // (§A1), so the change is the sent items as a suffix, without reading the list.
            record(&table, target: target, name: name, op: op, result: .value(sent), sent: sent, flags: flags, key: key, &step,
                   at: (at, nil), appended: .array(sent.listItems))
            return
        }
        if at.present && (op == .setOnce || op == .unset) {
            // Neither reads the value it finds (`PropertyOperations.apply`): `$setOnce` leaves any
            // present value as it is, `$unset` removes it. Rebuilding a list to drop it is waste.
            record(&table, target: target, name: name, op: op, result: op == .setOnce ? .noEffect(.alreadySet) : .removed,
                   sent: sent, flags: flags, key: key, &step, at: (at, nil))
            return
        }
        let stored = at.present ? changes.value(at.lastChange) : nil
        let result = PropertyOperations.apply(op, stored: stored, sent: sent)
        record(&table, target: target, name: name, op: op, result: result, sent: sent, flags: flags, key: key, &step, at: (at, stored))
    }

    private mutating func clearAll(_ table: inout PropertyTable, target: Int32, key: Int, _ step: inout EventStep, drop: Bool) {
        // §A1: `$clearAll` "removes every user property of the user".
        for (name, value) in table.present(changes) {
            if drop {
                record(&table, target: target, name: name, op: .clearAll, result: .noEffect(.throttled), sent: value, flags: 0, key: -1, &step, dropped: true)
            } else {
                record(&table, target: target, name: name, op: .clearAll, result: .removed, sent: value, flags: 0, key: -1, &step)
            }
        }
    }

    /// Appends the change record for one operation's result and updates the table. A result
    /// equal to the stored value is not recorded (nothing happened worth a line).
    private mutating func record(_ table: inout PropertyTable, target: Int32, name: Int32, op: ProfileOperation,
                                 result: OperationResult, sent: ProfileValue, flags: UInt8, key: Int,
                                 _ step: inout EventStep, dropped: Bool = false,
                                 at known: (at: PropertyTable.Lookup, stored: ProfileValue?)? = nil, appended: ProfileValue? = nil) {
        let (at, stored) = known ?? locate(table, name)
        let previous = at.lastChange
        let index = Int32(changes.count)
        var flags = flags
        var c = ChangeRecord(target: target, property: name, previous: previous, operation: op,
                             kind: .noEffect, reason: .none, flags: flags, value: sent)
        if let appended {
            // Items added at the end of the present list (`applyOne`): a suffix change.
            c.kind = .changed
            c.value = appended
            c.flags = flags | ChangeRecord.suffixFlag
            table.store(name, at: at, present: true, change: index)
            changes.append(c)
            step.keys.append(key)
            return
        }
        switch result {
        case .value(let v):
            if v == stored { return }
            c.kind = stored == nil ? .added : .changed
            c.value = v
            if let added = Self.addedSuffix(op, stored: stored, after: v), changes.chainLength(previous) < ChangeLog.checkpointInterval - 1 {
                c.value = added
                flags |= ChangeRecord.suffixFlag
            }
            if target >= 0 && stored == nil && !isUserPropertyName(name) {
                markUserProperty(name)
                if userPropertyCount > options.projectUserPropertyLimit {
                    flags |= ChangeRecord.unindexedFlag
                    step.unindexed.append(changes.count - step.firstChange)
                    step.noteworthy = true
                }
            }
            c.flags = flags
            table.store(name, at: at, present: true, change: index)
        case .removed:
            c.kind = .removed
            c.value = nil
            table.store(name, at: at, present: false, change: index)
        case .noEffect(let reason):
            c.kind = dropped ? .dropped : .noEffect
            c.reason = reason
            step.noteworthy = true
        }
        changes.append(c)
        step.keys.append(key)
    }

    /// Property `name`'s place in `table` and its current value.
    private func locate(_ table: PropertyTable, _ name: Int32) -> (at: PropertyTable.Lookup, stored: ProfileValue?) {
        let at = table.lookup(name, changes)
        return (at, at.present ? changes.value(at.lastChange) : nil)
    }

    /// For a list that `$append` or `$postInsert` extended, the items added at its end (what a
    /// suffix change stores, `ChangeLog`); nil for any other change.
    static func addedSuffix(_ op: ProfileOperation, stored: ProfileValue?, after: ProfileValue) -> ProfileValue? {
        guard op == .append || op == .postInsert, let stored, case .array(let items) = after else { return nil }
        let base = stored.isArray ? stored.listItems.count : 1
        guard items.count > base else { return nil }
        return .array(Array(items[base...]))
    }

    // MARK: Throttle (§A4)

    /// Counts a property update of user `u` at `time`; true when Amplitude would drop it
    /// ("more than 1800 times per hour": applied updates in the trailing hour, UNCONFIRMED how
    /// Amplitude counts).
    private mutating func throttle(_ u: Int32, time: Int64, _ step: inout EventStep) -> Bool {
        let hourAgo = time - 3_600_000
        let recent = users[Int(u)].updatesAfter(hourAgo)
        step.updatesInLastHour = recent
        let over = recent >= options.updatesPerHour
        if over {
            if !users[Int(u)].throttled { step.throttleStarted = true }
            users[Int(u)].throttled = true
            step.noteworthy = true
        } else {
            users[Int(u)].throttled = false
            users[Int(u)].updateTimes.append(time)
        }
        return over
    }

    // MARK: Helpers

    private mutating func intern(_ s: String) -> Int32 {
        let (id, isNew) = names.intern(s)
        if isNew { isUserProperty.append(false) }
        return id
    }

    private mutating func intern(_ doc: JSONDocument, _ key: Int) -> Int32 {
        let (id, isNew) = names.intern(doc, key)
        if isNew { isUserProperty.append(false) }
        return id
    }

    /// The interned id of a non-empty string field (a user_id), -1 when there is none.
    private mutating func internUserID(_ e: RecordFacts, _ f: EventField) -> Int32 {
        guard let i = e[f], e.doc.kind(i) == .string, e.doc.stringSourceLength(i) > 0 else { return -1 }
        let (id, isNew) = ids.intern(e.doc, i)
        if isNew {
            userOfID.append(-1)
            idIsLiteralNull.append(ProfileRules.isLiteralNull(ids.string(id)))
        }
        return ids.withBytes(id) { $0.isEmpty } ? -1 : id
    }

    /// The interned device_id (non-empty), -1 when there is none.
    private mutating func internDevice(_ e: RecordFacts) -> Int32 {
        guard let i = e[.deviceID], e.doc.kind(i) == .string, e.doc.stringSourceLength(i) > 0 else { return -1 }
        let (id, isNew) = devices.intern(e.doc, i)
        if isNew { deviceOwner.append(-1) }
        return devices.withBytes(id) { $0.isEmpty } ? -1 : id
    }

    private func isUserPropertyName(_ id: Int32) -> Bool { isUserProperty[Int(id)] }

    private mutating func markUserProperty(_ id: Int32) {
        isUserProperty[Int(id)] = true
        userPropertyCount += 1
    }

    /// Moves a profile's table out (so it can be edited while the change log grows).
    private mutating func take(_ target: Int32) -> PropertyTable {
        var t = PropertyTable()
        if target >= 0 { swap(&t, &users[Int(target)].props) } else { swap(&t, &groups[Int(-1 - target)].props) }
        return t
    }

    private mutating func put(_ target: Int32, _ table: PropertyTable) {
        if target >= 0 { users[Int(target)].props = table } else { groups[Int(-1 - target)].props = table }
    }

    /// The event's `time` (`timestamp` for amplitude-js) in ms, else when the request arrived.
    private func eventTime(_ e: RecordFacts, fallback: Int64) -> Int64 {
        if let i = e[.time], let v = e.doc.int64(i) { return v }
        if let i = e[.timestamp], let v = e.doc.int64(i) { return v }
        return fallback
    }

    private func runRules(_ record: borrowing RecordFacts, _ step: EventStep, _ sink: inout FindingSink) {
        let facts = ProfileEventFacts(simulator: self, record: record, step: step)
        for rule in options.rules { rule.check(facts, &sink) }
    }
}

extension Processed {
    /// Whether Amplitude ingested the request: the recorded answer when there is a real one
    /// (upstream or stored in a file; an injected fault or a fallback never reached Amplitude),
    /// else the emulated answer.
    public static func ingestedByAmplitude(capture: Capture, answer: EmulatedAnswer) -> Bool {
        if let recorded = capture.recordedResponse {
            return recorded.origin != .injected && recorded.origin != .fallback && (200..<300).contains(recorded.status)
        }
        return answer.accepted
    }
}
