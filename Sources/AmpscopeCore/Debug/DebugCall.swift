/// One public SDK method call, from a TypeScript debug block
/// (`{type, name, args, stacktrace, time: {start, end}, states: {before, after}}`).
public struct DebugCall: Sendable, Equatable {
    /// `invoke public method` in every SDK version seen so far.
    public var type: String
    /// `track`, `identify`, `flush`, `setOptOut`, …
    public var name: String
    /// The raw argument array as compact JSON (`undefined` arguments appear as `null`).
    public var argsJSON: String
    /// Stack frames, innermost first (as printed).
    public var stack: [StackFrame]
    /// `time.start` / `time.end` as printed, and in epoch ms when they parse.
    public var startText: String?
    public var endText: String?
    public var start: Int64?
    public var end: Int64?
    /// `states.before` / `states.after` as compact JSON (nil when absent).
    public var statesBeforeJSON: String?
    public var statesAfterJSON: String?
    /// Every state key with its before and after values (unchanged ones included).
    public var stateDiff: [StateChange]

    /// What the call says about the event it produces (for the join).
    public var expected: ExpectedEvent?

    public init(type: String, name: String, argsJSON: String, stack: [StackFrame] = [], startText: String? = nil,
                endText: String? = nil, statesBeforeJSON: String? = nil, statesAfterJSON: String? = nil,
                stateDiff: [StateChange] = [], expected: ExpectedEvent? = nil) {
        self.type = type
        self.name = name
        self.argsJSON = argsJSON
        self.stack = stack
        self.startText = startText
        self.endText = endText
        self.start = startText.flatMap(Timestamp.parseISO8601)
        self.end = endText.flatMap(Timestamp.parseISO8601)
        self.statesBeforeJSON = statesBeforeJSON
        self.statesAfterJSON = statesAfterJSON
        self.stateDiff = stateDiff
        self.expected = expected
    }

    /// `end - start` in ms (for promise-returning methods: until the result came back).
    public var durationMs: Int64? {
        guard let s = start, let e = end else { return nil }
        return e - s
    }

    /// Only the keys whose value changed, appeared or disappeared.
    public var changes: [StateChange] { stateDiff.filter { $0.kind != .unchanged } }

    /// The innermost frame of the app's own code (where the developer made the call).
    public var callSite: StackFrame? { stack.first { $0.origin == .app } }

    /// Methods that put one event on the wire.
    public static let eventMethods: Set<String> = ["track", "logEvent", "identify", "groupIdentify", "setGroup", "revenue"]

    public var producesEvent: Bool { DebugCall.eventMethods.contains(name) }

    /// The arguments in one short line (`"Button Clicked", {…}, {…}`), unescaped.
    public var argsSummary: String {
        guard let doc = try? JSONDocument(parsing: argsJSON), doc.kind(doc.root) == .array else { return "" }
        var parts: [String] = []
        for e in doc.elements(doc.root) {
            switch doc.kind(e) {
            case .object: parts.append(doc.count(e) == 0 ? "{}" : "{…}")
            case .array: parts.append(doc.count(e) == 0 ? "[]" : "[…]")
            case .string:
                let s = doc.string(e)
                parts.append(JSONWriter.quoted(s.count > 40 ? String(s.prefix(39)) + "…" : s))
            default: parts.append(doc.rawText(e))
            }
        }
        return parts.joined(separator: ", ")
    }

    /// Builds a call from a parsed debug block; nil when the value is not such a block.
    public static func from(_ doc: JSONDocument, _ root: Int) -> DebugCall? {
        var cache = StackFrameCache(capacity: 64)
        return from(doc, root, frames: &cache)
    }

