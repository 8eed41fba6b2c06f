import Foundation
import Testing
@testable import AmpscopeCore

/// Builders shared by the profile tests.
enum ProfileTest {
    static func event(_ type: String = "Page Viewed", user: String? = "user-12345", device: String? = "device-12345",
                      _ members: String = "") -> String {
        var parts = ["\"event_type\":" + JSONWriter.quoted(type), "\"insert_id\":\"" + UUID().uuidString.lowercased() + "\""]
        if let user { parts.append("\"user_id\":" + JSONWriter.quoted(user)) }
        if let device { parts.append("\"device_id\":" + JSONWriter.quoted(device)) }
        if !members.isEmpty { parts.append(members) }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func identify(_ userProperties: String, user: String? = "user-12345", device: String? = "device-12345", _ more: String = "") -> String {
        event("$identify", user: user, device: device, "\"user_properties\":" + userProperties + (more.isEmpty ? "" : "," + more))
    }

    /// One request per element (each a list of events), judged in order and folded.
    static func simulate(_ requests: [[String]], options: ProfileOptions = ProfileOptions()) -> ProfileSimulator {
        simulate(requests.map { CoreTest.json(CoreTest.body($0)) }, options: options)
    }

    static func simulate(_ captures: [Capture], options: ProfileOptions = ProfileOptions()) -> ProfileSimulator {
        var ctx = ValidationContext()
        let ingest = Ingest()
        var sim = ProfileSimulator(options: options)
        for (n, c) in captures.enumerated() {
            sim.apply(ingest.process(c, context: &ctx, now: CoreTest.now), captureID: Int64(n + 1))
        }
        return sim
    }

    /// Folds a capture decoded but not validated (accepted as is): the simulator alone, for hostile sizes.
    static func simulateUnvalidated(_ c: Capture) -> ProfileSimulator {
        let ingest = Ingest()
        var sim = ProfileSimulator()
        let p = Processed(capture: c, request: ingest.decode(c), findings: [],
                          answer: EmulatedAnswer(status: 200, contentType: AnswerEmulator.jsonType, body: []))
        sim.apply(p, captureID: 1)
        return sim
    }

    /// Properties as name → compact JSON text.
    static func text(_ props: [(name: String, value: ProfileValue)]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: props.map { ($0.name, $0.value.jsonText) })
    }

    static func user(_ sim: ProfileSimulator, _ id: String = "user-12345") throws -> Int {
        try #require(sim.userIndex(userID: id), "no user \(id)")
    }
}

@Suite("Profile simulator")
struct ProfileSimulatorTests {
    typealias T = ProfileTest

    // MARK: Order (§A1 "Order within one payload")

