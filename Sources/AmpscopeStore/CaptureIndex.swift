import AmpscopeCore

/// Where the full request of an indexed capture can be read back from.
public enum PayloadLocation: Sendable, Equatable {
    /// A row of the SQLite store.
    case database(rowID: Int64)
    /// One line of a replayed capture-lines file (read back by offset, never held in memory).
    case file(fileID: Int32, offset: Int64, length: Int32)
    /// Held in memory (small replayed inputs such as HAR entries).
    case memory(slot: Int32)
}

/// One segment of the in-memory index (`SegmentedIndex`): about 64 bytes per event plus one
/// entry per request and the insert id's bytes; strings are interned per segment. Payloads are
/// never held here.
struct CaptureIndex: Sendable {
    struct Entry: Sendable {
        var location: PayloadLocation
        var receivedAt: Int64
        var firstRow: Int32
        var rowCount: Int32
        var requestEvents: Int32
        var status: Int16
        var emulatedStatus: Int16
        var endpoint: Endpoint
        var sourceKind: CaptureSource.Kind
        var origin: RecordedResponse.Origin?
        var sourceName: Int32
        var method: Int32
        var apiKey: Int32
    }

    struct Row: Sendable {
        var capture: Int32       // slot in `entries`
        var eventIndex: Int32
        var eventType: Int32
        var user: Int32
        var device: Int32
        var insert: UInt32       // offset in `insertBytes`; UInt32.max = absent
        var rules: Int32         // index into `ruleSets`
        var errors: UInt16
        var warnings: UInt16
        var infos: UInt16
        // A mapped row (the Amplitude record a Segment destination sends for a call), in what
        // was padding: `MappedRowTag.sub` (0 = not mapped), the call type (index + 1, 0 = none),
        // the mapped endpoint's slot and the status Amplitude would answer.
        var mappedSub: UInt16 = 0
        var mappedCall: UInt8 = 0
        var mappedEndpoint: UInt8 = 0
        var mappedStatus: Int16 = 0
        var time: Int64          // Int64.min = absent
        var session: Int64       // Int64.min = absent
    }

    private(set) var entries: [Entry] = []
    private(set) var rows: [Row] = []
    var strings = Interner()
    /// Insert ids, one per row and nearly all distinct, so interning them would only cost a
    /// hash-table entry each: they sit in one byte arena as (2-byte length, UTF-8 bytes).
    private(set) var insertBytes: [UInt8] = []
    /// Distinct sets of rule ids, shared by rows (usually a few dozen in all).
    private(set) var ruleSets: [[String]] = [[]]
    private var ruleSetIDs: [[String]: Int32] = [[]: 0]
    /// Running totals of what is indexed.
    private(set) var eventCount = 0
    private(set) var rowsWithErrors = 0
    private(set) var rowsWithWarnings = 0
    /// Capture id of entries[0]; ids are dense from there (id = firstID + slot).
    private(set) var firstID: Int64 = 1
    /// Entries whose payload is not in the SQLite store (such a segment cannot leave memory).
    private(set) var entriesOutsideDatabase = 0

    init(firstID: Int64 = 1) { self.firstID = firstID }

    var captureCount: Int { entries.count }
    var rowCount: Int { rows.count }
    var nextID: Int64 { firstID + Int64(entries.count) }

    /// Adds a processed capture; returns its capture id.
    @discardableResult
    mutating func add(_ p: Processed, location: PayloadLocation) -> Int64 {
        let summaries = EventSummary.extract(p)
        return add(capture: p.capture, request: p.request, answer: p.answer, summaries: summaries, location: location)
    }

    mutating func add(capture c: Capture, request r: DecodedRequest, answer: EmulatedAnswer,
                      summaries: [EventSummary], location: PayloadLocation) -> Int64 {
        let slot = Int32(entries.count)
        noteLocation(location)
        entries.append(Entry(
            location: location, receivedAt: c.receivedAt, firstRow: Int32(rows.count), rowCount: Int32(summaries.count),
            requestEvents: Int32(r.records.count), status: Int16(clamping: c.recordedResponse?.status ?? answer.status),
            emulatedStatus: Int16(clamping: answer.status), endpoint: r.endpoint, sourceKind: c.source.kind,
            origin: c.recordedResponse?.origin, sourceName: strings.id(c.source.name), method: strings.id(c.method),
            apiKey: strings.id(r.apiKey.map(Redactor.mask))))
        for s in summaries { appendRow(slot, s) }
        return firstID + Int64(slot)
    }

    /// Re-adds a capture from stored summaries (reopening a store).
    mutating func add(stored e: StoredEntry) {
        let slot = Int32(entries.count)
        noteLocation(e.location)
        entries.append(Entry(
            location: e.location, receivedAt: e.receivedAt, firstRow: Int32(rows.count), rowCount: Int32(e.summaries.count),
            requestEvents: Int32(e.requestEvents), status: Int16(clamping: e.status), emulatedStatus: Int16(clamping: e.emulatedStatus),
            endpoint: e.endpoint, sourceKind: e.sourceKind, origin: e.origin, sourceName: strings.id(e.sourceName),
            method: strings.id(e.method), apiKey: strings.id(e.apiKeyMasked)))
        for s in e.summaries { appendRow(slot, s) }
    }

    private mutating func noteLocation(_ l: PayloadLocation) {
        if case .database = l { return }
        entriesOutsideDatabase += 1
    }

    /// The store rows of every entry, in order, when all are in the database.
    func databaseRowIDs() -> [Int64]? {
        guard entriesOutsideDatabase == 0 else { return nil }
        return entries.map { e in
            if case .database(let id) = e.location { return id }
            return -1
        }
    }

