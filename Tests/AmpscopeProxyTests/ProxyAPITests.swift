import AmpscopeCore
import AmpscopeTestSupport
import AmpscopeStore
@testable import AmpscopeProxy
import Foundation
import Testing

/// The test-suite API (`/ampscope/events`, `/coverage`, `/reset`, `/wait`) and the token rule,
/// over real loopback sockets.
@Suite("Proxy test-suite API")
struct ProxyAPITests {
    static let planJSON = #"""
    {"ampscope_plan": 1, "events": {
       "Checkout Started": {"properties": {"cart_value": {"type": "number", "required": true}}},
       "Order Completed": {"properties": {"order_id": {"type": "string", "required": true}}},
       "Never Sent": {}}}
    """#

    /// A proxy on a free loopback port with a plan (and a token when given).
    static func start(token: String? = nil, plan: Bool = true, memory: Int? = nil) async throws -> (ProxyServer, Int) {
        var ingest = Ingest()
        var config = ProxyConfiguration(host: "127.0.0.1", port: 0, eventLoopThreads: 1)
        if plan {
            let checker = PlanChecker(try PlanImport.read(Array(planJSON.utf8)).0)
            ingest.plan = checker
            config.plan = checker
        }
        config.apiToken = token
        if let memory { config.apiMemoryBytes = memory }
        let store = try CaptureStore(path: nil)
        let server = ProxyServer(configuration: config, store: store, ingest: SharedIngest(ingest: ingest))
        return (server, try await server.start().port)
    }

    static func event(_ type: String, _ props: String) -> String {
        "{\"event_type\":\"\(type)\",\"user_id\":\"user-00001\",\"device_id\":\"device-0001\",\"time\":1795000000000,\"insert_id\":\"\(UUID().uuidString)\",\"event_properties\":\(props)}"
    }

    static func send(_ port: Int, _ bytes: [UInt8], timeout: Double = 30) async throws -> RawResponse {
        try await onThread { try RawClient(port: port, timeout: timeout).exchange(bytes) }
    }

    static func get(_ port: Int, _ target: String, headers: [(String, String)] = [], timeout: Double = 30) async throws -> RawResponse {
        try await send(port, HTTPRequestBytes.make("GET", target, headers: headers), timeout: timeout)
    }

    static func post(_ port: Int, _ events: [String]) async throws -> RawResponse {
        try await send(port, HTTPRequestBytes.json("/2/httpapi", Payload.v2(events)))
    }

    static func doc(_ r: RawResponse) throws -> JSONDocument { try JSONDocument(parsing: r.body) }

    @Test("events: decoded events with their findings and answer, filtered and paged")
    func events() async throws {
        let (server, port) = try await Self.start()
        defer { Task { await server.shutdown(grace: 1) } }
        #expect(try await Self.post(port, [Self.event("Checkout Started", #"{"cart_value": 10}"#), Self.event("Checkout Started", #"{"cart_value": "ten"}"#)]).status == 200)
        #expect(try await Self.post(port, [Self.event("Surprise", "{}")]).status == 200)

        let all = try await Self.get(port, "/ampscope/events")
        #expect(all.status == 200)
        var d = try Self.doc(all)
        #expect(d.int64(d.member(d.root, "total")!) == 3)
        let events = Array(d.elements(d.member(d.root, "events")!))
        #expect(events.count == 3)
        #expect(d.stringValue(d.member(events[0], "event_type")!) == "Checkout Started")
        let inner = d.member(events[0], "event")!
        #expect(d.stringValue(d.member(inner, "user_id")!) == "user-00001")
        #expect(d.int64(d.member(d.member(events[0], "answer")!, "status")!) == 200)
        let rules1 = d.elements(d.member(events[1], "findings")!).map { d.stringValue(d.member($0, "rule")!) ?? "" }
        #expect(rules1.contains(RuleID.planWrongType))

        let filtered = try await Self.get(port, "/ampscope/events?filter=" + "rule=plan-wrong-type".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        d = try Self.doc(filtered)
        #expect(d.int64(d.member(d.root, "total")!) == 1, "\(filtered.text)")

        let paged = try await Self.get(port, "/ampscope/events?limit=2&offset=1")
        d = try Self.doc(paged)
        #expect(d.count(d.member(d.root, "events")!) == 2)
        #expect(d.kind(d.member(d.root, "next_offset")!) == .null)
        let page1 = try Self.doc(try await Self.get(port, "/ampscope/events?limit=1"))
        #expect(page1.int64(page1.member(page1.root, "next_offset")!) == 1)

        #expect(try await Self.get(port, "/ampscope/events?filter=%28").status == 400)
        #expect(try await Self.get(port, "/ampscope/events?limit=0").status == 400)
        #expect(try await Self.send(port, HTTPRequestBytes.make("POST", "/ampscope/events")).status == 405)
    }

    @Test("coverage and reset")
    func coverageAndReset() async throws {
        let (server, port) = try await Self.start()
        defer { Task { await server.shutdown(grace: 1) } }
        _ = try await Self.post(port, [Self.event("Checkout Started", #"{"cart_value": 10}"#), Self.event("Order Completed", "{}")])
        var d = try Self.doc(try await Self.get(port, "/ampscope/coverage"))
        #expect(d.int64(d.member(d.root, "planned")!) == 3)
        #expect(d.int64(d.member(d.root, "seen")!) == 2)
        let rows = Array(d.elements(d.member(d.root, "events")!))
        #expect(d.int64(d.member(rows[1], "invalid")!) == 1)

        let reset = try await Self.send(port, HTTPRequestBytes.make("POST", "/ampscope/reset"))
        #expect(reset.status == 200)
        #expect(reset.json("cleared_requests") == "1")
        d = try Self.doc(try await Self.get(port, "/ampscope/coverage"))
        #expect(d.int64(d.member(d.root, "seen")!) == 0)
        d = try Self.doc(try await Self.get(port, "/ampscope/events"))
        #expect(d.int64(d.member(d.root, "total")!) == 0)
        #expect(try await Self.get(port, "/ampscope/reset").status == 405)

        let (plain, plainPort) = try await Self.start(plan: false)
        defer { Task { await plain.shutdown(grace: 1) } }
        #expect(try await Self.get(plainPort, "/ampscope/coverage").status == 404)
    }

    @Test("wait: answers when the N-th matching event arrives, without holding the event loop")
    func wait() async throws {
        let (server, port) = try await Self.start()
        defer { Task { await server.shutdown(grace: 1) } }
        let filter = "type=%22Order%20Completed%22"
        async let waited = Self.get(port, "/ampscope/wait?filter=\(filter)&count=2&timeout=60", timeout: 90)
        // While the wait is open, the same single event loop keeps serving other requests.
        try await waitUntil { (try? await Self.get(port, "/ampscope/status").json("api_waiting")) == "1" }
        #expect(try await Self.get(port, "/ampscope/status").status == 200)
        _ = try await Self.post(port, [Self.event("Order Completed", #"{"order_id": "o1"}"#), Self.event("Checkout Started", #"{"cart_value": 1}"#)])
        #expect(try await Self.get(port, "/ampscope/events?filter=\(filter)").json("total") == "1")
        _ = try await Self.post(port, [Self.event("Order Completed", #"{"order_id": "o2"}"#)])
        let r = try await waited
        #expect(r.status == 200)
        #expect(r.json("complete") == "true")
        #expect(r.json("count") == "2")

        // Already there: answered at once. Never there: 408 after the timeout, with what was seen.
        #expect(try await Self.get(port, "/ampscope/wait?filter=\(filter)&count=1&timeout=60").status == 200)
        let late = try await Self.get(port, "/ampscope/wait?filter=\(filter)&count=5&timeout=0.2")
        #expect(late.status == 408)
        #expect(late.json("complete") == "false")
        #expect(late.json("count") == "2")
        #expect(try await Self.get(port, "/ampscope/wait?timeout=-1").status == 400)
    }

    @Test("token: every /ampscope/* endpoint needs it, in any of its three forms; captures do not")
    func token() async throws {
        let token = ProxyConfiguration.makeToken()
        #expect(token.count == 32)
        let (server, port) = try await Self.start(token: token)
        defer { Task { await server.shutdown(grace: 1) } }
        #expect(try await Self.post(port, [Self.event("Checkout Started", #"{"cart_value": 10}"#)]).status == 200)
        for path in ["/ampscope/status", "/ampscope/events", "/ampscope/coverage", "/ampscope/wait?timeout=0"] {
            let r = try await Self.get(port, path)
            #expect(r.status == 401, "\(path): \(r.status)")
            #expect(r.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            #expect(try await Self.get(port, path, headers: [("Authorization", "Bearer wrong")]).status == 401)
            #expect(try await Self.get(port, path, headers: [("Authorization", "Bearer \(token)")]).status != 401)
            #expect(try await Self.get(port, path, headers: [("X-Ampscope-Token", token)]).status != 401)
            let sep = path.contains("?") ? "&" : "?"
            #expect(try await Self.get(port, path + sep + "token=" + token).status != 401)
        }
        #expect(try await Self.send(port, HTTPRequestBytes.make("POST", "/ampscope/reset")).status == 401)
        #expect(try await Self.send(port, HTTPRequestBytes.make("POST", "/ampscope/log", body: Array("a line\n".utf8))).status == 401)
        #expect(try await Self.send(port, HTTPRequestBytes.make("POST", "/ampscope/reset?token=\(token)")).status == 200)
        let status = try await Self.get(port, "/ampscope/status", headers: [("X-Ampscope-Token", token)])
        #expect(status.json("token_required") == "true")
        #expect(ProxyEngine.tokenMatches(token, token))
        #expect(!ProxyEngine.tokenMatches(String(token.dropLast()), token))
    }

    @Test("the API's memory is bounded: the oldest requests are dropped and counted")
    func bounded() async throws {
        let (server, port) = try await Self.start(memory: 20_000)
        defer { Task { await server.shutdown(grace: 1) } }
        for i in 0..<40 { _ = try await Self.post(port, [Self.event("Order Completed", "{\"order_id\": \"o\(i)\"}")]) }
        let d = try Self.doc(try await Self.get(port, "/ampscope/events?limit=1000"))
        let total = d.int64(d.member(d.root, "total")!)!
        #expect(total < 40 && total > 0)
        #expect(d.int64(d.member(d.root, "dropped")!)! + total == 40)
    }
}

/// Polls a condition (no fixed sleeps): up to 60 s.
func waitUntil(_ condition: () async -> Bool) async throws {
    let deadline = Date().addingTimeInterval(60)
    while !(await condition()) {
        if Date() > deadline { Issue.record("condition not met in 60 s"); return }
        try await Task.sleep(nanoseconds: 10_000_000)
    }
}