    @Test("operations apply in Amplitude's order, not payload order: $unset runs before $set (TS 'should apply by order')")
    func order() throws {
        let sim = T.simulate([
            [T.identify("{\"$set\":{\"key1\":\"old\",\"key3\":\"x\"}}")],
            [T.identify("{\"$clearAll\":\"-\",\"$set\":{\"key1\":\"value1\",\"key2\":\"value2\"},\"$unset\":{\"key1\":\"-\"}}")],
        ])
        let u = try T.user(sim)
        #expect(T.text(sim.properties(ofUser: u)) == ["key1": "\"value1\"", "key2": "\"value2\""])
        let changes = sim.changes(forEvent: 1).map { "\($0.operation) \($0.property) \($0.kind)" }
        #expect(changes == ["$clearAll key1 removed", "$clearAll key3 removed", "$unset key1 no-effect",
                            "$set key1 added", "$set key2 added"])
    }

    @Test("a list grown by $append and $postInsert is stored as the items each change added, and reads back whole at every event, past checkpoints and resets")
    func suffixChains() throws {
        // 60 identifies: appends (one item, two items, onto a scalar after a $set of one), a
        // $postInsert of a present and a new item, a $remove and a $set that restart the chain.
        var requests: [[String]] = []
        var expected: [ProfileValue?] = []
        var model: ProfileValue? = nil
        for n in 0..<60 {
            let ops: [(ProfileOperation, String, ProfileValue)]
            switch n {
            case 20: ops = [(.set, "{\"$set\":{\"visited\":\"home\"}}", .string("home"))]
            case 30: ops = [(.remove, "{\"$remove\":{\"visited\":\"p-25\"}}", .string("p-25"))]
            case 40: ops = [(.postInsert, "{\"$postInsert\":{\"visited\":[\"p-35\",\"new-\(n)\"]}}", .array([.string("p-35"), .string("new-\(n)")]))]
            case _ where n % 7 == 3:
                ops = [(.append, "{\"$append\":{\"visited\":[\"p-\(n)\",\"q-\(n)\"]}}", .array([.string("p-\(n)"), .string("q-\(n)")]))]
            default: ops = [(.append, "{\"$append\":{\"visited\":\"p-\(n)\"}}", .string("p-\(n)"))]
            }
            for (op, _, sent) in ops {
                if case .value(let v) = PropertyOperations.apply(op, stored: model, sent: sent) { model = v }
            }
            requests.append([T.identify(ops[0].1), T.event()])
            expected.append(model)
        }
        let sim = T.simulate(requests)
        for n in 0..<60 {
            // The event after each identify carries the list as it stood then.
            let props = Dictionary(uniqueKeysWithValues: sim.properties(atEvent: 2 * n + 1).map { ($0.name, $0.value) })
            #expect(props["visited"] == expected[n], "after identify \(n)")
            let change = try #require(sim.changes(forEvent: 2 * n).first)
            #expect(change.after == expected[n], "change of identify \(n)")
            #expect(change.before == (n == 0 ? nil : expected[n - 1]), "before of identify \(n)")
        }
        let history = sim.history(ofProperty: "visited", user: try T.user(sim))
        #expect(history.count == 60 && history.last?.after == expected[59])
        // Stored as suffixes: most changes hold one or two items, not the list.
        let suffixes = (0..<sim.changes.count).filter { sim.changes[$0].flags & ChangeRecord.suffixFlag != 0 }
        #expect(suffixes.count >= 45)
        #expect(suffixes.allSatisfy { (sim.changes[$0].value?.listItems.count ?? 0) <= 2 })
        #expect(sim.changes.chainLength(Int32(sim.changes.count - 1)) < ChangeLog.checkpointInterval)
    }

    @Test("$setOnce and $unset on a list grown by $append (suffix changes) decide without reading it; their changes still give the whole list")
    func setOnceUnsetOnSuffixList() throws {
        var requests: [[String]] = []
        for n in 0..<5 { requests.append([T.identify("{\"$append\":{\"visited\":\"/p/\(n)\"}}")]) }
        requests.append([T.identify("{\"$setOnce\":{\"visited\":[\"x\"]}}")])
        requests.append([T.identify("{\"$unset\":{\"visited\":\"-\"}}")])
        requests.append([T.event()])
        let sim = T.simulate(requests)
        // The list is a chain: a whole first change, then four that hold one item each.
        #expect((0..<sim.changes.count).filter { sim.changes[$0].flags & ChangeRecord.suffixFlag != 0 }.count == 4)
        let whole = ProfileValue.array((0..<5).map { .string("/p/\($0)") })
        let once = try #require(sim.changes(forEvent: 5).first)
        #expect(once.operation == .setOnce && once.kind == .noEffect && once.reason == .alreadySet)
        #expect(once.before == whole && once.after == whole && once.sent == .array([.string("x")]))
        let unset = try #require(sim.changes(forEvent: 6).first)
        #expect(unset.operation == .unset && unset.kind == .removed && unset.before == whole && unset.after == nil)
        #expect(sim.properties(atEvent: 6).first { $0.name == "visited" }?.value == whole, "identify-only: applies from the next event")
        #expect(sim.properties(atEvent: 7).first { $0.name == "visited" } == nil)
        #expect(sim.properties(ofUser: try T.user(sim)).isEmpty)
    }

    @Test("one property under $set and $setOnce: $set wins, and the $setOnce is marked as the operation the SDKs would have dropped (§A1 derived, wire §2.5)")
    func sameKeyTwoOps() throws {
        let sim = T.simulate([[T.identify("{\"$setOnce\":{\"plan\":\"free\"},\"$set\":{\"plan\":\"pro\"}}")]])
        let u = try T.user(sim)
        #expect(T.text(sim.properties(ofUser: u)) == ["plan": "\"pro\""])
        let c = sim.changes(forEvent: 0)
        #expect(c.count == 2)
        #expect(c[0].operation == .set && c[0].kind == .added && !c[0].repeatedInPayload)
        #expect(c[1].operation == .setOnce && c[1].kind == .noEffect && c[1].reason == .alreadySet && c[1].repeatedInPayload)
    }

    @Test("plain keys beside operations are merged after them (wire §2.4, UNCONFIRMED); unknown $ keys are dropped")
    func mixedAndUnknown() throws {
        let sim = T.simulate([[T.identify("{\"$set\":{\"plan\":\"pro\"},\"plan\":\"max\",\"$setAlways\":{\"x\":1}}")]])
        #expect(T.text(sim.properties(ofUser: try T.user(sim))) == ["plan": "\"max\""])
    }

    // MARK: Timing (§A2)

    @Test("identify-only updates apply from the user's next event; properties sent on an event apply to it (§A2)")
    func timing() throws {
        let sim = T.simulate([
            [T.identify("{\"$set\":{\"plan\":\"pro\"}}")],
            [T.event("Page Viewed", "\"user_properties\":{\"color\":\"red\"}")],
            [T.identify("{\"$set\":{\"plan\":\"max\"}}")],
            [T.event("Checkout")],
        ])
        #expect(T.text(sim.properties(atEvent: 0)).isEmpty, "an identify is not reflected on itself")
        #expect(T.text(sim.properties(atEvent: 1)) == ["plan": "\"pro\"", "color": "\"red\""], "the event's own properties apply to it")
        #expect(T.text(sim.properties(atEvent: 2)) == ["plan": "\"pro\"", "color": "\"red\""], "updates are not retroactive")
        #expect(T.text(sim.properties(atEvent: 3)) == ["plan": "\"max\"", "color": "\"red\""])
        #expect(sim.event(0)?.ownChangesApply == false)
        #expect(sim.event(1)?.ownChangesApply == true)
        let history = sim.history(ofProperty: "plan", user: try T.user(sim))
        #expect(history.map(\.event) == [0, 2])
        #expect(history[1].before == .string("pro") && history[1].after == .string("max"))
    }

    @Test("$skip_user_properties_sync: the event's user properties are not synced (§A2, effect UNCONFIRMED)")
    func skipSync() throws {
        let sim = T.simulate([[T.event("Page Viewed", "\"user_properties\":{\"color\":\"red\"},\"$skip_user_properties_sync\":true")]])
        #expect(sim.properties(ofUser: try T.user(sim)).isEmpty)
    }

    // MARK: Identity (§A3)

    @Test("anonymous events then a user_id on the same device: one user, the anonymous events included (§A3.2)")
    func anonymousThenLogin() throws {
        let sim = T.simulate([
            [T.event("Opened", user: nil, device: "device-G0001", "\"user_properties\":{\"utm\":\"ad\"}")],
            [T.event("Signed In", user: "john-00001", device: "device-G0001")],
        ])
        #expect(sim.resolvedUsers.count == 1)
        let u = sim.user(try T.user(sim, "john-00001"))
        #expect(u.eventCount == 2)
        #expect(u.links.map(\.kind) == [.anonymousDevice, .loggedIn])
        #expect(T.text(sim.properties(ofUser: u.index)) == ["utm": "\"ad\""])
    }

    @Test("an anonymous device user then a known user_id: merged into the known user, its properties carried over (§A3.5)")
    func mergeAnonymous() throws {
        let sim = T.simulate([
            [T.identify("{\"$set\":{\"plan\":\"pro\"}}", user: "david-0001", device: "device-A0001")],
            [T.event("Opened", user: nil, device: "device-Z0001", "\"user_properties\":{\"utm\":\"ad\"}")],
            [T.event("Signed In", user: "david-0001", device: "device-Z0001")],
        ])
        #expect(sim.resolvedUsers.count == 1)
        let d = sim.user(try T.user(sim, "david-0001"))
        #expect(d.deviceIDs == ["device-A0001", "device-Z0001"])
        #expect(d.mergedUsers == [1])
        #expect(d.eventCount == 3)
        #expect(d.links.last?.kind == .merged)
        #expect(T.text(sim.properties(ofUser: d.index)) == ["plan": "\"pro\"", "utm": "\"ad\""])
        #expect(sim.changes(forEvent: 2).map(\.operation) == [.merge])
        #expect(sim.user(1).mergedInto == d.index)
        #expect(sim.userIndex(deviceID: "device-Z0001") == d.index)
        #expect(T.text(sim.properties(atEvent: 1)) == ["utm": "\"ad\""], "the anonymous event keeps its own snapshot")
    }

    @Test("a copy of the simulator keeps its users as they were while the original goes on (the out-of-line device, link and group box is copied before a write)")
    func copiesAreValues() throws {
        var ctx = ValidationContext()
        let ingest = Ingest()
        var sim = ProfileSimulator()
        let first = [T.identify("{\"$set\":{\"plan\":\"pro\"}}", user: "ann-0001", device: "device-A0001", "\"groups\":{\"org\":\"acme\"}"),
                     T.event("Opened", user: "ann-0001", device: "device-B0001")]
        sim.apply(ingest.process(CoreTest.json(CoreTest.body(first)), context: &ctx, now: CoreTest.now), captureID: 1)
        let copy = sim
        let before = copy.user(try T.user(copy, "ann-0001"))
        let more = [T.event("Opened", user: "ann-0001", device: "device-C0001"),
                    T.identify("{\"$append\":{\"seen\":\"x\"}}", user: "ann-0001", device: "device-C0001", "\"groups\":{\"org\":\"beta\",\"team\":\"red\"}")]
        sim.apply(ingest.process(CoreTest.json(CoreTest.body(more)), context: &ctx, now: CoreTest.now), captureID: 2)
        let after = sim.user(try T.user(sim, "ann-0001"))
        #expect(after.deviceIDs == ["device-A0001", "device-B0001", "device-C0001"] && after.links.count == 3)
        #expect(after.groups.map(\.type) == ["org", "team"] && after.groups.first?.values == ["beta"])
        #expect(copy.user(before.index) == before)
        #expect(before.deviceIDs == ["device-A0001", "device-B0001"] && before.groups.map(\.values) == [["acme"]])
        #expect(copy.eventCount == 2 && T.text(copy.properties(ofUser: before.index)).keys.sorted() == ["org", "plan"])
    }

    @Test("a different user_id on a device is a new user and is reported; an anonymous event goes to the last known user; user ids never merge (§A3.4)")
    func newUserOnDevice() throws {
        let sim = T.simulate([
            [T.event("Signed In", user: "jane-00001", device: "device-S0001")],
            [T.event("Signed In", user: "mary-00001", device: "device-S0001")],
            [T.event("Opened", user: nil, device: "device-S0001")],
            [T.event("Signed In", user: "jane-00001", device: "device-S0001")],
        ])
        #expect(sim.resolvedUsers.count == 2)
        let mary = try T.user(sim, "mary-00001")
        let jane = try T.user(sim, "jane-00001")
        #expect(mary != jane)
        #expect(sim.resolvedUser(forEvent: 2) == mary)
        #expect(sim.resolvedUser(forEvent: 3) == jane)
        #expect(sim.user(mary).links.map(\.kind) == [.newUserOnDevice])
        #expect(sim.user(mary).links.first?.other == "jane-00001")
        let f = sim.findings(forCapture: 2)
        expectFinding(f, RuleID.userIDChangedOnDevice, at: "/events/0/user_id", event: 0, severity: .warning)
        #expect(sim.findings(forCapture: 4).isEmpty, "returning to a known user is not a new user")
        #expect(sim.user(mary).findingCount == 1)
    }

    @Test("/usermap maps a user to a global user without merging properties (§A3 /usermap)")
    func usermap() throws {
        let sim = T.simulate([
            CoreTest.json(CoreTest.body([T.identify("{\"$set\":{\"plan\":\"pro\"}}", user: "jane-00001")])),
            CoreTest.usermap("[{\"user_id\":\"jane-00001\",\"global_user_id\":\"global-001\"}]"),
        ])
        let u = sim.user(try T.user(sim, "jane-00001"))
        #expect(u.globalUserID == "global-001")
        #expect(u.links.map(\.kind) == [.newUser, .mapped])
        #expect(T.text(sim.properties(ofUser: u.index)) == ["plan": "\"pro\""])
    }

    // MARK: Requests Amplitude did not ingest

    @Test("a rejected request and a duplicate insert_id change nothing")
    func notIngested() throws {
        let dup = T.event("Page Viewed", "\"user_properties\":{\"color\":\"red\"}")
        let sim = T.simulate([
            [T.event("Page Viewed", user: "abc", device: nil, "\"user_properties\":{\"x\":1}")],  // id-too-short → 400
            [dup],
            [dup.replacingOccurrences(of: "red", with: "blue")],
        ])
        #expect(sim.event(0)?.status == .notIngested)
        #expect(sim.event(1)?.status == .applied)
        #expect(sim.event(2)?.status == .duplicate)
        #expect(sim.userIndex(userID: "abc") == nil)
        #expect(T.text(sim.properties(ofUser: try T.user(sim))) == ["color": "\"red\""])
    }

    @Test("stopAfterEvent applies only the first N events (ampscope profile --at N)")
    func stopAfter() throws {
        let requests = [[T.identify("{\"$set\":{\"a\":1}}"), T.identify("{\"$set\":{\"b\":2}}")], [T.identify("{\"$set\":{\"c\":3}}")]]
        let sim = T.simulate(requests, options: ProfileOptions(stopAfterEvent: 1))
        #expect(sim.eventCount == 3)
        #expect(T.text(sim.properties(ofUser: try T.user(sim))) == ["a": "1"])
        #expect(sim.event(1)?.status == .beyondLimit)
    }

    // MARK: Groups (§A2)

    @Test("$groupidentify updates the groups it names, not the user; updates affect only later events (§A2, wire §2.2)")
    func groupIdentify() throws {
        let gi = T.event("$groupidentify", "\"groups\":{\"org\":\"acme\"},\"group_properties\":{\"$set\":{\"tier\":\"gold\"},\"$add\":{\"seats\":5}}")
        let sim = T.simulate([[gi], [T.event("Checkout", "\"groups\":{\"org\":\"acme\"}")]])
        let g = try #require(sim.groupIndex(type: "org", value: "acme"))
        #expect(T.text(sim.properties(ofGroup: g)) == ["tier": "\"gold\"", "seats": "5"])
        #expect(sim.properties(ofUser: try T.user(sim)).isEmpty)
        #expect(T.text(sim.properties(ofGroup: g, atEvent: 0)).isEmpty)
        #expect(T.text(sim.properties(ofGroup: g, atEvent: 1)) == ["tier": "\"gold\"", "seats": "5"])
        #expect(sim.groups(forEvent: 1) == [g])
        #expect(sim.groupProfile(g).events == [0, 1])
        #expect(sim.user(try T.user(sim)).groups.isEmpty, "event-level groups do not persist")
    }

    @Test("/groupidentify identifications update group_type:group_value (wire §2.2)")
    func groupIdentifyEndpoint() throws {
        let c = CoreTest.identify("[{\"group_type\":\"org\",\"group_value\":\"acme\",\"group_properties\":{\"$set\":{\"plan\":\"ent\"},\"$append\":{\"tags\":\"b2b\"}}}]",
                                  path: "/groupidentify")
        let sim = T.simulate([c])
        let g = try #require(sim.groupIndex(type: "org", value: "acme"))
        #expect(T.text(sim.properties(ofGroup: g)) == ["plan": "\"ent\"", "tags": "[\"b2b\"]"])
        #expect(sim.resolvedUsers.isEmpty)
    }

    @Test("setGroup ($identify with groups and $set) persists the membership as a user property; event-level groups do not (§A2)")
    func setGroup() throws {
        let sim = T.simulate([
            [T.identify("{\"$set\":{\"org\":[\"acme\",\"beta\"]}}", "\"groups\":{\"org\":[\"acme\",\"beta\"]}")],
            [T.event("Checkout", "\"groups\":{\"team\":\"red\"}")],
            [T.identify("{\"$set\":{\"plan\":\"pro\"}}", "\"groups\":{\"region\":\"eu\"}")],
        ])
        let u = sim.user(try T.user(sim))
        #expect(u.groups.map(\.type) == ["org", "region"])
        #expect(u.groups.first?.values == ["acme", "beta"])
        #expect(T.text(sim.properties(ofUser: u.index)) == ["org": "[\"acme\",\"beta\"]", "plan": "\"pro\"", "region": "\"eu\""])
        #expect(sim.changes(forEvent: 0).map(\.operation) == [.set], "the $set already wrote the same value")
        #expect(sim.changes(forEvent: 2).map(\.operation) == [.set, .group])
        #expect(sim.groupIndex(type: "team", value: "red") != nil)
    }

    // MARK: Rules

    @Test("set-once-no-effect: $setOnce of another value on a set property; the same value is not reported")
    func setOnceRule() throws {
        let sim = T.simulate([
            [T.identify("{\"$set\":{\"first_seen\":\"2023-01-01\"}}")],
            [T.identify("{\"$setOnce\":{\"first_seen\":\"2024-01-01\"}}")],
            [T.identify("{\"$setOnce\":{\"first_seen\":\"2023-01-01\"}}")],
        ])
        expectFinding(sim.findings(forCapture: 2), RuleID.setOnceNoEffect, at: "/events/0/user_properties/$setOnce/first_seen", event: 0, severity: .info)
        #expect(sim.findings(forCapture: 3).isEmpty)
        #expect(sim.changes(forEvent: 2).first?.reason == .alreadySet)
    }

    @Test("set-once-no-effect is not reported for the first-touch attribution the SDKs and Segment send with $setOnce by design")
    func setOnceRuleSkipsAttribution() throws {
        let first = "{\"$setOnce\":{\"initial_referrer\":\"https://a.example/\",\"initial_utm_source\":\"newsletter\",\"first_seen\":\"2023-01-01\"}}"
        let later = "{\"$setOnce\":{\"initial_referrer\":\"https://b.example/\",\"initial_utm_source\":\"ads\",\"first_seen\":\"2024-01-01\"}}"
        let sim = T.simulate([[T.identify(first)], [T.identify(later)]])
        // All three are no-ops; only the one a developer chose to send is reported.
        #expect(sim.changes(forEvent: 1).map(\.reason) == [.alreadySet, .alreadySet, .alreadySet])
        let findings = sim.findings(forCapture: 2)
        #expect(findings.map(\.rule) == [RuleID.setOnceNoEffect])
        #expect(findings.first?.path == "/events/0/user_properties/$setOnce/first_seen")
        #expect(T.text(sim.properties(ofUser: try T.user(sim)))["initial_referrer"] == "\"https://a.example/\"")
        // The names the SDKs and Segment's destinations send (Docs/facts/amplitude-wire.md §3, §7).
        #expect(["initial_referring_domain", "initial_utm_content", "initial_utm_id", "initial_gclid", "initial_fbclid",
                 "initial_msclkid", "initial_wbraid"].allSatisfy(AttributionNames.firstTouch.contains))
        #expect(AttributionNames.firstTouch.count == 20 && !AttributionNames.firstTouch.contains("first_seen"))
        #expect(AttributionNames.firstTouch.isSuperset(of: ["initial_rdt_cid", "initial_rtd_cid"]), "Reddit's click id, both spellings")
    }

    @Test("add-onto-non-number: $add onto a string changes nothing")
    func addRule() throws {
        let sim = T.simulate([[T.identify("{\"$set\":{\"plan\":\"pro\"}}")], [T.identify("{\"$add\":{\"plan\":1}}")]])
        expectFinding(sim.findings(forCapture: 2), RuleID.addOntoNonNumber, at: "/events/0/user_properties/$add/plan", event: 0, severity: .warning)
        #expect(T.text(sim.properties(ofUser: try T.user(sim))) == ["plan": "\"pro\""])
    }

    @Test("identify-throttled: the 1 801st update in an hour is dropped and reported once; an hour later updates apply again (§A4)")
    func throttle() throws {
        var events: [String] = []
        for n in 0..<1802 { events.append(T.identify("{\"$set\":{\"n\":\(n)}}", "\"time\":\(1_795_371_000_000 + Int64(n))")) }
        let later = T.identify("{\"$set\":{\"n\":-1}}", "\"time\":\(1_795_371_000_000 + 3_600_000 + 5)")
        let sim = T.simulate([events, [later]])
        let f = sim.findings(forCapture: 1)
        #expect(f.count == 1)
        expectFinding(f, RuleID.identifyThrottled, at: "/events/1800/user_properties", event: 1800, severity: .error)
        #expect(sim.changes(forEvent: 1800).first?.kind == .dropped)
        #expect(sim.changes(forEvent: 1801).first?.reason == .throttled)
        #expect(T.text(sim.properties(ofUser: try T.user(sim))) == ["n": "-1"])
    }

    @Test("user-property-limit: the 1 001st user property of the input is reported once, and kept (§A1 Limits)")
    func propertyLimit() throws {
        let props = (0..<1003).map { "\"p\($0)\":1" }.joined(separator: ",")
        let sim = T.simulate([[T.identify("{\"$set\":{\(props)}}")]])
        let f = sim.findings(forCapture: 1)
        #expect(f.count == 1)
        expectFinding(f, RuleID.userPropertyLimit, at: "/events/0/user_properties/$set/p1000", event: 0, severity: .warning)
        #expect(sim.user(try T.user(sim)).propertyCount == 1003)
        #expect(sim.changes(forEvent: 0).filter(\.unindexed).count == 3)
    }

    @Test("literal-null-user-id: a 'None' user_id Amplitude accepted lumps two devices into one user (§A3 edge cases)")
    func literalNull() throws {
        func accepted(_ e: String) -> Capture {
            var c = CoreTest.json(CoreTest.body([e]))
            c.recordedResponse = RecordedResponse(status: 200, body: Array("{\"code\":200}".utf8), origin: .upstream)
            return c
        }
        let sim = T.simulate([accepted(T.event("Opened", user: "None", device: "device-P0001")),
                              accepted(T.event("Opened", user: "None", device: "device-P0002"))])
        #expect(sim.resolvedUsers.count == 1)
        #expect(sim.user(try T.user(sim, "None")).deviceIDs == ["device-P0001", "device-P0002"])
        expectFinding(sim.findings(forCapture: 1), RuleID.literalNullUserID, at: "/events/0/user_id", event: 0, severity: .warning)
        expectFinding(sim.findings(forCapture: 2), RuleID.literalNullUserID, at: "/events/0/user_id", event: 0, severity: .warning)
    }

    @Test("every profile rule id is in the registry with its info")
    func registry() {
        for rule in ProfileRules.standard {
            #expect(RuleRegistry.standard.info(rule.info.id) == rule.info)
            #expect(rule.info.scope == .profile)
        }
    }

    // MARK: Recorded SDK traffic

    @Test("identify_all_ops (Python and TypeScript): every op on a new user, then $clearAll (fixtures)", arguments: ["python-sdk/requests/identify_all_ops.jsonl", "typescript-node/requests/ts_identify_all_ops.jsonl"])
    func identifyAllOps(_ path: String) throws {
        let captures = try CoreTest.captures(CoreTest.fixturesRoot.appendingPathComponent(path))
        let sim = T.simulate(captures)
        let u = sim.user(try T.user(sim))
        #expect(u.deviceIDs == ["device-abcdef"])
        #expect(u.eventCount == 2)
        // After the first identify (seen from the second, §A2 timing): the ops on a user with no properties (§A1).
        #expect(T.text(sim.properties(atEvent: 1)) == [
            "plan": "\"pro\"", "first_seen": "\"2024-01-01\"", "logins": "1", "visited": "[\"page-a\"]",
            "recent": "[\"x\",\"y\"]", "pre": "[\"p1\"]", "post": "[\"p2\"]",
        ])
        let first = sim.changes(forEvent: 0).map { "\($0.operation) \($0.property) \($0.kind)" }
        #expect(first == ["$unset legacy_flag no-effect", "$set plan added", "$setOnce first_seen added", "$add logins added",
                          "$append visited added", "$prepend recent added", "$preInsert pre added", "$postInsert post added",
                          "$remove old_tags no-effect"])
        #expect(sim.changes(forEvent: 1).allSatisfy { $0.operation == .clearAll && $0.kind == .removed })
        #expect(sim.changes(forEvent: 1).count == 7)
        #expect(sim.properties(ofUser: u.index).isEmpty, "$clearAll removes every user property")
        #expect(sim.allFindings.isEmpty)
    }

    // MARK: Hostile input

    @Test("non-object properties, wrong-typed operations and odd groups change nothing and do not crash (folded unvalidated: Amplitude would reject them)")
    func hostileShapes() throws {
        let sim = T.simulateUnvalidated(CoreTest.json(CoreTest.body([
            T.identify("\"plan\""),
            T.identify("[1,2]"),
            T.identify("{\"$set\":\"pro\",\"$add\":[1],\"$clearAll\":{}}"),
            T.event("Checkout", "\"groups\":{\"a\":{\"b\":1},\"c\":null,\"d\":[[1]],\"e\":7}"),
            T.event("$groupidentify", "\"groups\":[],\"group_properties\":{\"$set\":{\"x\":1}}"),
        ])))
        #expect(sim.properties(ofUser: try T.user(sim)).isEmpty)
        #expect(sim.groupIndex(type: "e", value: "7") != nil)
    }

    @Test("10 000 operations, a 100 000-character string and deep nesting: applied, cut, located")
    func hostileSizes() throws {
        let many = (0..<10_000).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let huge = String(repeating: "x", count: 100_000)
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        let body = CoreTest.body([T.identify("{\"$set\":{\(many)},\"$append\":{\"deep\":\(deep)},\"$setOnce\":{\"huge\":\"\(huge)\"}}")])
        let sim = T.simulateUnvalidated(CoreTest.json(body))
        let u = try T.user(sim)
        #expect(sim.user(u).propertyCount == 10_002)
        let hugeChange = try #require(sim.history(ofProperty: "huge", user: u).first)
        #expect(hugeChange.truncated)
        #expect(hugeChange.after == .string(String(repeating: "x", count: 1024)))
        let f = sim.findings(forCapture: 1)
        #expect(f.map(\.rule) == [RuleID.userPropertyLimit])
        #expect(f.first?.path == "/events/0/user_properties/$set/k1000")
    }

    // MARK: Storage shortcuts (what the fold keeps so that it need not read the change log)

    @Test("a user on more devices than fit inline (a device set): a device that comes back joins nothing, a new one joins (§A3.3)")
    func manyDevices() throws {
        var requests: [[String]] = []
        for d in 0..<12 { requests.append([T.event(user: "user-A", device: "device-\(d)")]) }
        requests.append([T.event(user: "user-B", device: "device-3")])
        requests.append([T.event(user: "user-A", device: "device-3")])
        requests.append([T.event(user: "user-A", device: "device-12")])
        let sim = T.simulate(requests)
        let a = sim.user(try T.user(sim, "user-A"))
        #expect(a.deviceIDs == (0...12).map { "device-\($0)" })
        #expect(a.links.map(\.kind) == [.newUser] + Array(repeating: .deviceJoined, count: 12))
        #expect(a.links.last?.deviceID == "device-12" && a.links.last?.event == 14)
        let b = sim.user(try T.user(sim, "user-B"))
        #expect(b.deviceIDs == ["device-3"] && b.links.map(\.kind) == [.newUserOnDevice])
        #expect(sim.userIndex(deviceID: "device-3") == a.index, "the device went back to user-A")
    }

    @Test("Int32Set agrees with Set<Int32>, as a hash table and as a bitmap", arguments: [3000, 5_000_000])
    func int32Set(range: Int) {
        var mine = Int32Set()
        var model = Set<Int32>()
        var x: UInt64 = 42
        var mismatches = 0
        var forms = Set<Bool>()
        for _ in 0..<20_000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let v = Int32((x >> 33) % UInt64(range))
            forms.insert(mine.isBitmap)
            if x >> 20 & 1 == 0 {
                if mine.insert(v) != model.insert(v).inserted { mismatches += 1 }
            } else if mine.contains(v) != model.contains(v) {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
        #expect(mine.count == model.count && model.count > 1000)
        #expect(model.allSatisfy { mine.contains($0) })
        #expect((0..<3000).allSatisfy { mine.contains(Int32($0)) == model.contains(Int32($0)) })
        #expect(!mine.contains(-1) && !Int32Set().contains(0))
        #expect(Int32Set([3, 3, 7]).count == 2)
        // Dense values (a few hundred devices) end as a bitmap, having started as a hash table;
        // values spread over millions stay a hash table.
        #expect(range == 3000 ? forms == [false, true] && mine.isBitmap : forms == [false] && !mine.isBitmap)
    }

    @Test("Int32Set goes back from a bitmap to a hash table when a value far away comes")
    func int32SetLeavesBitmap() {
        var set = Int32Set(0..<200)
        #expect(set.isBitmap && set.count == 200)
        #expect(set.insert(40_000_000) && !set.isBitmap)
        #expect(!set.insert(199) && !set.insert(40_000_000) && set.count == 201)
        #expect((0..<200).allSatisfy { set.contains(Int32($0)) } && set.contains(40_000_000))
        #expect(!set.contains(200) && !set.contains(39_999_999))
        // And back again once enough dense values make the bitmap the smaller form.
        for v in Int32(200)..<Int32(700_000) { set.insert(v) }
        #expect(set.isBitmap && set.count == 700_001 && set.contains(40_000_000) && set.contains(699_999))
    }
}

