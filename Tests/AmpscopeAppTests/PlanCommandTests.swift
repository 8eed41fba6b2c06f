import AmpscopeCore
import AmpscopeTestSupport
import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `plan convert`, `plan infer`, `check --plan` and `diff`, through the real binary.
@Suite struct PlanCommandTests {
    static let plans = TestSupport.repoRoot.appendingPathComponent("Tests/Fixtures/plans")
    static func plan(_ name: String) -> String { plans.appendingPathComponent(name).path }

    /// A raw `/2/httpapi` body file with these events (for `--input-format body`).
    static func bodyFile(_ dir: URL, _ name: String, _ events: [String]) throws -> String {
        let url = dir.appendingPathComponent(name)
        let body = "{\"api_key\":\"0123456789abcdef0123456789abcdef\",\"events\":[" + events.joined(separator: ",") + "]}"
        try body.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static func event(_ type: String, _ props: String = "{}", time: Int = 1795000000000) -> String {
        "{\"event_type\":\"\(type)\",\"user_id\":\"user-00001\",\"device_id\":\"device-0001\",\"time\":\(time),\"insert_id\":\"\(UUID().uuidString)\",\"event_properties\":\(props)}"
    }

    static let body = ["--input-format", "body", "--endpoint", "/2/httpapi"]

    @Test("plan convert reads every fixture format and writes YAML that reads back the same")
    func convertEveryFormat() async throws {
        let dir = TestSupport.tempDir()
        for name in ["checkout.yaml", "amplitude-data-events.csv", "amplitude-data-user-properties.csv", "taxonomy.json",
                     "ampli-schemas.json", "segment-config-plan.json", "segment-public-rules.json", "avo-export.json"] {
            let r = try await TestSupport.runOffPool(["plan", "convert", Self.plan(name)])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            #expect(r.stdout.contains("ampscope_plan: 1"), "\(name)")
            let yaml = dir.appendingPathComponent(name + ".yaml")
            try r.stdout.write(to: yaml, atomically: true, encoding: .utf8)
            // The written YAML reads back to the same plan (compared in the JSON spelling).
            let a = try await TestSupport.runOffPool(["plan", "convert", "--format", "json", Self.plan(name)])
            let b = try await TestSupport.runOffPool(["plan", "convert", "--format", "json", yaml.path])
            #expect(a.status == 0 && b.status == 0)
            #expect(a.stdout == b.stdout, "\(name): YAML round trip changed the plan\n\(r.stdout)")
        }
        let checkout = try await TestSupport.runOffPool(["plan", "convert", "--format", "json", Self.plan("checkout.yaml")])
        let doc = try JSONDocument(parsing: checkout.stdout)
        let events = try #require(doc.member(doc.root, "events"))
        #expect(doc.count(events) == 5)
        let ver = try #require(doc.member(doc.root, "version"))
        #expect(doc.stringValue(ver) == "2026.12")
    }

    @Test("hostile plan files exit 2 with a reason: YAML aliases that explode, bad YAML, unknown JSON")
    func hostilePlans() async throws {
        let dir = TestSupport.tempDir()
        var laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        var prev = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            laughs += "\(name): &\(name) [" + Array(repeating: "*\(prev)", count: 9).joined(separator: ",") + "]\n"
            prev = name
        }
        let cases: [(String, String, String)] = [
            ("laughs.yaml", laughs, "nodes"),
            ("broken.yaml", "events: {a: [1, 2\n", "YAML"),
            ("typo.yaml", "ampscope_plan: 1\nevents:\n  A:\n    propertys: {}\n", "propertys"),
            ("unknown.json", "{\"hello\": 1}", "not a plan"),
            ("badregex.yaml", "ampscope_plan: 1\nevents:\n  A:\n    properties:\n      x: {type: string, regex: \"(a+)+$\"}\n", "regex"),
        ]
        for (name, text, needle) in cases {
            let url = dir.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            let r = try await TestSupport.runOffPool(["plan", "convert", url.path])
            #expect(r.status == 2, "\(name): \(r.stdout)")
            #expect(r.stderr.contains(needle), "\(name): \(r.stderr)")
            let c = try await TestSupport.runOffPool(["check", "--plan", url.path, Self.plan("checkout.yaml")])
            #expect(c.status == 2, "\(name)")
        }
    }

