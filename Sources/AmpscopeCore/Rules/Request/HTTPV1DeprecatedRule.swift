/// Amplitude's HTTP API V1 (`/httpapi`, form fields `api_key` and `event`) is deprecated.
public struct HTTPV1DeprecatedRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.httpV1Deprecated, severity: .warning, scope: .request,
                               summary: "The request uses Amplitude's deprecated HTTP API V1 (`/httpapi`); use HTTP V2 (`/2/httpapi`).") }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard r.endpoint == .httpV1 else { return }
        out.add(info, "", "HTTP API V1 (/httpapi with form fields api_key and event) is deprecated; send JSON {\"api_key\",\"events\":[…]} to /2/httpapi (HTTP V2), which answers with per-event detail. The classic Segment destination still sends V1; Amplitude (Actions) sends V2")
    }
}
