/// `time` (legacy: `timestamp`) is an integer count of milliseconds since the Unix epoch.
/// Strings and floats are rejected; integers in seconds or microseconds are accepted but land
/// in the wrong year.
public struct TimeNotMsRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.timeNotMs, severity: .error, scope: .event,
                               summary: "`time` is not an integer number of milliseconds since the epoch.",
                               effect: .eventInvalidField) }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject else { return }
        let field: EventField = e.kind == .legacyEvent ? .timestamp : .time
        guard let i = e[field] else { return }
        if let m = TimeCheck.problem(e.doc, i, name: field.wireName, allowMinusOne: false) {
            out.add(info, e.path(field), event: e.index, severity: m.severity, m.message)
        }
    }
}

/// Shared judgement of epoch-millisecond fields (`time`, `session_id`).
enum TimeCheck {
    /// 1973-03-03 in ms; smaller positive values are almost surely seconds.
    static let minPlausibleMs: Int64 = 100_000_000_000
    /// Year 5138 in ms; larger values are microseconds or nanoseconds.
    static let maxPlausibleMs: Int64 = 100_000_000_000_000

    static func problem(_ doc: JSONDocument, _ i: Int, name: String, allowMinusOne: Bool) -> (severity: Severity, message: String)? {
        switch doc.kind(i) {
        case .null:
            return nil
        case .string:
            let s = doc.string(i)
            if let ms = Timestamp.parseISO8601(s) {
                return (.error, "\(name) is the string '\(Sanitize.inline(s, limit: 40))'; Amplitude needs an integer in milliseconds: \(ms)")
            }
            if let v = Int64(s) {
                return (.error, "\(name) is the string \"\(Sanitize.inline(s, limit: 40))\"; send the number \(v) without quotes")
            }
            return (.error, "\(name) is the string '\(Sanitize.inline(s, limit: 40))'; Amplitude needs an integer in milliseconds since the epoch")
        case .number:
            guard let v = doc.int64(i) else {
                let d = doc.double(i) ?? 0
                let raw = Sanitize.inline(doc.rawText(i), limit: 30)
                // Int64(exactly:): a number beyond Int64 (1e19, 1e400) has no integer to suggest.
                if d == d.rounded(), let n = Int64(exactly: d) {
                    return (.error, "\(name) is written as \(raw); Amplitude accepts only a plain integer (\(n))")
                }
                if d != d.rounded(), let ms = Int64(exactly: d < Double(minPlausibleMs) ? (d * 1000).rounded() : d.rounded()) {
                    return (.error, "\(name) \(raw) has a fraction; Amplitude accepts only an integer in milliseconds (\(ms))")
                }
                return (.error, "\(name) \(raw) is out of range; Amplitude needs an integer in milliseconds since the epoch")
            }
            if allowMinusOne && v == -1 { return nil }
            if v < 0 {
                return (.error, "\(name) \(v) is negative")
            }
            if v < minPlausibleMs {
                let asSeconds = v < 10_000_000_000 ? " If these are seconds, send \(v * 1000) (\(Timestamp.iso8601(ms: v * 1000)))." : ""
                return (.warning, "\(name) \(v) is \(Timestamp.iso8601(ms: v)) when read as milliseconds.\(asSeconds)")
            }
            if v >= maxPlausibleMs {
                let guess = v >= maxPlausibleMs * 1000 ? v / 1_000_000 : v / 1000
                return (.warning, "\(name) \(v) is far in the future as milliseconds; microseconds or nanoseconds? In ms it would be \(guess) (\(Timestamp.iso8601(ms: guess)))")
            }
            return nil
        default:
            return (.error, "\(name) is \(doc.kind(i)); Amplitude needs an integer in milliseconds since the epoch")
        }
    }
}
