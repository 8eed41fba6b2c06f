import AmpscopeCore

/// One `--inject` rule: which requests get a fault, and which fault.
///
/// Spec syntax (comma-separated, documented in Docs/proxy.md):
/// `ACTION[,OPTION...]` where ACTION is an HTTP status (`429`, `413`, `500`, `503`, any 400-599),
/// `close` (drop the connection without an answer) or `delay=DURATION` alone (answer normally,
/// late). OPTIONS: `p=0.3`, `endpoint=batch`, `path=/eu`, `event=Checkout*`, `user=ID`,
/// `device=ID`, `times=N`, `after=N`, `delay=500ms`, `quota` (429 only), and last
/// `filter=EXPR` (the filter language of Docs/filter.md; it may contain commas).
public struct FaultInjection: Sendable, Equatable, CustomStringConvertible {
    public enum Action: Sendable, Equatable {
        /// Answer this status with an Amplitude-shaped JSON body.
        case status(Int)
        /// Close the connection without answering.
        case close
        /// Only wait `delayMs`, then answer as usual.
        case delayOnly
    }

    /// A value test: exact, or a prefix when the pattern ends with `*`.
    public struct Pattern: Sendable, Equatable {
        public var text: String
        public var isPrefix: Bool
        public init(_ s: String) {
            if s.hasSuffix("*") { text = String(s.dropLast()); isPrefix = true } else { text = s; isPrefix = false }
        }
        public func matches(_ v: String?) -> Bool {
            guard let v else { return false }
            return isPrefix ? v.hasPrefix(text) : v == text
        }
    }

    public var action: Action
    /// Chance that a matching request gets the fault (0...1).
    public var probability: Double = 1
    /// Wait before answering (ms).
    public var delayMs: Int = 0
    public var endpoint: Endpoint?
    public var pathPrefix: String?
    public var eventType: Pattern?
    public var userID: Pattern?
    public var deviceID: Pattern?
    /// At most this many faults from this rule (nil: unlimited).
    public var times: Int?
    /// Let this many matching requests through before the rule starts firing.
    public var after: Int = 0
    /// 429 only: also list the throttled users/devices as over their daily quota (SDKs drop those events).
    public var quota = false
    /// A filter-language expression; the request matches when one of its events does.
    public var filter: Filter?
    /// The spec as written.
    public var spec: String

    public var description: String { spec }

    /// True when deciding needs the request's records (event type, user or device predicates).
    public var needsRecords: Bool { eventType != nil || userID != nil || deviceID != nil || filter != nil }

    /// True when deciding needs the request validated (a `filter=`).
    public var needsPreview: Bool { filter != nil }

    public static func == (a: FaultInjection, b: FaultInjection) -> Bool { a.spec == b.spec }

