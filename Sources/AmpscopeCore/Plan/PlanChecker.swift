
/// Plan rule ids (Docs/rules.md, "Plan rules"). Made only when a plan is given
/// (`ampscope check --plan`, `ampscope proxy --plan`); `PlanRules.infos` registers them.
extension RuleID {
    public static let planUnplannedEvent = "plan-unplanned-event"
    public static let planBlockedEvent = "plan-blocked-event"
    public static let planDeprecatedEvent = "plan-deprecated-event"
    public static let planMissingProperty = "plan-missing-property"
    public static let planUnexpectedProperty = "plan-unexpected-property"
    public static let planWrongType = "plan-wrong-type"
    public static let planNotInEnum = "plan-not-in-enum"
    public static let planPatternMismatch = "plan-pattern-mismatch"
    public static let planOutOfRange = "plan-out-of-range"
    public static let planUnexpectedUserProperty = "plan-unexpected-user-property"
    public static let planUserPropertyType = "plan-user-property-type"
    public static let planUserPropertyValue = "plan-user-property-value"
    public static let planUnplannedGroupType = "plan-unplanned-group-type"
    public static let planUnexpectedGroupProperty = "plan-unexpected-group-property"
    public static let planGroupPropertyType = "plan-group-property-type"
    public static let planGroupPropertyValue = "plan-group-property-value"
}

public enum PlanRules {
    // One constant per rule: a finding takes its rule straight from here (a look-up by id
    // string hashed the id on every finding).
    static let unplannedEvent = RuleInfo(id: RuleID.planUnplannedEvent, severity: .warning, scope: .event, summary: "The event type is not in the tracking plan.")
    static let blockedEvent = RuleInfo(id: RuleID.planBlockedEvent, severity: .error, scope: .event, summary: "The plan marks this event type blocked: it must not be sent.")
    static let deprecatedEvent = RuleInfo(id: RuleID.planDeprecatedEvent, severity: .warning, scope: .event, summary: "The plan marks this event type deprecated.")
    static let missingProperty = RuleInfo(id: RuleID.planMissingProperty, severity: .error, scope: .event, summary: "A property the plan requires for this event is missing.")
    static let unexpectedProperty = RuleInfo(id: RuleID.planUnexpectedProperty, severity: .error, scope: .event, summary: "A property the plan does not list, on an event whose plan forbids others.")
    static let wrongType = RuleInfo(id: RuleID.planWrongType, severity: .error, scope: .event, summary: "An event property (or an array element) has another type than the plan says.")
    static let notInEnum = RuleInfo(id: RuleID.planNotInEnum, severity: .error, scope: .event, summary: "An event property's value is not one of the plan's allowed values.")
    static let patternMismatch = RuleInfo(id: RuleID.planPatternMismatch, severity: .error, scope: .event, summary: "An event property's value does not match the plan's regular expression.")
    static let outOfRange = RuleInfo(id: RuleID.planOutOfRange, severity: .error, scope: .event, summary: "An event property's number is outside the plan's min/max.")
    static let unexpectedUserProperty = RuleInfo(id: RuleID.planUnexpectedUserProperty, severity: .error, scope: .identify, summary: "A user property the plan does not list, where the plan forbids others.")
    static let userPropertyType = RuleInfo(id: RuleID.planUserPropertyType, severity: .error, scope: .identify, summary: "A user property has another type than the plan says.")
    static let userPropertyValue = RuleInfo(id: RuleID.planUserPropertyValue, severity: .error, scope: .identify, summary: "A user property's value is outside the plan's enum, regex or range.")
    static let unplannedGroupType = RuleInfo(id: RuleID.planUnplannedGroupType, severity: .warning, scope: .identify, summary: "A group type the plan does not list.")
    static let unexpectedGroupProperty = RuleInfo(id: RuleID.planUnexpectedGroupProperty, severity: .error, scope: .identify, summary: "A group property the plan does not list, where the plan forbids others.")
    static let groupPropertyType = RuleInfo(id: RuleID.planGroupPropertyType, severity: .error, scope: .identify, summary: "A group property has another type than the plan says.")
    static let groupPropertyValue = RuleInfo(id: RuleID.planGroupPropertyValue, severity: .error, scope: .identify, summary: "A group property's value is outside the plan's enum, regex or range.")

    public static let infos: [RuleInfo] = [
        unplannedEvent, blockedEvent, deprecatedEvent, missingProperty, unexpectedProperty, wrongType, notInEnum, patternMismatch,
        outOfRange, unexpectedUserProperty, userPropertyType, userPropertyValue, unplannedGroupType, unexpectedGroupProperty, groupPropertyType, groupPropertyValue,
    ]

    public static func isPlanRule(_ id: String) -> Bool { id.hasPrefix("plan-") }
}

/// A regular expression from a plan: case-sensitive, searched anywhere in the value (anchor it
/// with ^ and $), refused when it could backtrack exponentially. Verdicts are remembered per
/// value (values repeat across events), keyed by a 64-bit hash of the value's bytes and its
/// length, so a remembered value costs a hash and no String.
public final class PlanRegex: Sendable {
    public let pattern: String
    /// The pattern on bytes, when it is in the subset `ByteRegex` knows.
    let bytePattern: ByteRegex?
    private let regex: Guarded<Regex<AnyRegexOutput>>
    private let memo = Guarded<[UInt64: Bool]>([:])
    static let memoLimit = 50_000

    public init?(_ pattern: String) {
        guard pattern.utf8.count <= PlanLimits.maxRegexLength else { return nil }
        do {
            try GuardedRegex.checkSafe(pattern)
            regex = Guarded(try Regex(pattern))
        } catch {
            return nil
        }
        self.pattern = pattern
        bytePattern = ByteRegex(pattern)
    }

    /// Whether `pattern` compiles, remembered by the pattern's text: plans repeat a few patterns
    /// over hundreds of properties, and compiling one (`Regex` and the safety check) costs more
    /// than the rest of reading the property. Only the answer is kept, not the compiled pattern
    /// (a checker compiles its own, `PlanChecker.RegexCache`). Starts over past 4 096 patterns.
    public static func isValid(_ pattern: String) -> Bool {
        if let known = validity.withLock({ $0[pattern] }) { return known }
        let valid = PlanRegex(pattern) != nil
        validity.withLock { table in
            if table.count >= validityLimit { table.removeAll() }
            table[pattern] = valid
        }
        return valid
    }

    private static let validity = Guarded<[String: Bool]>([:])
    static let validityLimit = 4096

    public func matches(_ s: String) -> Bool {
        var copy = s
        return copy.withUTF8 { matches(bytes: $0, string: { s }) }
    }

    /// The string at tape index `i` of `doc`.
    func matches(_ doc: JSONDocument, _ i: Int) -> Bool {
        if doc.isPlainString(i) {
            // The usual case first, with nothing captured: a closure that captured `doc` (for the
            // String of the slow path) retained and released its arrays per value.
            if bytePattern != nil {
                let r = doc.byteRange(i)
                let verdict: Bool? = doc.bytes.withUnsafeBufferPointer { all in
                    let b = UnsafeBufferPointer(rebasing: all[r])
                    guard b.count <= GuardedRegex.subjectLimit, ByteRegex.canMatch(b) else { return nil }
                    return bytePattern?.matches(b)
                }
                if let verdict { return verdict }
            }
            return doc.withStringBytes(i) { matches(bytes: $0, string: { doc.string(i) }) }
        }
        return matches(doc.string(i))
    }

