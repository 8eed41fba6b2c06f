/// HTTP V2 and Batch take POST only; the form endpoints also take GET with a query string.
public struct MethodNotAllowedRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.methodNotAllowed, severity: .error, scope: .request,
                               summary: "The HTTP method is not one the endpoint accepts.", effect: .methodNotAllowed) }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        let m = r.method.uppercased()
        let allowed: [String]
        switch r.endpoint {
        case .httpV2, .batch, .legacy, .httpV1: allowed = ["POST"]
        case .identify, .groupIdentify, .usermap: allowed = ["POST", "GET"]
        case .unknown, .segment: return
        }
        guard !allowed.contains(m) else { return }
        out.add(info, "", "\(Sanitize.inline(m)) is not accepted by \(r.endpoint.displayName); use \(allowed.joined(separator: " or "))")
    }
}
