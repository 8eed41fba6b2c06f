import Foundation
import Testing
@testable import AmpscopeCore

/// The plan's checks run inside the validator's pass over each record (`Ingest.judge`,
/// `Ingest.prevalidate`), reading the members from `RecordFacts`. These tests hold that path to
/// the one that walks each record on its own (`PlanChecker.check(request)`): the same findings,
/// in the same order, on random records made to hit the corners (repeated keys, escaped keys,
/// keys not allowed on the kind of record, every endpoint kind).
@Suite("Plan checks in the validator's pass agree with the separate walk")
struct PlanFoldTests {
    static let checker = PlanChecker(try! PlanTest.plan())

    /// A random JSON value, sometimes one the plan accepts.
    static func value(_ rng: inout SplitMix64) -> String {
        switch rng.next() % 12 {
        case 0: return "\"USD\""
        case 1: return "\"EUR\""
        case 2: return "\"SAVE10\""
        case 3: return "\"save 10\""
        case 4: return String(rng.next() % 2000) + (rng.next() % 2 == 0 ? ".5" : "")
        case 5: return "-3"
        case 6: return rng.next() % 2 == 0 ? "true" : "false"
        case 7: return "null"
        case 8: return "[\"a\",\"b\"]"
        case 9: return "[\"a\",2]"
        case 10: return "{\"x\":1}"
        default: return "\"pro\""
        }
    }

