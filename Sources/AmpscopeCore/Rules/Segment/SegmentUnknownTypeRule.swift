/// Every call needs a `type` Segment knows (track, identify, page, screen, group, alias).
public struct SegmentUnknownTypeRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.segmentUnknownType, severity: .error, scope: .event,
                               summary: "A Segment call is not an object, or its `type` is missing or not one Segment knows.") }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        let known = SegmentCallType.allCases.map(\.rawValue).joined(separator: ", ")
        SegmentCalls.forEach(r) { c in
            guard c.isObject else {
                out.add(info, c.pointer, event: c.index, "call \(c.index) is \(c.doc.kind(c.node)), not an object: Segment drops it. \(SegmentCalls.silent)")
                return
            }
            let path = JSONPointer.join(c.pointer, "type")
            if let t = c.member("type") {
                guard let s = c.doc.stringValue(t) else {
                    out.add(info, path, event: c.index, "'type' is \(c.doc.kind(t)), not a string: Segment drops the call. \(SegmentCalls.silent)")
                    return
                }
                guard let type = SegmentCallType(rawValue: s) else {
                    let lower = SegmentCallType(rawValue: s.asciiLowercased).map { "; types are lower-case: '\($0.rawValue)'" } ?? ""
                    out.add(info, path, event: c.index, "'\(Sanitize.inline(s, limit: 40))' is not a Segment call type (\(known))\(lower): Segment drops the call. \(SegmentCalls.silent)")
                    return
                }
                if let pathType = c.pathType, pathType != type {
                    out.add(info, path, event: c.index, severity: .warning,
                            "the call says type '\(type.rawValue)' but was posted to the \(pathType.rawValue) path; Segment goes by the path (UNCONFIRMED), so it is read as a \(pathType.rawValue) call here")
                }
            } else if c.pathType == nil {
                out.add(info, path, event: c.index, "call \(c.index) has no 'type', so Segment cannot tell what it is and drops it. \(SegmentCalls.silent)")
            }
        }
    }
}
