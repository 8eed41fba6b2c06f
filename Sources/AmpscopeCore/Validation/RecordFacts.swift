/// One record of a request (event, identification, mapping) with its top-level keys indexed.
///
/// Built once per record by a single pass over its members, then shared by every record rule,
/// so a rule asks `facts[.userID]` instead of scanning the object again. Building it allocates
/// nothing in the common case: the Validator lends it a reusable key table, the pointer is
/// built only when a rule reports something, and the key lists stay empty for clean records.
public struct RecordFacts: Sendable {
    public let doc: JSONDocument
    /// Tape index of the record.
    public let node: Int
    /// Position in the request's record list.
    public let index: Int
    public let kind: RecordKind
    /// The records pointer (`/events`), or the record's own pointer when `pointerIsFinal`.
    @usableFromInline let pointerBase: String
    @usableFromInline let pointerIsFinal: Bool
    /// Tape index of each known key's value, or -1.
    @usableFromInline var table: [Int32]
    /// Bit `f.rawValue` is set when field `f` is present (fast iteration over present fields).
    public private(set) var presentMask: UInt64 = 0
    /// Key tape indices of keys that are not known wire keys for this kind of record.
    public private(set) var unknownKeys: [Int] = []
    /// Key tape indices of keys that appeared more than once.
    public private(set) var duplicateKeys: [Int] = []
    /// Amplitude's deduplication key for this record: a hash of (`device_id`, `insert_id`),
    /// nil without a string `insert_id`.
    public private(set) var insertKey: UInt64?
    /// Index of an earlier record of the same request with the same `insertKey` (set by the Validator).
    public internal(set) var earlierRecordWithSameInsertKey: Int?

    /// Facts for a record whose pointer is given.
    public init(doc: JSONDocument, node: Int, index: Int, kind: RecordKind, pointer: String) {
        var table: [Int32] = []
        self.init(doc: doc, node: node, index: index, kind: kind, pointerBase: pointer, pointerIsFinal: true, table: &table)
    }

    /// Facts for record `index` of `request`, using (and emptying) `table` as storage; take it
    /// back with `reclaimTable(into:)` to reuse it for the next record.
    /// `hashingInsertID: false` leaves `insertKey` nil (the profile simulator reads no insert_id:
    /// the validation pass has already judged duplicates).
    /// `only`: classify only the keys that may name these fields (a reader that needs a few
    /// fields, like the profile simulator); the other fields read as absent, and `unknownKeys`,
    /// `duplicateKeys` and `presentMask` cover only the keys it let through.
    init(request: DecodedRequest, doc: JSONDocument, index: Int, table: inout [Int32], hashingInsertID: Bool = true,
         only: FieldFilter? = nil) {
        self.init(doc: doc, node: request.records[index], index: index, kind: request.recordKind,
                  pointerBase: request.recordsPointer, pointerIsFinal: request.recordsIsSingleObject, table: &table,
                  hashingInsertID: hashingInsertID, only: only)
    }

    init(doc: JSONDocument, node: Int, index: Int, kind: RecordKind, pointerBase: String, pointerIsFinal: Bool, table storage: inout [Int32],
         hashingInsertID: Bool = true, only filter: FieldFilter? = nil) {
        self.doc = doc
        self.node = node
        self.index = index
        self.kind = kind
        self.pointerBase = pointerBase
        self.pointerIsFinal = pointerIsFinal
        let n = EventField.allCases.count
        if storage.count == n {
            storage.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
            self.table = storage
            storage = []  // the table is now uniquely ours: filling it below does not copy
        } else {
            self.table = [Int32](repeating: -1, count: n)
        }
        guard doc.kind(node) == .object else { return }
        let allowed = EventField.allowedMask(for: kind)
        var present: UInt64 = 0
        var unknown: [Int] = []
        var dups: [Int] = []
        table.withUnsafeMutableBufferPointer { t in
            doc.tape.withUnsafeBufferPointer { tape in
                doc.bytes.withUnsafeBufferPointer { p in
                    let base = p.baseAddress!
                    let end = Int(tape[node].c)
                    var k = node + 1
                    // Members are (key, value) pairs on the tape; a container value ends at its `c`.
                    while k < end {
                        let key = tape[k]
                        let value = tape[k + 1]
                        if let filter, key.flags & JSONTapeEntry.hasEscapes == 0,
                           !filter.admits(base + Int(key.a), Int(key.b &- key.a)) {
                            k = value.kind.isContainer ? Int(value.c) : k + 2
                            continue
                        }
                        let field = key.flags & JSONTapeEntry.hasEscapes == 0
                            ? EventField.classify(base + Int(key.a), Int(key.b &- key.a))
                            : EventField.byName[doc.string(k)]
                        if let field, allowed & (1 << UInt64(field.rawValue)) != 0 {
                            if t[field.rawValue] >= 0 { dups.append(k) } else {
                                t[field.rawValue] = Int32(k + 1)
                                present |= 1 << UInt64(field.rawValue)
                            }
                        } else {
                            unknown.append(k)
                        }
                        k = value.kind.isContainer ? Int(value.c) : k + 2
                    }
                }
            }
        }
        presentMask = present
        unknownKeys = unknown
        duplicateKeys = dups
        if hashingInsertID, let ins = self[.insertID], doc.kind(ins) == .string {
            insertKey = InsertKey.hash(doc, insert: ins, device: self[.deviceID])
        }
    }

