import AmpscopeCore
import AmpscopeTestSupport
import Foundation
import Testing

/// "Who may talk to it": the real `ampscope proxy` beyond loopback prints a token and requires it
/// on every /ampscope/* endpoint, from loopback clients too; captures stay open.
@Suite(.serialized) struct ProxyTokenAppTests {
    static func token(in banner: String) -> String? {
        guard let r = banner.range(of: "api token: ") else { return nil }
        return String(banner[r.upperBound...].prefix { !$0.isWhitespace })
    }

    static let capture = Array("{\"api_key\":\"0123456789abcdef0123456789abcdef\",\"events\":[{\"event_type\":\"x\",\"user_id\":\"user-00001\",\"insert_id\":\"i-1\"}]}".utf8)

    @Test func beyondLoopbackEveryOwnEndpointNeedsThePrintedToken() async throws {
        // Processes are started and stopped off the cooperative pool (both wait on the process).
        let proxy = try await onOwnThread { try ProxyProcess(["--listen", "0.0.0.0:0", "--quiet"]) }
        let port = proxy.port
        let token = try #require(Self.token(in: proxy.stderr), "no token in the banner: \(proxy.stderr)")
        #expect(token.count == 32)
        #expect(proxy.stderr.contains("WARNING: listening on"))
        let (open, status, log, withBearer, withHeader, withQuery) = try await onThread {
            (try RawHTTP.send(port: port, "POST", "/2/httpapi", headers: ["Content-Type: application/json"], body: Self.capture).status,
             try RawHTTP.send(port: port, "GET", "/ampscope/status", headers: [], body: []).status,
             try RawHTTP.send(port: port, "POST", "/ampscope/log", headers: [], body: Array("hello\n".utf8)).status,
             try RawHTTP.send(port: port, "GET", "/ampscope/events", headers: ["Authorization: Bearer \(token)"], body: []).status,
             try RawHTTP.send(port: port, "GET", "/ampscope/status", headers: ["X-Ampscope-Token: \(token)"], body: []).status,
             try RawHTTP.send(port: port, "POST", "/ampscope/reset?token=\(token)", headers: [], body: []).status)
        }
        _ = try await onOwnThread { proxy.stop(signal: SIGTERM) }
        #expect(open == 200, "captures need no token")
        #expect(status == 401 && log == 401)
        #expect(withBearer == 200 && withHeader == 200 && withQuery == 200)
    }

    @Test func onLoopbackNoTokenUnlessOneIsGiven() async throws {
        let plain = try await onOwnThread { try ProxyProcess(["--quiet"]) }
        let plainStatus = try await onThread { try RawHTTP.send(port: plain.port, "GET", "/ampscope/status", headers: [], body: []).status }
        _ = try await onOwnThread { plain.stop(signal: SIGTERM) }
        #expect(plainStatus == 200)
        #expect(Self.token(in: plain.stderr) == nil)

        let given = try await onOwnThread { try ProxyProcess(["--quiet", "--api-token", "s3cret-token"]) }
        #expect(Self.token(in: given.stderr) == "s3cret-token")
        let (without, with) = try await onThread {
            (try RawHTTP.send(port: given.port, "GET", "/ampscope/status", headers: [], body: []).status,
             try RawHTTP.send(port: given.port, "GET", "/ampscope/status", headers: ["Authorization: Bearer s3cret-token"], body: []).status)
        }
        _ = try await onOwnThread { given.stop(signal: SIGTERM) }
        #expect(without == 401 && with == 200)
    }
}
