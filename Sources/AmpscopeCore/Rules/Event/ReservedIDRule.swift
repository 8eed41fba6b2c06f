/// Amplitude refuses ids that are placeholders: `anonymous`, `null`, `undefined`, `0`, `-1`,
/// an all-zero UUID/IDFA...
public struct ReservedIDRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.reservedID, severity: .error, scope: .event,
                               summary: "`user_id` or `device_id` is one of the values Amplitude treats as invalid.",
                               effect: .eventInvalidField) }
    public init() {}

    /// Amplitude's list of invalid ids (its HTTP V2 docs), compared case-insensitively.
    public static let reserved: Set<String> = [
        "anonymous", "nil", "none", "null", "n/a", "na", "undefined", "unknown", "\"\"\"\"", "\"\"",
        "00000000-0000-0000-0000-000000000000", "{}", "lmy47d", "0", "-1",
    ]

    /// The reserved ids as lower-case bytes, bucketed by length, for the allocation-free check.
    static let reservedByLength: [[[UInt8]]] = {
        let longest = reserved.map(\.utf8.count).max() ?? 0
        var t = [[[UInt8]]](repeating: [], count: longest + 1)
        for r in reserved { t[r.utf8.count].append(Array(r.utf8)) }
        return t
    }()

    public static func isReserved(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { isReserved(bytes: $0) }
    }

    /// Same as `isReserved(_:)` on UTF-8 bytes: trimmed of ASCII spaces and tabs, ASCII case ignored.
    public static func isReserved(bytes p: UnsafeBufferPointer<UInt8>) -> Bool {
        var lo = 0
        var hi = p.count
        while lo < hi && (p[lo] == 0x20 || p[lo] == 0x09) { lo += 1 }
        while hi > lo && (p[hi - 1] == 0x20 || p[hi - 1] == 0x09) { hi -= 1 }
        let n = hi - lo
        guard n > 0 else { return false }
        // All-zero device ids (IDFA/GAID with limited ad tracking) in any grouping.
        if n >= 8 {
            var allZero = true
            for j in lo..<hi where p[j] != UInt8(ascii: "0") && p[j] != UInt8(ascii: "-") { allZero = false; break }
            if allZero { return true }
        }
        let table = reservedByLength
        guard n < table.count else { return false }
        for candidate in table[n] {
            var equal = true
            for j in 0..<n {
                let c = p[lo + j]
                let lower = c &- 65 < 26 ? c | 0x20 : c
                if lower != candidate[j] { equal = false; break }
            }
            if equal { return true }
        }
        return false
    }

    static let fields: [EventField] = [.userID, .deviceID, .globalUserID]

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, e.kind != .groupIdentification else { return }
        for f in Self.fields where e.has(f) {
            guard let i = e[f], e.doc.kind(i) == .string, e.doc.withStringBytes(i, Self.isReserved(bytes:)) else { continue }
            let v = e.doc.string(i)
            out.add(info, e.path(f), event: e.index,
                    "\(f.wireName) '\(Sanitize.inline(v, limit: 40))' is a placeholder Amplitude treats as invalid; send no \(f.wireName) instead (or a real one)")
        }
    }
}