    static func from(_ doc: JSONDocument, _ root: Int, frames: inout StackFrameCache) -> DebugCall? {
        guard doc.kind(root) == .object, let n = doc.member(root, "name"), doc.kind(n) == .string else { return nil }
        let type = doc.member(root, "type").flatMap { doc.stringValue($0) } ?? ""
        let name = doc.string(n)
        var argsJSON = "[]"
        var argsNode: Int?
        if let a = doc.member(root, "args") {
            argsJSON = DebugJSON.compact(doc, a)
            argsNode = a
        }
        var stack: [StackFrame] = []
        if let st = doc.member(root, "stacktrace") {
            switch doc.kind(st) {
            case .array:
                for e in doc.elements(st) where doc.kind(e) == .string { stack.append(frames.frame(doc.string(e))) }
            case .string:
                for l in doc.string(st).split(separator: "\n") where !l.isEmpty { stack.append(frames.frame(String(l))) }
            default: break
            }
        }
        var startText: String?
        var endText: String?
        if let t = doc.member(root, "time"), doc.kind(t) == .object {
            startText = doc.member(t, "start").flatMap { doc.stringValue($0) }
            endText = doc.member(t, "end").flatMap { doc.stringValue($0) }
        }
        var before: String?
        var after: String?
        var diff: [StateChange] = []
        if let s = doc.member(root, "states"), doc.kind(s) == .object {
            let b = doc.member(s, "before")
            let a = doc.member(s, "after")
            before = b.map { DebugJSON.compact(doc, $0) }
            after = a.map { DebugJSON.compact(doc, $0) }
            diff = StateChange.diff(doc, before: b, after: a)
        }
        let expected = argsNode.flatMap { ExpectedEvent.from(method: name, doc, $0) }
        return DebugCall(type: type, name: name, argsJSON: argsJSON, stack: stack, startText: startText,
                         endText: endText, statesBeforeJSON: before, statesAfterJSON: after, stateDiff: diff,
                         expected: expected)
    }
}

/// One key of `states.before` / `states.after` (`timeline.queue.length 0 → 1`).
public struct StateChange: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case added, removed, changed, unchanged
    }
    /// Dotted path (`timeline.queue.length`, `config.optOut` — nested objects are flattened).
    public var key: String
    public var kind: Kind
    /// Compact JSON values (nil when the key is absent on that side).
    public var before: String?
    public var after: String?

    public init(key: String, kind: Kind, before: String?, after: String?) {
        self.key = key
        self.kind = kind
        self.before = before
        self.after = after
    }

    /// `timeline.queue.length 0 → 1`, `config.optOut (absent) → true` (unescaped).
    public var summary: String { "\(key) \(before ?? "(absent)") → \(after ?? "(absent)")" }

    /// Diffs two state objects key by key, in the order the keys first appear.
    public static func diff(_ doc: JSONDocument, before: Int?, after: Int?) -> [StateChange] {
        let b = before.map { DebugJSON.flatten(doc, $0) } ?? []
        let a = after.map { DebugJSON.flatten(doc, $0) } ?? []
        var afterMap: [String: String] = [:]
        for (k, v) in a where afterMap[k] == nil { afterMap[k] = v }
        var seen = Set<String>()
        var out: [StateChange] = []
        for (k, v) in b where !seen.contains(k) {
            seen.insert(k)
            if let w = afterMap[k] {
                out.append(StateChange(key: k, kind: same(v, w) ? .unchanged : .changed, before: v, after: w))
            } else {
                out.append(StateChange(key: k, kind: .removed, before: v, after: nil))
            }
        }
        for (k, v) in a where !seen.contains(k) {
            seen.insert(k)
            out.append(StateChange(key: k, kind: .added, before: nil, after: v))
        }
        return out
    }

    static func same(_ x: String, _ y: String) -> Bool {
        if x == y { return true }
        guard let a = try? JSONDocument(parsing: x), let b = try? JSONDocument(parsing: y) else { return false }
        return DebugJSON.canonical(a, a.root) == DebugJSON.canonical(b, b.root)
    }
}

