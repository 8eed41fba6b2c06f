/// A JSON value the mapper builds: objects keep insertion order and assigning an existing key
/// keeps its place, as JavaScript objects (and so `JSON.stringify` in the destinations) do.
public indirect enum MappedValue: Sendable, Equatable {
    case string(String)
    /// A number as JSON text (copied from the Segment body, or formatted by the mapper).
    case number(String)
    case bool(Bool)
    case null
    case array([MappedValue])
    case object([MappedMember])

    public static func int(_ v: Int64) -> MappedValue { .number(String(v)) }

    /// A Double as JavaScript prints it (integral values without a fraction).
    public static func double(_ v: Double) -> MappedValue {
        guard v.isFinite else { return .null }  // JSON.stringify(NaN) is null
        if v == v.rounded(), abs(v) < 1e15 { return .number(String(Int64(v))) }
        return .number(String(v))
    }

    /// Copies a value of a parsed document.
    public init(_ doc: JSONDocument, _ i: Int) {
        switch doc.kind(i) {
        case .string: self = .string(doc.string(i))
        case .number: self = .number(doc.rawText(i))
        case .true: self = .bool(true)
        case .false: self = .bool(false)
        case .null: self = .null
        case .array: self = .array(doc.elements(i).map { MappedValue(doc, $0) })
        case .object: self = .object(doc.members(i).map { MappedMember(doc.string($0.key), MappedValue(doc, $0.value)) })
        }
    }

    public var members: [MappedMember]? { if case .object(let m) = self { return m } else { return nil } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }

    /// The number's value (nil for non-numbers).
    public var numberValue: Double? { if case .number(let t) = self { return Double(t) } else { return nil } }

    public subscript(key: String) -> MappedValue? {
        members?.first { $0.key == key }?.value
    }

    /// JavaScript truthiness, for the destinations' `if (value)` tests.
    public var isTruthy: Bool {
        switch self {
        case .string(let s): return !s.isEmpty
        case .number(let t): return (Double(t) ?? 0) != 0
        case .bool(let b): return b
        case .null: return false
        case .array, .object: return true
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
        }
    }
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
            if let i = members.firstIndex(where: { $0.key == key }) {
                if let v = newValue { members[i].value = v } else { members.remove(at: i) }
            } else if let v = newValue {
                members.append(MappedMember(key, v))
            }
        }
    }

    var isEmpty: Bool { members.isEmpty }
    var value: MappedValue { .object(members) }
}