    private func matches(bytes: UnsafeBufferPointer<UInt8>, string: () -> String) -> Bool {
        // Optional chaining reads the stored pattern in place (binding it copied it: a retain
        // and a release of its arrays per value).
        if bytes.count <= GuardedRegex.subjectLimit, ByteRegex.canMatch(bytes), let verdict = bytePattern?.matches(bytes) { return verdict }
        var h = KeyHasher()
        h.add(bytes)
        let key = h.finish() ^ UInt64(truncatingIfNeeded: bytes.count) &* 0x9E37_79B9_7F4A_7C15
        if let known = memo.withLock({ $0[key] }) { return known }
        var subject = string()
        if subject.utf8.count > GuardedRegex.subjectLimit * 4 { subject = String(subject.prefix(GuardedRegex.subjectLimit * 4)) }
        let r = regex.withLock { (try? $0.firstMatch(in: subject)) != nil }
        memo.withLock { m in if m.count < Self.memoLimit { m[key] = r } }
        return r
    }
}

/// Name → index lookup on the raw bytes of JSON keys (no String per key).
///
/// Read for every key of every checked record, so it is built for that: its entries and name
/// bytes are allocations owned by the table and read through plain pointers (no array retained,
/// released or bounds-checked per lookup).
///
/// * Up to `linearLimit` names (a property set, an enum): one 16-byte entry per name, in order,
///   holding its length and first eight bytes. A key is compared with each entry's length and
///   first eight bytes (and, past eight bytes, the rest of the name): no hash, and the entries
///   of a typical property set fill two cache lines.
/// * More (the event names): open addressing over 32-byte slots that hold the name's first 24
///   bytes, its length and its index. A key is compared in the slot it hashes to (most event
///   names are shorter than 24 bytes); only a longer name's rest is read from the bytes. The
///   names' bytes were a second cold line per look-up, as `perf` showed.
final class PlanNameTable: @unchecked Sendable {  // immutable after init
    struct Slot {
        /// The name's bytes 0..<8, 8..<16 and 16..<24, zero-filled.
        var w0: UInt64 = 0
        var w1: UInt64 = 0
        var w2: UInt64 = 0
        var length: UInt32 = 0
        var index: Int32 = -1  // -1: empty
    }
    struct Entry {
        var prefix: UInt64
        var start: UInt32
        var length: UInt32
    }
    static let linearLimit = 16
    /// Entry i is name i (every table: a small one is scanned, any is checked at a guessed index).
    private let entries: UnsafeMutablePointer<Entry>
    /// Whether lookups scan `entries` (at most `linearLimit` names) rather than hash.
    private let linear: Bool
    /// No name is listed twice, so a guessed index that holds the key is the one a scan finds.
    private let unique: Bool
    /// Non-nil for larger tables.
    private let slots: UnsafeMutablePointer<Slot>?
    private let mask: Int
    /// Every name's bytes, one after another.
    private let bytes: UnsafeMutablePointer<UInt8>
    let count: Int

    init(_ list: [String], linearLimit: Int = PlanNameTable.linearLimit) {
        let all = list.flatMap { Array($0.utf8) }
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, all.count))
        bytes.initialize(repeating: 0, count: max(1, all.count))
        all.withUnsafeBufferPointer { p in
            if let src = p.baseAddress { bytes.update(from: src, count: p.count) }
        }
        let entries = UnsafeMutablePointer<Entry>.allocate(capacity: max(1, list.count))
        var at = 0
        for (i, n) in list.enumerated() {
            let length = n.utf8.count
            (entries + i).initialize(to: Entry(prefix: Self.prefix(bytes + at, length), start: UInt32(at), length: UInt32(length)))
            at += length
        }
        self.entries = entries
        linear = list.count <= linearLimit
        // Equal Strings are at least as many as equal byte sequences: no String twice, no bytes twice.
        unique = Set(list).count == list.count
        if linear {
            slots = nil
            mask = 0
        } else {
            let size = (list.count * 2).nextPowerOfTwo
            let mask = size - 1
            let slots = UnsafeMutablePointer<Slot>.allocate(capacity: size)
            slots.initialize(repeating: Slot(), count: size)
            var at = 0
            for (i, n) in list.enumerated() {
                let length = n.utf8.count
                let first = Self.prefix(bytes + at, length)
                let h = Self.hash(bytes + at, length, first: first)
                var s = Int(truncatingIfNeeded: h) & mask
                while slots[s].index >= 0 { s = (s + 1) & mask }
                let (w1, w2) = Self.secondAndThirdWords(bytes + at, length)
                slots[s] = Slot(w0: first, w1: w1, w2: w2, length: UInt32(length), index: Int32(i))
                at += length
            }
            self.slots = slots
            self.mask = mask
        }
        self.bytes = bytes
        count = list.count
    }

    deinit {
        entries.deallocate()
        slots?.deallocate()
        bytes.deallocate()
    }

    /// The table's own hash of `n` bytes at `p` whose first eight are `first` (`prefix`): the
    /// words after the first, the last one read overlapping the one before it, so a name of up
    /// to sixteen bytes is two words and no byte loop. Only this table's slots keep it.
    @inline(__always) static func hash(_ p: UnsafePointer<UInt8>?, _ n: Int, first: UInt64) -> UInt64 {
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h = (first ^ (UInt64(truncatingIfNeeded: n) &* 0xA24B_AED4_963E_E407)) &* k
        if n > 8, let p {
            let raw = UnsafeRawPointer(p)
            var i = 8
            while i + 8 < n {
                h = (h ^ (h >> 29) ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* k
                i += 8
            }
            h = (h ^ (h >> 29) ^ raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) &* k
        }
        h ^= h >> 32
        h = h &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 29)
    }

    /// The first eight bytes of `n` at `p` (fewer: zero-filled), as one word.
    @inline(__always) static func prefix(_ p: UnsafePointer<UInt8>?, _ n: Int) -> UInt64 {
        guard let p else { return 0 }
        if n >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: UInt64.self) }
        var w: UInt64 = 0
        for j in 0..<n { w |= UInt64(p[j]) << UInt64(8 * j) }
        return w
    }

    /// The first eight bytes of `n` at `p`, where at least eight bytes can be read from `p`: one
    /// load, the bytes past `n` masked off.
    @inline(__always) static func paddedPrefix(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        let w = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)
        return n >= 8 ? w : w & ((1 << UInt64(8 * n)) &- 1)
    }

    /// `prefix` of the `n` bytes at `p`, where `readable` bytes can be read from `p`: one load
    /// when there are eight (a string in a document is followed by its closing quote at least).
    @inline(__always) static func firstWord(_ p: UnsafePointer<UInt8>, _ n: Int, readable: Int) -> UInt64 {
        readable >= 8 ? paddedPrefix(p, n) : prefix(p, n)
    }

    func lookup(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
        lookup(p, first: Self.prefix(p.baseAddress, p.count), guess: -1)
    }

    /// `lookup(p)`, with `first` its first eight bytes (`prefix`), and name `guess` compared
    /// first when it is an index of the table (the index after the previous key's, for keys that
    /// come in the plan's order).
    @inline(__always) func lookup(_ p: UnsafeBufferPointer<UInt8>, first: UInt64, guess: Int) -> Int? {
        let n = p.count
        if unique, guess >= 0, guess < count {
            let e = entries[guess]
            if Int(e.length) == n, e.prefix == first, n <= 8 || memcmpEqual(bytes + Int(e.start) + 8, p.baseAddress! + 8, n - 8) {
                return guess
            }
        }
        if linear {
            for i in 0..<count {
                let e = entries[i]
                if Int(e.length) == n, e.prefix == first,
                   n <= 8 || memcmpEqual(bytes + Int(e.start) + 8, p.baseAddress! + 8, n - 8) {
                    return i
                }
            }
            return nil
        }
        guard let slots else { return nil }
        let h = Self.hash(p.baseAddress, n, first: first)
        var s = Int(truncatingIfNeeded: h) & mask
        let (w1, w2) = Self.secondAndThirdWords(p.baseAddress, n)
        while true {
            let slot = slots[s]
            if slot.index < 0 { return nil }
            if Int(slot.length) == n, slot.w0 == first, slot.w1 == w1, slot.w2 == w2,
               n <= 24 || memcmpEqual(bytes + Int(entries[Int(slot.index)].start) + 24, p.baseAddress! + 24, n - 24) {
                return Int(slot.index)
            }
            s = (s &+ 1) & mask
        }
    }

    /// Bytes 8..<16 and 16..<24 of the `n` at `p`, zero-filled, read without going past `n`
    /// (a short tail is the top of the word that ends at `n`).
    @inline(__always) static func secondAndThirdWords(_ p: UnsafePointer<UInt8>?, _ n: Int) -> (UInt64, UInt64) {
        guard n > 8, let p else { return (0, 0) }
        let raw = UnsafeRawPointer(p)
        let last = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        if n < 16 { return (last >> UInt64(8 * (16 - n)), 0) }
        let second = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        if n < 24 { return (second, n == 16 ? 0 : last >> UInt64(8 * (24 - n))) }
        return (second, raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
    }

    /// Index of the string at tape index `i` of `doc` (see `lookup(_:first:guess:)` for `guess`).
    func lookup(_ doc: JSONDocument, _ i: Int, guess: Int = -1) -> Int? {
        if doc.isPlainString(i) {
            let r = doc.byteRange(i)
            return doc.bytes.withUnsafeBufferPointer { all in
                let p = UnsafeBufferPointer(rebasing: all[r])
                // A string is followed by its closing quote at least; its first eight bytes are
                // one load wherever eight can be read.
                let first = Self.firstWord(all.baseAddress! + r.lowerBound, r.count, readable: all.count - r.lowerBound)
                return lookup(p, first: first, guess: guess)
            }
        }
        var s = doc.string(i)
        return s.withUTF8 { lookup($0) }
    }
}