    public init(parsing spec: String) throws(ProxyConfigurationError) {
        self.spec = spec
        var action: Action?
        var sawDelay = false
        func bad(_ why: String) -> ProxyConfigurationError {
            .invalid("--inject '\(Sanitize.inline(spec, limit: 80))': \(why) (see Docs/proxy.md, e.g. --inject 429,p=0.3)")
        }
        // `filter=` takes the rest of the spec (filters may contain commas).
        var head = Substring(spec)
        if let r = spec.range(of: "filter=") , r.lowerBound == spec.startIndex || spec[spec.index(before: r.lowerBound)] == "," || spec[spec.index(before: r.lowerBound)] == " " {
            let text = String(spec[r.upperBound...])
            do {
                filter = try Filter(text)
            } catch {
                throw bad("filter: \(error.description)")
            }
            head = spec[..<r.lowerBound]
        }
        let tokens = head.split(separator: ",", omittingEmptySubsequences: true).map { $0.trimmingSpaces }.filter { !$0.isEmpty }
        guard !tokens.isEmpty else { throw bad("no action before filter= (e.g. 429,filter=...)") }
        for token in tokens {
            let kv = token.split(separator: "=", maxSplits: 1).map(String.init)
            let key = kv[0].asciiLowercased
            let value = kv.count > 1 ? kv[1] : nil
            if value == nil {
                if let status = Int(key) {
                    guard action == nil else { throw bad("more than one action") }
                    guard (400...599).contains(status) else { throw bad("status \(status) is not a 4xx/5xx error status") }
                    action = .status(status)
                    continue
                }
                switch key {
                case "close", "drop":
                    guard action == nil else { throw bad("more than one action") }
                    action = .close
                case "quota":
                    quota = true
                default:
                    throw bad("unknown word '\(Sanitize.inline(token, limit: 40))'")
                }
                continue
            }
            let v = value!
            switch key {
            case "p", "prob", "probability":
                var text = v
                var scale = 1.0
                if text.hasSuffix("%") { text.removeLast(); scale = 100 }
                guard let d = Double(text), d.isFinite else { throw bad("p must be a number between 0 and 1") }
                let p = d / scale
                guard (0...1).contains(p) else { throw bad("p must be between 0 and 1 (or 0%-100%)") }
                probability = p
            case "delay":
                guard let ms = Self.parseDuration(v) else { throw bad("delay must look like 250ms, 2s or 1.5s") }
                guard ms <= 600_000 else { throw bad("delay is capped at 10 minutes") }
                delayMs = ms
                sawDelay = true
            case "endpoint":
                guard let e = Endpoint(userSpelling: v) else {
                    throw bad("unknown endpoint '\(Sanitize.inline(v, limit: 40))' (httpapi, batch, identify, groupidentify, usermap, legacy)")
                }
                endpoint = e
            case "path":
                pathPrefix = v
            case "event", "event_type":
                eventType = Pattern(v)
            case "user", "user_id":
                userID = Pattern(v)
            case "device", "device_id":
                deviceID = Pattern(v)
            case "times", "count":
                guard let n = Int(v), n >= 0 else { throw bad("times must be a whole number") }
                times = n
            case "after", "skip":
                guard let n = Int(v), n >= 0 else { throw bad("after must be a whole number") }
                after = n
            default:
                throw bad("unknown option '\(Sanitize.inline(key, limit: 40))'")
            }
        }
        if action == nil {
            guard sawDelay else { throw bad("no action: give a status (429, 413, 500, 503...), close, or delay=DURATION") }
            action = .delayOnly
        }
        self.action = action!
        if quota, self.action != .status(429) { throw bad("quota only applies to 429") }
    }

    /// `250ms`, `2s`, `1.5s`, `2` (seconds) → milliseconds.
    static func parseDuration(_ s: String) -> Int? {
        let t = s.asciiLowercased
        let (num, scale): (Substring, Double)
        if t.hasSuffix("ms") { (num, scale) = (t.dropLast(2), 1) }
        else if t.hasSuffix("s") { (num, scale) = (t.dropLast(), 1000) }
        else if t.hasSuffix("m") { (num, scale) = (t.dropLast(), 60_000) }
        else { (num, scale) = (Substring(t), 1000) }
        guard let d = Double(num), d.isFinite, d >= 0 else { return nil }
        return Int((d * scale).rounded())
    }

    /// Does the request match the rule's predicates (not the dice or counters)?
    /// Returns the indices of the matching records (all of them when the rule has no record predicate).
    /// `preview` is the request validated on its own (needed only by `filter=`).
    func match(path: String, endpoint routed: Endpoint, request: DecodedRequest?, preview: Processed? = nil) -> [Int]? {
        if let endpoint, endpoint != routed { return nil }
        if let pathPrefix, !path.hasPrefix(pathPrefix) { return nil }
        guard let request else { return needsRecords ? nil : [] }
        let all = Array(request.records.indices)
        guard needsRecords else { return all }
        var hits = Set(all)
        if eventType != nil || userID != nil || deviceID != nil {
            guard let doc = request.document else { return nil }
            var own = Set<Int>()
            for (i, node) in request.records.enumerated() where doc.kind(node) == .object {
                let f = FaultInjection.recordFields(doc, node, kind: request.recordKind)
                if let eventType, !eventType.matches(f.eventType) { continue }
                if let userID, !userID.matches(f.userID) { continue }
                if let deviceID, !deviceID.matches(f.deviceID) { continue }
                own.insert(i)
            }
            hits.formIntersection(own)
            if hits.isEmpty { return nil }
        }
        if let filter {
            guard let preview else { return nil }
            var matched = Set<Int>()
            var requestLevel = false
            for row in StreamRow.rows(preview, id: 0)
            where filter.matches(row, payload: FilterPayload(preview, row: row)) {
                if row.event.index < 0 { requestLevel = true } else { matched.insert(row.event.index) }
            }
            if request.records.isEmpty { return requestLevel && eventType == nil && userID == nil && deviceID == nil ? [] : nil }
            hits.formIntersection(matched)
            if hits.isEmpty { return nil }
        }
        return hits.sorted()
    }

