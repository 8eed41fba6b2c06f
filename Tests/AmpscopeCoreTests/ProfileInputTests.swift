import Foundation
import Testing
@testable import AmpscopeCore

/// `ProfileInput`, the compact form of a judged request that the profile follower queues when it
/// falls behind: folding it must give what folding the judged request gives.
@Suite("Profile input (compact fold input)")
struct ProfileInputTests {
    static let key = "0123456789abcdef0123456789abcdef"

    static func capture(_ body: String, path: String = "/2/httpapi", at t: Int64, contentType: String = "application/json") -> Capture {
        Capture(receivedAt: t, source: .proxy, path: path, headers: [HTTPHeader("Content-Type", contentType)], body: Array(body.utf8))
    }

    /// Requests that exercise what the pruning must keep: escaped keys, a duplicate key, records
    /// that are not objects, nested operations, groups, group identifies, a user map, the form
    /// endpoint, a resent insert_id, a rejected request, unknown keys beside the fields read.
    static func craftedCaptures() -> [Capture] {
        var out: [Capture] = []
        var t: Int64 = 1_795_000_000_000
        func add(_ body: String, path: String = "/2/httpapi", contentType: String = "application/json") {
            t += 1_000
            out.append(capture(body, path: path, at: t, contentType: contentType))
        }
        add(#"{"api_key":"\#(key)","events":[{"user_id":"u-alpha","device_id":"dev-one","event_type":"$identify","time":1795000000000,"insert_id":"i1","user_properties":{"$set":{"plan":"pro","tags":["a","b"],"nested":{"x":{"y":[1,2]}}},"$setOnce":{"first":"2024"},"$add":{"n":2},"$append":{"seen":"/a"}},"event_properties":{"user_id":"not this one"}}]}"#)
        // Escaped keys: `user\u005fid` is user_id to the classifier; `user_propertie\u0073` likewise.
        add(#"{"api_key":"\#(key)","events":[{"user\u005fid":"u-beta","device_id":"dev-two","event_type":"Viewed","user_propertie\u0073":{"plan":"free","$set":{"x":1}},"library":"t/1"}]}"#)
        // A duplicate user_id (the first one counts), and `$set` sent twice.
        add(#"{"api_key":"\#(key)","events":[{"user_id":"u-alpha","user_id":"u-other","device_id":"dev-one","event_type":"$identify","user_properties":{"$set":{"plan":"team"},"$set":{"plan":"free"},"$setOnce":{"first":"2025"},"$unset":{"gone":"-"}}}]}"#)
        // Records that are not objects, between real ones.
        add(#"{"api_key":"\#(key)","events":[42,{"user_id":"u-gamma","device_id":"dev-three","event_type":"Clicked","groups":{"org":"acme","team":["red","blue"]},"user_properties":{"plan":"pro"}},"text",null,[1]]}"#)
        // A group identify, then an identify that sets groups (persisted to the user).
        add(#"{"api_key":"\#(key)","events":[{"user_id":"u-gamma","event_type":"$groupidentify","groups":{"org":"acme"},"group_properties":{"$set":{"tier":"gold"}}},{"user_id":"u-gamma","event_type":"$identify","groups":{"org":"globex"},"user_properties":{"$set":{"role":"admin"}}}]}"#)
        // An anonymous device, then a user on it, then a new user on the same device.
        add(#"{"api_key":"\#(key)","events":[{"device_id":"dev-four","event_type":"Opened","user_properties":{"plan":"free"}},{"user_id":"u-delta","device_id":"dev-four","event_type":"Login"},{"user_id":"u-epsilon","device_id":"dev-four","event_type":"Login","user_id_extra":"x"}]}"#)
        // A resent insert_id (a duplicate), $clearAll.
        add(#"{"api_key":"\#(key)","events":[{"user_id":"u-iota","device_id":"dev-five","event_type":"$identify","insert_id":"dup-1","user_properties":{"$set":{"a":1}}},{"user_id":"u-iota","device_id":"dev-five","event_type":"$identify","insert_id":"dup-1","user_properties":{"$set":{"a":2}}},{"user_id":"u-alpha","event_type":"$identify","user_properties":{"$clearAll":"-"}}]}"#)
        // $skip_user_properties_sync, and a key that shares a wanted key's length and first letter.
        add(#"{"api_key":"\#(key)","events":[{"user_id":"u-beta","event_type":"Sync","$skip_user_properties_sync":true,"user_properties":{"plan":"ignored"},"user_id_":"no","usex_id":"no"}]}"#)
        // The identify endpoint (form), a group identify endpoint, a user map.
        let identification = #"[{"user_id":"u-zeta","device_id":"dev-six","user_properties":{"$set":{"plan":"pro"},"$add":{"logins":1}}}]"#
        add("api_key=\(key)&identification=" + (identification.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
            path: "/identify", contentType: "application/x-www-form-urlencoded")
        let group = #"[{"group_type":"org","group_value":"acme","group_properties":{"$set":{"size":10}}}]"#
        add("api_key=\(key)&identification=" + (group.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
            path: "/groupidentify", contentType: "application/x-www-form-urlencoded")
        let mapping = #"[{"user_id":"u-eta","global_user_id":"u-zeta"},{"user_id":"u-theta","unmap":true}]"#
        add("api_key=\(key)&mapping=" + (mapping.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
            path: "/usermap", contentType: "application/x-www-form-urlencoded")
        // A request Amplitude rejects (no api_key): its events do not reach a profile.
        add(#"{"events":[{"user_id":"u-alpha","event_type":"$identify","user_properties":{"$set":{"plan":"from-a-rejected-request"}}}]}"#)
        return out
    }

    /// Everything the UI and `ampscope profile` read of a fold, as one comparable text.
    static func describe(_ s: ProfileSimulator, captures ids: [Int64]) -> String {
        var out = ProfileReport.json(s.snapshot())
        for id in ids {
            out += "\ncapture \(id): events \(s.events(forCapture: id))"
            for f in s.findings(forCapture: id) { out += "\n  \(f.rule) \(f.severity) \(f.path) \(f.event ?? -1) \(f.message)" }
        }
        for n in 0..<s.eventCount {
            out += "\nevent \(n): user \(s.resolvedUser(forEvent: n) ?? -1)"
            for c in s.changes(forEvent: n) { out += "\n  \(c)" }
        }
        return out
    }

    static func foldBothWays(_ processed: [Processed]) throws -> (whole: String, compact: String, bodyBytes: Int, compactBytes: Int) {
        var whole = ProfileSimulator()
        var compact = ProfileSimulator()
        var ids: [Int64] = []
        var bodyBytes = 0
        var compactBytes = 0
        for (n, p) in processed.enumerated() {
            let id = Int64(n + 1)
            ids.append(id)
            whole.apply(p, captureID: id)
            guard let input = ProfileInput(p) else {
                #expect(p.request.records.isEmpty || p.request.document == nil, "only a request without records has no input")
                continue
            }
            bodyBytes += p.capture.body.count
            compactBytes += input.bytes.count
            let parsed = try #require(input.parsed(), "the kept records parse: \(String(decoding: input.bytes, as: UTF8.self))")
            #expect(parsed.records.count == p.request.records.count)
            compact.apply(parsed, captureID: id)
        }
        return (describe(whole, captures: ids), describe(compact, captures: ids), bodyBytes, compactBytes)
    }

    static func difference(_ a: String, _ b: String) -> String? {
        guard a != b else { return nil }
        let i = zip(a.utf8, b.utf8).prefix { $0 == $1 }.count
        func around(_ s: String) -> String { String(decoding: Array(s.utf8.dropFirst(max(0, i - 80)).prefix(200)), as: UTF8.self) }
        return "they part at byte \(i): …\(around(a))… against …\(around(b))…"
    }

    @Test("crafted requests: the compact input folds into the same profiles, changes and findings")
    func craftedRequests() throws {
        var ctx = ValidationContext()
        let ingest = Ingest()
        let processed = Self.craftedCaptures().map { ingest.process($0, context: &ctx, now: $0.receivedAt) }
        #expect(processed.contains { p in p.findings.contains { $0.rule == RuleID.duplicateInsertID } }, "one request resends an insert_id")
        #expect(processed.contains { !Processed.ingestedByAmplitude(capture: $0.capture, answer: $0.answer) }, "one request is rejected")
        let r = try Self.foldBothWays(processed)
        #expect(r.whole.contains("u-zeta") && r.whole.contains("tier") && r.whole.contains("set-once-no-effect"), "the fold saw what was sent")
        #expect(!r.whole.contains("from-a-rejected-request"), "the rejected request reached no profile")
        #expect(r.whole.contains("\"user_id\":\"u-iota\""), "the request with the resent insert_id was ingested")
        #expect(r.whole.contains("event 13: user 5\n  ProfileChange(event: 13, target: AmpscopeCore.ProfileTarget.user(5), property: \"a\""), "the first of the two events set `a`")
        #expect(r.whole.contains("event 14: user -1\n"), "the second, a duplicate, changed nothing")
        #expect(Self.difference(r.compact, r.whole) == nil)
    }

    @Test("the pruned records keep the members the fold may read, in order, and nothing else of the event")
    func pruning() throws {
        let body = #"{"api_key":"\#(Self.key)","events":[{"library":"x","user_id":"u","event_properties":{"user_id":"inner"},"user\u005fid":"esc","device_id":"d","user_properties":{"$set":{"a":[1,{"b":"c\"d"}]}},"time":17,"platform":"Web"},7]}"#
        var ctx = ValidationContext()
        let p = Ingest().process(Self.capture(body, at: 1), context: &ctx, now: 1)
        let input = try #require(ProfileInput(p))
        #expect(String(decoding: input.bytes, as: UTF8.self)
            == #"[{"user_id":"u","user\u005fid":"esc","device_id":"d","user_properties":{"$set":{"a":[1,{"b":"c\"d"}]}},"time":17},null]"#)
        // `platform` (same length as `user_id`'s neighbours, not read by the fold) and the
        // library are gone; a key the filter cannot rule out by length and first byte stays.
        #expect(input.parsed()?.records.count == 2)
    }

    @Test("the real SDK fixtures and demo traffic: the compact input folds into the same profiles, changes and findings, from a fraction of the body")
    func fixturesAndDemo() throws {
        var processed: [Processed] = []
        for url in CoreTest.fixtureFiles() { processed += try CoreTest.processFixture(url) }
        var demo = DemoTraffic(seed: 7, badRate: 0.2)
        var ctx = ValidationContext()
        let ingest = Ingest()
        for _ in 0..<400 {
            let c = demo.next()
            processed.append(ingest.process(c, context: &ctx, now: c.receivedAt))
        }
        let r = try Self.foldBothWays(processed)
        #expect(Self.difference(r.compact, r.whole) == nil)
        #expect(r.compactBytes * 2 < r.bodyBytes, "kept \(r.compactBytes) of \(r.bodyBytes) body bytes")
    }
}