extension Int {
    var nextPowerOfTwo: Int {
        var n = 1
        while n < self { n <<= 1 }
        return n
    }
}

/// An entry of a `PlanMemo`; `vacant` fills the slots nothing was kept in yet.
protocol PlanMemoEntry: Sendable {
    static var vacant: Self { get }
}

/// Values remembered by a 64-bit hash of what they were made from, each checked against those
/// inputs on the way out (`read`), behind a lock. Shared by the threads that check with one plan.
///
/// A table of `PlanChecker.memoLimit` slots, one cache line each, the slot chosen by the hash; a
/// new entry replaces the one in its slot. The memos are read for findings, which come once in
/// many events, so their memory is cold when read: a look-up costs the lock's line, the slot's
/// line and nothing else (a `Dictionary` of entries holding arrays cost five or six lines).
final class PlanMemo<Entry: PlanMemoEntry>: @unchecked Sendable {  // the slots are only reached with the lock held
    private struct Slot {
        var hash: UInt64
        var entry: Entry
    }
    private let lock = Guarded(())
    private let slots: UnsafeMutablePointer<Slot>
    private let mask: Int

    init() {
        let count = PlanChecker.memoLimit
        let stride = MemoryLayout<Slot>.stride
        slots = UnsafeMutableRawPointer.allocate(byteCount: count * stride, alignment: 64).bindMemory(to: Slot.self, capacity: count)
        slots.initialize(repeating: Slot(hash: 0, entry: .vacant), count: count)
        mask = count - 1
    }

    deinit {
        slots.deinitialize(count: mask + 1)
        slots.deallocate()
    }

    /// Hash 0 marks a vacant slot: kept hashes are odd.
    @inline(__always) private func slot(_ hash: UInt64) -> (UnsafeMutablePointer<Slot>, UInt64) {
        (slots + (Int(truncatingIfNeeded: hash >> 32) & mask), hash | 1)
    }

    /// What `read` gives of the entry kept under `hash` (nil: none kept, or `read` finds it is
    /// not the one sought). `read` sees the entry in place, so only what it returns is copied.
    func value<R: Sendable>(_ hash: UInt64, _ read: (UnsafeMutablePointer<Entry>) -> R?) -> R? {
        let (s, h) = slot(hash)
        return lock.withLock { _ in s.pointee.hash == h ? withUnsafeMutablePointer(to: &s.pointee.entry) { read($0) } : nil }
    }

    func keep(_ entry: Entry, _ hash: UInt64) {
        let (s, h) = slot(hash)
        lock.withLock { _ in s.pointee = Slot(hash: h, entry: entry) }
    }
}

/// Where a record is in its request, for the paths of its findings: `/events/3`, or the record's
/// own pointer when it is the request's only object. Made into a String only for a finding.
struct RecordPointer: Equatable {
    let base: String
    let single: Bool
    let index: Int
    func callAsFunction() -> String { single ? base : base + "/" + String(index) }
}

/// A plan compiled for checking: lookups by raw key bytes, regexes compiled once.
public final class PlanChecker: @unchecked Sendable {  // immutable after init, but for the memos behind their locks
    public let plan: Plan

    /// Classes, not structs: a property is read on every event that has it, and copying a struct
    /// of strings and arrays costs a retain and a release per field (most of the plan's cost in
    /// `ampscope-bench plan` before).
    final class Prop: Sendable {
        let spec: PlanProperty
        let enumSet: Set<PlanScalar>?
        /// The enum's strings, looked up by raw bytes (no String per value).
        let enumStrings: PlanNameTable?
        let regex: PlanRegex?
        // What every value is checked against, out of `spec`.
        let type: PlanType
        let itemType: PlanType?
        let min: Double?
        let max: Double?
        let required: Bool
        // The parts of a finding's wording that depend on the plan alone, made once instead of
        // for every finding (`ampscope-bench plan`: a finding on about one event in fifteen; the
        // saving measured within the run-to-run noise, Docs/plan.md).
        /// The name as a finding quotes it.
        let label: String
        /// The name as a JSON Pointer step.
        let pointerName: String
        /// The enum's first values as a finding lists them ("" without an enum).
        let enumShown: String

        init(spec: PlanProperty, enumSet: Set<PlanScalar>?, enumStrings: PlanNameTable?, regex: PlanRegex?) {
            self.spec = spec
            self.enumSet = enumSet
            self.enumStrings = enumStrings
            self.regex = regex
            type = spec.type
            itemType = spec.itemType
            min = spec.min
            max = spec.max
            required = spec.required
            label = Sanitize.inline(spec.name, limit: 80)
            pointerName = JSONPointer.escape(spec.name)
            if let values = spec.enumValues {
                enumShown = values.prefix(8).map { "\"\(Sanitize.inline($0.description, limit: 30))\"" }.joined(separator: ", ")
                    + (values.count > 8 ? ", …" : "")
            } else {
                enumShown = ""
            }
        }
    }
    /// What a value is checked against, out of a `Prop`, as plain data: a set's are one block
    /// (`PropSet.hot`), so checking a clean value reads a few adjacent words instead of one
    /// object per property. `perf` showed those objects' loads missing the cache (a million
    /// events stream through it) as the largest single cost of the plan's pass.
    struct Hot {
        var type: PlanType
        var itemType: PlanType?
        var required: Bool
        var hasEnum: Bool
        var hasMin: Bool
        var hasMax: Bool
        var min: Double
        var max: Double
        /// The property's objects, unretained (`PropSet.props` keeps them alive).
        var enumStrings: Unmanaged<PlanNameTable>?
        var regex: Unmanaged<PlanRegex>?
        var prop: Unmanaged<Prop>
        /// The name as a JSON Pointer step (`Prop.pointerName`), for a finding's path without
        /// loading the property's object. With it an entry is 64 bytes: one cache line.
        var pointerName: String
    }
    /// One compiled pattern per distinct pattern of a plan, shared by the checker's properties
    /// (a plan of 300 events often names one pattern 300 times); lives while the checker is built.
    final class RegexCache {
        private var compiledPatterns: [String: PlanRegex?] = [:]
        func compiled(_ pattern: String) -> PlanRegex? {
            if let known = compiledPatterns[pattern] { return known }
            let made = PlanRegex(pattern)
            compiledPatterns[pattern] = .some(made)
            return made
        }
    }

