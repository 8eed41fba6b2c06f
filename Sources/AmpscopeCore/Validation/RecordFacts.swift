/// One record of a request (event, identification, mapping) with its top-level keys indexed.
///
/// Built once per record by a single pass over its members, then shared by every record rule,
/// so a rule asks `facts[.userID]` instead of scanning the object again.
public struct RecordFacts: Sendable {
    public let doc: JSONDocument
    /// Tape index of the record.
    public let node: Int
    /// Position in the request's record list.
    public let index: Int
    public let kind: RecordKind
    /// Pointer of the record in the request view (`/events/3`).
    public let pointer: String
    /// Tape index of each known key's value, or -1.
    @usableFromInline var table: [Int32]
    /// Key tape indices of keys that are not known wire keys for this kind of record.
    public private(set) var unknownKeys: [Int] = []
    /// Key tape indices of keys that appeared more than once.
    public private(set) var duplicateKeys: [Int] = []

    public init(doc: JSONDocument, node: Int, index: Int, kind: RecordKind, pointer: String) {
        self.doc = doc
        self.node = node
        self.index = index
        self.kind = kind
        self.pointer = pointer
        self.table = [Int32](repeating: -1, count: EventField.allCases.count)
        guard doc.kind(node) == .object else { return }
        let allowed = EventField.allowedMask(for: kind)
        var unknown: [Int] = []
        var dups: [Int] = []
        doc.bytes.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            for (k, v) in doc.members(node) {
                let r = doc.byteRange(k)
                let field = doc.isPlainString(k) ? EventField.classify(base + r.lowerBound, r.count)
                                                 : EventField.byName[doc.string(k)]
                if let field, allowed & (1 << UInt64(field.rawValue)) != 0 {
                    if table[field.rawValue] >= 0 { dups.append(k) } else { table[field.rawValue] = Int32(v) }
                } else {
                    unknown.append(k)
                }
            }
        }
        unknownKeys = unknown
        duplicateKeys = dups
    }

    public var isObject: Bool { doc.kind(node) == .object }

    /// Tape index of a known field's value.
    @inlinable public subscript(_ f: EventField) -> Int? {
        let v = table[f.rawValue]
        return v < 0 ? nil : Int(v)
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

extension EventField {
    static let masks: [RecordKind: UInt64] = {
        var m: [RecordKind: UInt64] = [:]
        for kind in [RecordKind.event, .identification, .groupIdentification, .mapping, .legacyEvent] {
            var bits: UInt64 = 0
            for f in allowed(for: kind) { bits |= 1 << UInt64(f.rawValue) }
            m[kind] = bits
        }
        return m
    }()

    static func allowedMask(for kind: RecordKind) -> UInt64 { masks[kind] ?? 0 }
}
