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
        guard let doc = r.document, !r.records.isEmpty else {
            return [EventSummary(index: -1, eventType: placeholderType(r), counts: requestCounts, rules: requestRules)]
        }
        var out: [EventSummary] = []
        out.reserveCapacity(r.records.count)
        for (i, node) in r.records.enumerated() {
            var s = EventSummary(index: i, eventType: "")
            var c = requestCounts
            var rules = requestRules
            if let own = perEvent[i] {
                c += own.0
                for id in own.1 where !rules.contains(id) { rules.append(id) }
            }
            s.counts = c
            s.rules = rules
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
                    s.eventType = SegmentCallView(request: r, doc: doc, index: i).label
                }
                s.userID = str("user_id")
                s.deviceID = str("device_id")
                s.insertID = str(r.recordKind == .legacyEvent ? "uuid" : "insert_id")
                if let t = doc.member(node, r.recordKind == .legacyEvent ? "timestamp" : "time") { s.time = doc.int64(t) }
                if let sid = doc.member(node, "session_id") { s.sessionID = doc.int64(sid) }
                if r.recordKind == .segmentCall {
                    s.userID = str("userId")
                    s.deviceID = str("anonymousId")
                    s.insertID = str("messageId")
                }
            } else {
                s.eventType = "(not an object)"
            }
            if r.recordKind == .segmentCall, let mapping = p.segmentMapping {
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
            for (k, v) in doc.members(event) {
                // Plain keys are told apart by length first; escaped keys are compared whole.
                let length = doc.isPlainString(k) ? doc.stringSourceLength(k) : 0
                if length == 4 || length == 0, time == nil, doc.keyEquals(k, "time") { time = v; continue }
                if length == 7 || length == 0, userID == nil, doc.keyEquals(k, "user_id") { userID = v; continue }
                if length == 9 || length == 0 {
                    if deviceID == nil, doc.keyEquals(k, "device_id") { deviceID = v; continue }
                    if insertID == nil, doc.keyEquals(k, "insert_id") { insertID = v; continue }
                }
                if length == 10 || length == 0 {
                    if eventType == nil, doc.keyEquals(k, "event_type") { eventType = v; continue }
                    if sessionID == nil, doc.keyEquals(k, "session_id") { sessionID = v; continue }
                }
            }
        }
    }

    static func placeholderType(_ r: DecodedRequest) -> String {
        if r.decoder == DecodedRequest.unreadableDecoder { return "(unreadable input)" }
        if r.endpoint == .unknown { return "(unknown endpoint)" }
        if r.document == nil { return "(undecodable body)" }
        return "(no events)"
    }
}