    final class PropSet: @unchecked Sendable {  // immutable after init
        let props: [Prop]
        /// Entry i describes `props[i]`; read per key of every checked record (no retain, no
        /// bounds check, no object per property).
        let hot: UnsafeMutablePointer<Hot>
        let table: PlanNameTable
        let requiredCount: Int
        let closed: Bool
        /// Nothing to check: no properties listed and others allowed (stored: reading `props`
        /// would load the array's header, one more cache line per event).
        let open: Bool

        init(_ s: PlanPropertySet, _ regexes: RegexCache) {
            props = s.properties.map { p in
                let strings = p.enumValues.map { $0.compactMap { v -> String? in if case .string(let s) = v { return s } else { return nil } } }
                return Prop(spec: p, enumSet: p.enumValues.map(Set.init), enumStrings: strings.map { PlanNameTable($0) },
                            regex: p.regex.flatMap(regexes.compiled))
            }
            hot = UnsafeMutableRawPointer.allocate(byteCount: max(1, props.count) * MemoryLayout<Hot>.stride, alignment: 64)
                .bindMemory(to: Hot.self, capacity: max(1, props.count))
            for (i, p) in props.enumerated() {
                (hot + i).initialize(to: Hot(type: p.type, itemType: p.itemType, required: p.required, hasEnum: p.enumSet != nil,
                                             hasMin: p.min != nil, hasMax: p.max != nil, min: p.min ?? 0, max: p.max ?? 0,
                                             enumStrings: p.enumStrings.map { Unmanaged.passUnretained($0) },
                                             regex: p.regex.map { Unmanaged.passUnretained($0) }, prop: Unmanaged.passUnretained(p),
                                             pointerName: p.pointerName))
            }
            table = PlanNameTable(s.properties.map(\.name))
            requiredCount = s.properties.filter(\.required).count
            closed = !s.additionalProperties
            open = props.isEmpty && !closed
        }

        deinit {
            hot.deinitialize(count: props.count)
            hot.deallocate()
        }
    }
    let eventTable: PlanNameTable
    let events: [PropSet]
    /// `events`, unretained (as `PropSet.refs`).
    let eventRefs: [Unmanaged<PropSet>]
    let statuses: [PlanStatus]
    /// The events' names as findings quote them.
    let eventLabels: [String]
    /// The group types as findings name them (`group type "…"`).
    let groupLabels: [String]
    let user: PropSet
    let groupTable: PlanNameTable
    let groups: [PropSet]
    /// Every property set's checks in one allocation (`PlanBlocks`): the events', the user's, the groups'.
    let blockStore: PlanBlocks
    /// The events' blocks, as plain pointers (no object loaded to reach a block).
    let eventBlocks: UnsafeMutablePointer<PlanBlock>
    let userBlock: PlanBlock
    let groupBlocks: [PlanBlock]
    /// Whether properties are checked through the sets' blocks (`PlanBlock`: the fast path), or
    /// through their name tables and `Hot` entries alone (the straightforward path, kept to hold
    /// the blocks to it in tests). Both give the same findings and tallies.
    let useBlocks: Bool

    public convenience init(_ plan: Plan) { self.init(plan, useBlocks: true) }

    init(_ plan: Plan, useBlocks: Bool) {
        self.plan = plan
        self.useBlocks = useBlocks
        eventTable = PlanNameTable(plan.events.map(\.name))
        let patterns = RegexCache()
        events = plan.events.map { PropSet($0.properties, patterns) }
        eventRefs = events.map { Unmanaged.passUnretained($0) }
        statuses = plan.events.map(\.status)
        eventLabels = plan.events.map { Sanitize.inline($0.name, limit: 80) }
        groupLabels = plan.groups.map { "group type \"\(Sanitize.inline($0.name, limit: 60))\"" }
        user = PropSet(plan.user, patterns)
        groupTable = PlanNameTable(plan.groups.map(\.name))
        groups = plan.groups.map { PropSet($0.properties, patterns) }
        let sets = plan.events.map(\.properties) + [plan.user] + plan.groups.map(\.properties)
        let regexes = (events + [user] + groups).map { $0.props.map(\.regex) }
        blockStore = PlanBlocks(zip(sets, regexes).map { ($0.properties, $0.additionalProperties, $1) })
        eventBlocks = UnsafeMutablePointer<PlanBlock>.allocate(capacity: max(1, events.count))
        for i in events.indices {
            var block = blockStore.blocks[i]
            block.hot = events[i].hot
            (eventBlocks + i).initialize(to: block)
        }
        var userBlock = blockStore.blocks[events.count]
        userBlock.hot = user.hot
        self.userBlock = userBlock
        let groupSets = groups, store = blockStore, first = events.count + 1
        groupBlocks = groupSets.indices.map { i in
            var block = store.blocks[first + i]
            block.hot = groupSets[i].hot
            return block
        }
    }

    deinit { eventBlocks.deallocate() }

    // MARK: Finding texts

    /// Texts of findings about a value, remembered by all they are made from: the property (or
    /// none, for an event type), the rule, the value's kind and its source bytes. The same bad
    /// value usually comes event after event (one bug in every call), and making the text costs
    /// more than the checks that found it: a cold path through string formatting for one event
    /// in fifteen. Shared by the threads that check with this plan, so behind a lock.
    private let messageMemo = PlanMemo<MessageMemoEntry>()
    /// Slots of each memo (texts, paths): a power of two.
    static let memoLimit = 4096
    /// Values longer than this are not remembered (their bytes are kept in the memo's slot).
    static let messageMemoValueLimit = MessageMemoEntry.capacity

    struct MessageMemoEntry: PlanMemoEntry {
        var owner: UInt
        var kind: UInt16
        var count: UInt16
        /// The value's source bytes, zero-filled.
        var bytes: (UInt64, UInt64, UInt64)
        var message: String

        static let capacity = 24
        static var vacant: Self { MessageMemoEntry(owner: 0, kind: 0, count: 0, bytes: (0, 0, 0), message: "") }

        init(owner: UInt, kind: UInt16, count: UInt16, bytes: (UInt64, UInt64, UInt64), message: String) {
            self.owner = owner
            self.kind = kind
            self.count = count
            self.bytes = bytes
            self.message = message
        }
    }

