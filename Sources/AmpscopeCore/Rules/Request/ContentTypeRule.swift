/// JSON endpoints want `application/json`; the form endpoints want form encoding.
public struct ContentTypeRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.contentType, severity: .warning, scope: .request,
                               summary: "The Content-Type header does not match what the endpoint expects.") }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        let raw = r.header("Content-Type")
        // The usual exact spelling: no lowercasing and splitting per request.
        if raw == "application/json" && (r.endpoint == .httpV2 || r.endpoint == .batch) { return }
        let ct = (raw ?? "").asciiLowercased.split(separator: ";").first.map { String($0).trimmingASCIISpaces } ?? ""
        switch r.endpoint {
        case .httpV2, .batch:
            if ct == "application/json" { return }
            if ct == "text/plain" {
                out.add(info, "", severity: .info, Self.textPlainNote(r))
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
                let notJSON = ct.contains("json") ? ", not JSON" : ""
                out.add(info, "", "Content-Type is '\(Sanitize.inline(ct))'; \(r.endpoint.displayName) takes 'application/x-www-form-urlencoded' form fields\(notJSON)")
            }
        case .unknown, .segment:
            return
        }
    }

    /// The note for a JSON body sent as `text/plain`, worded from what the request shows about
    /// its sender rather than assuming a browser beacon.
    static func textPlainNote(_ r: DecodedRequest) -> String {
        let accepted = "Amplitude documents application/json (browser beacons send text/plain and are accepted)"
        switch RequestSender.classify(r.headers) {
        case .browser(let evidence):
            return "text/plain body from a browser (\(evidence)): this is how navigator.sendBeacon sends; \(accepted), but an SDK never reads a beacon's answer, so a rejection would go unseen"
        case .program(let userAgent):
            return "text/plain body from '\(Sanitize.inline(userAgent, limit: 60))', not a browser: \(accepted); set 'Content-Type: application/json' in this client"
        case .unknown:
            return "text/plain body with no User-Agent or Origin to tell who sent it: \(accepted); a browser's navigator.sendBeacon sends this way, any other client should send 'Content-Type: application/json'"
        }
    }
}

/// Who sent a request, as far as its headers tell: a browser (an `Origin` or `Sec-Fetch-*`
/// header, which only browsers add, or a `Mozilla/` user agent), another program (any other
/// user agent: `Python/3.11 aiohttp/3.9`, `python-requests/2.31`, `node`, `curl/8.5`), or
/// unknown (neither header).
public enum RequestSender: Equatable, Sendable {
    case browser(evidence: String)
    case program(userAgent: String)
    case unknown

    public static func classify(_ headers: [HTTPHeader]) -> RequestSender {
        func header(_ n: String) -> String? {
            headers.first { $0.name.caseInsensitiveEquals(n) }?.value.trimmingASCIISpaces
        }
        if let o = header("Origin"), !o.isEmpty { return .browser(evidence: "Origin \(Sanitize.inline(o, limit: 60))") }
        if headers.contains(where: { $0.name.asciiLowercased.hasPrefix("sec-fetch-") }) { return .browser(evidence: "Sec-Fetch headers") }
        guard let ua = header("User-Agent"), !ua.isEmpty else { return .unknown }
        if ua.hasPrefix("Mozilla/") { return .browser(evidence: "User-Agent \(Sanitize.inline(ua, limit: 40))") }
        return .program(userAgent: ua)
    }
}
