/// Size limits per endpoint, measured on the body after gzip is undone (Amplitude counts the
/// events of a gzip body after decompressing it, so the uncompressed size is what it holds).
public struct PayloadTooLargeRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.payloadTooLarge, severity: .error, scope: .request,
                               summary: "The body is over the endpoint's size limit (1 MiB; 20 MiB for /batch).",
                               effect: .payloadTooLarge) }
    public init() {}

    /// Byte limit for an endpoint.
    public static func limit(for e: Endpoint) -> Int {
        switch e {
        case .batch: return 20 << 20
        default: return 1 << 20
        }
    }

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard r.endpoint != .unknown else { return }
        let limit = Self.limit(for: r.endpoint)
        guard r.body.count > limit else { return }
        let alt = r.endpoint == .httpV2 ? " (the /batch endpoint takes up to 20 MiB)" : ""
        out.add(info, "", "the body is \(r.body.count) bytes, over the \(ByteCount.format(limit)) limit of \(r.endpoint.displayName)\(alt); Amplitude answers 413 and SDKs split the batch")
    }
}