    /// The text `make` makes for the string or number at tape index `v`, remembered per `owner`
    /// (a property's identity, 0 for none) and `rule` (any small number naming the text's kind).
    func message(_ doc: JSONDocument, _ v: Int, owner: UInt, rule: UInt8, _ make: () -> String) -> String {
        let e = doc.tape[v]
        guard e.kind == .string || e.kind == .number else { return make() }
        let start = Int(e.a), n = Int(e.b &- e.a)
        guard n <= Self.messageMemoValueLimit else { return make() }
        let kind = UInt16(rule) << 8 | (e.kind == .string ? 1 : 2) | UInt16(e.flags & JSONTapeEntry.hasEscapes) << 4
        let found: (hash: UInt64, bytes: (UInt64, UInt64, UInt64), message: String?) = doc.bytes.withUnsafeBufferPointer { all in
            let p = all.baseAddress! + start
            // The value's bytes (at most `capacity`), zero-filled, as the name table's slots hold a name.
            let first = PlanNameTable.prefix(p, n), (second, third) = PlanNameTable.secondAndThirdWords(p, n)
            let w = (first, second, third)
            var h = PlanNameTable.hash(p, n, first: first)
            h = (h ^ UInt64(owner)) &* 0x9E37_79B9_7F4A_7C15
            h ^= UInt64(kind) &* 0xC2B2_AE3D_27D4_EB4F
            let hit = messageMemo.value(h) { m in
                m.pointee.owner == owner && m.pointee.kind == kind && Int(m.pointee.count) == n && m.pointee.bytes == w ? m.pointee.message : nil
            }
            return (h, w, hit)
        }
        if let m = found.message { return m }
        let m = make()
        messageMemo.keep(MessageMemoEntry(owner: owner, kind: kind, count: UInt16(n), bytes: found.bytes, message: m), found.hash)
        return m
    }

    /// Paths of the findings about a record's event type and its properties as a whole,
    /// remembered by the record's pointer and what follows it (`suffix`, a small number): a
    /// record's index repeats from request to request. A property's path is made afresh: with
    /// the property in the key (in `ampscope-bench plan`, the properties of 300 event types at
    /// some 50 record indices) the memo was mostly missed and cost more than it saved (Docs/plan.md).
    private let pathMemo = PlanMemo<PathMemoEntry>()

    struct PathMemoEntry: PlanMemoEntry {
        let pointer: RecordPointer
        let suffix: UInt
        let path: String

        static var vacant: Self { PathMemoEntry(pointer: RecordPointer(base: "", single: true, index: -1), suffix: 0, path: "") }
    }

    static let eventTypeSuffix: UInt = 1, eventPropertiesSuffix: UInt = 2

    /// `pointer()` followed by what `make` gives, which must depend on `suffix` alone.
    func findingPath(_ pointer: RecordPointer, suffix: UInt, _ make: () -> String) -> String {
        var h = UInt64(truncatingIfNeeded: pointer.index) &* 0x9E37_79B9_7F4A_7C15
        h ^= UInt64(suffix) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= pointer.single ? 0x1656_67B1_9E37_79F9 : 0
        if let hit = pathMemo.value(h, { $0.pointee.pointer == pointer && $0.pointee.suffix == suffix ? $0.pointee.path : nil }) { return hit }
        let path = pointer() + make()
        pathMemo.keep(PathMemoEntry(pointer: pointer, suffix: suffix, path: path), h)
        return path
    }

    /// Index of the planned event named by the string at `i` (nil: unplanned).
    func eventIndex(_ doc: JSONDocument, _ i: Int) -> Int? { eventTable.lookup(doc, i) }

    /// Plan findings for every record of a request, on their own (each record's members walked
    /// here). `Ingest` gets the same findings from the validator's pass (`check(_:_:)`).
    public func check(_ request: DecodedRequest) -> [Finding] {
        guard let doc = request.document else { return [] }
        var out = FindingSink()
        // The pointer is made only for a finding; the closure captures two fields, not the
        // request (capturing it copied the whole DecodedRequest per record).
        let base = request.recordsPointer, single = request.recordsIsSingleObject
        var record = PlanTally.Record()
        for (index, node) in request.records.enumerated() where doc.kind(node) == .object {
            checkRecord(doc, Self.keysByWalking(doc, node), index: index, kind: request.recordKind,
                        pointer: RecordPointer(base: base, single: single, index: index), &record, &out)
        }
        return out.findings
    }

    /// Plan findings for one record, from the facts the validator gathered in its own pass over
    /// the record's members (no second walk); the same findings as `check(request)` gives for it.
    /// With a tally (`pass.tally`), one `PlanTally.Record` per record is appended to it.
    func check(_ facts: RecordFacts, _ pass: inout PlanPass) {
        var record = PlanTally.Record()
        if facts.isObject {
            switch facts.kind {
            case .mapping, .segmentCall: break
            case .event, .legacyEvent, .identification, .groupIdentification:
                let doc = facts.doc
                let keys = Self.keys(facts)
                let base = facts.pointerBase, single = facts.pointerIsFinal, index = facts.index
                let before = pass.findings.findings.count
                checkRecord(doc, keys ?? Self.keysByWalking(doc, facts.node), index: index, kind: facts.kind,
                            pointer: RecordPointer(base: base, single: single, index: index), &record, &pass.findings)
                if pass.tally != nil {
                    // A repeated key: the plan read its last occurrence, the coverage count reads
                    // the first (`doc.member`); that record is counted by walking it.
                    if keys == nil || record.overflow { record.event = PlanTally.walk }
                    let added = pass.findings.findings.count - before
                    if added > 0 {
                        for f in pass.findings.findings.suffix(added) where f.severity == .error { record.valid = false; break }
                    }
                }
            }
        }
        pass.tally?.append(record)
    }

    enum Scope { case event, user, group }

    /// Tape indices of the values of the members a plan reads (nil: absent). A repeated key
    /// counts by its last occurrence.
    struct RecordKeys: Equatable {
        var eventType: Int?
        var eventProperties: Int?
        var userProperties: Int?
        var groups: Int?
        var groupProperties: Int?
        var groupType: Int?
    }

    /// The keys found by walking the record's members.
    static func keysByWalking(_ doc: JSONDocument, _ node: Int) -> RecordKeys {
        var r = RecordKeys()
        for (k, v) in doc.members(node) {
            if doc.keyEquals(k, "event_type") { r.eventType = v }
            else if doc.keyEquals(k, "event_properties") { r.eventProperties = v }
            else if doc.keyEquals(k, "user_properties") { r.userProperties = v }
            else if doc.keyEquals(k, "groups") { r.groups = v }
            else if doc.keyEquals(k, "group_properties") { r.groupProperties = v }
            else if doc.keyEquals(k, "group_type") { r.groupType = v }
        }
        return r
    }

    /// The keys read from the validator's facts; nil when the record repeats a known key (the
    /// facts keep the first occurrence, the plan reads the last: walk instead).
    static func keys(_ facts: RecordFacts) -> RecordKeys? {
        guard facts.duplicateKeys.isEmpty else { return nil }
        if facts.unknownKeys.isEmpty {
            // Every member is an allowed field, recorded in the facts' table; a field this kind
            // of record does not allow is absent there and here.
            return RecordKeys(eventType: facts[.eventType], eventProperties: facts[.eventProperties], userProperties: facts[.userProperties],
                              groups: facts[.groups], groupProperties: facts[.groupProperties], groupType: facts[.groupType])
        }
        return RecordKeys(eventType: facts.lastValue(.eventType), eventProperties: facts.lastValue(.eventProperties),
                          userProperties: facts.lastValue(.userProperties), groups: facts.lastValue(.groups),
                          groupProperties: facts.lastValue(.groupProperties), groupType: facts.lastValue(.groupType))
    }

