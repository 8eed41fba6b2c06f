/// The few fields of one event (record) that lists, filters and indexes need.
///
/// Small on purpose: the store keeps one per event in memory for hours of capture, and reads
/// the full payload from disk only when a pane shows it.
public struct EventSummary: Sendable, Equatable, Codable {
    /// Position of the record in its request's list (-1 for a request with no records).
    public var index: Int
    public var eventType: String
    public var userID: String?
    public var deviceID: String?
    public var insertID: String?
    /// Event `time` (legacy `timestamp`) in ms, when it is an integer.
    public var time: Int64?
    public var sessionID: Int64?
    /// Findings about this event, plus the request-level ones (they apply to every event).
    public var counts: FindingCounts
    /// Rule ids present on this event (own and request-level), for `rule:` filters.
    public var rules: [String]
    /// Set on the rows of the Amplitude records a Segment destination sends for a call (they
    /// follow the call's row and share its `index`); a Segment call's own row counts their
    /// findings and rule ids with its own.
    public var mapped: MappedRowTag?

    public init(index: Int, eventType: String, userID: String? = nil, deviceID: String? = nil, insertID: String? = nil,
                time: Int64? = nil, sessionID: Int64? = nil, counts: FindingCounts = FindingCounts(), rules: [String] = [],
                mapped: MappedRowTag? = nil) {
        self.index = index
        self.eventType = eventType
        self.userID = userID
        self.deviceID = deviceID
        self.insertID = insertID
        self.time = time
        self.sessionID = sessionID
        self.counts = counts
        self.rules = rules
        self.mapped = mapped
    }

    /// The call's type for a Segment call's row or a mapped row (nil for Amplitude rows).
    public func segmentCallType(endpoint: Endpoint) -> SegmentCallType? {
        if let m = mapped { return m.callType }
        guard endpoint == .segment, index >= 0 else { return nil }
        let word = eventType.prefix { $0 != " " }
        return SegmentCallType(rawValue: String(word))
    }

    /// One summary per record; a request without records gets one row (index -1) so it stays visible.
    public static func extract(_ p: Processed) -> [EventSummary] {
        extract(p, rows: nil)
    }

    /// The part of `extract` that reads the request's records and not its findings: each
    /// record's summary with empty counts and rules. Nil when `extract` builds the rows itself
    /// (no records, or Segment calls, whose mapped rows come from judging).
    ///
    /// The replayer calls this on the thread that parsed the request, while its document is
    /// in that core's cache (read later, after judging, its members were mostly cache misses).
    public static func rows(of r: DecodedRequest) -> [EventSummary]? {
        guard let doc = r.document, !r.records.isEmpty, r.recordKind != .segmentCall else { return nil }
        var out: [EventSummary] = []
        out.reserveCapacity(r.records.count)
        for (i, node) in r.records.enumerated() {
            var s = EventSummary(index: i, eventType: "")
            if doc.kind(node) == .object && r.recordKind == .event {
                // The common case in one pass over the members (each lookup below is a scan).
                let f = EventFields(doc, node)
                s.eventType = text(doc, f.eventType) ?? "(no event_type)"
                s.userID = text(doc, f.userID)
                s.deviceID = text(doc, f.deviceID)
                s.insertID = text(doc, f.insertID)
                if let t = f.time { s.time = doc.int64(t) }
                if let sid = f.sessionID { s.sessionID = doc.int64(sid) }
            } else if doc.kind(node) == .object {
                func str(_ k: StaticString) -> String? { text(doc, doc.member(node, k)) }
                switch r.recordKind {
                case .event, .legacyEvent:
                    s.eventType = str("event_type") ?? "(no event_type)"
                case .identification:
                    s.eventType = "$identify"
                case .groupIdentification:
                    let t = str("group_type") ?? "?"
                    let v = str("group_value") ?? "?"
                    s.eventType = "$groupidentify \(t)=\(v)"
                case .mapping:
                    s.eventType = "$usermap → " + (str("global_user_id") ?? "(unmap)")
                case .segmentCall:
                    break  // not here (guarded above)
                }
                s.userID = str("user_id")
                s.deviceID = str("device_id")
                s.insertID = str(r.recordKind == .legacyEvent ? "uuid" : "insert_id")
                if let t = doc.member(node, r.recordKind == .legacyEvent ? "timestamp" : "time") { s.time = doc.int64(t) }
                if let sid = doc.member(node, "session_id") { s.sessionID = doc.int64(sid) }
            } else {
                s.eventType = "(not an object)"
            }
            out.append(s)
        }
        return out
    }