    @Test("check --plan: findings, coverage in text, JSON and JUnit, --require-all")
    func checkWithPlan() async throws {
        let dir = TestSupport.tempDir()
        let file = try Self.bodyFile(dir, "run.json", [
            Self.event("Checkout Started", #"{"cart_value": 12.5, "currency": "EUR", "item_count": 2}"#),
            Self.event("Checkout Started", #"{"cart_value": 12.5, "currency": "eur"}"#),
            Self.event("Order Completed", #"{"order_id": "ord-1", "total": 12.5, "payment": "card"}"#),
            Self.event("Debug Ping"),
            Self.event("Surprise"),
        ])
        let plan = Self.plan("checkout.yaml")
        let text = try await TestSupport.runOffPool(["check", "--plan", plan, "--coverage", "--color", "never"] + Self.body + [file])
        #expect(text.status == 1, "errors exit 1: \(text.stdout)")
        for needle in ["plan-not-in-enum", "plan-blocked-event", "plan-unplanned-event", "coverage: 2/3 planned events seen",
                       "Checkout Abandoned", "unplanned events:", "Surprise"] {
            #expect(text.stdout.contains(needle), "\(needle) in \(text.stdout)")
        }

        let json = try await TestSupport.runOffPool(["check", "--plan", plan, "--coverage", "--format", "json"] + Self.body + [file])
        let doc = try JSONDocument(parsing: json.stdout)
        let cov = try #require(doc.member(doc.root, "coverage"))
        #expect(doc.int64(doc.member(cov, "seen")!) == 2)
        let byRule = try #require(doc.member(doc.member(doc.root, "summary")!, "by_rule"))
        #expect(doc.int64(doc.member(byRule, "plan-not-in-enum")!) == 1)

        let junit = try await TestSupport.runOffPool(["check", "--plan", plan, "--require-all", "--format", "junit"] + Self.body + [file])
        #expect(junit.status == 1)
        let xml = try XMLDocument(data: Data(junit.stdout.utf8))
        let cases = try xml.nodes(forXPath: "//testsuite[@name='plan coverage']/testcase")
        #expect(cases.count == 5)
        let failed = try xml.nodes(forXPath: "//testsuite[@name='plan coverage']/testcase[failure]").compactMap { ($0 as? XMLElement)?.attribute(forName: "name")?.stringValue }
        #expect(Set(failed) == ["Checkout Started", "Checkout Abandoned", "Debug Ping"], "\(failed)")

        // A clean run that covers every expected event passes --require-all.
        let clean = try Self.bodyFile(dir, "clean.json", [
            Self.event("Checkout Started", #"{"cart_value": 1, "currency": "USD"}"#),
            Self.event("Order Completed", #"{"order_id": "ord-2", "total": 1}"#),
            Self.event("Checkout Abandoned", #"{"step": "payment"}"#),
        ])
        let ok = try await TestSupport.runOffPool(["check", "--plan", plan, "--require-all"] + Self.body + [clean])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        let missing = try await TestSupport.runOffPool(["check", "--plan", plan, "--require-all"] + Self.body + [try Self.bodyFile(dir, "one.json", [Self.event("Checkout Started", #"{"cart_value": 1, "currency": "USD"}"#)])])
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("never seen (--require-all): Order Completed, Checkout Abandoned"), "\(missing.stdout)")
        #expect(try await TestSupport.runOffPool(["check", "--coverage", clean]).status != 0)
    }

    @Test("plan infer from the real-SDK fixtures, then check them against it: no plan findings")
    func inferThenCheck() async throws {
        let files = TestSupport.fixtureFiles("python-sdk") + TestSupport.fixtureFiles("typescript-node")
        let r = try await TestSupport.runOffPool(["plan", "infer", "--name", "fixtures"] + files)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("ampscope_plan: 1"))
        let plan = TestSupport.tempDir().appendingPathComponent("inferred.yaml")
        try r.stdout.write(to: plan, atomically: true, encoding: .utf8)
        let c = try await TestSupport.runOffPool(["check", "--plan", plan.path, "--coverage", "--format", "json"] + files)
        let doc = try JSONDocument(parsing: c.stdout)
        let byRule = try #require(doc.member(doc.member(doc.root, "summary")!, "by_rule"))
        let planRules = doc.members(byRule).map { doc.string($0.key) }.filter { $0.hasPrefix("plan-") }
        #expect(planRules.isEmpty, "\(planRules)")
        let cov = try #require(doc.member(doc.root, "coverage"))
        #expect(doc.double(doc.member(cov, "ratio")!) == 1)
        #expect(doc.int64(doc.member(cov, "planned")!)! >= 5)
    }

    @Test("diff: no difference exits 0; differences exit 1 in text, JSON and JUnit")
    func diff() async throws {
        let dir = TestSupport.tempDir()
        let golden = try Self.bodyFile(dir, "golden.json", [
            Self.event("Open", #"{"screen": "home"}"#), Self.event("Search", #"{"q": "shoes"}"#),
            Self.event("Checkout Started", #"{"cart_value": 10}"#), Self.event("Pay", #"{"method": "card"}"#)])
        let same = try Self.bodyFile(dir, "same.json", [
            Self.event("Open", #"{"screen": "home"}"#, time: 1795000999000), Self.event("Search", #"{"q": "shoes"}"#),
            Self.event("Checkout Started", #"{"cart_value": 10}"#), Self.event("Pay", #"{"method": "card"}"#)])
        let other = try Self.bodyFile(dir, "other.json", [
            Self.event("Open", #"{"screen": "home"}"#), Self.event("Promo", "{}"),
            Self.event("checkout_started", #"{"cart_value": 10}"#), Self.event("Pay", #"{"method": "paypal"}"#)])
        let a = try await TestSupport.runOffPool(["diff"] + Self.body + [golden, same])
        #expect(a.status == 0, "\(a.stdout)\(a.stderr)")
        #expect(a.stdout.contains("no differences"))
        let b = try await TestSupport.runOffPool(["diff"] + Self.body + [golden, other])
        #expect(b.status == 1)
        for needle in ["missing: \"Search\"", "renamed:", "value-changed:"] { #expect(b.stdout.contains(needle), "\(needle): \(b.stdout)") }
        let j = try await TestSupport.runOffPool(["diff", "--format", "json"] + Self.body + [golden, other])
        let doc = try JSONDocument(parsing: j.stdout)
        #expect(doc.int64(doc.member(doc.root, "golden_events")!) == 4)
        let u = try await TestSupport.runOffPool(["diff", "--format", "junit"] + Self.body + [golden, other])
        _ = try XMLDocument(data: Data(u.stdout.utf8))
        let ignored = try await TestSupport.runOffPool(["diff", "--ignore", "method"] + Self.body + [golden, try Self.bodyFile(dir, "pp.json", [
            Self.event("Open", #"{"screen": "home"}"#), Self.event("Search", #"{"q": "shoes"}"#),
            Self.event("Checkout Started", #"{"cart_value": 10}"#), Self.event("Pay", #"{"method": "paypal"}"#)])])
        #expect(ignored.status == 0, "\(ignored.stdout)")
    }
}