    private mutating func ruleSet(_ rules: [String]) -> Int32 {
        if let id = ruleSetIDs[rules] { return id }
        let id = Int32(ruleSets.count)
        ruleSets.append(rules)
        ruleSetIDs[rules] = id
        return id
    }

    private mutating func appendRow(_ slot: Int32, _ s: EventSummary) {
        if s.index >= 0 && s.mapped == nil { eventCount += 1 }
        if s.counts.errors > 0 { rowsWithErrors += 1 }
        if s.counts.warnings > 0 { rowsWithWarnings += 1 }
        rows.append(Row(capture: slot, eventIndex: Int32(s.index), eventType: strings.id(s.eventType),
                        user: strings.id(s.userID), device: strings.id(s.deviceID), insert: appendInsertID(s.insertID),
                        rules: ruleSet(s.rules),
                        errors: UInt16(clamping: s.counts.errors), warnings: UInt16(clamping: s.counts.warnings),
                        infos: UInt16(clamping: s.counts.infos),
                        mappedSub: UInt16(clamping: s.mapped?.sub ?? 0),
                        mappedCall: s.mapped?.callType.map { UInt8(Self.callTypes.firstIndex(of: $0)! + 1) } ?? 0,
                        mappedEndpoint: UInt8(clamping: s.mapped?.endpoint.slot ?? 0),
                        mappedStatus: Int16(clamping: s.mapped?.status ?? 0),
                        time: s.time ?? .min, session: s.sessionID ?? .min))
    }

    static let callTypes = SegmentCallType.allCases
    static let endpointsBySlot: [Endpoint] = Endpoint.allCases.sorted { $0.slot < $1.slot }

    func isMapped(_ i: Int) -> Bool { rows[i].mappedSub > 0 }

    /// The tag of a mapped row, from its packed fields.
    static func mappedTag(_ r: Row) -> MappedRowTag? {
        guard r.mappedSub > 0, let (d, k) = MappedRowTag.split(sub: Int(r.mappedSub)) else { return nil }
        return MappedRowTag(destination: d, ordinal: k, callType: r.mappedCall > 0 ? callTypes[Int(r.mappedCall) - 1] : nil,
                            endpoint: endpointsBySlot[Int(r.mappedEndpoint)], status: Int(r.mappedStatus))
    }

    private mutating func appendInsertID(_ value: String?) -> UInt32 {
        guard var text = value else { return .max }
        return text.withUTF8 { u -> UInt32 in
            // Longer ones (never valid) are cut in the index only, on a character boundary.
            var n = min(u.count, Int(UInt16.max))
            while n < u.count && n > 0 && u[n] & 0xC0 == 0x80 { n -= 1 }
            // Past 4 GiB of insert ids (some hundred million rows) new rows show none.
            guard insertBytes.count + n + 2 < Int(UInt32.max) else { return .max }
            let at = UInt32(insertBytes.count)
            insertBytes.append(UInt8(n & 0xFF))
            insertBytes.append(UInt8(n >> 8))
            insertBytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[0..<n]))
            return at
        }
    }

    func insertID(at offset: UInt32) -> String? {
        guard offset != .max else { return nil }
        let o = Int(offset)
        let n = Int(insertBytes[o]) | Int(insertBytes[o + 1]) << 8
        return String(decoding: insertBytes[(o + 2)..<(o + 2 + n)], as: UTF8.self)
    }

    func slot(of captureID: Int64) -> Int? {
        let s = Int(captureID - firstID)
        return s >= 0 && s < entries.count ? s : nil
    }

    func entry(_ captureID: Int64) -> Entry? { slot(of: captureID).map { entries[$0] } }

    /// First row of a capture (for jumping to it).
    func firstRow(of captureID: Int64) -> Int? { entry(captureID).map { Int($0.firstRow) } }

    func streamRow(_ i: Int) -> StreamRow {
        let r = rows[i]
        let e = entries[Int(r.capture)]
        var counts = FindingCounts()
        counts.errors = Int(r.errors)
        counts.warnings = Int(r.warnings)
        counts.infos = Int(r.infos)
        let summary = EventSummary(
            index: Int(r.eventIndex), eventType: strings.string(r.eventType), userID: strings.optional(r.user),
            deviceID: strings.optional(r.device), insertID: insertID(at: r.insert), time: r.time == .min ? nil : r.time,
            sessionID: r.session == .min ? nil : r.session, counts: counts,
            rules: ruleSets[Int(r.rules)], mapped: Self.mappedTag(r))
        let m = summary.mapped
        return StreamRow(captureID: firstID + Int64(r.capture), receivedAt: e.receivedAt, sourceKind: e.sourceKind,
                         sourceName: strings.string(e.sourceName), method: strings.string(e.method), endpoint: m?.endpoint ?? e.endpoint,
                         status: m?.status ?? Int(e.status), emulatedStatus: m?.status ?? Int(e.emulatedStatus), answerOrigin: e.origin,
                         requestEvents: Int(e.requestEvents), apiKeyMasked: strings.optional(e.apiKey), event: summary)
    }

    /// Approximate bytes held (for status and benchmarks).
    var approximateBytes: Int {
        entries.count * MemoryLayout<Entry>.stride + rows.count * MemoryLayout<Row>.stride + insertBytes.count
            + strings.strings.reduce(0) { $0 + $1.utf8.count + 40 }
    }
}

/// What the database keeps per capture to rebuild the index without re-decoding.
struct StoredEntry: Sendable {
    var location: PayloadLocation
    var receivedAt: Int64
    var requestEvents: Int
    var status: Int
    var emulatedStatus: Int
    var endpoint: Endpoint
    var sourceKind: CaptureSource.Kind
    var sourceName: String
    var origin: RecordedResponse.Origin?
    var method: String
    var apiKeyMasked: String?
    var summaries: [EventSummary]
}
