import AmpscopeCore
import Foundation
import Testing
@testable import AmpscopeUI

/// The Plan view (`P`): coverage rows, marks, the header's figure, enter to the events behind a
/// row, and what it says without a plan.
@Suite("Plan view")
struct PlanViewTests {
    static let planJSON = #"""
    {"ampscope_plan": 1, "name": "shop",
     "events": {
       "Checkout Started": {"status": "live", "properties": {
          "cart_value": {"type": "number", "required": true, "min": 0},
          "currency": {"type": "string"},
          "coupon": {"type": "string"}}},
       "Order Completed": {"status": "live", "properties": {"order_id": {"type": "string", "required": true}}},
       "Wishlist Opened": {"status": "planned"},
       "Old Thing": {"status": "deprecated"},
       "Debug Ping": {"status": "blocked"}}}
    """#

    static func event(_ type: String, _ props: String, time: Int64) -> String {
        #"{"api_key":"k","events":[{"event_type":""# + type + #"","user_id":"user-00001","device_id":"device-0001","time":"#
            + String(time) + #","insert_id":"i-"# + String(time) + #"","event_properties":"# + props + "}]}"
    }

    /// The traffic judged with the plan, and the coverage the host would post for it.
    static func make(size: Size = Size(cols: 120, rows: 32)) throws -> (UISession, MemoryStreamData, UITest.Host) {
        let checker = PlanChecker(try PlanImport.read(Array(planJSON.utf8)).0)
        var ingest = Ingest()
        ingest.plan = checker
        var ctx = ValidationContext(settings: ValidationSettings())
        let t0: Int64 = 1_763_800_000_000
        let bodies = [
            event("Checkout Started", #"{"cart_value": 42.5, "currency": "EUR"}"#, time: t0),
            event("Checkout Started", #"{"cart_value": -3}"#, time: t0 + 1000),
            event("Debug Ping", "{}", time: t0 + 2000),
            event("Mystery Event", "{}", time: t0 + 3000),
            event("Mystery Event", "{}", time: t0 + 4000),
        ]
        var coverage = PlanCoverage(checker)
        var captures: [Processed] = []
        for (i, body) in bodies.enumerated() {
            var c = Capture(receivedAt: t0 + Int64(i) * 1000, source: .proxy, path: "/2/httpapi",
                            headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8))
            c.client = "127.0.0.1:50123"
            let p = ingest.process(c, context: &ctx, now: c.receivedAt)
            coverage.add(p)
            captures.append(p)
        }
        let (s, data, host) = UITest.session(captures, size: size)
        host.run(s.start())
        host.send(.planChanged(PlanCoverageList(version: 1, source: "shop-plan.yaml", coverage: coverage)))
        return (s, data, host)
    }

    @Test("rows in plan order with seen, valid and never-seen properties; unplanned events after them")
    func rows() throws {
        let (s, _, _) = try Self.make()
        let rows = s.state.plan.rows
        #expect(rows.map(\.name) == ["Checkout Started", "Order Completed", "Wishlist Opened", "Old Thing", "Debug Ping", "Mystery Event"])
        #expect(rows.map(PlanCoverageList.mark) == ["!", "✗", "✗", "·", "!", "?"])
        #expect(rows[0].seen == 2 && rows[0].valid == 1, "the negative cart_value breaks the plan")
        #expect(rows[0].neverSeenProperties == ["coupon"])
        #expect(rows[5].seen == 2 && rows[5].status == nil)
        // Expected: the live and planned events (3); one of them seen.
        #expect(s.state.plan.figure == "1/3 seen (33.3%)")
        #expect(s.state.plan.problemCount == 2)
    }

    @Test("P opens the view, the header carries the figure, enter filters the stream to a row's events, q and P go back")
    func keys() throws {
        let (s, data, host) = try Self.make()
        #expect(host.screen.contains("plan 1/3 seen (33.3%) · 2 !"), "the header's figure:\n\(host.screen)")
        host.press(.char("P"))
        #expect(s.state.planOpen)
        let screen = host.screen
        #expect(screen.contains("Plan · shop-plan.yaml · 1/3 seen (33.3%) · 1 unplanned"))
        #expect(screen.contains("! Checkout Started"))
        #expect(screen.contains("✗ Order Completed"))
        #expect(screen.contains("? Mystery Event"))
        #expect(screen.contains("coupon"), "the planned property never seen")
        host.press(.char("j"))
        host.press(.char("k"))
        host.press(.enter)
        #expect(!s.state.planOpen)
        #expect(s.state.view.filter.text == #"type="Checkout Started""#)
        #expect(data.count == 2)
        #expect(data.rows(0..<data.count).allSatisfy { $0.event.eventType == "Checkout Started" })
        // The unplanned row's events.
        host.press(.char("P"))
        host.press(.char("G"))
        host.press(.enter)
        #expect(s.state.view.filter.text == #"type="Mystery Event""#)
        #expect(data.count == 2)
        // q closes the view (it does not quit); u and P replace each other.
        host.press(.char("P"))
        host.press(.char("u"))
        #expect(s.state.usersOpen && !s.state.planOpen)
        host.press(.char("P"))
        #expect(s.state.planOpen && !s.state.usersOpen)
        host.press(.char("q"))
        #expect(!s.state.planOpen)
        #expect(!host.quit)
    }

    @Test("a name with quotes and backslashes is filtered exactly")
    func quotedNames() throws {
        let name = #"say "hi" \ now"#
        let text = "type=" + Filter.quoted(name)
        let f = try Filter(text)
        #expect(f.text == #"type="say \"hi\" \\ now""#)
        let p = UITest.processed(#"{"api_key":"k","events":[{"event_type":"say \"hi\" \\ now","user_id":"user-00001"}]}"#)
        let other = UITest.processed(#"{"api_key":"k","events":[{"event_type":"say hi now","user_id":"user-00001"}]}"#)
        let data = MemoryStreamData()
        data.append(p)
        data.append(other)
        data.apply(StreamView(filter: f))
        #expect(data.count == 1)
    }

    @Test("without a plan, P says how to start with one")
    func noPlan() {
        let (s, _, host) = UITest.session(SampleTraffic.all)
        host.run(s.start())
        #expect(!host.screen.contains("plan "), "no figure in the header without a plan")
        host.press(.char("P"))
        #expect(s.state.planOpen)
        #expect(host.screen.contains("No tracking plan."))
        #expect(s.state.message?.text.contains("--plan FILE") == true)
        host.press(.char("P"))
        #expect(!s.state.planOpen)
    }

    @Test("screen for the guide: the Plan view")
    func guideScreen() throws {
        let (_, _, host) = try Self.make()
        host.press(.char("P"))
        Snapshot.check("plan-view-120x32", host.session.render())
    }
}

/// `--golden`: rows that differ from the golden run are marked, the header counts them, and the
/// Diff tab compares the selection with its golden counterpart.
@Suite("Golden run in the UI")
struct GoldenUITests {
    static func body(_ type: String, _ props: String, _ n: Int) -> String {
        #"{"api_key":"k","events":[{"event_type":""# + type + #"","user_id":"user-00001","device_id":"device-0001","time":"#
            + String(1_763_800_000_000 + n) + #","insert_id":"run-"# + String(n) + #"","event_properties":"# + props + "}]}"
    }

    static func make() -> (UISession, MemoryStreamData, UITest.Host) {
        let golden = [UITest.processed(body("Open", #"{"screen":"home"}"#, 0)), UITest.processed(body("Search", #"{"q":"shoes"}"#, 1)),
                      UITest.processed(body("Pay", #"{"method":"card","total":10}"#, 2))]
        var matcher = GoldenMatcher(golden: golden, locations: ["golden.jsonl:1", "golden.jsonl:2", "golden.jsonl:3"])
        let live = [UITest.processed(body("Open", #"{"screen":"home"}"#, 10), receivedAt: 1_763_800_000_000),
                    UITest.processed(body("Promo", "{}", 11), receivedAt: 1_763_800_001_000),
                    UITest.processed(body("Pay", #"{"method":"paypal","total":10}"#, 12), receivedAt: 1_763_800_002_000)]
        let (s, data, host) = UITest.session(live, size: Size(cols: 120, rows: 32))
        // What the host's follower does as captures arrive, in id order.
        var links: [RowID: GoldenMarks.Link] = [:]
        var extra: Set<RowID> = []
        for i in 0..<data.count {
            guard let row = data.row(at: i), let p = data.detail(row.captureID) else { continue }
            for (r, v) in matcher.match(p).enumerated() {
                switch v {
                case .paired(let g, let d)?:
                    links[RowID(captureID: row.captureID, index: r)] = .init(golden: g, record: matcher.golden[g].record,
                                                                              location: matcher.golden[g].event.location, differences: d.count)
                case .extra?: extra.insert(RowID(captureID: row.captureID, index: r))
                case nil: break
                }
            }
        }
        let references = matcher.golden
        host.goldenRequest = { $0 < references.count ? references[$0].processed : nil }
        host.run(s.start())
        host.send(.goldenChanged(GoldenMarks(version: 1, source: "golden.jsonl", links: links, extra: extra,
                                             goldenCount: matcher.golden.count, unpaired: matcher.unpairedCount)))
        return (s, data, host)
    }

    @Test("rows are marked ≠N or +extra, the header counts them, and the Diff tab shows the golden counterpart")
    func marksAndDiff() {
        let (s, _, host) = Self.make()
        #expect(s.state.golden.differing == 1)
        var screen = host.screen
        #expect(screen.contains("golden 1 differ · 1 extra · 1 not seen"), "header:\n\(screen)")
        let lines = screen.split(separator: "\n")
        #expect(lines.contains { $0.contains("Pay") && $0.hasSuffix("≠1") })
        #expect(lines.contains { $0.contains("Promo") && $0.hasSuffix("+extra") })
        #expect(!lines.contains { $0.contains(" Open ") && ($0.contains("≠") || $0.contains("+extra")) })
        // The Pay event (selected: the newest) against the golden Pay.
        host.press(.char("7"))
        screen = host.screen
        #expect(screen.contains("golden #2 (golden.jsonl:3)"), "context line:\n\(screen)")
        #expect(screen.contains(#""card" → "paypal""#))
        // Two marked events still win over the golden pairing.
        host.press(.char("m"))
        host.press(.char("k"))
        host.press(.char("k"))
        host.press(.char("m"))
        #expect(host.screen.contains("(marked)"))
    }

    @Test("screen for the guide: a live run against its golden run")
    func guideScreen() {
        let (_, _, host) = Self.make()
        host.press(.char("7"))
        Snapshot.check("golden-diff-120x32", host.session.render())
    }
}