    static func recordFields(_ doc: JSONDocument, _ node: Int, kind: RecordKind) -> (eventType: String?, userID: String?, deviceID: String?) {
        func str(_ k: StaticString) -> String? {
            guard let v = doc.member(node, k) else { return nil }
            switch doc.kind(v) {
            case .string: return doc.string(v)
            case .number: return doc.rawText(v)
            default: return nil
            }
        }
        let type: String?
        switch kind {
        case .event, .legacyEvent: type = str("event_type")
        case .identification: type = "$identify"
        case .groupIdentification: type = "$groupidentify"
        case .mapping: type = "$usermap"
        case .segmentCall: type = str("event") ?? str("type")
        }
        return (type, str("user_id"), str("device_id"))
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

/// What `--inject` decided for one request.
public struct InjectionDecision: Sendable, Equatable {
    public var rule: String
    public var action: FaultInjection.Action
    public var delayMs: Int
    /// The fault answer (nil for `close` and delays).
    public var status: Int?
    public var body: [UInt8]
}

/// Applies the `--inject` rules: counters and dice shared by every connection.
final class FaultInjector: Sendable {
    let rules: [FaultInjection]
    private struct State {
        var rng: SplitMix64
        var seen: [Int]
        var fired: [Int]
    }
    private let state: Guarded<State>

    init(rules: [FaultInjection], seed: UInt64?) {
        self.rules = rules
        let s = seed ?? UInt64.random(in: .min ... .max)
        state = Guarded(State(rng: SplitMix64(seed: s), seen: Array(repeating: 0, count: rules.count),
                            fired: Array(repeating: 0, count: rules.count)))
    }

    var isEmpty: Bool { rules.isEmpty }
    var needsRecords: Bool { rules.contains { $0.needsRecords } }
    var needsPreview: Bool { rules.contains { $0.needsPreview } }

    /// Tries the rules in order; the first that matches, is past `after`, under `times` and wins its roll fires.
    func decide(path: String, endpoint: Endpoint, request: DecodedRequest?, preview: Processed? = nil) -> InjectionDecision? {
        for (i, rule) in rules.enumerated() {
            guard let hits = rule.match(path: path, endpoint: endpoint, request: request, preview: preview) else { continue }
            let fires: Bool = state.withLock { st in
                st.seen[i] += 1
                if st.seen[i] <= rule.after { return false }
                if let t = rule.times, st.fired[i] >= t { return false }
                if rule.probability < 1 {
                    let roll = Double(st.rng.next() >> 11) * 0x1.0p-53
                    if roll >= rule.probability { return false }
                }
                st.fired[i] += 1
                return true
            }
            guard fires else { continue }
            switch rule.action {
            case .status(let code):
                let body = FaultInjector.body(status: code, rule: rule, request: request, hits: hits)
                return InjectionDecision(rule: rule.spec, action: rule.action, delayMs: rule.delayMs, status: code, body: body)
            case .close, .delayOnly:
                return InjectionDecision(rule: rule.spec, action: rule.action, delayMs: rule.delayMs, status: nil, body: [])
            }
        }
        return nil
    }

    /// Amplitude-shaped fault bodies. The 429 lists the matching events and their users/devices.
    static func body(status: Int, rule: FaultInjection, request: DecodedRequest?, hits: [Int]) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("code", status)
        switch status {
        case 429:
            w.field("error", "Too many requests for some devices and users")
            let threshold = 30
            w.field("eps_threshold", threshold)
            var users: [String] = []
            var devices: [String] = []
            if let request, let doc = request.document {
                for i in hits where i < request.records.count && doc.kind(request.records[i]) == .object {
                    let f = FaultInjection.recordFields(doc, request.records[i], kind: request.recordKind)
                    if let u = f.userID, !users.contains(u) { users.append(u) }
                    if let d = f.deviceID, !devices.contains(d) { devices.append(d) }
                }
            }
            func map(_ key: String, _ ids: [String], _ value: Int) {
                w.key(key)
                w.beginObject()
                for id in ids { w.field(id, value) }
                w.endObject()
            }
            map("throttled_devices", devices, threshold + 1)
            map("throttled_users", users, threshold + 1)
            w.key("throttled_events")
            w.beginArray()
            for i in hits { w.int(i) }
            w.endArray()
            if rule.quota {
                map("exceeded_daily_quota_users", users, 500_001)
                map("exceeded_daily_quota_devices", devices, 500_001)
            }
        case 413:
            w.field("error", "Payload too large")
        case 400:
            w.field("error", "Invalid request")
        case 408:
            w.field("error", "Request timeout")
        default:
            w.field("error", HTTPStatus.reason(status).isEmpty ? "Error" : HTTPStatus.reason(status))
        }
        w.endObject()
        return w.bytes
    }
}