    /// Hands the key table back for reuse.
    mutating func reclaimTable(into storage: inout [Int32]) {
        swap(&table, &storage)
    }

    /// Pointer of the record in the request view (`/events/3`).
    public var pointer: String {
        pointerIsFinal ? pointerBase : pointerBase + "/" + String(index)
    }

    public var isObject: Bool { doc.kind(node) == .object }

    /// Tape index of a known field's value.
    @inlinable public subscript(_ f: EventField) -> Int? {
        let v = table[f.rawValue]
        return v < 0 ? nil : Int(v)
    }

    /// Tape index of the value of the field's last occurrence in the record, whether or not the
    /// field is allowed on this kind of record (one that is not stands among `unknownKeys`).
    /// An allowed field's first occurrence is in the table, so this is its last one only when
    /// `duplicateKeys` is empty.
    func lastValue(_ f: EventField) -> Int? {
        if EventField.allowedMask(for: kind) & (1 << UInt64(f.rawValue)) != 0 { return self[f] }
        var found: Int?
        for k in unknownKeys where EventField.of(doc, k) == f { found = k + 1 }
        return found
    }

    /// True when the field is present.
    @inlinable public func has(_ f: EventField) -> Bool { presentMask & (1 << UInt64(f.rawValue)) != 0 }

    /// Tape index of a known field's value unless it is absent or JSON `null`. Amplitude's
    /// JSON reading, like the SDKs' serialisers, makes no difference between the two (a field
    /// sent as `null` carries nothing), so rules asking "is it there?" use this.
    public func value(_ f: EventField) -> Int? {
        guard let i = self[f], doc.kind(i) != .null else { return nil }
        return i
    }

    /// The field's value if it is a string.
    public func string(_ f: EventField) -> String? {
        guard let i = self[f], doc.kind(i) == .string else { return nil }
        return doc.string(i)
    }

    /// Pointer of a field (present or not) of this record.
    public func path(_ f: EventField) -> String { pointer + "/" + JSONPointer.escape(f.wireName) }
    public func path(_ key: String) -> String { pointer + "/" + JSONPointer.escape(key) }

    /// `event_type` when it is a string.
    public var eventType: String? { string(.eventType) }

    /// True for `$identify` events and `/identify` identifications.
    public var isIdentify: Bool {
        kind == .identification || (kind == .event || kind == .legacyEvent) && eventTypeIs("$identify")
    }
    /// True for `$groupidentify` events and `/groupidentify` identifications.
    public var isGroupIdentify: Bool {
        kind == .groupIdentification || (kind == .event || kind == .legacyEvent) && eventTypeIs("$groupidentify")
    }

    public func eventTypeIs(_ s: StaticString) -> Bool {
        guard let i = self[.eventType] else { return false }
        return doc.keyEquals(i, s)
    }
}

/// Which member keys may name one of a few fields, by length and first byte of their wire names
/// (the only spellings `EventField.classify` knows): a key the filter refuses names none of them,
/// so `RecordFacts` skips classifying it (most of an event's twenty or so keys, for the profile
/// fold's 13 fields). It may let through keys that name none.
struct FieldFilter: Sendable {
    /// By key length (below 64): a bit per first byte (modulo 64) of a wanted field's name.
    private var byLength = [UInt64](repeating: 0, count: 64)

    init(_ fields: some Sequence<EventField>) {
        for f in fields {
            let name = Array(f.wireName.utf8)
            guard let first = name.first else { continue }
            precondition(name.count < 64, "FieldFilter: field names are shorter than 64 bytes")
            byLength[name.count] |= 1 << UInt64(first & 63)
        }
    }

    @inline(__always) func admits(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        n > 0 && n < 64 && byLength[n] & (1 << UInt64(p[0] & 63)) != 0
    }
}

extension EventField {
    static let eventMask = mask(eventKeys)
    static let identifyMask = mask(identifyKeys)
    static let groupIdentifyMask = mask(groupIdentifyKeys)
    static let mappingMask = mask(allowed(for: .mapping))
    static let legacyMask = mask(legacyKeys)

    static func mask(_ fields: Set<EventField>) -> UInt64 {
        var bits: UInt64 = 0
        for f in fields { bits |= 1 << UInt64(f.rawValue) }
        return bits
    }

    static func allowedMask(for kind: RecordKind) -> UInt64 {
        switch kind {
        case .event: return eventMask
        case .identification: return identifyMask
        case .groupIdentification: return groupIdentifyMask
        case .mapping: return mappingMask
        case .legacyEvent: return legacyMask
        case .segmentCall: return 0
        }
    }
}

extension EventField {
    /// The field a member key names (nil: none), as `RecordFacts` classifies keys.
    static func of(_ doc: JSONDocument, _ key: Int) -> EventField? {
        guard doc.kind(key) == .string else { return nil }
        if doc.isPlainString(key) { return doc.withStringBytes(key) { p in p.baseAddress.flatMap { classify($0, p.count) } } }
        return byName[doc.string(key)]
    }
}
