/// A user or group property value as the profile simulator keeps it.
///
/// Scalars and lists are kept as values, so the list operations can compare and edit them;
/// an object (which Amplitude stores as it was sent, see `Docs/profiles.md`) is kept as its
/// compact JSON text. Strings longer than Amplitude's 1024-character limit are cut on the way
/// in (`profiles-and-plans.md` §A1 "Limits that affect profiles": "Amplitude truncates").
public enum ProfileValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([ProfileValue])
    /// Compact JSON text of an object (keys in the order they were sent).
    case object([UInt8])

    /// Amplitude's string limit, in characters (`amplitude-wire.md` §1.3, `profiles-and-plans.md` §A1).
    public static let stringLimit = 1024

    /// The value at tape index `i`, with long strings truncated (`truncated` is set when one was).
    /// Depth is bounded by the parser's own limit.
    public init(_ doc: JSONDocument, _ i: Int, truncated: inout Bool) {
        switch doc.kind(i) {
        case .null: self = .null
        case .true: self = .bool(true)
        case .false: self = .bool(false)
        case .number:
            if let v = doc.int64(i) { self = .int(v) } else { self = .double(doc.double(i) ?? 0) }
        case .string:
            self = .string(Self.truncate(doc, i, truncated: &truncated))
        case .array:
            var items: [ProfileValue] = []
            for e in doc.elements(i) { items.append(ProfileValue(doc, e, truncated: &truncated)) }
            self = .array(items)
        case .object:
            // Compact JSON text, keys in source order (objects are compared by it).
            var w = JSONWriter()
            w.value(doc, i)
            self = .object(w.bytes)
        }
    }

    /// The value at tape index `i` (long strings truncated).
    public init(_ doc: JSONDocument, _ i: Int) {
        var ignored = false
        self.init(doc, i, truncated: &ignored)
    }

    static func truncate(_ doc: JSONDocument, _ i: Int, truncated: inout Bool) -> String {
        // A string whose source has at most `stringLimit` bytes cannot have more characters.
        guard doc.stringSourceLength(i) > stringLimit, doc.stringScalarCount(i) > stringLimit else { return doc.string(i) }
        truncated = true
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: doc.string(i).unicodeScalars.prefix(stringLimit))
        return String(scalars)
    }

    /// The value as a number, for `$add`: numbers, and strings that read as one (amplitude-js
    /// sends numeric strings, `amplitude-wire.md` §2.3; treating them as numbers is UNCONFIRMED).
    public var numeric: ProfileValue? {
        switch self {
        case .int, .double: return self
        case .string(let s):
            let t = s.trimmingASCIISpaces
            if let v = Int64(t) { return .int(v) }
            if let v = Double(t), v.isFinite { return .double(v) }
            return nil
        default: return nil
        }
    }

    /// The elements a list operation adds: each element of an array, else the value itself
    /// (`profiles-and-plans.md` §A1: "an array passed to append or prepend adds each element").
    public var listItems: [ProfileValue] {
        if case .array(let a) = self { return a }
        return [self]
    }

    /// `listItems.count`, without building the list.
    public var listCount: Int {
        if case .array(let a) = self { return a.count }
        return 1
    }

    public var isArray: Bool {
        if case .array = self { return true }
        return false
    }

    /// Writes the value as JSON.
    public func write(to w: inout JSONWriter) {
        switch self {
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .int(let v): w.int64(v)
        case .double(let v): w.double(v)
        case .string(let s): w.string(s)
        case .array(let a):
            w.beginArray()
            for e in a { e.write(to: &w) }
            w.endArray()
        case .object(let bytes): w.raw(bytes)
        }
    }

    /// Compact JSON text of the value.
    public var jsonText: String {
        var w = JSONWriter()
        write(to: &w)
        return w.text
    }

    /// Short, terminal-safe text for messages and the text report.
    public func display(limit: Int = 60) -> String { Sanitize.inline(jsonText, limit: limit) }
}