    static func object(_ rng: inout SplitMix64, names: [String]) -> String {
        var members: [String] = []
        for _ in 0..<Int(rng.next() % 6) {
            let name = names[Int(rng.next() % UInt64(names.count))]
            members.append("\"" + name + "\":" + value(&rng))  // names are plain or already escaped
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    static let propertyNames = ["cart_value", "currency", "item_count", "coupon", "skus", "order_id", "debug", "cur\\u0072ency"]
    static let userNames = ["plan", "age", "nickname", "$set", "$setOnce", "$add"]
    static let eventTypes = ["Checkout Started", "Order Completed", "Old Thing", "Debug Ping", "Surprise", "$identify", "$groupidentify",
                             "Checkout\\u0020Started"]

    /// A record with a random selection of the members the plan reads, some repeated, some
    /// spelled with escapes, plus keys no rule knows.
    static func record(_ rng: inout SplitMix64) -> String {
        var members: [String] = ["\"user_id\":\"user-12345\"", "\"device_id\":\"device-12345\"", "\"time\":1795371070308"]
        for _ in 0..<(2 + Int(rng.next() % 6)) {
            switch rng.next() % 11 {
            case 0, 1: members.append("\"event_type\":\"" + eventTypes[Int(rng.next() % UInt64(eventTypes.count))] + "\"")
            case 2: members.append("\"event_properties\":" + object(&rng, names: propertyNames))
            case 3:
                let inner = object(&rng, names: ["plan", "age", "nickname"])
                members.append("\"user_properties\":" + (rng.next() % 2 == 0 ? inner : "{\"$set\":" + inner + ",\"$add\":{\"age\":1}}"))
            case 4: members.append("\"groups\":" + (rng.next() % 2 == 0 ? "{\"company\":\"acme\"}" : "{\"team\":\"t\",\"company\":[\"a\"]}"))
            case 5: members.append("\"group_properties\":{\"$set\":" + object(&rng, names: ["seats", "logo"]) + "}")
            case 6: members.append("\"group_type\":" + (rng.next() % 2 == 0 ? "\"company\"" : "\"team\""))
            case 7: members.append("\"event\\u005ftype\":\"Surprise\"")  // escaped key: the same member
            case 8: members.append("\"event_properties\":" + value(&rng))  // not an object
            case 9: members.append("\"group_value\":\"acme\"")
            default: members.append("\"custom_key\":" + value(&rng))
            }
        }
        // Shuffle so repeated keys come in any order.
        for i in stride(from: members.count - 1, to: 0, by: -1) { members.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func capture(_ rng: inout SplitMix64) -> Capture {
        let records = (0..<(1 + Int(rng.next() % 4))).map { _ in rng.next() % 15 == 0 ? "[1]" : record(&rng) }
        let list = "[" + records.joined(separator: ",") + "]"
        switch rng.next() % 6 {
        case 0: return CoreTest.identify(list)
        case 1: return CoreTest.identify(list, path: "/groupidentify")
        case 2: return CoreTest.usermap(list)
        case 3: return CoreTest.json(CoreTest.body(records), path: "/batch")
        default: return CoreTest.json(CoreTest.body(records))
        }
    }

    @Test("random records: judge and prevalidate+judge give the findings of validate + check(request)")
    func differential() throws {
        var withPlan = Ingest()
        withPlan.plan = Self.checker
        let without = Ingest()
        var rng = SplitMix64(seed: 0x9147)
        var planFindings = 0
        var repeated = 0
        for n in 0..<1500 {
            let c = Self.capture(&rng)
            // The old path: findings without a plan, then the plan's own walk.
            var ctxOld = ValidationContext()
            let old = without.process(c, context: &ctxOld, now: CoreTest.now)
            let expected = old.findings + Self.checker.check(old.request)
            var ctxNew = ValidationContext()
            let folded = withPlan.process(c, context: &ctxNew, now: CoreTest.now)
            #expect(folded.findings == expected, "capture \(n): \(String(decoding: c.body, as: UTF8.self))")
            let request = withPlan.decode(c)
            let pre = withPlan.prevalidate(request, settings: ValidationSettings())
            var ctxPre = ValidationContext()
            let viaPre = withPlan.judge(c, request, prevalidated: pre, context: &ctxPre, now: CoreTest.now)
            #expect(viaPre.findings == expected, "capture \(n) (prevalidated)")
            // Prevalidated without the plan, judged with it: the plan is checked on its own.
            let preWithout = without.prevalidate(request, settings: ValidationSettings())
            var ctxMixed = ValidationContext()
            #expect(withPlan.judge(c, request, prevalidated: preWithout, context: &ctxMixed, now: CoreTest.now).findings == expected)
            planFindings += expected.filter { PlanRules.isPlanRule($0.rule) }.count
            if let doc = request.document, request.records.contains(where: { doc.kind($0) == .object && Self.repeatsKey(doc, $0) }) { repeated += 1 }
        }
        // The generator reaches the plan rules and the repeated-key fallback.
        #expect(planFindings > 1000)
        #expect(repeated > 100)
    }

    static func repeatsKey(_ doc: JSONDocument, _ node: Int) -> Bool {
        var seen = Set<String>()
        for (k, _) in doc.members(node) where !seen.insert(doc.string(k)).inserted { return true }
        return false
    }

    @Test("the members read from the facts are the ones the walk finds, whenever no known key repeats")
    func keysFromFacts() throws {
        var rng = SplitMix64(seed: 0x51DE)
        var compared = 0
        var notAllowed = 0
        for _ in 0..<2000 {
            let c = Self.capture(&rng)
            let request = Ingest().decode(c)
            guard let doc = request.document else { continue }
            var table: [Int32] = []
            for i in request.records.indices where doc.kind(request.records[i]) == .object {
                var facts = RecordFacts(request: request, doc: doc, index: i, table: &table)
                let walked = PlanChecker.keysByWalking(doc, facts.node)
                if let keys = PlanChecker.keys(facts) {
                    #expect(keys == walked, "\(doc.rawText(facts.node))")
                    compared += 1
                    if walked.groupType != nil && !facts.has(.groupType) { notAllowed += 1 }
                } else {
                    #expect(!facts.duplicateKeys.isEmpty)
                }
                facts.reclaimTable(into: &table)
            }
        }
        #expect(compared > 1000)
        // group_type on an event: found among the keys not allowed there.
        #expect(notAllowed > 50)
    }
}

@Suite("PlanNameTable: both layouts find what a dictionary finds")
struct PlanNameTableTests {
    static func find(_ t: PlanNameTable, _ key: String) -> Int? {
        var k = key
        return k.withUTF8 { t.lookup($0) }
    }

    @Test("random name lists, linear and hashed, looked up with names, near misses and strangers")
    func differential() {
        var rng = SplitMix64(seed: 0x7AB1E)
        let alphabet = Array("ab_8é".unicodeScalars)
        func word() -> String {
            String(String.UnicodeScalarView((0..<Int(rng.next() % 20)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }))
        }
        var hits = 0
        for _ in 0..<400 {
            var names: [String] = []
            for _ in 0..<Int(rng.next() % 40) { let w = word(); if !names.contains(w) { names.append(w) } }
            let reference = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            let linear = PlanNameTable(names, linearLimit: 64)
            let hashed = PlanNameTable(names, linearLimit: 0)
            #expect(linear.count == names.count && hashed.count == names.count)
            var keys = names + (0..<20).map { _ in word() }
            // Near misses: one byte more or less than a name, and one ASCII letter changed at each
            // place (the same length: the hashed slots compare a name's first 24 bytes in place).
            keys += names.prefix(5).flatMap { [$0 + "a", String($0.dropLast())] }
            for name in names.prefix(5) {
                let scalars = Array(name.unicodeScalars)
                for i in scalars.indices where scalars[i] == "a" || scalars[i] == "b" {
                    var changed = scalars
                    changed[i] = scalars[i] == "a" ? "b" : "a"
                    keys.append(String(String.UnicodeScalarView(changed)))
                }
            }
            for k in keys {
                let want = reference[k]
                #expect(Self.find(linear, k) == want, "linear \(names) \(k)")
                #expect(Self.find(hashed, k) == want, "hashed \(names) \(k)")
                if want != nil { hits += 1 }
            }
        }
        #expect(hits > 2000)
        // The default: small sets are linear, large ones hashed, and both answer.
        let big = (0..<100).map { "Event Type \($0)" }
        #expect(Self.find(PlanNameTable(big), "Event Type 42") == 42)
        #expect(Self.find(PlanNameTable(Array(big.prefix(3))), "Event Type 2") == 2)
        #expect(Self.find(PlanNameTable([]), "") == nil)
        #expect(Self.find(PlanNameTable([""]), "") == 0)
        // Names that share their first eight bytes and their length differ past them.
        let shared = PlanNameTable(["checkout_1", "checkout_2", "checkout"])
        #expect(Self.find(shared, "checkout_2") == 1)
        #expect(Self.find(shared, "checkout_3") == nil)
        #expect(Self.find(shared, "checkout") == 2)
        #expect(Self.find(shared, "checkou") == nil)
    }

    @Test("a guessed index and a key read from a document (one load for its first bytes) find what a dictionary finds")
    func guessesAndDocuments() throws {
        var rng = SplitMix64(seed: 0x6E55)
        let alphabet = Array("ab_8é".unicodeScalars)
        func word() -> String {
            String(String.UnicodeScalarView((0..<Int(rng.next() % 20)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }))
        }
        var hits = 0
        for round in 0..<300 {
            var names: [String] = []
            for _ in 0..<Int(rng.next() % 30) { names.append(word()) }
            // Some lists repeat a name: a scan finds its first index, and so must a guess.
            if round % 4 == 0, let n = names.first { names.append(n) }
            var reference: [String: Int] = [:]
            for (i, n) in names.enumerated() where reference[n] == nil { reference[n] = i }
            let tables = [PlanNameTable(names), PlanNameTable(names, linearLimit: 64), PlanNameTable(names, linearLimit: 0)]
            let keys = names + (0..<10).map { _ in word() }
            // Each key as a member name of a document, the last one right at the end of the bytes.
            let text = "[" + keys.map { JSONWriter.quoted($0) }.joined(separator: ",") + "]"
            let doc = try JSONDocument(parsing: text)
            for (j, e) in doc.elements(doc.root).enumerated() {
                let want = reference[keys[j]]
                for t in tables {
                    for guess in [-1, 0, Int(rng.next() % UInt64(names.count + 2)), names.count, (want ?? 0) + 1, want ?? 0] {
                        #expect(t.lookup(doc, e, guess: guess) == want, "\(names) \(keys[j]) guess \(guess)")
                    }
                }
                if want != nil { hits += 1 }
            }
        }
        #expect(hits > 1500)
    }
}
