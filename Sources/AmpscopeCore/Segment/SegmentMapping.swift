/// Where one field of a mapped Amplitude request came from.
public struct FieldProvenance: Sendable, Equatable {
    /// Pointer of the field in the mapped request's view (`/events/0/user_id`, `/identification/user_properties`).
    public var amplitude: String { amplitudePointer.text }
    /// Pointer of the Segment value in the Segment request (`/batch/0/userId`); nil for a value the
    /// destination makes up (`library: "segment"`, `revenueType: "Purchase"`).
    public var segment: String? { segmentPointer?.text }
    /// How the value was made when it is not a plain copy (`ISO-8601 → ms`, `template 'Viewed {{name}}'`).
    public var note: String?

    let amplitudePointer: LazyPointer
    let segmentPointer: LazyPointer?

    public init(amplitude: String, segment: String?, note: String? = nil) {
        self.init(amplitude: LazyPointer(amplitude), segment: segment.map(LazyPointer.init), note: note)
    }

    init(amplitude: LazyPointer, segment: LazyPointer?, note: String?) {
        amplitudePointer = amplitude
        segmentPointer = segment
        self.note = note
    }
}

/// A part of a Segment call that no mapped request carries.
public struct DroppedField: Sendable, Equatable {
    /// Pointer in the Segment request (`/batch/0/messageId`).
    public var segment: String
    public var reason: String
}

/// One Amplitude request a destination sends for a Segment call, exactly as it would send it.
public struct MappedRequest: Sendable {
    public var destination: SegmentDestination
    /// The destination's action (`Log Event V2`, `Identify User`) or the classic call handler (`classic track`).
    public var action: String
    /// Index of the Segment call in its request.
    public var callIndex: Int
    public var endpoint: Endpoint
    /// The URL the destination posts to (region applied).
    public var url: String
    /// The request as an Amplitude capture: path, Content-Type and the body bytes as encoded by the destination.
    public var capture: Capture
    /// Where each field came from, worked out when read.
    public var provenance: [FieldProvenance] {
        get { provenanceLog.fields }
        set { provenanceLog = MappedProvenance(head: newValue, records: []) }
    }
    var provenanceLog: MappedProvenance

    public init(destination: SegmentDestination, action: String, callIndex: Int, endpoint: Endpoint, url: String, capture: Capture,
                provenance: [FieldProvenance]) {
        self.init(destination: destination, action: action, callIndex: callIndex, endpoint: endpoint, url: url, capture: capture,
                  log: MappedProvenance(head: provenance, records: []))
    }

    init(destination: SegmentDestination, action: String, callIndex: Int, endpoint: Endpoint, url: String, capture: Capture,
         log: MappedProvenance) {
        self.destination = destination
        self.action = action
        self.callIndex = callIndex
        self.endpoint = endpoint
        self.url = url
        self.capture = capture
        provenanceLog = log
    }
}

/// A mapped request after the same decode → validate → answer path as any Amplitude request.
public struct MappedOutcome: Sendable {
    public var request: MappedRequest
    public var processed: Processed
    /// `processed.findings`, each caused by the destination itself saying so and naming the setting that fixes it.
    public var findings: [Finding]

    public var counts: FindingCounts { FindingCounts(findings) }
}

/// What one destination does with one Segment call.
public struct SegmentCallMapping: Sendable {
    public var callIndex: Int
    /// `track Order Completed`, `identify`…
    public var label: String
    public var destination: SegmentDestination
    public var requests: [MappedOutcome]
    /// Why nothing is sent, when nothing is (Segment dropped the call, no preset, a setting is off).
    public var notSent: String?
    /// The call as decoded (nil when nothing was mapped): what `dropped` is worked out from.
    public var view: SegmentCallView?

    /// Top-level fields and `context` fields of the call that no request carries. Worked out
    /// when asked (the Mapping tab), not for every call mapped: it was a fifth of mapping's cost.
    public var dropped: [DroppedField] {
        view.map { SegmentMapper.dropped($0, requests.map(\.request), destination) } ?? []
    }

    public var counts: FindingCounts {
        var c = FindingCounts()
        for r in requests { c += r.counts }
        return c
    }
}

/// The mapping of every call of a Segment request, for each chosen destination: what the UI's
/// Mapping tab and stream rows show, and the `mapped` array of `check --format json`.
public struct SegmentMapping: Sendable {
    public var destinations: [SegmentDestination]
    /// Per call and destination, calls in order, destinations in `destinations` order.
    public var calls: [SegmentCallMapping]

