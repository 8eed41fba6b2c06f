import AmpscopeCore
import AmpscopeStore
@testable import AmpscopeProxy
import Foundation
import Testing

@Suite struct ProxyForwardTests {
    @Test func relaysTheRequestUnchangedAndRecordsTheUpstreamAnswer() async throws {
        let upstream = try await FakeUpstream(.init(status: 200, body: "{\"code\":200,\"events_ingested\":2,\"payload_size_bytes\":99,\"server_upload_time\":7}"))
        let proxy = try await ProxyFixture { $0.mode = .forward(upstream: try! ForwardTarget(parsing: "http://127.0.0.1:\(upstream.port)")) }
        let body = Payload.v2([Payload.event("Fwd A"), Payload.event("Fwd B")])
        let r = try await proxy.send(HTTPRequestBytes.make("POST", "/2/httpapi?x=1", headers: [
            ("Content-Type", "application/json"), ("X-Custom", "kept"), ("Connection", "keep-alive, X-Hop"), ("X-Hop", "dropped"),
            ("Origin", "http://app.example"),
        ], body: Array(body.utf8)))
        #expect(r.status == 200)
        #expect(r.text == "{\"code\":200,\"events_ingested\":2,\"payload_size_bytes\":99,\"server_upload_time\":7}")
        #expect(r.header("X-Upstream") == "yes")
        #expect(r.header("Access-Control-Allow-Origin") == "http://app.example")
        let got = try #require(upstream.received.first)
        #expect(got.method == "POST")
        #expect(got.uri == "/2/httpapi?x=1")
        #expect(got.body == Array(body.utf8))
        #expect(got.headers.contains { $0.0 == "X-Custom" && $0.1 == "kept" })
        #expect(!got.headers.contains { $0.0 == "X-Hop" })
        #expect(got.headers.first { $0.0.lowercased() == "host" }?.1 == "127.0.0.1:\(upstream.port)")
        let stored = try await proxy.captures()
        let rec = try #require(stored.first?.capture.recordedResponse)
        #expect(rec.origin == .upstream)
        #expect(rec.status == 200)
        #expect(rec.bodyText.contains("\"events_ingested\":2"))
        #expect(rec.latencyMs != nil)
        #expect(stored.first?.answer.status == 200)  // the emulated answer is kept next to it
        await proxy.stop()
        await upstream.stop()
    }

    @Test func theUpstreamsRejectionIsWhatTheClientSees() async throws {
        let upstream = try await FakeUpstream(.init(status: 400, body: "{\"code\":400,\"error\":\"Invalid API key: x\"}"))
        let proxy = try await ProxyFixture { $0.mode = .forward(upstream: try! ForwardTarget(parsing: "http://127.0.0.1:\(upstream.port)/base/")) }
        let r = try await proxy.send(HTTPRequestBytes.json("/batch", Payload.v2([Payload.event("Key")])))
        #expect(r.status == 400)
        #expect(r.code == 400)
        #expect(upstream.received.first?.uri == "/base/batch")
        let p = try #require(try await proxy.captures().first)
        #expect(p.effectiveStatus == 400)
        #expect(p.answer.status == 200)  // ampscope alone would have accepted it
        await proxy.stop()
        await upstream.stop()
    }

    @Test func anUnreachableUpstreamIsAnswered503AndRecordedAsFallback() async throws {
        let port = try closedPort()
        let proxy = try await ProxyFixture { c in
            c.mode = .forward(upstream: try! ForwardTarget(parsing: "http://127.0.0.1:\(port)"))
            c.upstreamTimeout = 2
        }
        let r = try await proxy.send(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("Down")])), timeout: 15)
        #expect(r.status == 503)
        #expect(r.code == 503)
        #expect(r.json("error")?.contains("127.0.0.1:\(port)") == true)
        let p = try #require(try await proxy.captures().first)
        let rec = try #require(p.capture.recordedResponse)
        #expect(rec.origin == .fallback)
        #expect(rec.status == 503)
        #expect(rec.error?.isEmpty == false)
        #expect(proxy.server.stats.snapshot.upstreamFailures == 1)
        await proxy.stop()
    }

    @Test func aSlowUpstreamTimesOutWith504() async throws {
        let upstream = try await FakeUpstream(.init(delaySeconds: 3))
        let proxy = try await ProxyFixture { c in
            c.mode = .forward(upstream: try! ForwardTarget(parsing: "http://127.0.0.1:\(upstream.port)"))
            c.upstreamTimeout = 0.5
        }
        // The 504 itself shows the order (the timeout fired before the upstream's answer came);
        // no wall-clock bound, so a loaded machine cannot fail it.
        let r = try await proxy.send(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("Slow")])), timeout: 15)
        #expect(r.status == 504)
        #expect(r.code == 504)
        #expect(r.json("error")?.contains("did not answer within") == true)
        let p = try #require(try await proxy.captures().first)
        #expect(p.capture.recordedResponse?.origin == .fallback)
        #expect(p.capture.recordedResponse?.status == 504)
        await proxy.stop()
        await upstream.stop()
    }

    @Test func forwardTargetParsing() throws {
        let t = try ForwardTarget(parsing: "https://api.eu.amplitude.com")
        #expect(t.url(for: "/2/httpapi") == "https://api.eu.amplitude.com/2/httpapi")
        let b = try ForwardTarget(parsing: "http://127.0.0.1:9000/prefix/")
        #expect(b.url(for: "/batch?x=1") == "http://127.0.0.1:9000/prefix/batch?x=1")
        #expect(throws: ProxyConfigurationError.self) { try ForwardTarget(parsing: "api2.amplitude.com") }
        #expect(throws: ProxyConfigurationError.self) { try ForwardTarget(parsing: "ftp://x") }
    }
}
