import Foundation
import Testing
@testable import AmpscopeCore

@Suite("Golden diff")
struct GoldenDiffTests {
    static func e(_ type: String, _ props: [String: String] = [:], time: Int = 1) -> GoldenDiff.Event {
        var f: [String: GoldenDiff.Event.Field] = ["time": .init(kind: "number", value: String(time)),
                                                  "insert_id": .init(kind: "string", value: "\"\(UUID().uuidString)\"")]
        for (k, v) in props {
            let kind = v.hasPrefix("\"") ? "string" : v == "true" || v == "false" ? "boolean" : "number"
            f["event_properties/" + k] = .init(kind: kind, value: v)
        }
        return GoldenDiff.Event(type: type, location: "t", fields: f)
    }

    static let flow = [e("Open", ["screen": "\"home\""]), e("Search", ["q": "\"shoes\""]), e("Add", ["sku": "\"s1\"", "qty": "1"]),
                       e("Checkout", ["total": "10"]), e("Pay", ["method": "\"card\""])]

    func kinds(_ d: [GoldenDiff.Difference]) -> [String] { d.map { "\($0.kind.rawValue) \($0.eventType)" } }

    @Test("the same flow with other times and insert ids: no difference")
    func same() {
        let run = Self.flow.map { var x = $0; x.fields["time"] = .init(kind: "number", value: "999"); return x }
        #expect(GoldenDiff().compare(golden: Self.flow, run: run).isEmpty)
    }

    @Test("an inserted event is one extra; the rest stays aligned")
    func inserted() {
        var run = Self.flow
        run.insert(Self.e("Promo Shown", ["id": "\"p\""]), at: 2)
        let d = GoldenDiff().compare(golden: Self.flow, run: run)
        #expect(kinds(d) == ["extra Promo Shown"])
        #expect(d[0].run == 2)
    }

    @Test("a missing event is one missing; the rest stays aligned")
    func missing() {
        var run = Self.flow
        run.remove(at: 1)
        let d = GoldenDiff().compare(golden: Self.flow, run: run)
        #expect(kinds(d) == ["missing Search"])
        #expect(d[0].golden == 1)
    }

    @Test("two swapped events are one reordered event")
    func swapped() {
        var run = Self.flow
        run.swapAt(1, 2)
        let d = GoldenDiff().compare(golden: Self.flow, run: run)
        #expect(d.count == 1)
        #expect(d.first?.kind == .reordered)
        #expect(["Search", "Add"].contains(d.first?.eventType ?? ""))
    }

    @Test("a renamed event (same properties, same place) is one renamed event")
    func renamed() {
        var run = Self.flow
        run[3] = Self.e("checkout_started", ["total": "10"])
        let d = GoldenDiff().compare(golden: Self.flow, run: run)
        #expect(kinds(d) == ["renamed Checkout"])
        #expect(d[0].after == "checkout_started")
    }

    @Test("property added, removed, type changed and value changed")
    func properties() {
        var run = Self.flow
        run[2] = Self.e("Add", ["sku": "\"s2\"", "qty": "\"1\"", "gift": "true"])
        run[4] = Self.e("Pay", [:])
        let d = GoldenDiff().compare(golden: Self.flow, run: run)
        #expect(Set(d.map { "\($0.kind.rawValue) \($0.path ?? "")" }) == [
            "value-changed event_properties/sku", "type-changed event_properties/qty", "property-added event_properties/gift",
            "property-removed event_properties/method",
        ])
    }

    @Test("volatile fields are configurable")
    func volatile() {
        var run = Self.flow
        run[0] = Self.e("Open", ["screen": "\"home\"", "order_id": "\"o-2\""])
        var golden = Self.flow
        golden[0] = Self.e("Open", ["screen": "\"home\"", "order_id": "\"o-1\""])
        #expect(GoldenDiff().compare(golden: golden, run: run).count == 1)
        var diff = GoldenDiff()
        diff.volatile.insert("order_id")
        #expect(diff.compare(golden: golden, run: run).isEmpty)
        var strict = GoldenDiff()
        strict.volatile.remove("time")
        #expect(!strict.compare(golden: Self.flow, run: Self.flow.map { var x = $0; x.fields["time"] = .init(kind: "number", value: "5"); return x }).isEmpty)
    }

    @Test("outputs: JSON parses, JUnit has a case per golden event and escapes names")
    func outputs() throws {
        var run = Self.flow
        run.remove(at: 0)
        run.append(Self.e("<Evil> \u{1B}[31m"))
        let d = GoldenDiff().compare(golden: Self.flow, run: run)
        let json = GoldenDiff.json(d, goldenCount: 5, runCount: run.count)
        let doc = try JSONDocument(parsing: json)
        #expect(doc.int64(doc.member(doc.root, "differences")!) == 2)
        let junit = GoldenDiff.junit(d, golden: Self.flow)
        #expect(junit.contains("tests=\"6\""))
        #expect(junit.contains("&lt;Evil&gt;"))
        #expect(!junit.unicodeScalars.contains { $0.value == 0x1B })
        #expect(!GoldenDiff.text(d, goldenCount: 5, runCount: run.count).unicodeScalars.contains { $0.value == 0x1B })
    }

    @Test("long runs align without quadratic blow-up beyond the bound")
    func long() {
        let golden = (0..<6000).map { Self.e("E\($0 % 7)", ["i": "\($0)"]) }
        var run = golden
        run.remove(at: 3000)
        let d = GoldenDiff().compare(golden: golden, run: run)
        #expect(d.filter { $0.kind == .missing }.count == 1)
    }
}