/// What an event-producing call tells about its event: type, ids, content, explicit insert_id.
public struct ExpectedEvent: Sendable, Equatable {
    /// The wire `event_type` (`$identify` for identify/setGroup, `$groupidentify`,
    /// `revenue_amount`); "" when the call passed an empty or missing type.
    public var eventType: String
    public var userID: String?
    public var deviceID: String?
    public var insertID: String?
    /// `time` given by the caller in the options (then the event's time is not the call's).
    public var time: Int64?
    /// Canonical JSON of the properties the call passes (see `DebugJSON.eventFingerprint`).
    public var propertiesFingerprint: String?

    public init(eventType: String, userID: String? = nil, deviceID: String? = nil, insertID: String? = nil,
                time: Int64? = nil, propertiesFingerprint: String? = nil) {
        self.eventType = eventType
        self.userID = userID
        self.deviceID = deviceID
        self.insertID = insertID
        self.time = time
        self.propertiesFingerprint = propertiesFingerprint
    }

    /// True when the SDK will skip the event before sending (blank event type).
    public var hasBlankType: Bool { eventType.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\n" } }

    /// Reads the arguments of `track(eventInput, eventProperties?, eventOptions?)`,
    /// `identify(identify, options?)`, `groupIdentify(groupType, groupName, identify, options?)`,
    /// `setGroup(groupType, groupName, options?)`, `revenue(revenue, options?)`.
    public static func from(method: String, _ doc: JSONDocument, _ args: Int) -> ExpectedEvent? {
        guard DebugCall.eventMethods.contains(method), doc.kind(args) == .array else { return nil }
        let a = Array(doc.elements(args))
        func arg(_ i: Int) -> Int? { i < a.count && doc.kind(a[i]) != .null ? a[i] : nil }
        func str(_ o: Int?, _ k: StaticString) -> String? {
            guard let o, doc.kind(o) == .object, let v = doc.member(o, k) else { return nil }
            switch doc.kind(v) {
            case .string: return doc.string(v)
            case .number: return doc.rawText(v)
            default: return nil
            }
        }
        func props(_ o: Int?, _ k: StaticString) -> String? {
            guard let o, doc.kind(o) == .object, let p = doc.member(o, k), doc.kind(p) == .object, doc.count(p) > 0 else { return nil }
            return DebugJSON.canonical(doc, p)
        }
        var e = ExpectedEvent(eventType: "")
        var options: Int?
        switch method {
        case "track", "logEvent":
            if let first = arg(0), doc.kind(first) == .object {
                // A BaseEvent object: its own fields, then the options override.
                e.eventType = str(first, "event_type") ?? ""
                e.userID = str(first, "user_id")
                e.deviceID = str(first, "device_id")
                e.insertID = str(first, "insert_id")
                e.propertiesFingerprint = props(first, "event_properties")
            } else if let first = arg(0), doc.kind(first) == .string {
                e.eventType = doc.string(first)
            }
            if let p = arg(1), doc.kind(p) == .object, doc.count(p) > 0 { e.propertiesFingerprint = DebugJSON.canonical(doc, p) }
            options = arg(2)
        case "identify":
            e.eventType = "$identify"
            e.propertiesFingerprint = props(arg(0), "_properties")
            options = arg(1)
        case "groupIdentify":
            e.eventType = "$groupidentify"
            e.propertiesFingerprint = props(arg(2), "_properties")
            options = arg(3)
        case "setGroup":
            e.eventType = "$identify"
            if let t = arg(0), doc.kind(t) == .string, let n = arg(1) {
                var w = JSONWriter()
                w.beginObject(); w.key("$set"); w.beginObject(); w.key(doc.string(t)); w.raw(Array(DebugJSON.canonical(doc, n).utf8))
                w.endObject(); w.endObject()
                e.propertiesFingerprint = w.text
            }
            options = arg(2)
        case "revenue":
            e.eventType = "revenue_amount"
            options = arg(1)
        default:
            return nil
        }
        if let o = options, doc.kind(o) == .object {
            e.userID = str(o, "user_id") ?? e.userID
            e.deviceID = str(o, "device_id") ?? e.deviceID
            e.insertID = str(o, "insert_id") ?? e.insertID
            if let t = doc.member(o, "time") { e.time = doc.int64(t) }
        }
        return e
    }
}
