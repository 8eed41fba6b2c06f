/// At most 2000 events per request (1024 group identifies per /groupidentify request).
public struct TooManyEventsRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.tooManyEvents, severity: .error, scope: .request,
                               summary: "More than 2000 events (1024 group identifications) in one request.",
                               effect: .payloadTooLarge) }
    public init() {}

    public static func limit(for e: Endpoint) -> Int { e == .groupIdentify ? 1024 : 2000 }

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard r.endpoint != .unknown, r.endpoint != .legacy else { return }
        let limit = Self.limit(for: r.endpoint)
        guard r.records.count > limit else { return }
        out.add(info, r.recordsPointer, "\(r.records.count) records in one request; the limit is \(limit) and Amplitude answers 413")
    }
}
