/// Names one event on the wire: the request's store id and the event's index in it.
public struct WireEventRef: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var captureID: Int64
    public var index: Int

    public init(captureID: Int64, index: Int) {
        self.captureID = captureID
        self.index = index
    }

    public static func < (a: WireEventRef, b: WireEventRef) -> Bool {
        a.captureID != b.captureID ? a.captureID < b.captureID : a.index < b.index
    }

    public var description: String { "#\(captureID)/\(index)" }
}

/// What the join needs to know about one event on the wire (built from a `Processed` request
/// or, with less detail, from a `StreamRow`).
public struct DebugWireEvent: Sendable, Equatable {
    public var ref: WireEventRef
    public var receivedAt: Int64
    /// `event_type`; `$identify` / `$groupidentify` for identify-API records.
    public var eventType: String
    public var userID: String?
    public var deviceID: String?
    public var insertID: String?
    /// Event `time`, epoch ms.
    public var time: Int64?
    /// Events in the same request.
    public var requestEventCount: Int
    /// HTTP status the client saw.
    public var httpStatus: Int
    /// The status an Amplitude SDK reads: the JSON answer's `code` (0 when the JSON has none),
    /// else the HTTP status.
    public var sdkStatus: Int
    /// `error` of the answer the client saw, when it was JSON with one.
    public var answerError: String?
    /// What the answer says about this event (`invalid id length: user_id`, `throttled`, …).
    public var answerReasons: [String]
    /// See `DebugJSON.eventFingerprint`.
    public var propertiesFingerprint: String?

    public init(ref: WireEventRef, receivedAt: Int64, eventType: String, userID: String? = nil, deviceID: String? = nil,
                insertID: String? = nil, time: Int64? = nil, requestEventCount: Int = 1, httpStatus: Int = 200,
                sdkStatus: Int? = nil, answerError: String? = nil, answerReasons: [String] = [],
                propertiesFingerprint: String? = nil) {
        self.ref = ref
        self.receivedAt = receivedAt
        self.eventType = eventType
        self.userID = userID
        self.deviceID = deviceID
        self.insertID = insertID
        self.time = time
        self.requestEventCount = requestEventCount
        self.httpStatus = httpStatus
        self.sdkStatus = sdkStatus ?? httpStatus
        self.answerError = answerError
        self.answerReasons = answerReasons
        self.propertiesFingerprint = propertiesFingerprint
    }

    /// From a stream row (no answer body: `answerError` and reasons stay empty).
    public init(row: StreamRow) {
        self.init(ref: WireEventRef(captureID: row.captureID, index: row.event.index), receivedAt: row.receivedAt,
                  eventType: Self.normalizedType(row.event.eventType), userID: row.event.userID,
                  deviceID: row.event.deviceID, insertID: row.event.insertID, time: row.event.time,
                  requestEventCount: row.requestEvents, httpStatus: row.status)
    }

    /// The events of a processed request stored under `captureID` (a request without events
    /// gives none). Reads the answer the client saw: the recorded one, else the emulated one.
    public static func events(_ p: Processed, captureID: Int64) -> [DebugWireEvent] {
        let r = p.request
        guard let doc = r.document, !r.records.isEmpty else { return [] }
        let body: [UInt8] = p.capture.recordedResponse?.body ?? p.answer.body
        let http = p.effectiveStatus
        var sdkStatus = http
        var info: DebugResponseInfo?
        if let a = try? JSONDocument(parsing: body), a.kind(a.root) == .object {
            info = DebugResponseInfo.from(a, a.root)
            sdkStatus = info?.code ?? 0
        }
        let summaries = EventSummary.extract(p)
        var out: [DebugWireEvent] = []
        out.reserveCapacity(summaries.count)
        for s in summaries where s.index >= 0 {
            let node = r.records[s.index]
            var e = DebugWireEvent(ref: WireEventRef(captureID: captureID, index: s.index), receivedAt: p.capture.receivedAt,
                                   eventType: normalizedType(s.eventType), userID: s.userID, deviceID: s.deviceID,
                                   insertID: s.insertID, time: s.time, requestEventCount: r.records.count,
                                   httpStatus: http, sdkStatus: sdkStatus, answerError: info?.error)
            e.answerReasons = info?.reasons(forIndex: s.index, userID: s.userID, deviceID: s.deviceID) ?? []
            e.propertiesFingerprint = DebugJSON.eventFingerprint(doc, node)
            out.append(e)
        }
        return out
    }

    /// `$groupidentify type=value` (identify-API summaries) → `$groupidentify`.
    static func normalizedType(_ t: String) -> String {
        t.hasPrefix("$groupidentify ") ? "$groupidentify" : t
    }

    /// The SDK's word for this event's answer (`success`, `invalid`, `rate_limit`, …).
    public var statusWord: String { DebugResponseInfo.statusWord(code: sdkStatus) }
    public var accepted: Bool { (200..<300).contains(sdkStatus) }
}
