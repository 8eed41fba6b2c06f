import Foundation
import Testing
@testable import AmpscopeCore

/// One mapper case: a Segment call, settings, and what the destination must send.
struct MapCase: Sendable, CustomTestStringConvertible {
    var name: String
    var destination: SegmentDestination
    var call: String
    var configure: @Sendable (inout SegmentSettings) -> Void = { _ in }
    /// (endpoint, action) of each mapped request, in order.
    var requests: [(Endpoint, String)] = []
    /// (request index, JSON pointer in the mapped request's view, raw JSON text or nil for absent)
    var values: [(Int, String, String?)] = []
    /// Rules that must (or must not) be found on the mapped requests.
    var rules: [String] = []
    var notRules: [String] = []
    /// Text the body of request 0 must contain.
    var bodyContains: [String] = []
    /// A part of the reason nothing was sent.
    var notSent: String?
    var testDescription: String { "\(destination.rawValue): \(name)" }
}

@Suite("Segment → Amplitude mapping, per call type, destination and setting")
struct SegmentMapperTests {
    static let t = String(SegTest.timestampMs)
    static let iPhoneUA = #""Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1""#
    static let macChromeUA = #""Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36""#
    static let order = SegTest.call("track", ["event": "\"Order Completed\"",
        "properties": #"{"orderId":"o-1","revenue":30,"products":[{"productId":"p1","price":10,"quantity":2},{"productId":"p2","price":5,"quantity":2}]}"#])

    static let actions: [MapCase] = [
        MapCase(name: "track → Log Event V2", destination: .actions,
                call: SegTest.call("track", ["properties": #"{"song":"x"}"#, "context": #"{"library":{"name":"analytics-python","version":"2.4.0"}}"#]),
                requests: [(.httpV2, "Log Event V2")],
                values: [(0, "/events/0/event_type", "\"Song Played\""), (0, "/events/0/user_id", "\"user-00001\""),
                         (0, "/events/0/device_id", "\"anon-00001\""), (0, "/events/0/time", t),
                         (0, "/events/0/event_properties", #"{"song":"x"}"#), (0, "/events/0/library", "\"analytics-python\""),
                         (0, "/events/0/use_batch_endpoint", "false"), (0, "/events/0/insert_id", nil), (0, "/options", nil),
                         (0, "/api_key", "\"\(SegmentSettings.placeholderAPIKey)\"")],
                rules: [RuleID.unknownField], notRules: [RuleID.idTooShort]),
        MapCase(name: "device_id prefers context.device.id", destination: .actions,
                call: SegTest.call("track", ["context": #"{"device":{"id":"device-77777"}}"#]),
                requests: [(.httpV2, "Log Event V2")],
                values: [(0, "/events/0/device_id", "\"device-77777\""), (0, "/events/0/idfv", "\"device-77777\""), (0, "/events/0/library", "\"segment\"")]),
        MapCase(name: "page → 'Viewed {{name}}' without a Page suffix", destination: .actions, call: SegTest.call("page"),
                requests: [(.httpV2, "Log Event V2")], values: [(0, "/events/0/event_type", "\"Viewed Home\"")]),
        MapCase(name: "screen → 'Viewed {{name}}'", destination: .actions, call: SegTest.call("screen", ["name": "\"Settings\""]),
                requests: [(.httpV2, "Log Event V2")], values: [(0, "/events/0/event_type", "\"Viewed Settings\"")]),
        MapCase(name: "page without a name → 'Viewed '", destination: .actions, call: SegTest.call("page", drop: ["name"]),
                requests: [(.httpV2, "Log Event V2")], values: [(0, "/events/0/event_type", "\"Viewed \"")]),
        MapCase(name: "use_batch_endpoint → /batch", destination: .actions, call: SegTest.call("track"),
                configure: { $0.actions.useBatchEndpoint = true },
                requests: [(.batch, "Log Event V2")], values: [(0, "/events/0/use_batch_endpoint", "true")]),
        MapCase(name: "short ids are rejected without min_id_length", destination: .actions,
                call: SegTest.call("track", ["userId": "\"abc\"", "anonymousId": "\"anon-00001\""]),
                requests: [(.httpV2, "Log Event V2")], rules: [RuleID.idTooShort]),
        MapCase(name: "min_id_length → options", destination: .actions, call: SegTest.call("track", ["userId": "\"abc\""]),
                configure: { $0.actions.minIdLength = 3 },
                requests: [(.httpV2, "Log Event V2")], values: [(0, "/options/min_id_length", "3")], notRules: [RuleID.idTooShort]),
        MapCase(name: "user_properties mapped to $.context.traits", destination: .actions,
                call: SegTest.call("track", ["context": #"{"traits":{"plan":"pro"}}"#]),
                configure: { $0.actions.userPropertiesPath = ["context", "traits"] },
                requests: [(.httpV2, "Log Event V2")], values: [(0, "/events/0/user_properties", #"{"plan":"pro"}"#)]),
        MapCase(name: "traits on track are not sent by default", destination: .actions,
                call: SegTest.call("track", ["context": #"{"traits":{"plan":"pro"}}"#]),
                requests: [(.httpV2, "Log Event V2")], values: [(0, "/events/0/user_properties", nil)]),
        MapCase(name: "referrer and UTM become $setOnce/$set beside the traits", destination: .actions,
                call: SegTest.call("track", ["traits": #"{"plan":"pro"}"#,
                                             "context": #"{"page":{"referrer":"https://news.example/"},"campaign":{"source":"news","name":"winter"}}"#]),
                requests: [(.httpV2, "Log Event V2")],
                values: [(0, "/events/0/user_properties/plan", "\"pro\""),
                         (0, "/events/0/user_properties/$setOnce/initial_referrer", "\"https://news.example/\""),
                         (0, "/events/0/user_properties/$setOnce/initial_utm_campaign", "\"winter\""),
                         (0, "/events/0/user_properties/$set/utm_source", "\"news\"")],
                rules: [RuleID.mixedUserProperties]),
        MapCase(name: "user agent parsing adds device_type", destination: .actions,
                call: SegTest.call("track", ["context": "{\"userAgent\":\(iPhoneUA)}"]),
                requests: [(.httpV2, "Log Event V2")],
                values: [(0, "/events/0/device_type", "\"mobile\""), (0, "/events/0/os_name", "\"iOS\""),
                         (0, "/events/0/os_version", "\"17\""), (0, "/events/0/device_model", "\"iPhone\""),
                         (0, "/events/0/device_manufacturer", "\"Apple\"")],
                rules: [RuleID.unknownField]),
        MapCase(name: "user agent parsing off", destination: .actions,
                call: SegTest.call("track", ["context": "{\"userAgent\":\(iPhoneUA)}"]),
                configure: { $0.actions.userAgentParsing = false; $0.actions.includeRawUserAgent = true },
                requests: [(.httpV2, "Log Event V2")],
                values: [(0, "/events/0/device_type", nil), (0, "/events/0/os_name", nil), (0, "/events/0/user_agent", iPhoneUA)]),
        MapCase(name: "session_id digit string → number", destination: .actions,
                call: SegTest.call("track", ["integrations": #"{"Actions Amplitude":{"session_id":"1733432400000"}}"#]),
                requests: [(.httpV2, "Log Event V2")], values: [(0, "/events/0/session_id", "1733432400000")], notRules: [RuleID.sessionIDNotMs]),
        MapCase(name: "session_id in seconds passes unconverted", destination: .actions,
                call: SegTest.call("track", ["integrations": #"{"Actions Amplitude":{"session_id":1733432400}}"#]),
                requests: [(.httpV2, "Log Event V2")], values: [(0, "/events/0/session_id", "1733432400")], rules: [RuleID.sessionIDNotMs]),
        MapCase(name: "platform normalised", destination: .actions, call: SegTest.call("screen", ["context": #"{"device":{"type":"ios"}}"#]),
                requests: [(.httpV2, "Log Event V2")], values: [(0, "/events/0/platform", "\"iOS\"")]),
        MapCase(name: "analytics.js without a platform → Web", destination: .actions,
                call: SegTest.call("page", ["context": #"{"library":{"name":"analytics.js","version":"next-1.70.0"}}"#]),
                requests: [(.httpV2, "Log Event V2")], values: [(0, "/events/0/platform", "\"Web\""), (0, "/events/0/library", "\"analytics.js\"")]),
        MapCase(name: "Order Completed → Log Purchase with a Product Purchased event per product", destination: .actions, call: order,
                requests: [(.httpV2, "Log Purchase")],
                values: [(0, "/events/0/event_type", "\"Order Completed\""), (0, "/events/0/revenue", "30"),
                         (0, "/events/0/revenueType", "\"Purchase\""), (0, "/events/1/event_type", "\"Product Purchased\""),
                         (0, "/events/1/revenue", nil), (0, "/events/1/event_properties/productId", "\"p1\""),
                         (0, "/events/2/event_properties/productId", "\"p2\""), (0, "/events/3", nil), (0, "/events/0/products", nil)]),
        MapCase(name: "Log Purchase with trackRevenuePerProduct", destination: .actions, call: order,
                configure: { $0.actions.trackRevenuePerProduct = true },
                requests: [(.httpV2, "Log Purchase")],
                values: [(0, "/events/0/revenue", nil), (0, "/events/1/revenue", "20"), (0, "/events/1/quantity", "2"),
                         (0, "/events/2/revenue", "10"), (0, "/events/2/productId", "\"p2\"")]),
        MapCase(name: "Log Purchase: price × quantity wins over revenue", destination: .actions,
                call: SegTest.call("track", ["event": "\"Order Completed\"", "properties": #"{"revenue":99,"price":10,"quantity":3}"#]),
                requests: [(.httpV2, "Log Purchase")],
                values: [(0, "/events/0/revenue", "30"), (0, "/events/0/price", "10"), (0, "/events/0/quantity", "3")]),
        MapCase(name: "Order Completed preset off", destination: .actions, call: order,
                configure: { $0.actions.orderCompletedPreset = false }, notSent: "Order Completed Calls preset"),
        MapCase(name: "identify → Identify User, one object and options=undefined", destination: .actions,
                call: SegTest.call("identify", ["traits": #"{"plan":"pro"}"#]),
                requests: [(.identify, "Identify User")],
                values: [(0, "/identification/user_properties", #"{"plan":"pro"}"#), (0, "/identification/library", "\"segment\""),
                         (0, "/identification/user_id", "\"user-00001\""), (0, "/options", "\"undefined\""), (0, "/identification/time", nil)],
                bodyContains: ["&options=undefined", "api_key="]),
        MapCase(name: "identify with a referrer mixes $set into the traits", destination: .actions,
                call: SegTest.call("identify", ["traits": #"{"plan":"pro"}"#, "context": #"{"page":{"referrer":"https://a.example/"}}"#]),
                requests: [(.identify, "Identify User")],
                values: [(0, "/identification/user_properties/$set/referrer", "\"https://a.example/\""),
                         (0, "/identification/user_properties/$setOnce/initial_referrer", "\"https://a.example/\""),
                         (0, "/identification/user_properties/plan", "\"pro\"")],
                rules: [RuleID.mixedUserProperties]),
        MapCase(name: "identify with min_id_length", destination: .actions, call: SegTest.call("identify"),
                configure: { $0.actions.minIdLength = 4 },
                requests: [(.identify, "Identify User")], values: [(0, "/options/min_id_length", "4")]),
        MapCase(name: "group has no preset", destination: .actions, call: SegTest.call("group"), notSent: "no preset for group calls"),
        MapCase(name: "group with a Group Identify User mapping", destination: .actions,
                call: SegTest.call("group", ["traits": #"{"name":"Acme","employees":50}"#]),
                configure: { $0.actions.groupType = SegmentValueSpec("company"); $0.actions.groupValue = SegmentValueSpec("$.groupId") },
                requests: [(.identify, "Group Identify User"), (.groupIdentify, "Group Identify User")],
                values: [(0, "/identification/0/groups", #"{"company":"g-00001"}"#), (0, "/identification/0/user_properties", #"{"company":"g-00001"}"#),
                         (0, "/identification/0/library", "\"segment\""), (0, "/identification/0/time", t),
                         (1, "/identification/0/group_properties", #"{"name":"Acme","employees":50}"#),
                         (1, "/identification/0/group_type", "\"company\""), (1, "/identification/0/group_value", "\"g-00001\"")]),
        MapCase(name: "alias has no preset", destination: .actions, call: SegTest.call("alias"), notSent: "no preset for alias calls"),
        MapCase(name: "alias with Map User", destination: .actions, call: SegTest.call("alias"),
                configure: { $0.actions.mapUser = true },
                requests: [(.usermap, "Map User")],
                values: [(0, "/mapping/0/user_id", "\"anon-00001\""), (0, "/mapping/0/global_user_id", "\"user-00001\""), (0, "/options", nil)]),
    ]

    static let classic: [MapCase] = [
        MapCase(name: "track → V1 /httpapi, one event per request", destination: .classic,
                call: SegTest.call("track", ["properties": #"{"song":"x","country":"FR"}"#]),
                requests: [(.httpV1, "classic track")],
                values: [(0, "/event/event_type", "\"Song Played\""), (0, "/event/library", "\"segment\""), (0, "/event/device_id", "\"anon-00001\""),
                         (0, "/event/user_id", "\"user-00001\""), (0, "/event/time", t), (0, "/event/event_properties", #"{"song":"x"}"#),
                         (0, "/event/user_properties", #"{"id":"user-00001"}"#)],
                rules: [RuleID.httpV1Deprecated], bodyContains: ["api_key=", "&event=%7B"]),
        MapCase(name: "device id: context.device.id first", destination: .classic,
                call: SegTest.call("track", ["context": #"{"device":{"id":"device-77777"}}"#]),
                requests: [(.httpV1, "classic track")], values: [(0, "/event/device_id", "\"device-77777\"")]),
        MapCase(name: "Prefer Anonymous ID for Device ID", destination: .classic,
                call: SegTest.call("track", ["context": #"{"device":{"id":"device-77777"}}"#]),
                configure: { $0.classic.preferAnonymousIdForDeviceId = true },
                requests: [(.httpV1, "classic track")], values: [(0, "/event/device_id", "\"anon-00001\"")]),
        MapCase(name: "locale → language and country names", destination: .classic,
                call: SegTest.call("track", ["context": #"{"locale":"en-US","location":{"city":"Boston"}}"#]),
                requests: [(.httpV1, "classic track")],
                values: [(0, "/event/language", "\"English\""), (0, "/event/country", "\"United States\""), (0, "/event/city", "\"Boston\"")]),
        MapCase(name: "analytics.js: platform Web and the user agent override", destination: .classic,
                call: SegTest.call("page", ["context": "{\"library\":{\"name\":\"analytics.js\"},\"userAgent\":\(macChromeUA)}"]),
                requests: [(.httpV1, "classic page")],
                values: [(0, "/event/platform", "\"Web\""), (0, "/event/os_name", "\"Chrome\""), (0, "/event/os_version", "\"120\""),
                         (0, "/event/device_model", "\"Mac OS\"")]),
        MapCase(name: "revenue fields leave event_properties", destination: .classic,
                call: SegTest.call("track", ["event": "\"Upgraded\"", "properties": #"{"revenue":"$19.99","price":19.99,"quantity":1,"productId":"pro","plan":"pro"}"#]),
                requests: [(.httpV1, "classic track")],
                values: [(0, "/event/revenue", "19.99"), (0, "/event/price", "19.99"), (0, "/event/quantity", "1"), (0, "/event/productId", "\"pro\""),
                         (0, "/event/event_properties", #"{"revenue":"$19.99","plan":"pro"}"#)]),
        MapCase(name: "Order Completed: total as revenue, a Product Purchased request per product", destination: .classic,
                call: SegTest.call("track", ["event": "\"Order Completed\"", "properties": #"{"total":42,"products":[{"productId":"p1","price":10}]}"#]),
                requests: [(.httpV1, "classic track"), (.httpV1, "classic track (product)")],
                values: [(0, "/event/revenue", "42"), (1, "/event/event_type", "\"Product Purchased\""), (1, "/event/revenue", nil),
                         (1, "/event/event_properties/productId", "\"p1\"")]),
        MapCase(name: "Track Revenue Per Product", destination: .classic,
                call: SegTest.call("track", ["event": "\"Order Completed\"", "properties": #"{"total":42,"products":[{"productId":"p1","price":10,"quantity":2}]}"#]),
                configure: { $0.classic.trackRevenuePerProduct = true },
                requests: [(.httpV1, "classic track"), (.httpV1, "classic track (product)")],
                values: [(0, "/event/revenue", nil), (1, "/event/revenue", "20"), (1, "/event/price", "10")]),
        MapCase(name: "named page → 'Viewed <name> Page'", destination: .classic, call: SegTest.call("page"),
                requests: [(.httpV1, "classic page")],
                values: [(0, "/event/event_type", "\"Viewed Home Page\""), (0, "/event/event_properties/name", "\"Home\"")]),
        MapCase(name: "categorised page → 'Viewed <category> <name> Page'", destination: .classic,
                call: SegTest.call("page", ["name": "\"Analytics iOS\"", "category": "\"Docs\""]),
                requests: [(.httpV1, "classic page")],
                values: [(0, "/event/event_type", "\"Viewed Docs Analytics iOS Page\""), (0, "/event/event_properties/category", "\"Docs\"")]),
        MapCase(name: "screen → 'Viewed <name> Screen'", destination: .classic, call: SegTest.call("screen", ["name": "\"Settings\""]),
                requests: [(.httpV1, "classic screen")], values: [(0, "/event/event_type", "\"Viewed Settings Screen\"")]),
        MapCase(name: "unnamed page is not sent by default", destination: .classic, call: SegTest.call("page", drop: ["name"]),
                notSent: "Track All Pages"),
        MapCase(name: "Track All Pages → 'Loaded a Page'", destination: .classic, call: SegTest.call("page", drop: ["name"]),
                configure: { $0.classic.trackAllPages = true },
                requests: [(.httpV1, "classic page")], values: [(0, "/event/event_type", "\"Loaded a Page\"")]),
        MapCase(name: "Track Named Pages off", destination: .classic, call: SegTest.call("page"),
                configure: { $0.classic.trackNamedPages = false }, notSent: "Track Named Pages"),
        MapCase(name: "identify → /identify with traits, id added, address removed", destination: .classic,
                call: SegTest.call("identify", ["traits": #"{"plan":"pro","address":{"city":"Paris"}}"#, "integrations": #"{"Amplitude":{"paying":true}}"#]),
                requests: [(.identify, "classic identify")],
                values: [(0, "/identification/user_properties", #"{"plan":"pro","id":"user-00001"}"#), (0, "/identification/paying", "true"),
                         (0, "/identification/time", nil)]),
        MapCase(name: "Traits to Increment and Set Once split the traits into operations", destination: .classic,
                call: SegTest.call("identify", ["traits": #"{"logins":1,"plan":"pro","first_seen":"2026-01-01"}"#]),
                configure: { $0.classic.traitsToIncrement = ["logins"]; $0.classic.traitsToSetOnce = ["first_seen"] },
                requests: [(.identify, "classic identify")],
                values: [(0, "/identification/user_properties/$add/logins", "1"), (0, "/identification/user_properties/$setOnce/first_seen", "\"2026-01-01\""),
                         (0, "/identification/user_properties/$set/plan", "\"pro\""), (0, "/identification/user_properties/plan", nil)],
                notRules: [RuleID.mixedUserProperties]),
        MapCase(name: "group → /identify with the legacy [Segment] Group", destination: .classic, call: SegTest.call("group"),
                requests: [(.identify, "classic group")],
                values: [(0, "/identification/groups", #"{"[Segment] Group":"g-00001"}"#),
                         (0, "/identification/user_properties", #"{"[Segment] Group":"g-00001"}"#)]),
        MapCase(name: "Group Type / Value Trait → also /groupidentify", destination: .classic,
                call: SegTest.call("group", ["traits": #"{"kind":"org","slug":"acme","size":5}"#]),
                configure: { $0.classic.groupTypeTrait = "kind"; $0.classic.groupValueTrait = "slug" },
                requests: [(.identify, "classic group"), (.groupIdentify, "classic group")],
                values: [(0, "/identification/groups", #"{"org":"acme"}"#), (1, "/identification/group_type", "\"org\""),
                         (1, "/identification/group_value", "\"acme\""), (1, "/identification/group_properties/size", "5")]),
        MapCase(name: "alias needs Enable Alias", destination: .classic, call: SegTest.call("alias"), notSent: "Enable Alias"),
        MapCase(name: "Enable Alias → /usermap", destination: .classic, call: SegTest.call("alias"),
                configure: { $0.classic.enableAlias = true },
                requests: [(.usermap, "classic alias")],
                values: [(0, "/mapping/0/user_id", "\"anon-00001\""), (0, "/mapping/0/global_user_id", "\"user-00001\"")]),
        MapCase(name: "unmap", destination: .classic,
                call: SegTest.call("alias", ["integrations": #"{"Amplitude":{"unmap":"anon-00001"}}"#]),
                configure: { $0.classic.enableAlias = true },
                requests: [(.usermap, "classic alias")],
                values: [(0, "/mapping/0/unmap", "true"), (0, "/mapping/0/global_user_id", nil)]),
        MapCase(name: "Send To Batch Endpoint → JSON /batch", destination: .classic, call: SegTest.call("track"),
                configure: { $0.classic.useBatchEndpoint = true },
                requests: [(.batch, "classic track")], values: [(0, "/events/0/event_type", "\"Song Played\"")],
                notRules: [RuleID.httpV1Deprecated]),
        MapCase(name: "session_id in seconds passes unconverted", destination: .classic,
                call: SegTest.call("track", ["integrations": #"{"Amplitude":{"session_id":1733432400}}"#]),
                requests: [(.httpV1, "classic track")], values: [(0, "/event/session_id", "1733432400")], rules: [RuleID.sessionIDNotMs]),
        MapCase(name: "short user id", destination: .classic, call: SegTest.call("track", ["userId": "\"abc\""]),
                requests: [(.httpV1, "classic track")], rules: [RuleID.idTooShort]),
    ]

    @Test("Amplitude (Actions)", arguments: actions)
    func actionsCases(_ c: MapCase) throws { try Self.run(c) }

    @Test("classic Amplitude", arguments: classic)
    func classicCases(_ c: MapCase) throws { try Self.run(c) }

    static func run(_ c: MapCase) throws {
        let p = SegTest.one(c.call) { s in
            s.destinations = [c.destination]
            c.configure(&s)
        }
        #expect(p.findings.isEmpty, "the Segment call itself is clean: \(p.findings)")
        let m = try #require(p.segmentMapping)
        let calls = m.mappings(forCall: 0)
        try #require(calls.count == 1)
        let call = calls[0]
        #expect(call.destination == c.destination)
        if let why = c.notSent {
            #expect(call.requests.isEmpty)
            #expect(call.notSent?.contains(why) == true, "\(call.notSent ?? "sent")")
            return
        }
        #expect(call.notSent == nil)
        #expect(call.requests.map { "\($0.request.endpoint.rawValue) \($0.request.action)" } == c.requests.map { "\($0.0.rawValue) \($0.1)" })
        for (i, pointer, expected) in c.values where i < call.requests.count {
            let r = call.requests[i].processed.request
            #expect(SegTest.value(r, pointer) == expected, "request \(i) \(pointer)")
        }
        let rules = Set(call.requests.flatMap { $0.findings.map(\.rule) })
        for r in c.rules { #expect(rules.contains(r), "expected \(r) in \(call.requests.flatMap(\.findings))") }
        for r in c.notRules { #expect(!rules.contains(r), "did not expect \(r): \(call.requests.flatMap(\.findings))") }
        if let first = call.requests.first {
            let body = String(decoding: first.request.capture.body, as: UTF8.self)
            for s in c.bodyContains { #expect(body.contains(s), "body \(body)") }
            // Every mapped request goes through the Amplitude decoders like a captured one.
            #expect(first.processed.request.decoder != "segment")
            #expect(first.processed.request.document != nil)
            #expect(!first.request.provenance.isEmpty)
        }
    }

    @Test("findings the destination causes name it and the setting that fixes it")
    func hints() throws {
        let ua = SegTest.call("track", ["context": "{\"userAgent\":\(Self.iPhoneUA)}", "userId": "\"abc\""])
        let p = SegTest.one(ua)
        let findings = try #require(p.segmentMapping).outcomes.flatMap(\.findings)
        #expect(findings.first { $0.rule == RuleID.idTooShort }?.message.contains("actions.min_id_length") == true)
        #expect(findings.first { $0.path.hasSuffix("/use_batch_endpoint") }?.message.contains("Log Event V2") == true)
    }

    @Test("provenance: each Amplitude field names the Segment path it came from")
    func provenance() throws {
        let p = SegTest.one(SegTest.call("track", ["context": #"{"device":{"id":"device-77777"},"ip":"10.1.2.3"}"#]))
        let r = try #require(p.segmentMapping?.outcomes.first?.request)
        func from(_ a: String) -> String?? { r.provenance.first { $0.amplitude == a }.map(\.segment) }
        #expect(from("/events/0/user_id") == .some("/batch/0/userId"))
        #expect(from("/events/0/device_id") == .some("/batch/0/context/device/id"))
        #expect(from("/events/0/ip") == .some("/batch/0/context/ip"))
        #expect(from("/events/0/time") == .some("/batch/0/timestamp"))
        #expect(from("/events/0/use_batch_endpoint") == .some(nil))
        let dropped = try #require(p.segmentMapping?.calls.first?.dropped).map(\.segment)
        #expect(dropped.contains("/batch/0/messageId"))
        #expect(dropped.contains("/batch/0/anonymousId"))  // context.device.id won
        #expect(!dropped.contains("/batch/0/userId"))
    }

    @Test("provenance after a field is set again or removed, notes under a field, and escaped tokens")
    func provenanceLog() throws {
        // Log Purchase: user_properties is removed from the base and set again with $set/$setOnce;
        // each product event sets event_type, library and event_properties over the base's.
        let order = SegTest.call("track", ["event": "\"Order Completed\"",
            "context": #"{"page":{"referrer":"https://r.example/"}}"#,
            "properties": #"{"revenue":30,"products":[{"productId":"p1","price":10,"quantity":2}]}"#])
        let p = SegTest.one(order)
        let r = try #require(p.segmentMapping?.outcomes.first?.request)
        let fields = r.provenance.map(\.amplitude)
        #expect(Set(fields).count == fields.count, "one entry per field: \(fields)")
        func entry(_ a: String) -> FieldProvenance? { r.provenance.first { $0.amplitude == a } }
        #expect(entry("/events/1/event_type")?.note == "one event per product")
        #expect(entry("/events/1/event_type")?.segment == nil)
        #expect(entry("/events/1/event_properties")?.segment == "/batch/0/properties/products/0")
        #expect(entry("/events/0/event_type")?.segment == "/batch/0/event")
        #expect(entry("/events/0/user_properties/$set/referrer")?.segment == "/batch/0/context/page/referrer")
        #expect(entry("/events/0/user_properties/$setOnce/initial_referrer")?.segment == "/batch/0/context/page/referrer")

        // Classic identify with Traits to Increment: the notes under user_properties/$add stay
        // (setting the field after them used to drop them), and a key with '/' is escaped.
        var s = SegmentSettings()
        s.destinations = [.classic]
        s.classic.traitsToIncrement = ["logins", "a/b"]
        let q = SegTest.process(SegTest.capture(SegTest.batch([SegTest.call("identify", ["traits": #"{"logins":1,"a/b":2,"plan":"pro"}"#])])), settings: s)
        let c = try #require(q.segmentMapping?.outcomes.first?.request)
        func from(_ a: String) -> String?? { c.provenance.first { $0.amplitude == a }.map(\.segment) }
        #expect(from("/identification/user_properties/$add/logins") == .some("/batch/0/traits/logins"))
        #expect(from("/identification/user_properties/$add/a~1b") == .some("/batch/0/traits/a~1b"))
        #expect(from("/identification/user_properties") == .some("/batch/0/traits"))
        // `time` is removed from a classic identification: no provenance for it.
        #expect(from("/identification/time") == nil)
    }

    @Test("values copied from the Segment call write the same bytes as their copies: escapes, non-ASCII, U+2028, DEL, duplicate keys")
    func sourceValuesWriteLikeCopies() throws {
        let text = #"{"a":"x\"y\\z\n\u0001\u007f","b":"K\u00f6pfh\u00f6rer – ü","c":"\u2028\u2029 sep","d":[1,2.50,-0.0,1e3,{"k":null}],"#
            + #""d":true,"e/f~":{"":false},"g":"\ud83d\ude00","h":"\#u{7F}raw DEL","i":"\#u{2028}raw"}"#
        let doc = try JSONDocument(parsing: text)
        func copy(_ i: Int) -> MappedValue {
            switch doc.kind(i) {
            case .string: return .string(doc.string(i))
            case .number: return .number(doc.rawText(i))
            case .true: return .bool(true)
            case .false: return .bool(false)
            case .null: return .null
            case .array: return .array(doc.elements(i).map(copy))
            case .object: return .object(doc.members(i).map { MappedMember(doc.string($0.key), copy($0.value)) })
            }
        }
        let source = MappedValue(doc, doc.root)
        #expect(source.json == copy(doc.root).json)
        #expect(source.jsonText.contains(#""h":"\u007fraw DEL""#))
        #expect(source.jsonText.contains(#""i":"\u2028raw""#))
        #expect(source == copy(doc.root))
        #expect(source["b"]?.stringValue == "Köpfhörer – ü")
        #expect(source["d"]?.elements?.count == 5)
        #expect(source["e/f~"]?[""]?.isTruthy == false)
        #expect(source["a"]?.isTruthy == true && source["a"]?.isEmptyString == false)
        #expect(source.members?.map(\.key) == ["a", "b", "c", "d", "d", "e/f~", "g", "h", "i"])
    }

    @Test("both destinations, in order; a call Segment drops goes nowhere")
    func bothAndDropped() throws {
        var s = SegmentSettings()
        s.destinations = [.actions, .classic]
        let p = SegTest.process(SegTest.capture(SegTest.batch([SegTest.call("track"), SegTest.call("track", drop: ["userId", "anonymousId"])])), settings: s)
        let m = try #require(p.segmentMapping)
        #expect(m.calls.map { "\($0.callIndex) \($0.destination.rawValue)" } == ["0 actions", "0 classic", "1 actions", "1 classic"])
        #expect(m.calls[2].requests.isEmpty)
        #expect(m.calls[2].notSent?.contains(RuleID.segmentMissingID) == true)
        #expect(m.outcomes.count == 2)
        // A request Segment refuses maps to nothing.
        let bad = SegTest.process(SegTest.capture("{\"batch\":["), settings: s)
        #expect(bad.segmentMapping?.outcomes.isEmpty ?? true)
    }

    @Test("the time sent is Segment's: timestamp, else receivedAt − (sentAt − originalTimestamp), else receivedAt")
    func time() throws {
        let sent = SegTest.call("track", ["originalTimestamp": "\"2026-12-05T20:59:00.000Z\"", "sentAt": "\"2026-12-05T21:00:00.000Z\""], drop: ["timestamp"])
        let p = SegTest.one(sent)
        let r = try #require(p.segmentMapping?.outcomes.first?.processed.request)
        #expect(SegTest.value(r, "/events/0/time") == String(CoreTest.now - 60_000))
        let none = SegTest.one(SegTest.call("track", drop: ["timestamp"]))
        #expect(SegTest.value(try #require(none.segmentMapping?.outcomes.first?.processed.request), "/events/0/time") == String(CoreTest.now))
    }

    @Test("JSON check report: a mapped array with destination, endpoint, events, answer and findings")
    func report() throws {
        var s = SegmentSettings()
        s.destinations = [.actions, .classic]
        let p = SegTest.process(SegTest.capture(SegTest.batch([SegTest.call("identify", ["traits": #"{"plan":"pro"}"#]), SegTest.call("group")])), settings: s)
        var f = JSONReport(version: "test")
        let text = f.item(p)
        let doc = try JSONDocument(parsing: text)
        let mapped = try #require(doc.member(doc.root, "mapped"))
        let items = Array(doc.elements(mapped))
        #expect(items.count == 4)  // identify → actions, classic; group → actions not sent, classic
        let first = items[0]
        #expect(doc.member(first, "destination").map { doc.string($0) } == "actions")
        #expect(doc.member(first, "endpoint").map { doc.string($0) } == "/identify")
        let events = try #require(doc.member(first, "events"))
        #expect(doc.count(events) == 1)
        #expect(doc.member(try #require(doc.member(first, "answer")), "status").flatMap { doc.int64($0) } == 200)
        #expect(doc.member(first, "findings").map { doc.kind($0) } == .array)
        #expect(items.contains { doc.member($0, "not_sent") != nil })
        var summary = CheckSummary()
        summary.add(p)
        #expect(summary.byRule[RuleID.httpV1Deprecated] == nil)  // classic identify is not V1
        var t = TextReport()
        #expect(t.item(p).contains("Identify User POST /identify"))
    }

    @Test("settings files: every key, unknown keys and wrong types are errors")
    func settingsFile() throws {
        let json = """
        {"destination":"both","api_key":"abcdefabcdefabcdefabcdefabcdefab",
         "actions":{"min_id_length":3,"use_batch_endpoint":true,"user_properties":"$.context.traits","user_agent_parsing":false,
                    "include_raw_user_agent":true,"track_revenue_per_product":true,"map_user":true,"endpoint":"europe",
                    "group_identify":{"group_type":"company","group_value":"$.groupId"},
                    "presets":{"track":true,"order_completed":false,"page":true,"screen":false,"identify":true}},
         "classic":{"track_all_pages":true,"track_named_pages":false,"track_categorized_pages":false,
                    "prefer_anonymous_id_for_device_id":true,"group_type_trait":"kind","group_value_trait":"slug","enable_alias":true,
                    "traits_to_increment":["logins"],"traits_to_set_once":["first_seen"],"traits_to_append":["tags"],
                    "traits_to_prepend":["recent"],"use_batch_endpoint":true,"track_revenue_per_product":true,"endpoint":"north_america"}}
        """
        let s = try SegmentSettings.parse(Array(json.utf8))
        #expect(s.destinations == [.actions, .classic])
        #expect(s.apiKey == "abcdefabcdefabcdefabcdefabcdefab")
        #expect(s.actions.minIdLength == 3)
        #expect(s.actions.userPropertiesPath == ["context", "traits"])
        #expect(s.actions.region == .europe)
        #expect(s.actions.groupType == .literal("company"))
        #expect(s.actions.groupValue == .path(["groupId"]))
        #expect(!s.actions.orderCompletedPreset && !s.actions.screenPreset)
        #expect(s.classic.traitsToPrepend == ["recent"])
        #expect(s.classic.preferAnonymousIdForDeviceId && s.classic.enableAlias && s.classic.useBatchEndpoint)
        for (bad, needle) in [("{\"actions\":{\"min_id_lenght\":3}}", "min_id_lenght"), ("{\"classic\":{\"enable_alias\":\"yes\"}}", "true or false"),
                              ("{\"destination\":\"segment\"}", "actions, classic or both"), ("[]", "JSON object"), ("destination: both", "not valid JSON"),
                              ("{\"actions\":{\"group_identify\":{\"group_type\":\"x\"}}}", "group_value")] {
            do {
                _ = try SegmentSettings.parse(Array(bad.utf8))
                Issue.record("\(bad) should fail")
            } catch {
                #expect(error.description.contains(needle), "\(bad): \(error.description)")
            }
        }
    }
}
