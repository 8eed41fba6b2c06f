/// A JSON value the mapper builds: objects keep insertion order and assigning an existing key
/// keeps its place, as JavaScript objects (and so `JSON.stringify` in the destinations) do.
///
/// Values read from the Segment call stay in its document (`source`) until something takes
/// them apart or writes them: most are copied to the mapped request whole, and writing them
/// from the document costs no tree and no String per value. Read the cases through `resolved`.
public enum MappedValue: Sendable, Equatable {
    case string(String)
    /// A number as JSON text (copied from the Segment body, or formatted by the mapper).
    case number(String)
    case bool(Bool)
    case null
    case array([MappedValue])
    case object([MappedMember])
    /// A value of a parsed document, not yet copied.
    case source(JSONSourceValue)

    public static func int(_ v: Int64) -> MappedValue { .number(String(v)) }

    /// A Double as JavaScript prints it (integral values without a fraction).
    public static func double(_ v: Double) -> MappedValue {
        guard v.isFinite else { return .null }  // JSON.stringify(NaN) is null
        if v == v.rounded(), abs(v) < 1e15 { return .number(String(Int64(v))) }
        return .number(String(v))
    }

    /// A value of a parsed document (copied only when taken apart).
    public init(_ doc: JSONDocument, _ i: Int) {
        self = .source(JSONSourceValue(doc: doc, index: i))
    }

    /// The value with its outer level copied out of the document: a source string becomes
    /// `.string`, a source object `.object` whose member values are still sources.
    public var resolved: MappedValue {
        guard case .source(let s) = self else { return self }
        let doc = s.doc, i = s.index
        switch doc.kind(i) {
        case .string: return .string(doc.string(i))
        case .number: return .number(doc.rawText(i))
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .null: return .null
        case .array: return .array(doc.elements(i).map { .source(JSONSourceValue(doc: doc, index: $0)) })
        case .object: return .object(doc.members(i).map { MappedMember(doc.string($0.key), .source(JSONSourceValue(doc: doc, index: $0.value))) })
        }
    }

    public var members: [MappedMember]? { if case .object(let m) = resolved { return m } else { return nil } }
    public var elements: [MappedValue]? { if case .array(let a) = resolved { return a } else { return nil } }

    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .source(let s): return s.doc.stringValue(s.index)
        default: return nil
        }
    }

    /// True for the empty string.
    public var isEmptyString: Bool {
        switch self {
        case .string(let s): return s.isEmpty
        case .source(let s): return s.doc.kind(s.index) == .string && s.doc.stringSourceLength(s.index) == 0
        default: return false
        }
    }

    /// The number's value (nil for non-numbers).
    public var numberValue: Double? {
        switch self {
        case .number(let t): return Double(t)
        case .source(let s): return s.doc.kind(s.index) == .number ? Double(s.doc.rawText(s.index)) : nil
        default: return nil
        }
    }

    public subscript(key: String) -> MappedValue? {
        if case .source(let s) = self {
            return s.doc.member(s.index, named: key).map { .source(JSONSourceValue(doc: s.doc, index: $0)) }
        }
        return members?.first { $0.key == key }?.value
    }

    /// JavaScript truthiness, for the destinations' `if (value)` tests.
    public var isTruthy: Bool {
        switch self {
        case .string(let s): return !s.isEmpty
        case .number(let t): return (Double(t) ?? 0) != 0
        case .bool(let b): return b
        case .null: return false
        case .array, .object: return true
        case .source(let s):
            switch s.doc.kind(s.index) {
            case .string: return s.doc.stringSourceLength(s.index) > 0
            case .number: return (Double(s.doc.rawText(s.index)) ?? 0) != 0
            case .true, .array, .object: return true
            case .false, .null: return false
            }
        }
    }

    /// Compact JSON, as `JSON.stringify` writes it.
    public var json: [UInt8] {
        var w = JSONWriter()
        write(&w)
        return w.bytes
    }

    public var jsonText: String { String(decoding: json, as: UTF8.self) }

    public func write(_ w: inout JSONWriter) {
        switch self {
        case .string(let s): w.string(s)
        case .number(let t): w.raw(t.utf8)
        case .bool(let b): w.bool(b)
        case .null: w.null()
        case .array(let a):
            w.beginArray()
            for v in a { v.write(&w) }
            w.endArray()
        case .object(let m):
            w.beginObject()
            for x in m {
                w.key(x.key)
                x.value.write(&w)
            }
            w.endObject()
        case .source(let s): w.value(s.doc, s.index)
        }
    }

    /// Equal when both write the same JSON (a source value equals its copy).
    public static func == (a: MappedValue, b: MappedValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x == y
        case (.source, _), (_, .source): return a.json == b.json
        default: return false
        }
    }
}

/// A value inside a parsed document.
public struct JSONSourceValue: Sendable {
    public let doc: JSONDocument
    public let index: Int
}

public struct MappedMember: Sendable, Equatable {
    public var key: String
    public var value: MappedValue
    public init(_ key: String, _ value: MappedValue) {
        self.key = key
        self.value = value
    }
}

/// An object under construction, with JavaScript assignment semantics.
struct MappedObject: Sendable {
    var members: [MappedMember] = []

    subscript(key: String) -> MappedValue? {
        get { members.first { $0.key == key }?.value }
        set {
            if let v = newValue { assign(key, v) } else if let i = members.firstIndex(where: { $0.key == key }) { members.remove(at: i) }
        }
    }

    /// Sets `key` (an existing key keeps its place); true when it replaced a value.
    @discardableResult
    mutating func assign(_ key: String, _ value: MappedValue) -> Bool {
        if let i = members.firstIndex(where: { $0.key == key }) {
            members[i].value = value
            return true
        }
        members.append(MappedMember(key, value))
        return false
    }

    var isEmpty: Bool { members.isEmpty }
    var value: MappedValue { .object(members) }
}
