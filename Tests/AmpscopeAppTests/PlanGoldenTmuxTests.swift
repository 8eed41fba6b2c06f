import AmpscopeTestSupport
import Foundation
import Testing

/// The Plan view and a golden-run difference for real: `ampscope replay --plan --golden` in tmux.
@Suite(.serialized) struct PlanGoldenTmuxTests {
    @Test func planViewAndGoldenDifferenceInTmux() async throws {
        let dir = TestSupport.tempDir()
        let golden = try PlanCommandTests.bodyFile(dir, "golden.json", [
            PlanCommandTests.event("Checkout Started", #"{"cart_value": 10, "currency": "EUR"}"#),
            PlanCommandTests.event("Order Completed", #"{"order_id": "ord-1", "total": 10, "payment": "card"}"#)])
        let run = try PlanCommandTests.bodyFile(dir, "run.json", [
            PlanCommandTests.event("Checkout Started", #"{"cart_value": 10, "currency": "EUR"}"#, time: 1795000001000),
            PlanCommandTests.event("Promo Shown", "{}", time: 1795000002000),
            PlanCommandTests.event("Order Completed", #"{"order_id": "ord-1", "total": 10, "payment": "paypal"}"#, time: 1795000003000)])
        let plan = PlanCommandTests.plan("checkout.yaml")
        let t = try TmuxSession(command: "\(TestSupport.binary) replay --format body --endpoint /2/httpapi --plan \(plan) --golden \(golden) \(run) --no-mouse",
                                directory: dir.path, cols: 160, rows: 45, environment: ["XDG_CONFIG_HOME": dir.path, "HOME": dir.path])
        // The header: the plan's coverage and the golden run's count; the rows' golden marks.
        var s = try await t.wait(for: "the replayed run with both figures") {
            $0.contains("3 rows") && $0.contains("plan 2/") && $0.contains("golden 1 differ · 1 extra · 0 not seen")
        }
        let lines = s.split(separator: "\n")
        #expect(lines.contains { $0.contains("Order Completed") && $0.contains("≠1") }, "\(s)")
        #expect(lines.contains { $0.contains("Promo Shown") && $0.contains("+extra") }, "\(s)")
        #expect(!lines.contains { $0.contains("Checkout Started") && ($0.contains("≠") || $0.contains("+extra")) }, "\(s)")
        // The Diff tab of the newest event (Order Completed) against its golden counterpart.
        try t.press("7")
        s = try await t.wait(for: "the Diff tab against the golden run") { $0.contains("golden #1") && $0.contains(#""card" → "paypal""#) }
        #expect(s.contains("1 difference outside"), "\(s)")
        // The Plan view: seen, never seen, unplanned; enter filters to a row's events.
        try t.press("P")
        s = try await t.wait(for: "the Plan view") { $0.contains("Plan · ") && $0.contains("LAST SEEN") }
        #expect(s.contains("✓ Checkout Started"), "\(s)")
        #expect(s.contains("✓ Order Completed"), "\(s)")
        #expect(s.contains("✗ Checkout Abandoned"), "\(s)")
        #expect(s.contains("? Promo Shown"), "\(s)")
        try t.press("Enter")
        try await t.wait(for: "the stream filtered to the first planned event") { $0.contains(#"type="Checkout Started""#) && $0.contains("1 of 3 shown") }
        try t.press("Q")
        try await t.wait(for: "ampscope to exit") { !$0.contains("Plan ·") && !$0.contains("Promo Shown") }
    }
}
