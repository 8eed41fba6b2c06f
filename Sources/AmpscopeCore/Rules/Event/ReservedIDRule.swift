/// Amplitude refuses ids that are placeholders: `anonymous`, `null`, `undefined`, `0`, `-1`,
/// an all-zero UUID/IDFA...
public struct ReservedIDRule: RecordRule {
    public let info = RuleInfo(id: RuleID.reservedID, severity: .error, scope: .event,
                               summary: "`user_id` or `device_id` is one of the values Amplitude treats as invalid.",
                               effect: .eventInvalidField)
    public init() {}

    /// Amplitude's list of invalid ids (its HTTP V2 docs), compared case-insensitively.
    public static let reserved: Set<String> = [
        "anonymous", "nil", "none", "null", "n/a", "na", "undefined", "unknown", "\"\"\"\"", "\"\"",
        "00000000-0000-0000-0000-000000000000", "{}", "lmy47d", "0", "-1",
    ]

    public static func isReserved(_ s: String) -> Bool {
        let t = s.trimmingASCIISpaces.asciiLowercased
        if reserved.contains(t) { return true }
        // All-zero device ids (IDFA/GAID with limited ad tracking) in any grouping.
        return !t.isEmpty && t.count >= 8 && t.allSatisfy { $0 == "0" || $0 == "-" }
    }

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, e.kind != .groupIdentification else { return }
        for f in [EventField.userID, .deviceID, .globalUserID] {
            guard let i = e[f], e.doc.kind(i) == .string else { continue }
            let v = e.doc.string(i)
            guard Self.isReserved(v) else { continue }
            out.add(info, e.path(f), event: e.index,
                    "\(f.wireName) '\(Sanitize.inline(v, limit: 40))' is a placeholder Amplitude treats as invalid; send no \(f.wireName) instead (or a real one)")
        }
    }
}