    /// `extract`, given `rows(of: p.request)` when it was computed earlier (on another thread;
    /// nil computes it here): the findings' counts and rule ids are added to those rows.
    public static func extract(_ p: Processed, rows: consuming [EventSummary]?) -> [EventSummary] {
        let r = p.request
        var requestCounts = FindingCounts()
        var requestRules: [String] = []
        var perEvent: [Int: (FindingCounts, [String])] = [:]
        for f in p.findings {
            if let e = f.event {
                var entry = perEvent[e] ?? (FindingCounts(), [])
                entry.0.add(f.severity)
                if !entry.1.contains(f.rule) { entry.1.append(f.rule) }
                perEvent[e] = entry
            } else {
                requestCounts.add(f.severity)
                if !requestRules.contains(f.rule) { requestRules.append(f.rule) }
            }
        }
        // Record i's counts and rule ids: the request's, then its own.
        func findings(of i: Int) -> (FindingCounts, [String]) {
            var c = requestCounts
            var rules = requestRules
            if let own = perEvent[i] {
                c += own.0
                for id in own.1 where !rules.contains(id) { rules.append(id) }
            }
            return (c, rules)
        }
        // The rows are taken over (not copied): filled in place below.
        if var out = (consume rows) ?? Self.rows(of: r) {
            for i in out.indices { (out[i].counts, out[i].rules) = findings(of: i) }
            return out
        }
        guard let doc = r.document, !r.records.isEmpty else {
            return [EventSummary(index: -1, eventType: placeholderType(r), counts: requestCounts, rules: requestRules)]
        }
        // Segment calls, the only records `rows(of:)` leaves to this: each call's row, then the
        // rows of the Amplitude records its destinations send for it.
        var out: [EventSummary] = []
        out.reserveCapacity(r.records.count)
        for (i, node) in r.records.enumerated() {
            var s = EventSummary(index: i, eventType: "")
            (s.counts, s.rules) = findings(of: i)
            if doc.kind(node) == .object {
                func str(_ k: StaticString) -> String? { text(doc, doc.member(node, k)) }
                s.eventType = SegmentCallView(request: r, doc: doc, index: i).label
                s.userID = str("userId")
                s.deviceID = str("anonymousId")
                s.insertID = str("messageId")
                if let t = doc.member(node, "time") { s.time = doc.int64(t) }
                if let sid = doc.member(node, "session_id") { s.sessionID = doc.int64(sid) }
            } else {
                s.eventType = "(not an object)"
            }
            if let mapping = p.segmentMapping {
                let mappedRows = mappedRows(mapping, call: i, callType: SegmentCallView(request: r, doc: doc, index: i).type)
                // Each mapped request's findings once (request-level ones are on each of its rows).
                for m in mapping.calls where m.callIndex == i {
                    s.counts += m.counts
                    for o in m.requests { for f in o.findings where !s.rules.contains(f.rule) { s.rules.append(f.rule) } }
                }
                out.append(s)
                out += mappedRows
                continue
            }
            out.append(s)
        }
        return out
    }

    /// A string value as it is, a number as written; nil for anything else or nothing.
    static func text(_ doc: JSONDocument, _ v: Int?) -> String? {
        guard let v else { return nil }
        switch doc.kind(v) {
        case .string: return doc.string(v)
        case .number: return doc.rawText(v)
        default: return nil
        }
    }

    /// The members an event's row shows, found in one pass; each is the first member with its
    /// key, as `JSONDocument.member` would find it.
    struct EventFields {
        var eventType: Int?
        var userID: Int?
        var deviceID: Int?
        var insertID: Int?
        var time: Int?
        var sessionID: Int?

        init(_ doc: JSONDocument, _ event: Int) {
            // A pass over the tape itself: plain keys are told apart by length and compared with
            // memcmp (`members` and `keyEquals` per key were 6 % of a replay load); escaped
            // keys, rare, are compared whole in `escapedKey`.
            doc.tape.withUnsafeBufferPointer { tape in
                doc.bytes.withUnsafeBufferPointer { bytes in
                    let base = bytes.baseAddress!
                    let end = Int(tape[event].c)
                    var k = event + 1
                    while k < end {
                        let key = tape[k]
                        let v = k + 1
                        let value = tape[v]
                        defer { k = value.kind.isContainer ? Int(value.c) : k + 2 }
                        guard key.flags & JSONTapeEntry.hasEscapes == 0 else {
                            escapedKey(doc, k, v)
                            continue
                        }
                        let p = base + Int(key.a)
                        @inline(__always) func named(_ s: StaticString) -> Bool { memcmpEqual(p, s.utf8Start, s.utf8CodeUnitCount) }
                        switch Int(key.b &- key.a) {
                        case 4:
                            if time == nil, named("time") { time = v }
                        case 7:
                            if userID == nil, named("user_id") { userID = v }
                        case 9:
                            if deviceID == nil, named("device_id") { deviceID = v } else if insertID == nil, named("insert_id") { insertID = v }
                        case 10:
                            if eventType == nil, named("event_type") { eventType = v } else if sessionID == nil, named("session_id") { sessionID = v }
                        default:
                            break
                        }
                    }
                }
            }
        }

        /// A key written with escape sequences: compared by its decoded value.
        private mutating func escapedKey(_ doc: JSONDocument, _ k: Int, _ v: Int) {
            if time == nil, doc.keyEquals(k, "time") { time = v; return }
            if userID == nil, doc.keyEquals(k, "user_id") { userID = v; return }
            if deviceID == nil, doc.keyEquals(k, "device_id") { deviceID = v; return }
            if insertID == nil, doc.keyEquals(k, "insert_id") { insertID = v; return }
            if eventType == nil, doc.keyEquals(k, "event_type") { eventType = v; return }
            if sessionID == nil, doc.keyEquals(k, "session_id") { sessionID = v; return }
        }
    }

    static func placeholderType(_ r: DecodedRequest) -> String {
        if r.decoder == DecodedRequest.unreadableDecoder { return "(unreadable input)" }
        if r.endpoint == .unknown { return "(unknown endpoint)" }
        if r.document == nil { return "(undecodable body)" }
        return "(no events)"
    }
}