extension ProfileValue {
    /// Sum for `$add` (both operands numeric). Integers stay integers unless they overflow.
    static func sum(_ a: ProfileValue, _ b: ProfileValue) -> ProfileValue {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            let (s, o) = x.addingReportingOverflow(y)
            return o ? .double(Double(x) + Double(y)) : .int(s)
        default:
            return .double(a.asDouble + b.asDouble)
        }
    }

    var asDouble: Double {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        default: return 0
        }
    }
}

extension ProfileValue {
    /// A filter test on the value, as `prop.NAME` tests a payload value: strings as text,
    /// numbers numerically for `=`, `!=`, `<`, `>` (as their text for `:` and `~`), an array when
    /// any element matches (`!=` when none equals), an object by its JSON text.
    func matches(_ test: ValueTest, depth: Int = 0) -> Bool {
        switch self {
        case .string(let s):
            return test.matchString(s)
        case .int, .double:
            let d = asDouble
            switch test {
            case .number(let op, let x): return ValueTest.compare(d, op, x)
            case .equals(let s): return Double(s).map { $0 == d } ?? (jsonText == s)
            case .notEquals(let s): return Double(s).map { $0 != d } ?? (jsonText != s)
            default: return test.matchString(jsonText)
            }
        case .null, .bool:
            return test.matchString(jsonText)
        case .array(let items):
            if case .exists = test { return true }
            guard depth == 0 else { return false }
            if case .notEquals = test { return !items.contains { !$0.matches(test, depth: 1) } }
            return items.contains { $0.matches(test, depth: 1) }
        case .object:
            switch test {
            case .exists: return true
            case .contains, .regex: return test.matchString(jsonText)
            default: return false
            }
        }
    }
}

/// A simulator (a value: a snapshot of the profiles) answers the profile filter terms.
extension ProfileSimulator: FilterProfileLookup {
    public func profileValue(captureID: Int64, index: Int, name: String) -> ProfileValue? {
        guard let n = ordinal(capture: captureID, record: index) else { return nil }
        return properties(atEvent: n).first { $0.name == name }?.value
    }

    public func changedProperties(captureID: Int64, index: Int) -> [String] {
        guard let n = ordinal(capture: captureID, record: index) else { return [] }
        return changes(forEvent: n).compactMap { c in
            guard c.applied, case .user = c.target else { return nil }
            return c.property
        }
    }
}

/// Small lists and objects built once and shared by every profile that holds the same one.
///
/// A list or an object is a heap block per change that holds it (a two-item list of short
/// strings costs 96 bytes); many users hold the same ones (a plan's feature list, `["sale",
/// "new"]`), so the simulator keeps the last value built from each source text in a small
/// direct-mapped table and hands out the same storage (values are copy-on-write, so sharing
/// is invisible). Only sources of at most `maxBytes` bytes are kept: no string in them can be
/// long enough to be truncated. Lists that are all different save nothing and cost a hash.
struct SharedValueCache: Sendable {
    static let slotCount = 1024
    static let maxBytes = 256
    private var keys = [[UInt8]](repeating: [], count: slotCount)
    private var values = [ProfileValue?](repeating: nil, count: slotCount)

    /// The value at tape index `i` (an array or an object of at most `maxBytes` source bytes;
    /// anything else is built as usual).
    mutating func value(_ doc: JSONDocument, _ i: Int, truncated: inout Bool) -> ProfileValue {
        let raw = doc.rawBytes(i)
        guard raw.count <= Self.maxBytes else { return ProfileValue(doc, i, truncated: &truncated) }
        let slot = raw.withUnsafeBufferPointer { p -> Int in
            var h = KeyHasher()
            h.add(p)
            return Int(truncatingIfNeeded: h.finish()) & (Self.slotCount - 1)
        }
        if let v = values[slot], keys[slot].count == raw.count,
           keys[slot].withUnsafeBufferPointer({ k in raw.withUnsafeBufferPointer { memcmpEqual(k.baseAddress!, $0.baseAddress, raw.count) } }) {
            return v
        }
        let v = ProfileValue(doc, i, truncated: &truncated)
        keys[slot] = Array(raw)
        values[slot] = v
        return v
    }
}
