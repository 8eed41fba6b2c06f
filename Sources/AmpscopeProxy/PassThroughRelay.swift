import AmpscopeCore
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Plain-HTTP proxy requests (absolute-form, `GET http://example.com/x`) for hosts that are not
/// intercepted: relayed to their own URL and answered with what came back, never captured, so a
/// debugger in the path does not break the rest of the app. Answers are capped like forward mode's.
final class PassThroughRelay: Sendable {
    let client: HTTPClient
    let timeout: Double

    init(group: any EventLoopGroup, timeout: Double = 30) {
        self.timeout = timeout
        client = UpstreamClient.makeClient(timeout: timeout, group: group)
    }

    /// True when `request` is an absolute-form request this relay should carry (its host is off the list).
    static func shouldRelay(_ request: ProxyRequest, interception: Interception?) -> Bool {
        guard let interception, request.origin != nil, request.uri.hasPrefix("http://") else { return false }
        return !interception.intercepts(URLParts(request.uri).hostname)
    }

    func relay(_ request: ProxyRequest) async -> ProxyResponse {
        // When the proxy listens beyond loopback, a remote client must not reach this machine's own services.
        if HostName.isLoopback(URLParts(request.uri).hostname), let client = request.client, !Self.isLoopbackPeer(client) {
            return .error(403, "ampscope does not relay a remote client to this machine's loopback address")
        }
        var out = HTTPClientRequest(url: request.uri)
        out.method = HTTPMethod(rawValue: request.method)
        for h in UpstreamClient.relayable(request.headers) { out.headers.add(name: h.name, value: h.value) }
        if !request.body.isEmpty || request.method == "POST" || request.method == "PUT" {
            out.body = .bytes(ByteBuffer(bytes: request.body))
        }
        do {
            let response = try await client.execute(out, deadline: .now() + .milliseconds(Int64(timeout * 1000)))
            let body = try await response.body.collect(upTo: UpstreamClient.maxAnswerBytes)
            let headers = UpstreamClient.relayable(response.headers.map { HTTPHeader($0.name, $0.value) })
            return ProxyResponse(status: Int(response.status.code), headers: headers, body: Array(body.readableBytesView), relayed: true)
        } catch {
            let host = Sanitize.inline(URLParts(request.uri).host, limit: 80)
            return ProxyResponse(status: 502, headers: [HTTPHeader("Content-Type", "text/plain; charset=utf-8")],
                                 body: Array("ampscope could not relay this request to \(host): \(Sanitize.inline("\(error)", limit: 200))\n".utf8))
        }
    }

    /// `127.0.0.1:5000`, `[::1]:5000`.
    static func isLoopbackPeer(_ peer: String) -> Bool {
        var host = Substring(peer)
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        return HostName.isLoopback(String(host))
    }

    func shutdown() async { try? await client.shutdown() }
}