    func checkRecord(_ doc: JSONDocument, _ keys: RecordKeys, index: Int, kind: RecordKind, pointer: RecordPointer,
                     _ record: inout PlanTally.Record, _ out: inout FindingSink) {
        let eventType = keys.eventType
        let eventProps = keys.eventProperties
        let userProps = keys.userProperties
        let groupsNode = keys.groups
        let groupProps = keys.groupProperties
        let groupType = keys.groupType
        var groupIdentify = false
        switch kind {
        case .identification: break
        case .groupIdentification: groupIdentify = true
        case .event, .legacyEvent:
            if let t = eventType {
                // A plain name (no escapes) is looked up straight from its bytes; its first eight
                // bytes, read once, also tell whether it starts with `$`.
                let plain: (dollar: Bool, ei: Int?)? = doc.tape.withUnsafeBufferPointer { tape in
                    let e = tape[t]
                    guard e.kind == .string, e.flags & JSONTapeEntry.hasEscapes == 0 else { return nil }
                    return doc.bytes.withUnsafeBufferPointer { all in
                        let start = Int(e.a), n = Int(e.b &- e.a)
                        let p = all.baseAddress! + start
                        let first = PlanNameTable.firstWord(p, n, readable: all.count - start)
                        // Only a name that starts with `$` can be `$identify` or `$groupidentify`.
                        if n > 0, UInt8(truncatingIfNeeded: first) == UInt8(ascii: "$") { return (true, nil) }
                        return (false, eventTable.lookup(UnsafeBufferPointer(start: p, count: n), first: first, guess: -1))
                    }
                }
                if let plain, !plain.dollar {
                    record.typeNode = Int32(truncatingIfNeeded: t)
                    checkEvent(doc, t, plain.ei, eventProps, index: index, pointer: pointer, &record, &out)
                } else if doc.kind(t) == .string {
                    let dollar = doc.stringStarts(t, with: UInt8(ascii: "$"))
                    // `$identify` and `$groupidentify` are no event types; their properties are checked below.
                    if dollar && doc.keyEquals(t, "$groupidentify") { groupIdentify = true }
                    else if !(dollar && doc.keyEquals(t, "$identify")) {
                        record.typeNode = Int32(truncatingIfNeeded: t)
                        checkEvent(doc, t, eventIndex(doc, t), eventProps, index: index, pointer: pointer, &record, &out)
                    }
                }
            }
        case .mapping, .segmentCall: return
        }
        if let u = userProps, doc.kind(u) == .object, !user.open {
            checkUserOrGroup(doc, u, set: user, block: userBlock, scope: .user, label: "user", index: index,
                             base: { pointer() + "/user_properties" }, &out)
        }
        guard !plan.groups.isEmpty else { return }
        if let g = groupsNode, doc.kind(g) == .object {
            for (k, v) in doc.members(g) {
                guard let gi = groupTable.lookup(doc, k) else {
                    let name = doc.string(k)
                    out.add(PlanRules.unplannedGroupType, pointer() + "/groups/" + JSONPointer.escape(name), event: index,
                            "group type \"\(Sanitize.inline(name, limit: 80))\" is not in the plan's groups")
                    continue
                }
                _ = v
                if groupIdentify, let gp = groupProps, doc.kind(gp) == .object, !groups[gi].open {
                    checkUserOrGroup(doc, gp, set: groups[gi], block: groupBlocks[gi], scope: .group, label: groupLabels[gi],
                                     index: index, base: { pointer() + "/group_properties" }, &out)
                }
            }
        } else if groupIdentify, let t = groupType, doc.kind(t) == .string {
            // /groupidentify: one group_type and its group_properties.
            guard let gi = groupTable.lookup(doc, t) else {
                out.add(PlanRules.unplannedGroupType, pointer() + "/group_type", event: index,
                        "group type \"\(Sanitize.inline(doc.string(t), limit: 80))\" is not in the plan's groups")
                return
            }
            if let gp = groupProps, doc.kind(gp) == .object, !groups[gi].open {
                checkUserOrGroup(doc, gp, set: groups[gi], block: groupBlocks[gi], scope: .group, label: groupLabels[gi],
                                 index: index, base: { pointer() + "/group_properties" }, &out)
            }
        }
    }

    /// `ei`: the plan's index of the event type at `typeNode` (`eventIndex`), nil when unplanned.
    @inline(__always)
    func checkEvent(_ doc: JSONDocument, _ typeNode: Int, _ ei: Int?, _ props: Int?, index: Int, pointer: RecordPointer,
                    _ record: inout PlanTally.Record, _ out: inout FindingSink) {
        guard let ei else {
            record.event = PlanTally.unplanned
            out.add(PlanRules.unplannedEvent, findingPath(pointer, suffix: Self.eventTypeSuffix) { "/event_type" }, event: index,
                    message(doc, typeNode, owner: 0, rule: 1) { "event type \"\(Sanitize.inline(doc.string(typeNode), limit: 80))\" is not in the tracking plan" })
            return
        }
        switch statuses[ei] {
        case .blocked:
            out.add(PlanRules.blockedEvent, findingPath(pointer, suffix: Self.eventTypeSuffix) { "/event_type" }, event: index,
                    "the plan marks \"\(eventLabels[ei])\" blocked: it must not be sent")
        case .deprecated:
            out.add(PlanRules.deprecatedEvent, findingPath(pointer, suffix: Self.eventTypeSuffix) { "/event_type" }, event: index,
                    "the plan marks \"\(eventLabels[ei])\" deprecated")
        case .planned, .live: break
        }
        record.event = Int32(truncatingIfNeeded: ei)
        if useBlocks {
            checkProperties(doc, props, eventBlocks[ei], ei, index: index, pointer: pointer, &record, &out)
        } else {
            eventRefs[ei]._withUnsafeGuaranteedRef { set in checkProperties(doc, props, set, ei, index: index, pointer: pointer, &record, &out) }
        }
    }

