import AmpscopeTestSupport
import Foundation
import Testing
@testable import AmpscopeCore

/// A plan in ampscope's format, spelled in JSON (the YAML spelling is tested through the CLI).
enum PlanTest {
    static let planJSON = #"""
    {"ampscope_plan": 1, "name": "test",
     "events": {
       "Checkout Started": {"status": "live", "additional_properties": false, "properties": {
          "cart_value": {"type": "number", "required": true, "min": 0, "max": 1000},
          "currency": {"type": "string", "required": true, "enum": ["USD", "EUR"]},
          "item_count": {"type": "integer"},
          "coupon": {"type": "string", "regex": "^[A-Z0-9]{4,12}$"},
          "skus": {"type": "array", "items": "string"}}},
       "Order Completed": {"properties": {"order_id": {"type": "string", "required": true}}},
       "Old Thing": {"status": "deprecated"},
       "Debug Ping": {"status": "blocked"}},
     "user": {"additional_properties": false, "properties": {
        "plan": {"type": "string", "enum": ["free", "pro"]},
        "age": {"type": "integer", "min": 0, "max": 150}}},
     "groups": {"company": {"additional_properties": false, "properties": {"seats": {"type": "integer", "min": 1}}}}}
    """#

    static func plan() throws -> Plan {
        let (p, source) = try PlanImport.read(Array(planJSON.utf8))
        #expect(source == .ampscope)
        return p
    }

    static func ingest() throws -> Ingest {
        var i = Ingest()
        i.plan = PlanChecker(try plan())
        return i
    }

    static func process(_ c: Capture) throws -> Processed {
        var ctx = ValidationContext()
        return try ingest().process(c, context: &ctx, now: CoreTest.now)
    }

    static func planFindings(_ c: Capture) throws -> [Finding] {
        try process(c).findings.filter { PlanRules.isPlanRule($0.rule) }
    }

    static let goodCheckout = CoreTest.event(["event_type": #""Checkout Started""#,
                                              "event_properties": #"{"cart_value": 12.5, "currency": "EUR", "item_count": 2, "coupon": "SAVE10", "skus": ["a", "b"]}"#])

    static func fixture(_ name: String) -> [UInt8] {
        (try? [UInt8](Data(contentsOf: Repo.root.appendingPathComponent("Tests/Fixtures/plans/\(name)")))) ?? []
    }
}

@Suite("Plan rules")
struct PlanRuleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let rule: String
        let capture: Capture
        let path: String?
        var testDescription: String { rule + (path == nil ? " (quiet)" : " at " + path!) }
    }

    static func ev(_ type: String, _ props: String? = nil, extra: KeyValuePairs<String, String> = [:]) -> String {
        var members: [(String, String)] = [
            ("event_type", JSONWriter.quoted(type)), ("user_id", "\"user-12345\""), ("device_id", "\"device-12345\""),
            ("time", "1795371070308"), ("insert_id", JSONWriter.quoted(UUID().uuidString.lowercased())),
        ]
        if let props { members.append(("event_properties", props)) }
        for (k, v) in extra { members.append((k, v)) }
        return "{" + members.map { JSONWriter.quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static let cases: [Case] = [
        Case(rule: RuleID.planUnplannedEvent, capture: CoreTest.events(ev("Surprise")), path: "/events/0/event_type"),
        Case(rule: RuleID.planUnplannedEvent, capture: CoreTest.events(PlanTest.goodCheckout), path: nil),
        Case(rule: RuleID.planBlockedEvent, capture: CoreTest.events(ev("Debug Ping")), path: "/events/0/event_type"),
        Case(rule: RuleID.planBlockedEvent, capture: CoreTest.events(ev("Order Completed", #"{"order_id":"o1"}"#)), path: nil),
        Case(rule: RuleID.planDeprecatedEvent, capture: CoreTest.events(ev("Old Thing")), path: "/events/0/event_type"),
        Case(rule: RuleID.planDeprecatedEvent, capture: CoreTest.events(PlanTest.goodCheckout), path: nil),
        Case(rule: RuleID.planMissingProperty, capture: CoreTest.events(ev("Order Completed", #"{"x":1}"#)), path: "/events/0/event_properties"),
        Case(rule: RuleID.planMissingProperty, capture: CoreTest.events(ev("Order Completed")), path: "/events/0/event_properties"),
        Case(rule: RuleID.planMissingProperty, capture: CoreTest.events(ev("Order Completed", #"{"order_id":"o1"}"#)), path: nil),
        Case(rule: RuleID.planUnexpectedProperty, capture: CoreTest.events(ev("Checkout Started", #"{"cart_value":1,"currency":"USD","debug":true}"#)),
             path: "/events/0/event_properties/debug"),
        Case(rule: RuleID.planUnexpectedProperty, capture: CoreTest.events(ev("Order Completed", #"{"order_id":"o1","anything":2}"#)), path: nil),
        Case(rule: RuleID.planWrongType, capture: CoreTest.events(ev("Checkout Started", #"{"cart_value":"12","currency":"USD"}"#)),
             path: "/events/0/event_properties/cart_value"),
        Case(rule: RuleID.planWrongType, capture: CoreTest.events(ev("Checkout Started", #"{"cart_value":1,"currency":"USD","item_count":1.5}"#)),
             path: "/events/0/event_properties/item_count"),
        Case(rule: RuleID.planWrongType, capture: CoreTest.events(ev("Checkout Started", #"{"cart_value":1,"currency":"USD","skus":["a",2]}"#)),
             path: "/events/0/event_properties/skus/1"),
        Case(rule: RuleID.planWrongType, capture: CoreTest.events(PlanTest.goodCheckout), path: nil),
        Case(rule: RuleID.planNotInEnum, capture: CoreTest.events(ev("Checkout Started", #"{"cart_value":1,"currency":"usd"}"#)),
             path: "/events/0/event_properties/currency"),
        Case(rule: RuleID.planNotInEnum, capture: CoreTest.events(PlanTest.goodCheckout), path: nil),
        Case(rule: RuleID.planPatternMismatch, capture: CoreTest.events(ev("Checkout Started", #"{"cart_value":1,"currency":"USD","coupon":"save 10"}"#)),
             path: "/events/0/event_properties/coupon"),
        Case(rule: RuleID.planPatternMismatch, capture: CoreTest.events(PlanTest.goodCheckout), path: nil),
        Case(rule: RuleID.planOutOfRange, capture: CoreTest.events(ev("Checkout Started", #"{"cart_value":-1,"currency":"USD"}"#)),
             path: "/events/0/event_properties/cart_value"),
        Case(rule: RuleID.planOutOfRange, capture: CoreTest.events(ev("Checkout Started", #"{"cart_value":1000.5,"currency":"USD"}"#)),
             path: "/events/0/event_properties/cart_value"),
        Case(rule: RuleID.planOutOfRange, capture: CoreTest.events(PlanTest.goodCheckout), path: nil),
        Case(rule: RuleID.planUnexpectedUserProperty, capture: CoreTest.events(ev("$identify", extra: ["user_properties": #"{"$set":{"nickname":"x"}}"#])),
             path: "/events/0/user_properties/$set/nickname"),
        Case(rule: RuleID.planUnexpectedUserProperty, capture: CoreTest.identify(#"[{"user_id":"user-12345","user_properties":{"shoe":"42"}}]"#),
             path: "/identification/0/user_properties/shoe"),
        Case(rule: RuleID.planUnexpectedUserProperty, capture: CoreTest.events(ev("$identify", extra: ["user_properties": #"{"$set":{"plan":"pro","age":30}}"#])), path: nil),
        Case(rule: RuleID.planUserPropertyType, capture: CoreTest.events(ev("$identify", extra: ["user_properties": #"{"$set":{"age":"thirty"}}"#])),
             path: "/events/0/user_properties/$set/age"),
        Case(rule: RuleID.planUserPropertyType, capture: CoreTest.events(ev("$identify", extra: ["user_properties": #"{"$add":{"age":"1"}}"#])), path: nil),
        Case(rule: RuleID.planUserPropertyValue, capture: CoreTest.events(ev("$identify", extra: ["user_properties": #"{"$setOnce":{"plan":"gold"}}"#])),
             path: "/events/0/user_properties/$setOnce/plan"),
        Case(rule: RuleID.planUserPropertyValue, capture: CoreTest.events(ev("Order Completed", #"{"order_id":"o"}"#, extra: ["user_properties": #"{"age":200}"#])),
             path: "/events/0/user_properties/age"),
        Case(rule: RuleID.planUserPropertyValue, capture: CoreTest.events(ev("$identify", extra: ["user_properties": #"{"$set":{"plan":"free"}}"#])), path: nil),
        Case(rule: RuleID.planUnplannedGroupType, capture: CoreTest.events(ev("Order Completed", #"{"order_id":"o"}"#, extra: ["groups": #"{"team":"t1"}"#])),
             path: "/events/0/groups/team"),
        Case(rule: RuleID.planUnplannedGroupType, capture: CoreTest.events(ev("Order Completed", #"{"order_id":"o"}"#, extra: ["groups": #"{"company":"acme"}"#])), path: nil),
        Case(rule: RuleID.planUnexpectedGroupProperty,
             capture: CoreTest.events(ev("$groupidentify", extra: ["groups": #"{"company":"acme"}"#, "group_properties": #"{"$set":{"logo":"x"}}"#])),
             path: "/events/0/group_properties/$set/logo"),
        Case(rule: RuleID.planUnexpectedGroupProperty,
             capture: CoreTest.events(ev("$groupidentify", extra: ["groups": #"{"company":"acme"}"#, "group_properties": #"{"$set":{"seats":3}}"#])), path: nil),
        Case(rule: RuleID.planGroupPropertyType,
             capture: CoreTest.events(ev("$groupidentify", extra: ["groups": #"{"company":"acme"}"#, "group_properties": #"{"$set":{"seats":"3"}}"#])),
             path: "/events/0/group_properties/$set/seats"),
        Case(rule: RuleID.planGroupPropertyType,
             capture: CoreTest.events(ev("$groupidentify", extra: ["groups": #"{"company":"acme"}"#, "group_properties": #"{"$set":{"seats":3}}"#])), path: nil),
        Case(rule: RuleID.planGroupPropertyValue,
             capture: CoreTest.form([("api_key", CoreTest.apiKey), ("identification", #"[{"group_type":"company","group_value":"acme","group_properties":{"seats":0}}]"#)], path: "/groupidentify"),
             path: "/identification/0/group_properties/seats"),
        Case(rule: RuleID.planGroupPropertyValue,
             capture: CoreTest.events(ev("$groupidentify", extra: ["groups": #"{"company":"acme"}"#, "group_properties": #"{"$set":{"seats":3}}"#])), path: nil),
    ]

    @Test("each plan rule fires where it should and stays quiet otherwise", arguments: cases)
    func rule(_ c: Case) throws {
        let p = try PlanTest.process(c.capture)
        let mine = p.findings.filter { $0.rule == c.rule }
        if let path = c.path {
            #expect(mine.contains { $0.path == path }, "\(c.rule) at \(path); got \(p.findings.map { "\($0.rule) \($0.path)" })")
            let info = try #require(RuleRegistry.standard.info(c.rule))
            for f in mine {
                #expect(f.severity == info.severity)
                #expect(f.event == 0)
                #expect(!f.message.unicodeScalars.contains { Sanitize.isUnsafe($0.value) })
            }
        } else {
            #expect(mine.isEmpty, "\(mine.map(\.message))")
        }
    }

    @Test("every plan rule has a firing and a quiet case, and is registered")
    func coverage() {
        let ids = Set(PlanRules.infos.map(\.id))
        #expect(ids == Set(Self.cases.filter { $0.path != nil }.map(\.rule)))
        #expect(ids == Set(Self.cases.filter { $0.path == nil }.map(\.rule)))
        for id in ids { #expect(RuleRegistry.standard.info(id) != nil) }
    }

    @Test("plan findings never change Amplitude's emulated answer")
    func answerUnchanged() throws {
        let c = CoreTest.events(PlanRuleTests.ev("Debug Ping"), PlanRuleTests.ev("Surprise"))
        var ctx = ValidationContext()
        let without = Ingest().process(c, context: &ctx, now: CoreTest.now)
        let with = try PlanTest.process(c)
        #expect(with.answer.status == without.answer.status)
        #expect(with.answer.body == without.answer.body)
        #expect(with.findings.count > without.findings.count)
    }

    @Test("a hostile value in a name is escaped in the message")
    func hostileNames() throws {
        let f = try PlanTest.planFindings(CoreTest.events(PlanRuleTests.ev("x\u{1B}]52;c;AAAA\u{07}y")))
        #expect(f.count == 1)
        #expect(!f[0].message.unicodeScalars.contains { Sanitize.isUnsafe($0.value) })
    }
}

@Suite("Plan files")
struct PlanFileTests {
    @Test("ampscope's format round-trips through its tree")
    func roundTrip() throws {
        let p = try PlanTest.plan()
        #expect(p.events.count == 4)
        #expect(p.event(named: "Debug Ping")?.status == .blocked)
        let again = try PlanFormat.plan(from: PlanFormat.node(p))
        #expect(again == p)
    }

    @Test("mistakes in ampscope's format are named")
    func mistakes() {
        let bad: [(String, String)] = [
            (#"{"ampscope_plan":1,"events":{"A":{"status":"shipped"}}}"#, "status"),
            (#"{"ampscope_plan":1,"events":{"A":{"properties":{"x":{"type":"text"}}}}}"#, "type `text`"),
            (#"{"ampscope_plan":1,"events":{"A":{"properties":{"x":{"regex":"(a+)+$"}}}}}"#, "regex"),
            (#"{"ampscope_plan":1,"events":{"A":{"propertys":{}}}}"#, "unknown key `propertys`"),
            (#"{"ampscope_plan":2,"events":{}}"#, "version"),
            (#"{"ampscope_plan":1,"events":[1,2]}"#, "events"),
            (#"{"ampscope_plan":1,"events":{"A":{"properties":{"x":{"enum":[{"a":1}]}}}}}"#, "enum"),
            (#"{"ampscope_plan":1,"events":{"":{}}}"#, "empty"),
        ]
        for (text, needle) in bad {
            #expect(throws: PlanError.self) { try PlanImport.read(Array(text.utf8)) }
            do { _ = try PlanImport.read(Array(text.utf8)) } catch {
                #expect(error.message.contains(needle), "\(error.message) should mention \(needle)")
            }
        }
    }

    @Test("Amplitude Data CSV export: events, properties, statuses")
    func amplitudeCSV() throws {
        let (p, source) = try PlanImport.read(PlanTest.fixture("amplitude-data-events.csv"))
        #expect(source == .amplitudeCSV)
        #expect(p.events.map(\.name) == ["Checkout Started", "Order Completed", "Legacy Cart Viewed", "Debug Ping"])
        let cs = try #require(p.event(named: "Checkout Started"))
        #expect(cs.description == "Fired when the user opens the checkout, with the cart's value")
        #expect(cs.properties.properties.map(\.name) == ["cart_value", "currency", "item_count", "coupon", "sku_list"])
        let byName = Dictionary(uniqueKeysWithValues: cs.properties.properties.map { ($0.name, $0) })
        #expect(byName["cart_value"]?.required == true && byName["cart_value"]?.type == .number && byName["cart_value"]?.max == 100000)
        #expect(byName["currency"]?.enumValues == [.string("USD"), .string("EUR"), .string("GBP")])
        #expect(byName["item_count"]?.type == .integer && byName["item_count"]?.min == 1)
        #expect(byName["coupon"]?.regex == "^[A-Z0-9]{4,12}$")
        #expect(byName["sku_list"]?.type == .array && byName["sku_list"]?.itemType == .string)
        #expect(p.event(named: "Order Completed")?.status == .planned)
        #expect(p.event(named: "Legacy Cart Viewed")?.status == .deprecated)
        #expect(p.event(named: "Debug Ping")?.status == .blocked)

        let (u, _) = try PlanImport.read(PlanTest.fixture("amplitude-data-user-properties.csv"))
        #expect(u.user.properties.map(\.name) == ["plan", "age"])
        #expect(u.user.properties[0].enumValues?.count == 3)
        #expect(u.user.properties[1].type == .integer && u.user.properties[1].max == 150)
    }

    @Test("Taxonomy API JSON: events, event properties (shared too), user properties")
    func taxonomy() throws {
        let (p, source) = try PlanImport.read(PlanTest.fixture("taxonomy.json"))
        #expect(source == .taxonomy)
        #expect(p.events.map(\.name) == ["Song Played", "Old Shuffle"])
        #expect(p.event(named: "Old Shuffle")?.status == .blocked)
        let props = try #require(p.event(named: "Song Played")).properties.properties
        #expect(props.map(\.name) == ["song_id", "source", "genres", "platform_build"])
        #expect(props[0].required && props[0].regex == "^s[0-9]+$")
        #expect(props[1].enumValues == [.string("search"), .string("playlist"), .string("radio")])
        #expect(props[2].type == .array && props[2].itemType == .string)
        #expect(p.event(named: "Old Shuffle")?.properties.properties.map(\.name) == ["platform_build"])
        #expect(p.user.properties.map(\.name) == ["subscription", "email"])
    }

    @Test("Iteratively / Ampli JSON Schemas: one schema per event, identify as user properties")
    func ampli() throws {
        let (p, source) = try PlanImport.read(PlanTest.fixture("ampli-schemas.json"))
        #expect(source == .ampliSchema)
        #expect(p.events.map(\.name) == ["Todo Created", "Todo Deleted"])
        let e = try #require(p.event(named: "Todo Created"))
        #expect(!e.properties.additionalProperties)
        let byName = Dictionary(uniqueKeysWithValues: e.properties.properties.map { ($0.name, $0) })
        #expect(byName["priority"]?.type == .integer && byName["priority"]?.max == 10 && byName["priority"]?.required == true)
        #expect(byName["list"]?.type == .any && byName["list"]?.enumValues?.count == 3)
        #expect(byName["source"]?.enumValues == [.string("web")])
        #expect(byName["tags"]?.itemType == .string)
        #expect(p.user.properties.map(\.name) == ["role", "todos_created"])
        #expect(!p.user.additionalProperties)
    }

    @Test("Segment Protocols plans: Config API and Public API shapes")
    func segment() throws {
        let (c, s1) = try PlanImport.read(PlanTest.fixture("segment-config-plan.json"))
        #expect(s1 == .segmentConfig)
        #expect(c.name == "Kittens iOS")
        #expect(c.events.map(\.name) == ["Sign In Failed", "Kitten Adopted"])
        let sf = try #require(c.event(named: "Sign In Failed")).properties.properties
        #expect(sf.first { $0.name == "numAttempts" }?.required == true)
        #expect(sf.first { $0.name == "reason" }?.type == .any)
        #expect(sf.first { $0.name == "method" }?.enumValues?.count == 3)
        #expect(sf.first { $0.name == "email_domain" }?.regex == "^[a-z0-9.-]+$")
        #expect(c.user.properties.map(\.name) == ["name", "age"])
        #expect(c.groups.first?.properties.properties.first?.enumValues?.count == 2)

        let (pub, s2) = try PlanImport.read(PlanTest.fixture("segment-public-rules.json"))
        #expect(s2 == .segmentPublic)
        #expect(pub.events.map(\.name) == ["Order Completed"])
        #expect(pub.events[0].properties.properties.filter(\.required).map(\.name) == ["order_id", "total"])
        #expect(pub.user.properties.map(\.name) == ["plan"])
    }

    @Test("Avo JSON Schema export: system properties left out")
    func avo() throws {
        let (p, source) = try PlanImport.read(PlanTest.fixture("avo-export.json"))
        #expect(source == .avo)
        #expect(p.events.map(\.name) == ["Playlist Created", "Playlist Shared"])
        let props = p.events[0].properties.properties
        #expect(props.map(\.name) == ["playlist_name", "track_count", "visibility"])
        #expect(props[1].type == .integer && props[1].required)
    }

    @Test("hostile plan files fail with a sentence, not a crash")
    func hostile() {
        var deep = String(repeating: "[", count: 100_000)
        deep += String(repeating: "]", count: 100_000)
        let inputs: [[UInt8]] = [
            [],
            [0xFF, 0xFE, 0x00, 0x41],
            Array("{\"ampscope_plan\": 1, \"events\": ".utf8),
            Array(deep.utf8),
            Array("Action,Object Type,Object Name,Event Property Name\n,Event,\"unterminated\n".utf8),
            Array("Action,Object Type,Object Name,Event Property Name\n,,,orphan_property\n".utf8),
            Array("{\"rules\": {\"events\": [{\"description\": \"no name\"}]}}".utf8),
            Array("{\"success\": false, \"errors\": [{\"message\": \"Not found\"}]}".utf8),
            Array("[{\"$schema\": \"x\", \"title\": \"\", \"properties\": 3}]".utf8),
            Array("{\"hello\": \"world\"}".utf8),
            Array((String(repeating: "a", count: 5000) + ",b\n").utf8),
        ]
        for input in inputs {
            do {
                _ = try PlanImport.read(input)
                Issue.record("accepted hostile input \(String(decoding: input.prefix(60), as: UTF8.self))")
            } catch {
                #expect(!error.message.isEmpty)
                #expect(!error.message.unicodeScalars.contains { Sanitize.isUnsafe($0.value) })
            }
        }
        // An unsafe pattern in an imported schema is dropped, the rest kept.
        let schema = #"[{"$schema":"x","title":"E","type":"object","properties":{"p":{"type":"string","pattern":"(a+)+b"}}}]"#
        let p = try? PlanImport.read(Array(schema.utf8)).0
        #expect(p?.events.first?.properties.properties.first?.regex == nil)
        #expect(p?.events.first?.properties.properties.first?.type == .string)
    }
}

@Suite("Plan coverage and inference")
struct PlanCoverageTests {
    @Test("coverage counts seen and valid instances, never-seen properties and unplanned events")
    func coverage() throws {
        let ingest = try PlanTest.ingest()
        var cov = PlanCoverage(ingest.plan!)
        var ctx = ValidationContext()
        let bad = PlanRuleTests.ev("Checkout Started", #"{"cart_value":"x","currency":"USD"}"#)
        for c in [CoreTest.events(PlanTest.goodCheckout, bad), CoreTest.events(PlanRuleTests.ev("Surprise"), PlanRuleTests.ev("Surprise"))] {
            cov.add(ingest.process(c, context: &ctx, now: CoreTest.now))
        }
        let row = try #require(cov.rows.first { $0.name == "Checkout Started" })
        #expect(row.seen == 2 && row.valid == 1 && row.invalid == 1)
        #expect(row.neverSeenProperties.isEmpty)
        #expect(cov.unplanned == [PlanCoverage.Unplanned(name: "Surprise", seen: 2, lastSeen: CoreTest.now)])
        #expect(cov.expected.count == 2)  // live/planned only
        #expect(cov.ratio == 0.5)
        #expect(cov.neverSeen == ["Order Completed"])
        let junit = cov.junit(requireAll: true)
        #expect(junit.tests == 4 && junit.failures == 2)
        #expect(cov.junit(requireAll: false).failures == 1)
        var w = JSONWriter()
        cov.writeJSON(&w)
        let doc = try JSONDocument(parsing: w.bytes)
        #expect(doc.int64(doc.member(doc.root, "seen")!) == 1)
    }

    @Test("a plan inferred from the real-SDK fixtures accepts those fixtures: no plan findings")
    func inferFromFixtures() throws {
        var inference = PlanInference()
        var processed: [Processed] = []
        var ctx = ValidationContext()
        let ingest = Ingest()
        for sdk in ["python-sdk", "typescript-node"] {
            for file in Repo.fixtureFiles(sdk) {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                for (n, line) in text.split(separator: "\n").enumerated() {
                    guard case .success(let c?) = CaptureLine.parse(Array(line.utf8), name: file, line: n + 1) else { continue }
                    let p = ingest.process(c, context: &ctx, now: CoreTest.now)
                    processed.append(p)
                    inference.add(p)
                }
            }
        }
        #expect(processed.count >= 60)
        let plan = inference.plan()
        #expect(plan.events.count >= 5)
        #expect(plan.events.contains { $0.properties.properties.contains { $0.required } })
        // Through the tree and back, as `plan infer` writes it.
        let checker = PlanChecker(try PlanFormat.plan(from: PlanFormat.node(plan)))
        var total = 0
        for p in processed {
            let f = checker.check(p.request)
            total += f.count
            #expect(f.isEmpty, "\(p.capture.source.location): \(f.map { "\($0.rule) \($0.path) \($0.message)" })")
        }
        #expect(total == 0)
    }
}
