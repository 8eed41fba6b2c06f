import AmpscopeTestSupport
import AmpscopeCore
import AmpscopeStore
@testable import AmpscopeProxy
import Foundation
import Testing

@Suite struct ProxyInjectionTests {
    func rules(_ specs: String...) -> [FaultInjection] { specs.map { try! FaultInjection(parsing: $0) } }

    /// Requests that take the asynchronous path (here a delay) are answered even while every
    /// thread of the cooperative pool is blocked by other work in the process.
    @Test func answersWhileTheCooperativePoolIsBlocked() async throws {
        let proxy = try await ProxyFixture { $0.injections = self.rules("delay=10ms") }
        let port = proxy.port
        let cores = max(2, ProcessInfo.processInfo.activeProcessorCount)
        let release = DispatchSemaphore(value: 0)
        // Occupy every cooperative thread (and then some) until the request has been answered.
        for _ in 0..<(cores * 2) { Task.detached { release.wait() } }
        let timing: (Double, Int) = try await onThread {
            // The blockers are released whatever happens, or the test process would hang.
            defer { for _ in 0..<(cores * 2) { release.signal() } }
            Thread.sleep(forTimeInterval: 0.2)  // let the blockers take the pool
            let t0 = Date()
            // Without an answer (a proxy waiting for the blocked pool) the client gives up after
            // 30 s and the test fails; the blockers are released only after this exchange.
            let r = try RawClient(port: port, timeout: 30).exchange(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("Blocked")])))
            return (Date().timeIntervalSince(t0), r.status)
        }
        #expect(timing.1 == 200, "answered after \(timing.0) s")
        await proxy.stop()
    }

    @Test func throttles429WithTheRequestsOwnEventsAndUsers() async throws {
        let proxy = try await ProxyFixture { $0.injections = self.rules("429,user=user-AAAAA") }
        let body = Payload.v2([Payload.event("One", user: "user-BBBBB", device: "dev-B"),
                               Payload.event("Two", user: "user-AAAAA", device: "dev-A"),
                               Payload.event("Three", user: "user-AAAAA", device: "dev-A")])
        let r = try await proxy.send(HTTPRequestBytes.json("/2/httpapi", body))
        #expect(r.status == 429)
        #expect(r.code == 429)
        #expect(r.json("throttled_events") == "[1,2]")
        #expect(r.json("throttled_users") == "{\"user-AAAAA\":31}")
        #expect(r.json("throttled_devices") == "{\"dev-A\":31}")
        #expect(r.json("eps_threshold") == "30")
        #expect(r.json("exceeded_daily_quota_users") == nil)
        // Other users pass.
        let other = try await proxy.send(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("Free", user: "user-CCCCC")])))
        #expect(other.status == 200)
        let stored = try await proxy.captures()
        let rec = try #require(stored.first?.capture.recordedResponse)
        #expect(rec.origin == .injected)
        #expect(rec.status == 429)
        #expect(rec.body == r.body)
        #expect(rec.error?.contains("429,user=user-AAAAA") == true)
        #expect(stored.first?.answer.status == 200)  // what Amplitude would have said
        #expect(stored.last?.capture.recordedResponse == nil)
        await proxy.stop()
    }

    @Test func quotaListsTheUsersSoSDKsDropThem() async throws {
        let proxy = try await ProxyFixture { $0.injections = self.rules("429,quota") }
        let r = try await proxy.send(HTTPRequestBytes.json("/batch", Payload.v2([Payload.event("Q", user: "user-QQQQQ")])))
        #expect(r.status == 429)
        #expect(r.json("exceeded_daily_quota_users") == "{\"user-QQQQQ\":500001}")
        #expect(r.json("throttled_events") == "[0]")
        await proxy.stop()
    }

    @Test func endpointAndCountersChooseWhichRequestsFail() async throws {
        let proxy = try await ProxyFixture { $0.injections = self.rules("413,endpoint=batch", "503,times=2", "500,after=1,times=1") }
        let batch = try await proxy.send(HTTPRequestBytes.json("/batch", Payload.v2([Payload.event("B")])))
        #expect(batch.status == 413)
        #expect(batch.text == "{\"code\":413,\"error\":\"Payload too large\"}")
        var statuses: [Int] = []
        for i in 0..<5 {
            statuses.append(try await proxy.send(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("E\(i)")]))).status)
        }
        // Rules are tried in order and the first that fires wins: 503 twice; then rule 3 sees its
        // first request (let through: after=1), fires on its second, and is used up.
        #expect(statuses == [503, 503, 200, 500, 200])
        #expect(proxy.server.stats.snapshot.injected == 4)
        await proxy.stop()
    }

    @Test func closeDropsTheConnectionWithoutAnAnswerAndRecordsIt() async throws {
        let proxy = try await ProxyFixture { $0.injections = self.rules("close,times=1") }
        let port = proxy.port
        let got: [UInt8] = try await onThread {
            let c = try RawClient(port: port, timeout: 5)
            try c.send(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("Dropped")])))
            return try c.waitForClose().bytes
        }
        #expect(got.isEmpty)
        let next = try await proxy.send(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("Next")])))
        #expect(next.status == 200)
        let stored = try await proxy.captures()
        #expect(stored.count == 2)
        #expect(stored.first?.capture.recordedResponse?.status == 0)
        #expect(stored.first?.capture.recordedResponse?.origin == .injected)
        await proxy.stop()
    }

    @Test func delayAnswersNormallyButLate() async throws {
        // Order, not wall-clock bounds: a request sent after the delayed one is answered first.
        let proxy = try await ProxyFixture { $0.injections = self.rules("delay=2000ms,event=Slow*") }
        let order = OrderLog()
        let t0 = Date()
        async let slow: Int = {
            let r = try await proxy.send(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("Slow one")])))
            order.append("slow")
            return r.status
        }()
        try await Task.sleep(nanoseconds: 200_000_000)
        let fast = try await proxy.send(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("Fast one")])))
        order.append("fast")
        #expect(fast.status == 200)
        #expect(try await slow == 200)
        #expect(Date().timeIntervalSince(t0) >= 2.0, "the delayed answer came no sooner than its delay")
        #expect(order.items == ["fast", "slow"])
        #expect(try await proxy.captures().allSatisfy { $0.capture.recordedResponse == nil })
        await proxy.stop()
    }

    @Test func probabilityIsHonoured() async throws {
        let proxy = try await ProxyFixture { c in
            c.injections = self.rules("503,p=0.3")
            c.injectionSeed = 42
        }
        let port = proxy.port
        let statuses: [Int] = try await onThread {
            let c = try RawClient(port: port)
            return try (0..<200).map { i in try c.exchange(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("P\(i)")]))).status }
        }
        let failed = statuses.filter { $0 == 503 }.count
        #expect(failed > 30 && failed < 90, "\(failed) of 200 at p=0.3")
        #expect(statuses.allSatisfy { $0 == 200 || $0 == 503 })
        await proxy.stop()
    }

    @Test func aRetryAfterAnInjectedFaultIsNotADuplicate() async throws {
        let proxy = try await ProxyFixture { $0.injections = self.rules("429,times=1") }
        let body = Payload.v2([Payload.event("Retry me", insert: "insert-retry-1")])
        #expect(try await proxy.send(HTTPRequestBytes.json("/2/httpapi", body)).status == 429)
        #expect(try await proxy.send(HTTPRequestBytes.json("/2/httpapi", body)).status == 200)
        #expect(try await proxy.send(HTTPRequestBytes.json("/2/httpapi", body)).status == 200)
        let stored = try await proxy.captures()
        #expect(!stored[1].findings.contains { $0.rule == RuleID.duplicateInsertID })
        #expect(stored[2].findings.contains { $0.rule == RuleID.duplicateInsertID })
        await proxy.stop()
    }

    @Test func filterLanguageChoosesRequestsAndEvents() async throws {
        let proxy = try await ProxyFixture { $0.injections = self.rules("429,filter=type:Checkout user:user-0000", "503,filter=severity:error") }
        let body = Payload.v2([Payload.event("View", user: "user-00001"), Payload.event("Checkout", user: "user-00001"),
                               Payload.event("Checkout", user: "user-00002")])
        let r = try await proxy.send(HTTPRequestBytes.json("/2/httpapi", body))
        #expect(r.status == 429)
        #expect(r.json("throttled_events") == "[1,2]")
        // A request with an error finding (short user id) matches the second rule.
        let short = try await proxy.send(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("View", user: "ab")])))
        #expect(short.status == 503)
        let clean = try await proxy.send(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("View")])))
        #expect(clean.status == 200)
        await proxy.stop()
    }

    @Test func specParsing() throws {
        let a = try FaultInjection(parsing: "429, p=30%, endpoint=/batch, user=u-1*, quota, delay=1.5s")
        #expect(a.action == .status(429))
        #expect(a.probability == 0.3)
        #expect(a.endpoint == .batch)
        #expect(a.userID == FaultInjection.Pattern("u-1*"))
        #expect(a.userID?.matches("u-12345") == true)
        #expect(a.quota)
        #expect(a.delayMs == 1500)
        #expect(try FaultInjection(parsing: "delay=250ms").action == .delayOnly)
        #expect(try FaultInjection(parsing: "close,device=d1").action == .close)
        #expect(try FaultInjection(parsing: "503,times=2,after=3").times == 2)
        let f = try FaultInjection(parsing: "429,p=0.5,filter=type:A, user:b")
        #expect(f.filter?.text == "type:A, user:b")
        #expect(f.probability == 0.5)
        #expect(throws: ProxyConfigurationError.self) { try FaultInjection(parsing: "429,filter=(type:x") }
        #expect(throws: ProxyConfigurationError.self) { try FaultInjection(parsing: "filter=type:x") }
        for bad in ["", "200", "429,p=2", "teapot", "413,quota", "429,500", "delay=soon", "429,frobnicate=1", "429,endpoint=nowhere"] {
            #expect(throws: ProxyConfigurationError.self, "\(bad)") { try FaultInjection(parsing: bad) }
        }
    }
}