    /// `checkProperties(_:_:_ set:…)` through the event's block: one walk over the members of
    /// `event_properties` that reads the document's tape and bytes and the block, and reaches the
    /// event's `PropSet` only for what the block leaves (an escaped key, a set of more than
    /// `linearLimit` properties, a value it cannot prove clean, a finding). Same findings, same tally.
    private func checkProperties(_ doc: JSONDocument, _ props: Int?, _ block: PlanBlock, _ ei: Int, index: Int, pointer: RecordPointer,
                                 _ record: inout PlanTally.Record, _ out: inout FindingSink) {
        let h = block.header
        if h.flags & PlanBlock.open != 0 { return }
        if h.flags & PlanBlock.notCompiled != 0 {
            eventRefs[ei]._withUnsafeGuaranteedRef { set in checkProperties(doc, props, set, ei, index: index, pointer: pointer, &record, &out) }
            return
        }
        var requiredSeen = 0
        var propsIsObject = false
        if let p = props {
            doc.tape.withUnsafeBufferPointer { tapeBuffer in
                doc.bytes.withUnsafeBufferPointer { bytesBuffer in
                    let tape = tapeBuffer.baseAddress!
                    guard tape[p].kind == .object else { return }
                    propsIsObject = true
                    let bytes = bytesBuffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
                    let byteCount = bytesBuffer.count
                    let checks = block.checks
                    var i = p + 1
                    let end = Int(tape[p].c)
                    var guess = 0  // properties usually come in the plan's order
                    while i < end {
                        let k = i, v = i + 1
                        let value = tape[v]
                        i = value.kind.isContainer ? Int(value.c) : v + 1
                        let key = tape[k]
                        var pi: Int
                        if key.flags & JSONTapeEntry.hasEscapes == 0 {
                            let start = Int(key.a), n = Int(key.b &- key.a)
                            let kp = bytes + start
                            let first = PlanNameTable.firstWord(kp, n, readable: byteCount - start)
                            pi = block.find(kp, n, first: first, guess: guess, h)
                            if pi == -2 {
                                pi = eventRefs[ei]._withUnsafeGuaranteedRef {
                                    $0.table.lookup(UnsafeBufferPointer(start: kp, count: n), first: first, guess: guess)
                                } ?? -1
                            }
                        } else {
                            pi = eventRefs[ei]._withUnsafeGuaranteedRef { $0.table.lookup(doc, k, guess: guess) } ?? -1
                        }
                        guard pi >= 0 else {
                            if h.flags & PlanBlock.closed != 0 { unexpectedProperty(doc, k, ei, index: index, pointer: pointer, &out) }
                            continue
                        }
                        guess = pi + 1
                        if pi < 64 { record.seen |= 1 << UInt64(pi) } else { record.overflow = true }
                        let c = checks + pi
                        if c.pointee.flags & PlanBlock.required != 0 { requiredSeen += 1 }
                        let verdict = block.verdict(c, value, bytes, byteCount)
                        if verdict != PlanBlock.clean {
                            let hot = block.hot.unsafelyUnwrapped[pi]
                            checkValue(doc, v, hot, scope: .event, index: index, enumMissed: verdict == PlanBlock.enumMissed,
                                       path: { pointer() + "/event_properties/" + hot.pointerName }, &out)
                        }
                    }
                }
            }
        }
        if requiredSeen < Int(h.requiredCount) {
            let present: Set<String> = propsIsObject ? Set(doc.members(props!).map { doc.string($0.key) }) : []
            eventRefs[ei]._withUnsafeGuaranteedRef { set in
                for prop in set.props where prop.spec.required && !present.contains(prop.spec.name) {
                    out.add(PlanRules.missingProperty, findingPath(pointer, suffix: Self.eventPropertiesSuffix) { "/event_properties" }, event: index,
                            "\"\(eventLabels[ei])\" requires property \"\(prop.label)\"")
                }
            }
        }
    }

    /// `plan-unexpected-property` for key `k` of event `ei`'s properties (the set is closed); the
    /// same finding from the block walk and from the straightforward one.
    private func unexpectedProperty(_ doc: JSONDocument, _ k: Int, _ ei: Int, index: Int, pointer: RecordPointer, _ out: inout FindingSink) {
        let name = doc.string(k)
        out.add(PlanRules.unexpectedProperty, pointer() + "/event_properties/" + JSONPointer.escape(name), event: index,
                "\"\(Sanitize.inline(name, limit: 80))\" is not a property of \"\(eventLabels[ei])\" in the plan, which allows no others")
    }

    private func checkProperties(_ doc: JSONDocument, _ props: Int?, _ set: PropSet, _ ei: Int, index: Int, pointer: RecordPointer,
                                 _ record: inout PlanTally.Record, _ out: inout FindingSink) {
        if set.open { return }
        var requiredSeen = 0
        if let p = props, doc.kind(p) == .object {
            var guess = 0  // properties usually come in the plan's order
            for (k, v) in doc.members(p) {
                guard let pi = set.table.lookup(doc, k, guess: guess) else {
                    if set.closed { unexpectedProperty(doc, k, ei, index: index, pointer: pointer, &out) }
                    continue
                }
                guess = pi + 1
                if pi < 64 { record.seen |= 1 << UInt64(pi) } else { record.overflow = true }
                let h = set.hot[pi]
                if h.required { requiredSeen += 1 }
                checkValue(doc, v, h, scope: .event, index: index,
                           path: { pointer() + "/event_properties/" + h.pointerName }, &out)
            }
        }
        if requiredSeen < set.requiredCount {
            let present: Set<String> = props.map { p in doc.kind(p) == .object ? Set(doc.members(p).map { doc.string($0.key) }) : [] } ?? []
            for prop in set.props where prop.spec.required && !present.contains(prop.spec.name) {
                out.add(PlanRules.missingProperty, findingPath(pointer, suffix: Self.eventPropertiesSuffix) { "/event_properties" }, event: index,
                        "\"\(eventLabels[ei])\" requires property \"\(prop.label)\"")
            }
        }
    }

    /// User or group properties: plain keys, and the keys inside `$set`, `$setOnce`, `$add`,
    /// `$append`… Values are checked for `$set`, `$setOnce` and plain keys; the other operations
    /// only name properties (their values are increments or list elements).
    func checkUserOrGroup(_ doc: JSONDocument, _ obj: Int, set: PropSet, block: PlanBlock, scope: Scope, label: String, index: Int,
                          base: () -> String, _ out: inout FindingSink) {
        guard useBlocks else {
            for (k, v) in doc.members(obj) { checkMember(doc, k, v, set: set, block: block, scope: scope, label: label, index: index, base: base, &out) }
            return
        }
        // Plain keys that are not operations, proved clean in the set's block straight from the
        // tape; any other member (an operation, an escaped or unknown key, a value the block
        // cannot prove clean) goes to `checkMember`.
        doc.tape.withUnsafeBufferPointer { tapeBuffer in
            doc.bytes.withUnsafeBufferPointer { bytesBuffer in
                let tape = tapeBuffer.baseAddress!
                let bytes = bytesBuffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
                let byteCount = bytesBuffer.count
                let h = block.header
                var i = obj + 1
                let end = Int(tape[obj].c)
                while i < end {
                    let k = i, v = i + 1
                    let value = tape[v]
                    i = value.kind.isContainer ? Int(value.c) : v + 1
                    let key = tape[k]
                    if key.flags & JSONTapeEntry.hasEscapes == 0 {
                        let start = Int(key.a), n = Int(key.b &- key.a)
                        let kp = bytes + start
                        let first = PlanNameTable.firstWord(kp, n, readable: byteCount - start)
                        if n == 0 || UInt8(truncatingIfNeeded: first) != UInt8(ascii: "$") {
                            let pi = block.find(kp, n, first: first, guess: -1, h)
                            if pi >= 0, block.isClean(block.checks + pi, value, bytes, byteCount) { continue }
                        }
                    }
                    checkMember(doc, k, v, set: set, block: block, scope: scope, label: label, index: index, base: base, &out)
                }
            }
        }
    }

    /// One member of user or group properties: a plain key, or an operation and the keys inside it.
    private func checkMember(_ doc: JSONDocument, _ k: Int, _ v: Int, set: PropSet, block: PlanBlock, scope: Scope, label: String, index: Int,
                             base: () -> String, _ out: inout FindingSink) {
        if doc.stringStarts(k, with: UInt8(ascii: "$")) {
            guard doc.kind(v) == .object else { return }
            let checksValues = doc.keyEquals(k, "$set") || doc.keyEquals(k, "$setOnce")
            let op = doc.string(k)
            for (ik, iv) in doc.members(v) {
                checkNamed(doc, ik, iv, set: set, block: block, scope: scope, label: label, index: index, checkValue: checksValues,
                           path: { base() + "/" + JSONPointer.escape(op) }, &out)
            }
        } else {
            checkNamed(doc, k, v, set: set, block: block, scope: scope, label: label, index: index, checkValue: true, path: base, &out)
        }
    }