@Suite("Profile simulator on demo traffic")
struct ProfileDemoTrafficTests {
    @Test("every flavour of demo traffic folds; the change log rebuilds each user's current properties, and the counts agree")
    func logRebuildsProfiles() throws {
        var demo = DemoTraffic(seed: 7)
        let sim = ProfileTest.simulate((0..<1500).map { _ in demo.next() })
        #expect(sim.eventCount > 1500)
        #expect(!sim.resolvedUsers.isEmpty)
        #expect(!sim.groupProfiles.isEmpty, "the demo sends group identifies")
        var lastApplied: [Int: Int] = [:]
        for n in 0..<sim.eventCount {
            if let e = sim.event(n), e.status == .applied, let user = e.user { lastApplied[user] = n }
        }
        var checked = 0
        for u in sim.resolvedUsers where u.mergedUsers.isEmpty {
            let current = ProfileTest.text(sim.properties(ofUser: u.index))
            #expect(current.count == u.propertyCount)
            // The user's last event of all, if its own changes apply to it, sees exactly the current profile.
            guard let last = lastApplied[u.index], sim.event(last)?.ownChangesApply == true else { continue }
            #expect(ProfileTest.text(sim.properties(atEvent: last)) == current, "user \(u.amplitudeID)")
            checked += 1
        }
        #expect(checked > 10)
        expectStoredShortcutsAgree(sim)
        // Every change's before is the after of the change it links to.
        for n in 0..<sim.eventCount {
            for c in sim.changes(forEvent: n) where c.applied {
                #expect(c.before != c.after, "event \(n) \(c.property)")
            }
        }
    }
}

