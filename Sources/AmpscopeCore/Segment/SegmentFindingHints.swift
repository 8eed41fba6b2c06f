/// Names the destination's part in findings on mapped requests, and the setting that fixes it.
enum SegmentFindingHints {
    struct Hint {
        let destination: SegmentDestination?
        let rule: String
        /// Last token of the finding's path, or nil for any.
        let field: String?
        let text: String
    }

    static let table: [Hint] = [
        Hint(destination: .actions, rule: RuleID.unknownField, field: "device_type",
             text: "Amplitude (Actions) adds device_type from its user agent parsing; set actions.user_agent_parsing to false to stop it"),
        Hint(destination: .actions, rule: RuleID.unknownField, field: "use_batch_endpoint",
             text: "Log Event V2 leaves its use_batch_endpoint field in the event; no setting removes it"),
        Hint(destination: .actions, rule: RuleID.unknownField, field: "products",
             text: "Log Event V2 spreads its Products field into the event; clear that field in the mapping (purchases belong to Log Purchase)"),
        Hint(destination: .actions, rule: RuleID.mixedUserProperties, field: nil,
             text: "Amplitude (Actions) puts $set/$setOnce built from context.page.referrer and context.campaign beside the traits; map either User Properties or Set Once / Set Always, not both"),
        Hint(destination: .actions, rule: RuleID.idTooShort, field: nil,
             text: "set min_id_length in the destination's mappings (actions.min_id_length) or send longer ids"),
        Hint(destination: .classic, rule: RuleID.idTooShort, field: nil,
             text: "the classic destination has no min_id_length setting (Amplitude discards with INVALID_ID_LENGTH): send longer ids or use Amplitude (Actions) with min_id_length"),
        Hint(destination: .actions, rule: RuleID.sessionIDNotMs, field: nil,
             text: "Amplitude (Actions) passes a numeric integrations[\"Actions Amplitude\"].session_id unconverted: send it in milliseconds"),
        Hint(destination: .classic, rule: RuleID.sessionIDNotMs, field: nil,
             text: "the classic destination passes integrations.Amplitude.session_id unconverted: send it in milliseconds (its docs' seconds example is wrong)"),
        Hint(destination: .classic, rule: RuleID.httpV1Deprecated, field: nil,
             text: "the classic destination is built on HTTP API V1; Amplitude (Actions) sends HTTP V2"),
        Hint(destination: .classic, rule: RuleID.unknownField, field: "amplitude_event_type",
             text: "the classic destination copies integrations.Amplitude.event_type here"),
    ]

    static func annotate(_ findings: [Finding], _ r: MappedRequest, _ settings: SegmentSettings) -> [Finding] {
        findings.map { f in
            let last = JSONPointer.tokens(f.path).last
            guard let h = table.first(where: { ($0.destination == nil || $0.destination == r.destination) && $0.rule == f.rule && ($0.field == nil || $0.field == last) }) else {
                return f
            }
            var g = f
            g.message += " (caused by \(r.destination.displayName), \(r.action): \(h.text))"
            return g
        }
    }
}
