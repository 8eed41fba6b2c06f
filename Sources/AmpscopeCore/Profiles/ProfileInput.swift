/// What the profile fold reads of one judged request, and nothing else: a follower that cannot
/// keep up with the captures (a bulk load) queues this instead of the judged request or of a
/// read back from the store.
///
/// A judged request holds its body, its parsed document and tape, its records and findings,
/// about five times the body. The fold reads 13 fields of each record (`ProfileSimulator
/// .fieldsRead`), and of the request only when it came, whether Amplitude ingested it and
/// which events were duplicates. This keeps those: the records as a JSON array whose elements
/// hold only the members that may name one of those fields (the same `FieldFilter` the fold's
/// `RecordFacts` applies, so what it skips here it would skip there), copied byte for byte in
/// their order, duplicates and escaped keys included. On the bench's file that is about a sixth
/// of the body (Docs/profiles.md, "Round 5").
///
/// `parsed()` parses it again (the array is small); folding the result gives the same users,
/// changes and findings as folding the judged request (`ProfileInputTests`). Finding paths
/// are the same because the kept members keep their names and nesting and the records their
/// positions.
public struct ProfileInput: Sendable {
    public let receivedAt: Int64
    public let ingested: Bool
    /// Positions of the events the validation judged duplicate insert_ids.
    public let duplicates: [Int]
    let recordKind: RecordKind
    let recordsPointer: String
    let recordsIsSingleObject: Bool
    /// `[r0,r1,…]`: per record an object of the kept members, or `null` for a record that is not
    /// an object (the fold treats every such record alike).
    public let bytes: [UInt8]

    /// Nil for a request without records (the fold has nothing to do with it).
    public init?(_ p: Processed) {
        let r = p.request
        guard !r.records.isEmpty, let doc = r.document else { return nil }
        receivedAt = p.capture.receivedAt
        ingested = Processed.ingestedByAmplitude(capture: p.capture, answer: p.answer)
        duplicates = Self.duplicateEvents(p.findings)
        recordKind = r.recordKind
        recordsPointer = r.recordsPointer
        recordsIsSingleObject = r.recordsIsSingleObject
        bytes = Self.prune(doc, records: r.records, keeping: ProfileSimulator.fieldsRead)
    }

    /// Memory it holds, roughly (for a follower's backlog).
    public var footprint: Int { bytes.count + duplicates.count * 8 + recordsPointer.utf8.count + 96 }

    /// The events of a request the validation judged duplicate insert_ids.
    static func duplicateEvents(_ findings: [Finding]) -> [Int] {
        var out: [Int] = []
        for f in findings where f.rule == RuleID.duplicateInsertID { if let e = f.event { out.append(e) } }
        return out
    }

    /// The records' kept members as a JSON array (see the type's comment).
    static func prune(_ doc: JSONDocument, records: [Int], keeping filter: FieldFilter) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 * records.count)
        out.append(UInt8(ascii: "["))
        doc.tape.withUnsafeBufferPointer { tape in
            doc.bytes.withUnsafeBufferPointer { src in
                let base = src.baseAddress!
                for (n, node) in records.enumerated() {
                    if n > 0 { out.append(UInt8(ascii: ",")) }
                    guard tape[node].kind == .object else {
                        out.append(contentsOf: "null".utf8)
                        continue
                    }
                    out.append(UInt8(ascii: "{"))
                    var first = true
                    let end = Int(tape[node].c)
                    var k = node + 1
                    while k < end {
                        let key = tape[k]
                        let value = tape[k + 1]
                        let next = value.kind.isContainer ? Int(value.c) : k + 2
                        // As `RecordFacts` does: a key with escapes is always classified.
                        if key.flags & JSONTapeEntry.hasEscapes != 0 || filter.admits(base + Int(key.a), Int(key.b &- key.a)) {
                            if !first { out.append(UInt8(ascii: ",")) }
                            first = false
                            // From the key's opening quote to the value's last byte (a string's closing quote).
                            let from = Int(key.a) - 1
                            let to = value.kind == .string ? Int(value.b) + 1 : Int(value.b)
                            out.append(contentsOf: UnsafeBufferPointer(start: base + from, count: to - from))
                        }
                        k = next
                    }
                    out.append(UInt8(ascii: "}"))
                }
            }
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// The input with its records parsed, ready for `ProfileSimulator.apply(_:captureID:)`.
    public struct Parsed: Sendable {
        public let input: ProfileInput
        let doc: JSONDocument
        let records: [Int]
    }

    /// Parses the kept records (nil only if they do not parse, which a pruned valid document
    /// cannot cause).
    public func parsed() -> Parsed? {
        guard let doc = try? JSONParser.parse(bytes), doc.kind(doc.root) == .array else { return nil }
        return Parsed(input: self, doc: doc, records: Array(doc.elements(doc.root)))
    }
}
