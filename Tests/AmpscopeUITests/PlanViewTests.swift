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
        var screen = host.screen
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