    /// Every mapped request, in order.
    public var outcomes: [MappedOutcome] { calls.flatMap(\.requests) }

    /// Findings of all mapped requests together.
    public var counts: FindingCounts {
        var c = FindingCounts()
        for call in calls { c += call.counts }
        return c
    }

    /// The mappings of one call.
    public func mappings(forCall i: Int) -> [SegmentCallMapping] { calls.filter { $0.callIndex == i } }
}

/// The result of mapping one call through one destination, before validation.
struct MappedCall {
    var requests: [MappedRequest] = []
    var notSent: String?
}

/// One Segment call prepared for the mappers: its view, type and the time Segment sends downstream.
struct SegmentCallInput {
    let view: SegmentCallView
    let type: SegmentCallType
    /// Segment's `timestamp` in ms (segment-wire.md §1 "Timestamps").
    let timeMs: Int64
    /// Where the time came from (pointer) and how.
    let timeSource: LazyPointer?
    let timeNote: String

    /// User agents already parsed while mapping this request (shared by its calls and destinations).
    let userAgents: UserAgentMemo

    init(view: SegmentCallView, type: SegmentCallType, receivedAt: Int64, userAgents: UserAgentMemo = UserAgentMemo()) {
        self.view = view
        self.type = type
        self.userAgents = userAgents
        let t = Self.time(view, receivedAt: receivedAt)
        timeMs = t.ms
        timeSource = t.source
        timeNote = t.note
    }

    static func time(_ view: SegmentCallView, receivedAt: Int64) -> (ms: Int64, source: LazyPointer?, note: String) {
        if let ts = view.located(["timestamp"]), let s = view.doc.stringValue(ts.node), let ms = Timestamp.parseISO8601(s) {
            return (ms, ts.pointer, "ISO-8601 → ms")
        }
        if let o = view.located(["originalTimestamp"]), let os = view.doc.stringValue(o.node), let oms = Timestamp.parseISO8601(os),
           let sent = view.located(["sentAt"]), let ss = view.doc.stringValue(sent.node), let sms = Timestamp.parseISO8601(ss) {
            return (receivedAt - (sms - oms), o.pointer, "receivedAt − (sentAt − originalTimestamp), as Segment computes timestamp")
        }
        return (receivedAt, nil, "no readable timestamp: the time Segment received the call")
    }

    var pointer: String { view.pointer }

    /// The value at a Segment path, with its pointer.
    func value(_ path: [String]) -> (value: MappedValue, pointer: LazyPointer)? {
        guard let v = view.located(path) else { return nil }
        return (MappedValue(view.doc, v.node), v.pointer)
    }

    /// `@if exists` in Segment's mappings: present and not null.
    func existing(_ path: [String]) -> (value: MappedValue, pointer: LazyPointer)? {
        guard let v = view.located(path), view.doc.kind(v.node) != .null else { return nil }
        return (MappedValue(view.doc, v.node), v.pointer)
    }

    func string(_ path: [String]) -> String? { view.string(path) }

    func pointer(_ path: [String]) -> LazyPointer { .path(view.pointer, path) }
}

/// The last user agent parsed while mapping one request: the calls of a batch from one browser
/// carry the same `context.userAgent`, and every destination reads it; it is parsed once.
final class UserAgentMemo {
    private var text: String?
    private var info: UserAgentInfo?

    func info(_ t: String) -> UserAgentInfo {
        if let info, text == t { return info }
        let parsed = UserAgentInfo(t)
        text = t
        info = parsed
        return parsed
    }
}

/// An Amplitude record (event, identification, mapping) under construction, with provenance.
///
/// Provenance is a log: a field set again, or removed, hides what was noted for it (and under
/// it) before, but the log is only read that way when a request's provenance is shown
/// (`MappedProvenance.fields`); mapping itself never rewrites it.
struct RecordBuilder {
    struct Entry: Sendable {
        enum Kind: Sendable { case set, note, remove }
        /// Field path inside the record (`user_id`, `user_properties/$set/referrer`), escaped.
        let field: String
        let segment: LazyPointer?
        let note: String?
        let kind: Kind
    }

    var object = MappedObject()
    var provenance: [Entry] = []

