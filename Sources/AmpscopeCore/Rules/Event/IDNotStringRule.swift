/// Ids must be strings: a numeric `device_id` got the same 400 as a short id (Amplitude-TypeScript PR #81).
public struct IDNotStringRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.idNotString, severity: .error, scope: .event,
                               summary: "`user_id` or `device_id` is a number, boolean, object or array instead of a string.",
                               effect: .eventInvalidIdLength) }
    public init() {}

    static let fields: [EventField] = [.userID, .deviceID, .globalUserID]

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject else { return }
        for f in Self.fields where e.has(f) {
            guard let i = e[f] else { continue }
            let k = e.doc.kind(i)
            guard k != .string && k != .null else { continue }
            let shown = k == .number ? " (\(Sanitize.inline(e.doc.rawText(i), limit: 30)))" : ""
            out.add(info, e.path(f), event: e.index,
                    "\(f.wireName) is \(k)\(shown); ids must be strings — send \(k == .number ? "\"\(Sanitize.inline(e.doc.rawText(i), limit: 30))\"" : "a string")")
        }
    }
}
