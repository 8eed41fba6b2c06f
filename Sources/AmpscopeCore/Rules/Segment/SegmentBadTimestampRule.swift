/// `timestamp`, `originalTimestamp` and `sentAt` must be ISO-8601 date strings; Segment
/// computes the time it sends downstream from them (segment-wire.md §1 "Timestamps").
public struct SegmentBadTimestampRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.segmentBadTimestamp, severity: .warning, scope: .event,
                               summary: "A Segment call's `timestamp`, `originalTimestamp` or `sentAt` is not an ISO-8601 date string.") }
    public init() {}

    static let fields = ["timestamp", "originalTimestamp", "sentAt"]

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        if r.segment?.isBatch == true, let doc = r.document, doc.kind(doc.root) == .object, let s = doc.member(doc.root, "sentAt") {
            report(doc, s, "/sentAt", nil, "sentAt", &out)
        }
        SegmentCalls.forEach(r) { c in
            guard c.isObject else { return }
            for f in Self.fields {
                guard let v = c.member(f) else { continue }
                report(c.doc, v, JSONPointer.join(c.pointer, f), c.index, f, &out)
            }
        }
    }

    private func report(_ doc: JSONDocument, _ v: Int, _ path: String, _ event: Int?, _ field: String, _ out: inout FindingSink) {
        switch doc.kind(v) {
        case .null: return
        case .string:
            let s = doc.string(v)
            if Timestamp.parseISO8601(s) != nil { return }
            out.add(info, path, event: event, "'\(field)' is '\(Sanitize.inline(s, limit: 40))', not an ISO-8601 date: Segment cannot read it and the call gets the time Segment received it instead (UNCONFIRMED). \(SegmentCalls.silent)")
        case .number:
            out.add(info, path, event: event, "'\(field)' is a number; Segment wants an ISO-8601 string such as 2026-12-05T21:00:00.000Z (epoch numbers are UNCONFIRMED to be read). \(SegmentCalls.silent)")
        default:
            out.add(info, path, event: event, "'\(field)' is \(doc.kind(v)), not an ISO-8601 date string: Segment cannot read it. \(SegmentCalls.silent)")
        }
    }
}