    private func checkNamed(_ doc: JSONDocument, _ k: Int, _ v: Int, set: PropSet, block: PlanBlock, scope: Scope, label: String, index: Int, checkValue doValue: Bool,
                            path: () -> String, _ out: inout FindingSink) {
        if useBlocks {
            // The key looked up, and the value proved clean, in the set's block; anything else below.
            let clean: Bool = doc.tape.withUnsafeBufferPointer { tapeBuffer in
                doc.bytes.withUnsafeBufferPointer { bytesBuffer in
                    let key = tapeBuffer[k]
                    guard key.flags & JSONTapeEntry.hasEscapes == 0, let bytes = bytesBuffer.baseAddress else { return false }
                    let h = block.header
                    let start = Int(key.a), n = Int(key.b &- key.a)
                    let kp = bytes + start
                    let first = PlanNameTable.firstWord(kp, n, readable: bytesBuffer.count - start)
                    let pi = block.find(kp, n, first: first, guess: -1, h)
                    guard pi >= 0 else { return false }
                    return !doValue || block.isClean(block.checks + pi, tapeBuffer[v], bytes, bytesBuffer.count)
                }
            }
            if clean { return }
        }
        guard let pi = set.table.lookup(doc, k) else {
            if set.closed {
                let name = doc.string(k)
                out.add(scope == .user ? PlanRules.unexpectedUserProperty : PlanRules.unexpectedGroupProperty, path() + "/" + JSONPointer.escape(name), event: index,
                        "\"\(Sanitize.inline(name, limit: 80))\" is not a \(scope == .user ? "user" : "group") property of \(label) in the plan, which allows no others")
            }
            return
        }
        guard doValue else { return }
        let h = set.hot[pi]
        checkValue(doc, v, h, scope: scope, index: index, path: { path() + "/" + h.prop._withUnsafeGuaranteedRef { $0.pointerName } }, &out)
    }

    /// Checks one value against a property's `Hot` entry; the property's object (`h.prop`) is
    /// read only to word a finding and for the enum's non-string values. `enumMissed`: the block
    /// found the value (a string) in none of the enum's strings (`PlanBlock.enumMissed`).
    func checkValue(_ doc: JSONDocument, _ v: Int, _ h: Hot, scope: Scope, index: Int, enumMissed: Bool = false,
                    path: () -> String, _ out: inout FindingSink) {
        let kind = doc.kind(v)
        if h.type != .any {
            let isInt = h.type == .integer && kind == .number && Self.isIntegral(doc, v)
            guard h.type.accepts(kind, isInteger: isInt) else {
                out.add(Self.typeRule(scope), path(), event: index, h.prop._withUnsafeGuaranteedRef { prop in
                    "\"\(prop.label)\" is \(kind.description) where the plan says \(prop.type.rawValue)"
                })
                return
            }
        }
        if let item = h.itemType, item != .any, kind == .array {
            for (n, e) in doc.elements(v).enumerated() {
                let ek = doc.kind(e)
                if !item.accepts(ek, isInteger: ek == .number && Self.isIntegral(doc, e)) {
                    out.add(Self.typeRule(scope), path() + "/" + String(n), event: index, h.prop._withUnsafeGuaranteedRef { prop in
                        "element \(n) of \"\(prop.label)\" is \(ek.description) where the plan says \(item.rawValue)"
                    })
                    break
                }
            }
        }
        if h.hasEnum {
            // The first element outside the enum (the value itself unless it is an array). The
            // enum's objects are read unretained, in place.
            func outside(_ e: Int) -> Bool {
                if doc.kind(e) == .string, let t = h.enumStrings {
                    if !(enumMissed && e == v), t._withUnsafeGuaranteedRef({ $0.lookup(doc, e) }) != nil { return false }
                    // Not one of the enum's strings byte for byte. The set below compares as Swift
                    // does (canonical equivalence), which can find a value with other bytes only
                    // when the value is not plain ASCII; a plain ASCII one is outside.
                    if Self.isPlainASCII(doc, e) { return true }
                }
                guard let s = Self.scalar(doc, e) else { return false }
                return h.prop._withUnsafeGuaranteedRef({ $0.enumSet?.contains(s) }) == false
            }
            var bad: Int?
            if kind == .array {
                for e in doc.elements(v) where outside(e) { bad = e; break }
            } else if outside(v) {
                bad = v
            }
            if let node = bad {
                out.add(Self.valueRule(scope, PlanRules.notInEnum), path(), event: index,
                        message(doc, node, owner: UInt(bitPattern: h.prop.toOpaque()), rule: 2) {
                            h.prop._withUnsafeGuaranteedRef { prop in
                                "\"\(prop.label)\" is \"\(Sanitize.inline(Self.scalar(doc, node)?.description ?? "", limit: 80))\", not one of \(prop.enumShown)"
                            }
                        })
            }
        }
        let owner = UInt(bitPattern: h.prop.toOpaque())
        if kind == .string, let r = h.regex, !r._withUnsafeGuaranteedRef({ $0.matches(doc, v) }) {
            out.add(Self.valueRule(scope, PlanRules.patternMismatch), path(), event: index,
                    message(doc, v, owner: owner, rule: 3) {
                        h.prop._withUnsafeGuaranteedRef { prop in
                            r._withUnsafeGuaranteedRef { r in
                                "\"\(prop.label)\" is \"\(Sanitize.inline(doc.string(v), limit: 80))\", which does not match /\(Sanitize.inline(r.pattern, limit: 80))/"
                            }
                        }
                    })
        }
        if h.hasMin || h.hasMax, kind == .number, let d = doc.double(v) {
            if h.hasMin, d < h.min {
                out.add(Self.valueRule(scope, PlanRules.outOfRange), path(), event: index,
                        message(doc, v, owner: owner, rule: 4) {
                            "\"\(h.prop._withUnsafeGuaranteedRef { $0.label })\" is \(PlanScalar.format(d)), below the plan's min \(PlanScalar.format(h.min))"
                        })
            } else if h.hasMax, d > h.max {
                out.add(Self.valueRule(scope, PlanRules.outOfRange), path(), event: index,
                        message(doc, v, owner: owner, rule: 5) {
                            "\"\(h.prop._withUnsafeGuaranteedRef { $0.label })\" is \(PlanScalar.format(d)), above the plan's max \(PlanScalar.format(h.max))"
                        })
            }
        }
    }

    /// The rule of a wrong type, and of a value the plan does not allow, per scope.
    static func typeRule(_ scope: Scope) -> RuleInfo {
        switch scope {
        case .event: return PlanRules.wrongType
        case .user: return PlanRules.userPropertyType
        case .group: return PlanRules.groupPropertyType
        }
    }

    static func valueRule(_ scope: Scope, _ eventRule: RuleInfo) -> RuleInfo {
        switch scope {
        case .event: return eventRule
        case .user: return PlanRules.userPropertyValue
        case .group: return PlanRules.groupPropertyValue
        }
    }

    static func isIntegral(_ doc: JSONDocument, _ v: Int) -> Bool {
        if doc.isIntegerLiteral(v) { return true }
        guard let d = doc.double(v) else { return false }
        return d.rounded() == d && d.isFinite
    }

    /// True for a string without escapes whose bytes are all ASCII.
    static func isPlainASCII(_ doc: JSONDocument, _ v: Int) -> Bool {
        let e = doc.tape[v]
        guard e.kind == .string, e.flags & JSONTapeEntry.hasEscapes == 0 else { return false }
        return doc.bytes.withUnsafeBufferPointer { all in
            var i = Int(e.a)
            let end = Int(e.b)
            while i < end { if all[i] >= 0x80 { return false }; i += 1 }
            return true
        }
    }

    static func scalar(_ doc: JSONDocument, _ v: Int) -> PlanScalar? {
        switch doc.kind(v) {
        case .string: return .string(doc.string(v))
        case .number: return doc.double(v).map { .number($0) }
        case .true: return .bool(true)
        case .false: return .bool(false)
        default: return nil
        }
    }
}
