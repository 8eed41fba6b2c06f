/// A track call needs `event`; group needs `groupId` and alias `previousId` (analytics-python
/// refuses to send them without; what Segment's servers do is UNCONFIRMED, so those warn).
public struct SegmentMissingFieldRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.segmentMissingField, severity: .error, scope: .event,
                               summary: "A track call has no `event` (Segment drops it with a 200); a group call no `groupId`, an alias no `previousId`.") }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        SegmentCalls.forEach(r) { c in
            guard c.isObject, let type = c.type else { return }
            let field: String
            let severity: Severity
            switch type {
            case .track: (field, severity) = ("event", .error)
            case .group: (field, severity) = ("groupId", .warning)
            case .alias: (field, severity) = ("previousId", .warning)
            default: return
            }
            let path = JSONPointer.join(c.pointer, field)
            guard let v = c.member(field) else {
                let drop = severity == .error ? "Segment drops the call. \(SegmentCalls.silent)" : "Segment's libraries refuse to send it; what Segment's servers do is UNCONFIRMED"
                out.add(info, path, event: c.index, severity: severity, "\(type.rawValue) call \(c.index) has no '\(field)': \(drop)")
                return
            }
            let ok: Bool
            switch c.doc.kind(v) {
            case .string: ok = !c.doc.isBlankString(v)
            case .number: ok = type != .track
            default: ok = false
            }
            if !ok {
                out.add(info, path, event: c.index, severity: severity,
                        "'\(field)' of \(type.rawValue) call \(c.index) is \(c.doc.kind(v) == .string ? "blank" : c.doc.kind(v).description), not a name: \(severity == .error ? "Segment drops the call. " + SegmentCalls.silent : "destinations cannot use it")")
            }
        }
    }
}
