import AmpscopeCore
import AmpscopeStore
@testable import AmpscopeProxy
import Foundation
import Testing

@Suite struct ProxySegmentTests {
    static func call(_ type: String, _ extra: String = "") -> String {
        let name: String
        switch type {
        case "track": name = #","event":"Song Played""#
        case "page", "screen": name = #","name":"Home""#
        case "group": name = #","groupId":"g-00001""#
        case "alias": name = #","previousId":"anon-00001""#
        default: name = ""
        }
        return #"{"type":"\#(type)","userId":"user-00001","anonymousId":"anon-00001","timestamp":"2026-12-05T21:00:00.000Z""# + name + extra + "}"
    }

    @Test func everySegmentPathIsCapturedAndAnsweredLikeSegment() async throws {
        let proxy = try await ProxyFixture()
        let json = [("Content-Type", "application/json")]
        let plain = [("Content-Type", "text/plain")]
        let basic = [("Content-Type", "application/json"), ("Authorization", "Basic " + Data("wk:".utf8).base64EncodedString())]
        let key = #","writeKey":"wk""#
        var cases: [(String, [(String, String)], String)] = []
        for t in ["track", "identify", "page", "screen", "group", "alias"] {
            cases.append(("/v1/\(t)", json, Self.call(t, key)))
            cases.append(("/v1/\(t.prefix(1))", plain, Self.call(t, key)))
        }
        let batch = "{\"batch\":[" + Self.call("track") + "," + Self.call("identify") + "]}"
        cases.append(("/v1/batch", basic, batch))
        cases.append(("/v1/b", basic, batch))
        cases.append(("/v1/import", basic, batch))
        for (path, headers, body) in cases {
            let r = try await proxy.send(HTTPRequestBytes.make("POST", path, headers: headers, body: Array(body.utf8)))
            #expect(r.status == 200, "\(path): \(r.status) \(r.text)")
            #expect(r.text == #"{"success":true}"#, "\(path)")
        }
        let stored = try await proxy.captures()
        #expect(stored.count == cases.count)
        #expect(stored.allSatisfy { $0.request.endpoint == .segment })
        #expect(stored.allSatisfy { $0.request.apiKey == "wk" })
        #expect(stored.last?.request.records.count == 2)
        // The mapping of a stored capture is recomputed from it, the same as at capture time.
        let mapping = try #require(Ingest().segmentMapping(for: stored[0], settings: SegmentSettings(), now: 0))
        #expect(mapping.outcomes.first?.request.action == "Log Event V2")
        #expect(mapping.outcomes.first?.processed.answer.status == 200)
        await proxy.stop()
    }

    @Test func badJSONAndOversizedRequestsGet400AndGzipIsRead() async throws {
        let proxy = try await ProxyFixture()
        let bad = try await proxy.send(HTTPRequestBytes.make("POST", "/v1/batch", headers: [("Content-Type", "application/json")], body: Array("{\"batch\":[".utf8)))
        #expect(bad.status == 400)
        #expect(bad.text == #"{"success":false,"message":"malformed JSON","code":"invalid_request"}"#)
        let huge = "{\"writeKey\":\"wk\",\"batch\":[" + Self.call("track", ",\"properties\":{\"blob\":\"" + String(repeating: "z", count: 600_000) + "\"}") + "]}"
        let big = try await proxy.send(HTTPRequestBytes.make("POST", "/v1/batch", headers: [("Content-Type", "application/json")], body: Array(huge.utf8)))
        #expect(big.status == 400, "\(big.text)")
        let zipped = Inflate.gzip(Array(("{\"writeKey\":\"wk\",\"batch\":[" + Self.call("track") + "," + Self.call("page") + "]}").utf8))
        let z = try await proxy.send(HTTPRequestBytes.make("POST", "/v1/batch", headers: [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], body: zipped))
        #expect(z.status == 200)
        let noIDs = try await proxy.send(HTTPRequestBytes.make("POST", "/v1/t", headers: [("Content-Type", "text/plain")],
                                                                body: Array(#"{"type":"track","event":"x","writeKey":"wk"}"#.utf8)))
        #expect(noIDs.status == 200, "a silent drop is still a 200")
        let stored = try await proxy.captures()
        #expect(stored.count == 4)
        #expect(stored[2].request.records.count == 2)
        #expect(stored[3].findings.contains { $0.rule == RuleID.segmentMissingID })
        await proxy.stop()
    }

    @Test func browserPreflightWithBasicAuthIsAllowed() async throws {
        let proxy = try await ProxyFixture()
        let pre = try await proxy.send(HTTPRequestBytes.make("OPTIONS", "/v1/t", headers: [
            ("Origin", "https://shop.example"), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization,content-type"),
        ]))
        #expect(pre.status == 204)
        #expect(pre.header("Access-Control-Allow-Headers")?.contains("authorization") == true)
        #expect(pre.header("Access-Control-Allow-Origin") == "https://shop.example")
        let post = try await proxy.send(HTTPRequestBytes.make("POST", "/v1/t", headers: [
            ("Content-Type", "text/plain"), ("Origin", "https://shop.example"), ("Authorization", "Basic " + Data("wk:".utf8).base64EncodedString()),
        ], body: Array(Self.call("track").utf8)))
        #expect(post.status == 200)
        #expect(post.header("Access-Control-Allow-Origin") == "https://shop.example")
        let bare = try await proxy.send(HTTPRequestBytes.make("OPTIONS", "/v1/batch", headers: [("Origin", "https://shop.example"), ("Access-Control-Request-Method", "POST")]))
        #expect(bare.header("Access-Control-Allow-Headers")?.contains("Authorization") == true)
        await proxy.stop()
    }

    @Test func httpV1IsCapturedAndAnsweredInText() async throws {
        let proxy = try await ProxyFixture()
        let form = Payload.form([("api_key", Payload.key), ("event", Payload.event("V1"))])
        let r = try await proxy.send(HTTPRequestBytes.make("POST", "/httpapi", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(form.utf8)))
        #expect(r.status == 200)
        #expect(r.text == "success")
        let stored = try await proxy.captures()
        #expect(stored.first?.request.endpoint == .httpV1)
        #expect(stored.first?.findings.map(\.rule) == [RuleID.httpV1Deprecated])
        await proxy.stop()
    }
}
