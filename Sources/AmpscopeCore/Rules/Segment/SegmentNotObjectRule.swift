/// `traits`, `properties`, `context` and `integrations` must be objects (analytics-python
/// refuses anything else). Segment's servers do not say what they do with other values; the
/// destinations map them as missing.
public struct SegmentNotObjectRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.segmentNotObject, severity: .warning, scope: .event,
                               summary: "A Segment call's `traits`, `properties`, `context` or `integrations` is not an object, so it is lost on the way to destinations.") }
    public init() {}

    static let fields = ["traits", "properties", "context", "integrations"]

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        SegmentCalls.forEach(r) { c in
            guard c.isObject else { return }
            for f in Self.fields {
                guard let v = c.member(f) else { continue }
                let k = c.doc.kind(v)
                if k == .object || k == .null { continue }
                let hint = k == .string && (c.doc.stringStarts(v, with: UInt8(ascii: "{"))) ? " (it holds JSON text: send the object itself, not a string)" : ""
                out.add(info, JSONPointer.join(c.pointer, f), event: c.index,
                        "'\(f)' is \(k), not an object\(hint): Segment and its destinations cannot read it, so it never reaches Amplitude. \(SegmentCalls.silent)")
            }
        }
    }
}
