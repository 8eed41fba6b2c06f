/// The six Segment call types (segment-wire.md §1 "Message fields").
public enum SegmentCallType: String, Sendable, CaseIterable, Codable {
    case track, identify, page, screen, group, alias

    /// The type a browser short path names: `/v1/t` → track (first letter of the type).
    public static func fromLetter(_ c: Character) -> SegmentCallType? {
        switch c {
        case "t": return .track
        case "i": return .identify
        case "p": return .page
        case "s": return .screen
        case "g": return .group
        case "a": return .alias
        default: return nil
        }
    }
}

/// A Segment Tracking API path: `/v1/<type>`, a short path `/v1/<letter>`, `/v1/batch`, `/v1/b` or `/v1/import`.
public struct SegmentPath: Sendable, Equatable {
    /// The call type the path names; nil for the batch paths.
    public var callType: SegmentCallType?
    /// The path names a batch (`/v1/batch`, `/v1/b`, `/v1/import`).
    public var isBatch: Bool
    /// The path as matched (`/v1/t`), lower-case.
    public var matched: String
    /// Length of the matched suffix, to cut off a prefix (`/eu/v1/batch`).
    public var suffixLength: Int { matched.utf8.count }

    /// Recognises a lower-case path (any prefix before `/v1/` allowed); nil when it is not a Segment path.
    public static func parse(_ lowerPath: String) -> SegmentPath? {
        let parts = lowerPath.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[parts.count - 2] == "v1" else { return nil }
        let tail = parts[parts.count - 1]
        let matched = "/v1/" + tail
        switch tail {
        case "batch", "b", "import": return SegmentPath(callType: nil, isBatch: true, matched: matched)
        case "t", "i", "p", "s", "g", "a": return SegmentPath(callType: .fromLetter(tail.first!), isBatch: false, matched: matched)
        default:
            guard let t = SegmentCallType(rawValue: String(tail)) else { return nil }
            return SegmentPath(callType: t, isBatch: false, matched: matched)
        }
    }
}

/// What the Segment decoder learnt about a request, beside the JSON view.
public struct SegmentRequestInfo: Sendable, Equatable {
    /// Where the write key came from.
    public enum KeySource: String, Sendable { case body, basicAuth = "basic-auth", none }

    /// The path's meaning; nil when the path is not a Segment path (raw bodies, `--endpoint`).
    public var path: SegmentPath?
    /// The body is a batch envelope (`{"batch":[…]}`), whatever the path.
    public var isBatch: Bool
    public var writeKeySource: KeySource
    /// Tape index of the envelope's `context` and `integrations` (merged into each call).
    public var envelopeContext: Int?
    public var envelopeIntegrations: Int?

    public init(path: SegmentPath?, isBatch: Bool, writeKeySource: KeySource, envelopeContext: Int? = nil, envelopeIntegrations: Int? = nil) {
        self.path = path
        self.isBatch = isBatch
        self.writeKeySource = writeKeySource
        self.envelopeContext = envelopeContext
        self.envelopeIntegrations = envelopeIntegrations
    }
}

/// One Segment call of a decoded request, read with the batch envelope merged in: the call's own
/// `context.X` / `integrations.X` win over the envelope's (segment-wire.md §1 "Batch envelope";
/// the precedence is UNCONFIRMED, see Docs/segment.md).
public struct SegmentCallView: Sendable {
    public let doc: JSONDocument
    public let node: Int
    public let index: Int
    /// JSON pointer of the call (`/batch/3`, or "" for a single call).
    public let pointer: String
    let envelopeContext: Int?
    let envelopeIntegrations: Int?
    let pathType: SegmentCallType?

    public init(request r: DecodedRequest, doc: JSONDocument, index: Int) {
        self.doc = doc
        self.node = r.records[index]
        self.index = index
        self.pointer = r.recordPointer(index)
        self.envelopeContext = r.segment?.envelopeContext
        self.envelopeIntegrations = r.segment?.envelopeIntegrations
        self.pathType = r.segment?.isBatch == false ? r.segment?.path?.callType : nil
    }

    public var isObject: Bool { doc.kind(node) == .object }

    /// The `type` field as written (nil when absent or not a string).
    public var typeField: String? { member("type").flatMap { doc.stringValue($0) } }

    /// The call's type: its `type` field, else the type its path names (`/v1/track`).
    public var type: SegmentCallType? {
        if let t = typeField { return SegmentCallType(rawValue: t) }
        return pathType
    }

    /// Tape index of a top-level member of the call.
    public func member(_ key: String) -> Int? {
        guard isObject else { return nil }
        return doc.member(node, named: key)
    }

    /// The value at a path of keys (`["context","device","id"]`), the envelope's context and
    /// integrations standing in where the call has none. Returns the tape index and its pointer.
    public func value(_ path: [String]) -> (node: Int, pointer: String)? {
        located(path).map { ($0.node, $0.pointer.text) }
    }

    /// `value(_:)` with the pointer kept as its parts (the mappers read many, show few).
    public func located(_ path: [String]) -> (node: Int, pointer: LazyPointer)? {
        guard isObject, let first = path.first else { return nil }
        if let v = descend(node, path) { return (v, .path(pointer, path)) }
        let envelope = first == "context" ? envelopeContext : first == "integrations" ? envelopeIntegrations : nil
        guard let e = envelope, let v = descend(e, path.dropFirst()) else { return nil }
        return (v, .path("/" + first, path, skip: 1))
    }

    private func descend(_ start: Int, _ path: some Collection<String>) -> Int? {
        var cur = start
        for k in path {
            guard doc.kind(cur) == .object, let next = doc.member(cur, named: k) else { return nil }
            cur = next
        }
        return cur
    }

    /// The tape index at a path, as `value` finds it, without its pointer.
    public func valueNode(_ path: [String]) -> Int? {
        guard isObject, let first = path.first else { return nil }
        if let v = descend(node, path) { return v }
        let envelope = first == "context" ? envelopeContext : first == "integrations" ? envelopeIntegrations : nil
        guard let e = envelope else { return nil }
        return descend(e, path.dropFirst())
    }

    /// The string at a path (nil when absent or not a string).
    public func string(_ path: [String]) -> String? {
        valueNode(path).flatMap { doc.stringValue($0) }
    }

    /// `userId` or `anonymousId` as Segment reads them: a non-empty string, or a number.
    public func id(_ key: String) -> String? {
        guard let v = member(key) else { return nil }
        switch doc.kind(v) {
        case .string:
            let s = doc.string(v)
            return s.isEmpty ? nil : s
        case .number: return doc.rawText(v)
        default: return nil
        }
    }

    /// The row label: `track Order Completed`, `page Home`, `identify`.
    public var label: String {
        guard isObject else { return "(segment call not an object)" }
        let t = type?.rawValue ?? (typeField.map { "type '\(Sanitize.inline($0, limit: 30))'" } ?? "(no type)")
        let name: String?
        switch type {
        case .track: name = string(["event"])
        case .page, .screen: name = string(["name"])
        case .group: name = string(["groupId"]) ?? member("groupId").map { doc.rawText($0) }
        case .alias: name = string(["previousId"]).map { $0 + " → " + (id("userId") ?? "?") }
        default: name = nil
        }
        return name.map { t + " " + $0 } ?? t
    }
}
