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

/// `--golden` in the terminal UI: live events paired online with the golden run's.
@Suite("Golden matcher")
struct GoldenMatcherTests {
    static func request(_ events: [(String, String)], insert: String = UUID().uuidString) -> Processed {
        let body = #"{"api_key":"k","events":["# + events.enumerated().map { i, e in
            #"{"event_type":""# + e.0 + #"","user_id":"user-00001","device_id":"device-0001","time":"# + String(1_795_000_000_000 + i)
                + #","insert_id":""# + insert + String(i) + #"","event_properties":"# + e.1 + "}"
        }.joined(separator: ",") + "]}"
        return CoreTest.process(CoreTest.json(body))
    }

    static func summary(_ v: [GoldenMatcher.Verdict?]) -> [String] {
        v.map {
            switch $0 {
            case .paired(let g, let d)?: return "g\(g)" + (d.isEmpty ? "" : " " + d.map { "\($0.kind.rawValue) \($0.path ?? "")" }.joined(separator: ", "))
            case .extra?: return "extra"
            case nil: return "-"
            }
        }
    }

    @Test("the n-th event of a type pairs with the golden run's n-th; others in between do not shift it; volatile fields are not compared")
    func pairing() {
        let golden = [Self.request([("Open", #"{"screen":"home"}"#), ("Search", #"{"q":"shoes"}"#)]),
                      Self.request([("Add", #"{"sku":"s1","qty":1}"#), ("Search", #"{"q":"boots"}"#)])]
        var m = GoldenMatcher(golden: golden, locations: ["g.jsonl:1", "g.jsonl:2"])
        #expect(m.golden.count == 4)
        #expect(m.golden.map(\.event.location) == ["g.jsonl:1 #0", "g.jsonl:1 #1", "g.jsonl:2 #0", "g.jsonl:2 #1"])
        #expect(m.golden[3].record == 1)
        // A promo the golden run never had comes first; times and insert ids all differ.
        #expect(Self.summary(m.match(Self.request([("Promo", "{}"), ("Open", #"{"screen":"home"}"#)], insert: "other"))) == ["extra", "g0"])
        #expect(m.unpairedCount == 3)
        // The second search is paired with the golden run's second search, whatever came between.
        #expect(Self.summary(m.match(Self.request([("Search", #"{"q":"shoes"}"#), ("Search", #"{"q":"sandals"}"#)]))) ==
                ["g1", "g3 value-changed event_properties/q"])
        #expect(Self.summary(m.match(Self.request([("Add", #"{"sku":"s1","qty":"1"}"#)]))) == ["g2 type-changed event_properties/qty"])
        // A third search has no golden counterpart.
        #expect(Self.summary(m.match(Self.request([("Search", #"{"q":"x"}"#)]))) == ["extra"])
        #expect(m.unpairedCount == 0)
        m.reset()
        #expect(m.unpairedCount == 4)
        #expect(Self.summary(m.match(Self.request([("Open", #"{"screen":"cart"}"#)]))) == ["g0 value-changed event_properties/screen"])
    }

    @Test("GoldenDiff.events is the per-record event, records that are not objects skipped")
    func perRecord() {
        let p = CoreTest.process(CoreTest.json(#"{"api_key":"k","events":[{"event_type":"A","user_id":"user-00001"}, 7, {"event_type":"B","user_id":"user-00001"}]}"#))
        #expect(GoldenDiff.events(p, location: "x").map(\.type) == ["A", "B"])
        #expect(GoldenDiff.event(p, record: 1, location: "x") == nil)
        #expect(GoldenDiff.event(p, record: 2, location: "x")?.location == "x #2")
        var m = GoldenMatcher(golden: [p], locations: ["x"])
        #expect(m.golden.map(\.record) == [0, 2])
        #expect(Self.summary(m.match(p)) == ["g0", "-", "g1"])
    }
}
