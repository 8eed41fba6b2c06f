/// The fields a filter predicate can name (`type:`, `user:`, `prop.NAME`...).
///
/// Every field except `prop`, `uprop` and the debug fields reads a `StreamRow` column, so the
/// store can evaluate those over every row in memory; `prop`/`uprop` need the event's payload;
/// `sdk`, `fate` and `has` read the SDK debug side of the row through the filter's
/// `FilterDebugLookup` (a lookup table, no payload).
public enum FilterField: String, Sendable, CaseIterable {
    case type, user, device, insert, session, endpoint, severity, rule, status, method, source, capture, key
    /// The Segment lane: `segment:track` (a Segment call's type, on its row and its mapped rows),
    /// `dest:actions` (the destination a mapped row comes from).
    case segment, dest
    case prop, uprop
    /// The simulated profiles (Docs/profiles.md): `profile.NAME` a user property as Amplitude
    /// holds it for the event, `changed:NAME` events that changed that user property.
    case profile, changed
    case sdk, fate, has

    /// Spellings a user may type for each field (the first is the canonical one).
    static let spellings: [String: FilterField] = [
        "type": .type, "event": .type, "event_type": .type,
        "user": .user, "user_id": .user, "uid": .user,
        "device": .device, "device_id": .device, "did": .device,
        "insert": .insert, "insert_id": .insert,
        "session": .session, "session_id": .session,
        "endpoint": .endpoint, "ep": .endpoint,
        "severity": .severity, "sev": .severity,
        "rule": .rule,
        "status": .status, "code": .status,
        "method": .method,
        "source": .source, "src": .source,
        "capture": .capture, "id": .capture,
        "key": .key, "api_key": .key,
        "segment": .segment, "seg": .segment,
        "dest": .dest, "destination": .dest,
        "prop": .prop, "uprop": .uprop,
        "profile": .profile, "changed": .changed,
        "sdk": .sdk, "call": .sdk,
        "fate": .fate,
        "has": .has,
    ]

    /// True when the field is a number (compared with `<`, `>`; `:` and `=` mean equality).
    public var isNumeric: Bool { self == .status || self == .session || self == .capture }

    /// True when evaluating the field needs the event's JSON.
    public var needsPayload: Bool { self == .prop || self == .uprop }

    /// True when the field reads a lookup the filter is bound to, not the row or its payload:
    /// the SDK debug side (`sdk:`, `fate:`, `has:`) or the simulated profiles (`profile.`, `changed:`).
    public var needsDebug: Bool { self == .sdk || self == .fate || self == .has || self == .profile || self == .changed }

    /// One line for error messages and docs.
    public static var listForMessages: String {
        "type, user, device, insert, session, endpoint, severity, rule, status, method, source, capture, key, segment, dest, prop.NAME, uprop.NAME, profile.NAME, changed, sdk, fate, has"
    }
}

/// How a predicate compares a field with its value.
public enum FilterOperator: String, Sendable, CaseIterable {
    /// `:` case-insensitive substring (equality for numbers and severities).
    case contains = ":"
    /// `=` exact, case-sensitive equality.
    case equals = "="
    /// `!=` not exactly equal (a present field only).
    case notEquals = "!="
    /// `~` regular expression, case-insensitive.
    case regex = "~"
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    /// `prop.NAME` alone: the property exists.
    case exists = ""
}

/// A filter that could not be parsed: what is wrong and where (for a caret under the input).
public struct FilterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Offset in Unicode scalars from the start of the filter text.
    public var position: Int
    /// How many scalars the problem spans (at least 1).
    public var length: Int
    public var message: String

    public init(position: Int, length: Int = 1, message: String) {
        self.position = position
        self.length = max(1, length)
        self.message = message
    }

    /// `column 6: unknown field 'tpye' ...` (columns are 1-based).
    public var description: String { "column \(position + 1): \(message)" }

    /// The filter text and a caret line pointing at the problem, both made safe to print.
    public func caret(for text: String) -> (text: String, caret: String) {
        let scalars = Array(text.unicodeScalars)
        var shown = ""
        var caretPad = 0
        for (i, s) in scalars.enumerated() {
            let piece = Sanitize.isUnsafe(s.value) ? Sanitize.escape(s.value) : String(s)
            if i < position { caretPad += piece.count }
            shown += piece
        }
        if position >= scalars.count { caretPad = shown.count }
        return (shown, String(repeating: " ", count: caretPad) + String(repeating: "^", count: min(length, max(1, scalars.count - position))))
    }
}

/// A parsed filter expression.
public indirect enum FilterExpression: Sendable {
    case all
    case and([FilterExpression])
    case or([FilterExpression])
    case not(FilterExpression)
    case predicate(FilterPredicate)
    /// A bare word or quoted phrase: full text.
    case text(FilterText)
}

/// `field OP value`, compiled.
public struct FilterPredicate: Sendable {
    public var field: FilterField
    /// For `prop`/`uprop`: the property name (a key, or a dotted path into nested objects).
    public var name: String?
    public var op: FilterOperator
    public var value: String
    let test: ValueTest
}

/// A full-text term (case-insensitive substring).
public struct FilterText: Sendable {
    public var value: String
    let needle: FoldedNeedle
}