/// What the fold keeps beside the change log agrees with the log: each change's chain length
/// (`ChangeRecord.chain`) with a walk of its chain, each property's "has a value" with its last change.
func expectStoredShortcutsAgree(_ sim: ProfileSimulator, sourceLocation: SourceLocation = #_sourceLocation) {
    let log = sim.changes
    let wrongChains = (0..<log.count).filter { log.chainLength(Int32($0)) != log.walkedChainLength(Int32($0)) }
    #expect(wrongChains.isEmpty, "chain lengths of changes \(wrongChains.prefix(5))", sourceLocation: sourceLocation)
    var wrongPresence = 0
    for table in sim.users.map(\.props) + sim.groups.map(\.props) {
        for e in table.entries where e.present != log.holdsValue(e.lastChange) { wrongPresence += 1 }
    }
    #expect(wrongPresence == 0, "properties whose presence disagrees with the log", sourceLocation: sourceLocation)
}

@Suite("Profile simulator storage")
struct ProfileStorageTests {
    typealias T = ProfileTest

    @Test("list chains longer than a checkpoint, removals and clears: chain lengths and presence agree with the log, values with a model")
    func listChains() throws {
        var x: UInt64 = 7
        var requests: [[String]] = []
        var model: ProfileValue?
        for n in 0..<200 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let pick = Int(x >> 33) % 40
            let item = "\"/p/\(Int(x >> 40) % 30)\""
            let (payload, op, sent): (String, ProfileOperation, ProfileValue) = switch pick {
            case 0: ("{\"$unset\":{\"visited\":\"-\"}}", .unset, .string("-"))
            case 1: ("{\"$clearAll\":\"-\"}", .clearAll, .null)
            case 2: ("{\"$setOnce\":{\"visited\":[\"s\"]}}", .setOnce, .array([.string("s")]))
            case 3: ("{\"$remove\":{\"visited\":\(item)}}", .remove, .string(String(item.dropFirst().dropLast())))
            case 4...12: ("{\"$postInsert\":{\"visited\":\(item)}}", .postInsert, .string(String(item.dropFirst().dropLast())))
            default: ("{\"$append\":{\"visited\":[\(item),\"/n/\(n)\"]}}", .append,
                      .array([.string(String(item.dropFirst().dropLast())), .string("/n/\(n)")]))
            }
            if op == .clearAll || op == .unset {
                model = nil
            } else {
                switch PropertyOperations.apply(op, stored: model, sent: sent) {
                case .value(let v): model = v
                case .removed: model = nil
                case .noEffect: break
                }
            }
            requests.append([T.identify(payload), T.event()])
        }
        let sim = T.simulate(requests)
        expectStoredShortcutsAgree(sim)
        #expect((0..<sim.changes.count).contains { sim.changes.chainLength(Int32($0)) == ChangeLog.checkpointInterval - 1 },
                "a chain reached its checkpoint")
        let u = try T.user(sim)
        #expect(sim.properties(ofUser: u).first { $0.name == "visited" }?.value == model)
    }

    @Test("the chain length lives in a padding byte: a change is still 32 bytes, a property 8")
    func layout() {
        #expect(MemoryLayout<ChangeRecord>.stride == 32)
        #expect(MemoryLayout<PropertyTable.Entry>.stride == 8)
    }
}
