import AmpscopeCore
@testable import AmpscopeProxy
import Foundation
import Testing

/// Preflights are shown, and the proxy's own error answers are readable by other clients (issue 10).
@Suite("Proxy: preflights shown, error answers readable")
struct ProxyFidelityTests {
    @Test func everyPreflightIsReportedWithWhatTheBrowserAsked() async throws {
        let seen = Guarded<[PreflightSeen]>([])
        let proxy = try await ProxyFixture({ $0.onPreflight = { p in seen.withLock { $0.append(p) } } })
        let pre = try await proxy.send(HTTPRequestBytes.make("OPTIONS", "/", headers: [
            ("Origin", "http://localhost:3000"), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type,cross-origin-resource-policy"),
        ]))
        #expect(pre.status == 204)
        let all = seen.withLock { $0 }
        #expect(all.count == 1)
        #expect(all.first?.target == "/")
        #expect(all.first?.origin == "http://localhost:3000")
        #expect(all.first?.requestMethod == "POST")
        #expect(all.first?.requestHeaders == "content-type,cross-origin-resource-policy")
        #expect(all.first?.status == 204)
        #expect(await proxy.store.captureCount == 0)
        await proxy.stop()
    }

    @Test func unknownPathsAndTheProxysOwnErrorsCarryCodeErrorAndMessage() async throws {
        let proxy = try await ProxyFixture()
        // A Segment-style batch sent to a path no API has: analytics-python reads code and message.
        let unknown = try await proxy.send(HTTPRequestBytes.json("/v1/batchx", #"{"batch":[{"type":"track","event":"A","userId":"u-1"}],"writeKey":"wk"}"#))
        #expect(unknown.status == 404)
        #expect(unknown.code == 404)
        #expect(unknown.json("message") != nil, "\(unknown.text)")
        #expect(unknown.json("error") != nil)
        let own = try await proxy.send(HTTPRequestBytes.make("GET", "/ampscope/nope"))
        #expect(own.status == 404)
        #expect(own.code == 404)
        #expect(own.json("message") == own.json("error"), "\(own.text)")
        await proxy.stop()
    }
}
