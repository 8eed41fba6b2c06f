/// The compiled term tree of a filter, for callers that keep rows in another form than
/// `StreamRow` (the store's index keeps interned ids) and want to decide each term once per
/// distinct value instead of once per row.
///
/// A term reads exactly one `column` of a row (`.text` reads the text columns, `.debug` the
/// capture id and event index, `.row` anything). Its verdict on a row therefore equals its
/// verdict on any row that agrees on that column: evaluate it with `verdict(_:)` on a template
/// row whose column holds the value, remember the answer per value, and combine terms with the
/// three-valued `not`/`and`/`or` of `shape`. The store's index scan does this, and its tests
/// compare every result with `Filter.evaluate` row by row.
extension Filter {
    /// The compiled term tree (the same object for the filter's lifetime; usable as a cache key).
    public var plan: FilterProgram { program }
}

extension FilterProgram {
    /// How a node combines its `terms`, or that it is a term.
    public enum Shape: Sendable, Equatable {
        /// Matches every row.
        case all
        /// Needs the event's payload (`prop.`/`uprop.`): unknown from the columns.
        case payload
        case not, and, or
        /// A predicate or full-text word: see `column`.
        case term
    }

    /// The columns a term reads.
    public enum Column: Sendable, Equatable {
        case eventType, user, device, insert, method, apiKey
        case session, status, capture
        /// `sourceName` and `sourceKind`.
        case source
        case endpoint
        /// `event.rules`.
        case rules
        /// `event.counts`.
        case counts
        /// A full-text word: yes when it is in `eventType`, `userID`, `deviceID`, `insertID` or
        /// `sourceName` (nil ones skipped), unknown otherwise. Decidable one column at a time
        /// with `textMatches(_:)`.
        case text
        /// The SDK side of the row (`sdk:`, `fate:`, `has:`): `captureID` and `event.index`.
        case debug
        /// Anything else: evaluate on the whole row.
        case row
    }

    public var shape: Shape {
        switch kind {
        case .all: return .all
        case .payload: return .payload
        case .not: return .not
        case .and: return .and
        case .or: return .or
        default: return .term
        }
    }

    /// Children of `.not` (one), `.and` and `.or`.
    public var terms: [FilterProgram] { children }

    public var column: Column {
        switch kind {
        case .all, .payload, .not, .and, .or: return .row
        case .text: return .text
        case .debug: return .debug
        case .string:
            switch stringField {
            case .type: return .eventType
            case .user: return .user
            case .device: return .device
            case .insert: return .insert
            case .method: return .method
            case .key: return .apiKey
            }
        case .number:
            switch numberField {
            case .status: return .status
            case .session: return .session
            case .capture: return .capture
            }
        case .severity: return .counts
        case .endpoint: return .endpoint
        case .rule: return .rules
        case .source: return .source
        case .general:
            switch predicate?.field {
            case .type: return .eventType
            case .user: return .user
            case .device: return .device
            case .insert: return .insert
            case .method: return .method
            case .key: return .apiKey
            case .session: return .session
            case .status: return .status
            case .capture: return .capture
            case .source: return .source
            case .endpoint: return .endpoint
            case .rule: return .rules
            case .severity: return .counts
            default: return .row
            }
        }
    }

    /// The node's verdict on a row (any shape).
    public func verdict(_ row: UnsafePointer<StreamRow>) -> FilterVerdict {
        switch eval(row) {
        case .yes: return .match
        case .no: return .noMatch
        case .unknown: return .needsPayload
        }
    }

    /// For a numeric comparison term (`status>=400`, `session:123`): the test on a present
    /// value, as `verdict` applies it. Nil for other terms.
    public var numberComparison: FilterNumberTest? {
        kind == .number ? FilterNumberTest(op: op, number: number, statusClass: statusClass) : nil
    }

    /// For a string term (`insert:`, `type=`...) or a full-text word: the test on a present value
    /// given as UTF-8 bytes. Each call returns a new copy (one per thread avoids sharing its
    /// buffers). Nil for other terms.
    public func makeBytesTest() -> FilterBytesTest? {
        switch kind {
        case .text: return FilterBytesTest(kind: .contains, needle: needle)
        case .string:
            switch stringTest {
            case .contains: return FilterBytesTest(kind: .contains, needle: needle)
            case .equals: return FilterBytesTest(kind: .equals, value: value)
            case .notEquals: return FilterBytesTest(kind: .notEquals, value: value)
            case .regex: return FilterBytesTest(kind: .none, value: "")
            }
        default: return nil
        }
    }

    /// For a `.text` term: true when the word is in this one column value (`String`).
    public func textMatches(_ s: borrowing String) -> Bool {
        kind == .text && needle.matches(s)
    }

}

/// A numeric term's comparison (`FilterProgram.numberComparison`): a plain value, no references.
public struct FilterNumberTest: Sendable {
    let op: FilterOperator
    let number: Double
    /// The status class (`status:4xx`) when >= 0.
    let statusClass: Int64

    /// The test on a present value.
    public func test(_ x: Int64) -> Bool {
        if statusClass >= 0 { return x / 100 == statusClass }
        return ValueTest.compare(Double(x), op, number)
    }
}

/// A string term's test on UTF-8 bytes (`FilterProgram.makeBytesTest()`).
public struct FilterBytesTest: Sendable {
    enum Kind: Sendable { case contains, equals, notEquals, none }
    let kind: Kind
    /// Folded needle (`contains`), or the value's bytes (`equals`, `notEquals`).
    let bytes: [UInt8]
    let ascii: Bool

    init(kind: Kind, needle: FoldedNeedle) {
        self.kind = kind
        bytes = needle.bytes.map { $0 }
        ascii = needle.asciiOnly
    }

    init(kind: Kind, value: String) {
        self.kind = kind
        bytes = Array(value.utf8)
        ascii = bytes.allSatisfy { $0 < 0x80 }
    }

    /// The term's answer on a present value given as UTF-8 bytes, when the bytes decide it
    /// exactly; nil when only a `String` can tell (non-ASCII text, where case folding or
    /// canonical equivalence apply, and regular expressions).
    public func test(_ b: UnsafeBufferPointer<UInt8>) -> Bool? {
        switch kind {
        case .contains:
            if bytes.isEmpty { return true }
            guard ascii else { return nil }
            return FoldedNeedle.search(b, bytes)
        case .equals, .notEquals:
            let equal: Bool
            if bytes.elementsEqual(b) {
                equal = true
            } else if ascii && b.allSatisfy({ $0 < 0x80 }) {
                equal = false
            } else {
                return nil
            }
            return kind == .equals ? equal : !equal
        case .none:
            return nil
        }
    }
}
