/// `user_id` and `device_id` must have at least `min_id_length` characters (default 5).
/// Amplitude rejects the whole request with `events_with_invalid_id_lengths`.
public struct IDTooShortRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.idTooShort, severity: .error, scope: .event,
                               summary: "`user_id` or `device_id` is shorter than the effective min_id_length.",
                               effect: .eventInvalidIdLength) }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, e.kind != .groupIdentification else { return }
        let minimum = context.minIdLength(for: r)
        check(.userID, minimum, e, r, context, &out)
        check(e.kind == .mapping ? .globalUserID : .deviceID, minimum, e, r, context, &out)
    }

    private func check(_ f: EventField, _ minimum: Int, _ e: RecordFacts, _ r: DecodedRequest,
                       _ context: ValidationContext, _ out: inout FindingSink) {
        // A scalar takes at most 12 source bytes (a \u surrogate pair): longer sources are long enough.
        guard let i = e[f], e.doc.kind(i) == .string, e.doc.stringSourceLength(i) < minimum * 12 else { return }
        let n = e.doc.stringScalarCount(i)
        guard n > 0, n < minimum else { return }
        var source = r.minIdLength != nil ? "options.min_id_length of this request" :
            (context.settings.defaultMinIdLength == 5 ? "Amplitude's default" : "--min-id-length")
        if let ignored = r.ignoredMinIdLength {
            source += "; this request's options.min_id_length \(Sanitize.inline(ignored, limit: 20)) is not a positive integer and overrides nothing"
        }
        out.add(info, e.path(f), event: e.index,
                "\(f.wireName) '\(Sanitize.inline(e.doc.string(i), limit: 40))' has \(n) character\(n == 1 ? "" : "s"); the minimum is \(minimum) (\(source)), so Amplitude rejects the request")
    }
}
