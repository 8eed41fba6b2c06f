import AmpscopeCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The upstream's answer in forward mode, or why there is none.
enum UpstreamResult: Sendable {
    case answered(status: Int, headers: [HTTPHeader], body: [UInt8], latencyMs: Double)
    /// No usable answer: `status` is what the proxy answers instead (502/503/504), `reason` why.
    case failed(status: Int, reason: String, latencyMs: Double)
}

/// Relays requests to the `--forward` upstream with AsyncHTTPClient.
final class UpstreamClient: Sendable {
    let client: HTTPClient
    let target: ForwardTarget
    let timeout: Double
    /// Largest upstream answer relayed (Amplitude's answers are tiny).
    static let maxAnswerBytes = 8 << 20

    init(target: ForwardTarget, timeout: Double, group: any EventLoopGroup, trustRoots: [String] = []) {
        self.target = target
        self.timeout = timeout
        client = Self.makeClient(timeout: timeout, group: group, trustRoots: trustRoots)
    }

    /// An HTTP client that relays as sent: no redirects followed, no decompression, one timeout
    /// for connecting and reading; `trustRoots` (PEM files) are trusted besides the system's.
    static func makeClient(timeout: Double, group: any EventLoopGroup, trustRoots: [String] = []) -> HTTPClient {
        var config = HTTPClient.Configuration()
        config.redirectConfiguration = .disallow
        let t = TimeAmount.milliseconds(Int64(max(timeout, 0.001) * 1000))
        config.timeout = HTTPClient.Configuration.Timeout(connect: t, read: t)
        config.decompression = .disabled
        if !trustRoots.isEmpty {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = trustRoots.map { .file($0) }
            config.tlsConfiguration = tls
        }
        return HTTPClient(eventLoopGroupProvider: .shared(group), configuration: config)
    }

    /// Headers that describe one hop, never relayed (RFC 9110 §7.6.1), plus ones the client library sets.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length", "expect",
    ]

    static func relayable(_ headers: [HTTPHeader], extraDrop: Set<String> = []) -> [HTTPHeader] {
        var drop = hopByHop.union(extraDrop)
        for h in headers where h.name.caseInsensitiveEquals("connection") {
            for token in h.value.split(separator: ",") { drop.insert(token.trimmingSpaces.asciiLowercased) }
        }
        return headers.filter { !drop.contains($0.name.asciiLowercased) }
    }

    /// `origin` (`https://api2.amplitude.com`): the host a proxied request was sent to, which
    /// replaces the --forward URL for it.
    func forward(method: String, target requestTarget: String, headers: [HTTPHeader], body: [UInt8], origin: String? = nil) async -> UpstreamResult {
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds &- started) / 1_000_000 }
        var request = HTTPClientRequest(url: origin.map { $0 + requestTarget } ?? target.url(for: requestTarget))
        request.method = HTTPMethod(rawValue: method)
        for h in Self.relayable(headers) { request.headers.add(name: h.name, value: h.value) }
        if !body.isEmpty || method == "POST" || method == "PUT" {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
        do {
            let response = try await client.execute(request, deadline: deadline)
            let buffer = try await response.body.collect(upTo: Self.maxAnswerBytes)
            let rheaders = response.headers.map { HTTPHeader($0.name, $0.value) }
            return .answered(status: Int(response.status.code), headers: rheaders,
                             body: Array(buffer.readableBytesView), latencyMs: elapsed())
        } catch {
            let (status, reason) = Self.classify(error, timeout: timeout, target: target)
            return .failed(status: status, reason: reason, latencyMs: elapsed())
        }
    }

    /// Maps a client error to the status the proxy answers and a sentence for the record.
    /// 503 = nothing reached the upstream (safe to retry); 504 = too slow (may have been ingested);
    /// 502 = a broken answer. Every SDK retries all three (amplitude-wire.md §5.5, §6).
    static func classify(_ error: any Error, timeout: Double, target: ForwardTarget) -> (Int, String) {
        let text = String(describing: error)
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return (504, "the upstream \(target) did not answer within \(formatSeconds(timeout)) (--upstream-timeout)")
            case .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout:
                return (503, "could not connect to the upstream \(target) within \(formatSeconds(timeout)): \(text)")
            case .remoteConnectionClosed:
                return (502, "the upstream \(target) closed the connection without a complete answer")
            default:
                break
            }
        }
        if error is NIOTooManyBytesError {
            return (502, "the upstream \(target) answered more than \(maxAnswerBytes) bytes")
        }
        if error is NIOConnectionError || error is IOError || text.contains("connect") || text.contains("Connection refused") {
            return (503, "could not connect to the upstream \(target): \(text)")
        }
        return (502, "the upstream \(target) failed: \(text)")
    }

    static func formatSeconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
    }

    func shutdown() async {
        try? await client.shutdown()
    }
}
