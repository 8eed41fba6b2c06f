/// Event types Amplitude reserves for events it creates itself.
public struct ReservedEventTypeRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.reservedEventType, severity: .warning, scope: .event,
                               summary: "The event_type is reserved by Amplitude (`[Amplitude] Start Session`, `[Amplitude] Revenue`...).") }
    public init() {}

    public static let reserved: Set<String> = [
        "[Amplitude] Start Session", "[Amplitude] End Session", "[Amplitude] Revenue",
        "[Amplitude] Revenue (Verified)", "[Amplitude] Revenue (Unverified)", "[Amplitude] Merged User",
        "session_start", "session_end",
    ]
    static let special: Set<String> = ["$identify", "$groupidentify", "revenue_amount"]

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, e.kind == .event || e.kind == .legacyEvent, let ti = e[.eventType] else { return }
        // Every reserved name starts with '[', 's' or '$': look at one byte before building a String.
        guard e.doc.stringStarts(ti, with: UInt8(ascii: "[")) || e.doc.stringStarts(ti, with: UInt8(ascii: "s"))
                || e.doc.stringStarts(ti, with: UInt8(ascii: "$")) else { return }
        if e.eventTypeIs("$identify") || e.eventTypeIs("$groupidentify") { return }
        let t = e.doc.string(ti)
        if Self.reserved.contains(t) {
            let why = t.hasPrefix("session_") ? "it is the name SDKs use for their own session events" : "Amplitude creates events with this name itself"
            out.add(info, e.path(.eventType), event: e.index, "event_type '\(Sanitize.inline(t))' is reserved: \(why), so yours may be merged with or hidden among them")
        } else if e.doc.stringStarts(ti, with: UInt8(ascii: "$")), !Self.special.contains(t) {
            out.add(info, e.path(.eventType), event: e.index,
                    "event_type '\(Sanitize.inline(t, limit: 40))' starts with '$', which Amplitude uses for its special events ($identify, $groupidentify)")
        }
    }
}