    subscript(key: String) -> MappedValue? { object[key] }

    /// Sets a field (JavaScript assignment: an existing key keeps its place).
    mutating func set(_ key: String, _ value: MappedValue?, from segment: LazyPointer?, note: String? = nil) {
        guard let value else { return }
        object.assign(key, value)
        provenance.append(Entry(field: JSONPointer.escape(key), segment: segment, note: note, kind: .set))
    }

    /// Sets a field copied from a Segment path when it is there.
    mutating func copy(_ key: String, _ c: SegmentCallInput, _ path: [String]) {
        if let v = c.value(path) { set(key, v.value, from: v.pointer) }
    }

    mutating func remove(_ key: String) {
        object[key] = nil
        provenance.append(Entry(field: JSONPointer.escape(key), segment: nil, note: nil, kind: .remove))
    }

    /// Notes where a nested field came from (`user_properties/$set/referrer`).
    mutating func note(_ field: String, from segment: LazyPointer?, note: String? = nil) {
        provenance.append(Entry(field: field, segment: segment, note: note, kind: .note))
    }

    /// The Segment pointer the top-level field's current value came from.
    func source(of key: String) -> LazyPointer? {
        let field = JSONPointer.escape(key)
        for e in provenance.reversed() where e.kind != .note && e.field == field {
            return e.kind == .set ? e.segment : nil
        }
        return nil
    }

    var value: MappedValue { object.value }

    /// The entries of a log still in effect, in the order they were made.
    static func effective(_ log: [Entry]) -> [Entry] {
        var kept: [Entry] = []
        var hiding: [String] = []  // fields set or removed later than the entry being read
        for e in log.reversed() {
            if !hiding.contains(where: { RecordBuilder.covers($0, e.field) }) && e.kind != .remove { kept.append(e) }
            if e.kind != .note { hiding.append(e.field) }
        }
        return kept.reversed()
    }

    /// `field` is `other` or lies under it (`a` covers `a` and `a/b`, not `ab`).
    static func covers(_ field: String, _ other: String) -> Bool {
        let f = field.utf8, o = other.utf8
        guard o.count >= f.count, o.starts(with: f) else { return false }
        return o.count == f.count || o[o.index(o.startIndex, offsetBy: f.count)] == UInt8(ascii: "/")
    }
}

/// Where each field of a mapped request came from, kept as the records' provenance logs until
/// something reads it (the Mapping tab, `check --format json`, the dropped-fields list).
struct MappedProvenance: Sendable {
    var head: [FieldProvenance]
    var records: [(pointer: String, entries: [RecordBuilder.Entry])]

    /// Every API key field's provenance first, then each record's fields in effect.
    static func request(records: [(pointer: String, entries: [RecordBuilder.Entry])]) -> MappedProvenance {
        MappedProvenance(head: [FieldProvenance(amplitude: "/api_key", segment: nil, note: "the destination's API Key setting")], records: records)
    }

    var fields: [FieldProvenance] {
        var out = head
        for r in records {
            for e in RecordBuilder.effective(r.entries) {
                out.append(FieldProvenance(amplitude: .joined(r.pointer, e.field), segment: e.segment, note: e.note))
            }
        }
        return out
    }
}

/// Builds the wire form of mapped requests.
enum MappedWire {
    static func host(_ region: AmplitudeRegion, usermap: Bool = false) -> String {
        region == .europe ? "https://api.eu.amplitude.com" : usermap ? "https://api.amplitude.com" : "https://api2.amplitude.com"
    }

    static func capture(_ template: Capture, path: String, contentType: String, body: [UInt8]) -> Capture {
        Capture(receivedAt: template.receivedAt, source: template.source, method: "POST", path: path,
                headers: [HTTPHeader("Content-Type", contentType)], body: body, client: template.client)
    }

    /// `{"api_key":…,"events":[…],"options":{…}}` (options only when given).
    static func jsonEvents(apiKey: String, events: [RecordBuilder], options: MappedValue?) -> [UInt8] {
        var o = MappedObject()
        o["api_key"] = .string(apiKey)
        o["events"] = .array(events.map(\.value))
        o["options"] = options
        return o.value.json
    }

    /// `application/x-www-form-urlencoded`, as `URLSearchParams` writes it.
    static func form(_ fields: [(String, String)]) -> [UInt8] { Array(FormEncoding.encode(fields).utf8) }
}
