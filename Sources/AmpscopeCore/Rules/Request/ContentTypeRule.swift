/// JSON endpoints want `application/json`; the form endpoints want form encoding.
public struct ContentTypeRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.contentType, severity: .warning, scope: .request,
                               summary: "The Content-Type header does not match what the endpoint expects.") }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        let raw = r.header("Content-Type")
        let ct = (raw ?? "").asciiLowercased.split(separator: ";").first.map { String($0).trimmingASCIISpaces } ?? ""
        switch r.endpoint {
        case .httpV2, .batch:
            if ct == "application/json" { return }
            if ct == "text/plain" {
                out.add(info, "", severity: .info, "text/plain body: this is how navigator.sendBeacon sends; Amplitude documents application/json, and SDKs never read the answer to a beacon")
            } else if raw == nil {
                out.add(info, "", "no Content-Type header; \(r.endpoint.displayName) requires 'application/json'")
            } else {
                out.add(info, "", "Content-Type is '\(Sanitize.inline(ct))'; \(r.endpoint.displayName) requires 'application/json'")
            }
        case .identify, .groupIdentify, .usermap, .legacy, .httpV1:
            if r.method.uppercased() == "GET" { return }
            if ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data" { return }
            if raw == nil {
                out.add(info, "", "no Content-Type header; \(r.endpoint.displayName) takes 'application/x-www-form-urlencoded' form fields")
            } else {
                out.add(info, "", "Content-Type is '\(Sanitize.inline(ct))'; \(r.endpoint.displayName) takes 'application/x-www-form-urlencoded' form fields, not JSON")
            }
        case .unknown, .segment:
            return
        }
    }
}
