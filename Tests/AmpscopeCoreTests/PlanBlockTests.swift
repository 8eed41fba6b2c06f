import Foundation
import Testing
@testable import AmpscopeCore

/// `PlanBlock` (each property set compiled into one block, read per key on the fast path) holds
/// to the straightforward path (the sets' name tables and `Hot` entries, `checkValue` for every
/// value): the same findings, in the same order, and the same coverage tally, on random plans
/// and random records made to reach every branch the block leaves to `checkValue`.
@Suite("Plan blocks give the findings of the straightforward path")
struct PlanBlockTests {
    /// Strings the values and enums draw from: ASCII, one that Swift's String equality takes
    /// for another ("é" precomposed and decomposed), long ones (past the byte regex's short
    /// subjects and eight-byte prefixes), and names that share their first eight bytes.
    static let words = ["a", "b", "gold", "silver", "item-42", "item-", "ITEM-7", "x-1", "caf\u{E9}", "cafe\u{301}",
                        "checkout_1", "checkout_2", "checkout", "", "with space", "z",
                        String(repeating: "q", count: 70) + "-1", "abcdefghijklmnopqrstuvwxyz-123456"]
    static let patterns = ["^[a-z]+-[0-9]+$", "^[A-Z0-9]{4,12}$", "item", "^.{0,5}$", "[0-9]$", "^(gold|silver)$", "^caf.$", "\\d+", "^\\w*$"]
    static let propertyNames = ["p0", "p1", "amount", "checkout_1", "checkout_2", "checkout", "plan_tier_long_name", "caf\u{E9}", "x"]

    static func scalar(_ rng: inout SplitMix64) -> PlanScalar {
        switch rng.next() % 5 {
        case 0: return .number(Double(Int(rng.next() % 7)) - 2)
        case 1: return .number(1.5)
        case 2: return .bool(rng.next() % 2 == 0)
        default: return .string(rng.pick(words))
        }
    }

    static func property(_ rng: inout SplitMix64, name: String) -> PlanProperty {
        var p = PlanProperty(name: name, type: rng.pick(PlanType.allCases), required: rng.next() % 4 == 0)
        if rng.next() % 3 == 0 { p.enumValues = (0..<(1 + Int(rng.next() % 4))).map { _ in scalar(&rng) } }
        if rng.next() % 3 == 0 { p.regex = rng.pick(patterns) }
        if rng.next() % 3 == 0 { p.min = Double(Int(rng.next() % 5)) - 2 }
        if rng.next() % 3 == 0 { p.max = Double(Int(rng.next() % 2000)) / 10 }
        if rng.next() % 4 == 0 { p.itemType = rng.pick(PlanType.allCases) }
        return p
    }

    /// A property set of 0–24 properties (past 16 the block leaves names to the hashed table),
    /// sometimes with a name listed twice.
    static func propertySet(_ rng: inout SplitMix64) -> PlanPropertySet {
        let count = rng.next() % 5 == 0 ? 17 + Int(rng.next() % 8) : Int(rng.next() % 10)
        var names: [String] = []
        for i in 0..<count { names.append(i < propertyNames.count && rng.next() % 3 != 0 ? propertyNames[i] : "prop_\(i)") }
        if count > 1, rng.next() % 6 == 0 { names[count - 1] = names[0] }
        return PlanPropertySet(properties: names.map { property(&rng, name: $0) }, additionalProperties: rng.next() % 2 == 0)
    }

    static func plan(_ rng: inout SplitMix64) -> Plan {
        var plan = Plan(name: "random")
        for i in 0..<(1 + Int(rng.next() % 6)) {
            plan.events.append(PlanEvent(name: "Event \(i)", status: rng.pick(PlanStatus.allCases), properties: propertySet(&rng)))
        }
        plan.user = propertySet(&rng)
        if rng.next() % 2 == 0 { plan.groups = [PlanGroupType(name: "company", properties: propertySet(&rng))] }
        return plan
    }

    /// `s` as a JSON string, quoted by the core's writer.
    static func jsonString(_ s: String) -> String {
        var out: [UInt8] = []
        JSONWriter.appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A random JSON value: strings from `words` (plain or with an escape), numbers of every
    /// shape `JSONDocument.double` takes apart, booleans, null, arrays, objects.
    static func value(_ rng: inout SplitMix64) -> String {
        switch rng.next() % 20 {
        case 0, 1, 2, 3, 4: return jsonString(rng.pick(words))
        case 5: return jsonString("item-\(rng.next() % 1000)")
        case 6: return "\"item\\u002d7\""  // escaped: "item-7"
        case 7: return String(Int(rng.next() % 300) - 5)
        case 8: return String(Double(rng.next() % 30_000) / 100)
        case 9: return ["1e2", "-0", "-0.0", "2.5E-1", "12345678901234567890", "-9223372036854775809", "0.1e400", "150.0", "3",
                        // Decimals the block bounds by their whole part: negative ones, and ones at a bound's whole part.
                        "-1.5", "-2.25", "-1.0", "1.75", "199.95", "0.5", "1234567890123456.5"][Int(rng.next() % 16)]
        case 10: return rng.next() % 2 == 0 ? "true" : "false"
        case 11: return "null"
        case 12: return "[" + (0..<Int(rng.next() % 3)).map { _ in rng.next() % 2 == 0 ? jsonString(rng.pick(words)) : "2" }.joined(separator: ",") + "]"
        case 13: return "{\"k\":1}"
        case 14: return "1.5"
        default: return String(rng.next() % 4)
        }
    }

    static func key(_ rng: inout SplitMix64, _ set: PlanPropertySet) -> String {
        let r = rng.next() % 10
        if r < 7, !set.properties.isEmpty { return jsonString(rng.pick(set.properties).name) }
        if r == 7 { return "\"p\\u0030\"" }  // escaped "p0"
        return jsonString(rng.pick(propertyNames + ["unknown", "checkout_3"]))
    }

    static func object(_ rng: inout SplitMix64, _ set: PlanPropertySet) -> String {
        var members = (0..<Int(rng.next() % 9)).map { _ in key(&rng, set) + ":" + value(&rng) }
        // Often in the plan's order, as SDKs send them (the fast path's guess).
        if rng.next() % 2 == 0, !set.properties.isEmpty {
            members = set.properties.filter { _ in rng.next() % 4 != 0 }.map { jsonString($0.name) + ":" + value(&rng) }
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func record(_ rng: inout SplitMix64, _ plan: Plan) -> String {
        let event = plan.events.isEmpty || rng.next() % 8 == 0 ? nil : rng.pick(plan.events)
        var members = ["\"event_type\":" + jsonString(event?.name ?? "Unplanned"), "\"user_id\":\"user-12345\""]
        let set = event?.properties ?? PlanPropertySet()
        members.append("\"event_properties\":" + (rng.next() % 10 == 0 ? value(&rng) : object(&rng, set)))
        if rng.next() % 2 == 0 {
            let inner = object(&rng, plan.user)
            members.append("\"user_properties\":" + (rng.next() % 2 == 0 ? inner : "{\"$set\":" + inner + ",\"$add\":" + object(&rng, plan.user) + "}"))
        }
        if let g = plan.groups.first, rng.next() % 3 == 0 {
            members.append("\"groups\":{\"company\":\"acme\"}")
            members.append("\"group_properties\":{\"$set\":" + object(&rng, g.properties) + "}")
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func capture(_ rng: inout SplitMix64, _ plan: Plan) -> Capture {
        let records = (0..<(1 + Int(rng.next() % 4))).map { _ in record(&rng, plan) }
        switch rng.next() % 5 {
        case 0: return CoreTest.identify("[" + records.joined(separator: ",") + "]")
        case 1: return CoreTest.identify("[" + records.joined(separator: ",") + "]", path: "/groupidentify")
        default: return CoreTest.json(CoreTest.body(records))
        }
    }

    @Test("random plans and records: the same findings and tallies with and without the blocks")
    func differential() throws {
        var rng = SplitMix64(seed: 0xB10C)
        var byRule: [String: Int] = [:]
        var tallied = 0
        for n in 0..<300 {
            let plan = Self.plan(&rng)
            let fast = PlanChecker(plan, useBlocks: true)
            let plain = PlanChecker(plan, useBlocks: false)
            var withFast = Ingest(), withPlain = Ingest()
            withFast.plan = fast
            withPlain.plan = plain
            withFast.tallyPlanCoverage = true
            withPlain.tallyPlanCoverage = true
            for m in 0..<20 {
                let c = Self.capture(&rng, plan)
                let request = withFast.decode(c)
                let expected = plain.check(request)
                #expect(fast.check(request) == expected, "plan \(n), capture \(m): \(String(decoding: c.body, as: UTF8.self))")
                var ctxFast = ValidationContext(), ctxPlain = ValidationContext()
                let a = withFast.judge(c, request, context: &ctxFast, now: CoreTest.now)
                let b = withPlain.judge(c, request, context: &ctxPlain, now: CoreTest.now)
                #expect(a.findings == b.findings, "plan \(n), capture \(m) (judged)")
                let ta = a.planTally?.records ?? [], tb = b.planTally?.records ?? []
                #expect(ta.count == tb.count)
                for (x, y) in zip(ta, tb) {
                    #expect(x.event == y.event && x.typeNode == y.typeNode && x.overflow == y.overflow && x.valid == y.valid && x.seen == y.seen)
                    if x.event >= 0 { tallied += 1 }
                }
                for f in expected { byRule[f.rule, default: 0] += 1 }
            }
        }
        // The generator reaches every property rule, for events, users and groups.
        for id in [RuleID.planMissingProperty, RuleID.planUnexpectedProperty, RuleID.planWrongType, RuleID.planNotInEnum,
                   RuleID.planPatternMismatch, RuleID.planOutOfRange, RuleID.planUnexpectedUserProperty, RuleID.planUserPropertyType,
                   RuleID.planUserPropertyValue, RuleID.planUnexpectedGroupProperty, RuleID.planGroupPropertyType, RuleID.planGroupPropertyValue] {
            #expect(byRule[id, default: 0] > 20, "\(id): \(byRule[id, default: 0])")
        }
        #expect(tallied > 2000)
    }

    @Test("a value the block calls clean gets no finding from checkValue, and the block calls most plain values clean")
    func cleanMeansNoFinding() throws {
        var rng = SplitMix64(seed: 0xC1EA)
        var clean = 0, notClean = 0, cleanWithCheck = 0
        for _ in 0..<400 {
            let set = Self.propertySet(&rng)
            guard !set.properties.isEmpty else { continue }
            let checker = PlanChecker(Plan(events: [PlanEvent(name: "E", properties: set)]), useBlocks: true)
            let propSet = checker.events[0]
            let block = checker.eventBlocks[0]
            for _ in 0..<40 {
                let doc = try JSONDocument(parsing: "[" + Self.value(&rng) + "]")
                let v = 1
                let pi = Int(rng.next() % UInt64(set.properties.count))
                var out = FindingSink()
                checker.checkValue(doc, v, propSet.hot[pi], scope: .event, index: 0, path: { "/p" }, &out)
                let verdict = doc.tape.withUnsafeBufferPointer { t in
                    doc.bytes.withUnsafeBufferPointer { b in block.isClean(block.checks + pi, t[v], b.baseAddress!, b.count) }
                }
                if verdict {
                    #expect(out.findings.isEmpty, "\(set.properties[pi]) \(doc.rawText(v))")
                    clean += 1
                    let p = set.properties[pi]
                    if p.enumValues != nil || p.regex != nil || p.min != nil || p.max != nil { cleanWithCheck += 1 }
                } else {
                    notClean += 1
                }
            }
        }
        // Both answers are common: the fast path is taken, and checks are left to checkValue.
        #expect(clean > 2000 && notClean > 2000, "clean \(clean), not clean \(notClean)")
        #expect(cleanWithCheck > 500, "\(cleanWithCheck)")
    }

    @Test("an enum of more strings than a block holds: its values are found, and only values outside it get a finding")
    func enumPastTheBlock() throws {
        // 70 000 strings: past the 16-bit count a block's enum has, so the block holds none of them.
        let values = (0..<70_000).map { PlanScalar.string("v\($0)") }
        let plan = Plan(events: [PlanEvent(name: "E", properties: PlanPropertySet(properties: [
            PlanProperty(name: "k", type: .string, enumValues: values)]))])
        let checker = PlanChecker(plan)
        #expect(checker.eventBlocks[0].checks[0].type & PlanBlock.enumIncomplete != 0)
        var ingest = Ingest()
        ingest.plan = checker
        var ctx = ValidationContext()
        let p = ingest.process(CoreTest.events(["\"v69999\"", "\"v0\"", "\"w1\""].map {
            CoreTest.event(["event_type": "\"E\"", "event_properties": "{\"k\":\($0)}"])
        }.joined(separator: ",")), context: &ctx, now: CoreTest.now)
        let enumFindings = p.findings.filter { $0.rule == RuleID.planNotInEnum }
        #expect(enumFindings.map(\.path) == ["/events/2/event_properties/k"], "\(p.findings)")
    }

    @Test("the block's layout: names, enum strings and regex items where the checks say")
    func layout() throws {
        let props = [PlanProperty(name: "currency", type: .string, required: true, enumValues: [.string("USD"), .number(3), .string("EUR")]),
                     PlanProperty(name: "a_rather_long_property_name", type: .integer, min: 1, max: 9),
                     PlanProperty(name: "code", type: .string, regex: "^[A-Z]{2}-\\d+$"),
                     PlanProperty(name: "grouped", regex: "^(a|b)$")]
        let checker = PlanChecker(Plan(events: [PlanEvent(name: "E", properties: PlanPropertySet(properties: props, additionalProperties: false))]))
        let block = checker.eventBlocks[0]
        let h = block.header
        #expect(h.count == 4 && h.requiredCount == 1)
        // What checkValue needs of a property is one cache line, reached from the block.
        #expect(MemoryLayout<PlanChecker.Hot>.stride == 64 && block.hot == checker.events[0].hot)
        #expect(checker.userBlock.hot == checker.user.hot)
        #expect(h.flags & PlanBlock.closed != 0 && h.flags & PlanBlock.open == 0 && h.flags & PlanBlock.unique != 0 && h.flags & PlanBlock.linear != 0)
        let raw = UnsafeRawPointer(block.base)
        for (i, p) in props.enumerated() {
            let c = block.checks[i]
            let name = String(decoding: UnsafeBufferPointer(start: (raw + Int(c.nameOffset)).assumingMemoryBound(to: UInt8.self), count: Int(c.nameLength)), as: UTF8.self)
            #expect(name == p.name)
            #expect(c.type & PlanBlock.typeMask == PlanBlock.code(p.type))
        }
        let c0 = block.checks[0]
        #expect(c0.flags & PlanBlock.required != 0 && c0.flags & PlanBlock.hasEnum != 0 && c0.enumCount == 2)
        let strings = (raw + Int(c0.enumOffset)).assumingMemoryBound(to: PlanBlock.EnumString.self)
        let enumStrings = (0..<2).map { j in
            String(decoding: UnsafeBufferPointer(start: (raw + Int(strings[j].offset)).assumingMemoryBound(to: UInt8.self), count: Int(strings[j].length)), as: UTF8.self)
        }
        #expect(enumStrings == ["USD", "EUR"])
        let c1 = block.checks[1]
        let bounds = (raw + Int(c1.boundsOffset)).assumingMemoryBound(to: Double.self)
        #expect(c1.flags & (PlanBlock.hasMin | PlanBlock.hasMax) == PlanBlock.hasMin | PlanBlock.hasMax && bounds[0] == 1 && bounds[1] == 9)
        let c2 = block.checks[2]
        #expect(c2.flags & PlanBlock.byteRegex != 0 && c2.flags & PlanBlock.anchoredStart != 0 && c2.flags & PlanBlock.anchoredEnd != 0 && c2.regexCount == 3)
        #expect(c2.type & PlanBlock.greedyRegex != 0 && c0.type & PlanBlock.greedyRegex == 0 && c1.type & PlanBlock.greedyRegex == 0,
                "^[A-Z]{2}-\\d+$ is matched in one pass")
        // A pattern ByteRegex does not take: the block knows there is a regex, and leaves it to checkValue.
        let c3 = block.checks[3]
        #expect(c3.flags & PlanBlock.hasRegex != 0 && c3.flags & PlanBlock.byteRegex == 0 && c3.regexCount == 0)
        // Looked up by the name's bytes, with and without a right guess.
        for (i, p) in props.enumerated() {
            var name = p.name
            let found = name.withUTF8 { b in
                // Eight readable bytes past the start for the one-load prefix: copy with padding.
                let padded = Array(b) + Array(repeating: 0, count: 8)
                return padded.withUnsafeBufferPointer { q in
                    [block.find(q.baseAddress!, b.count, first: PlanNameTable.prefix(q.baseAddress!, b.count), guess: i, h),
                     block.find(q.baseAddress!, b.count, first: PlanNameTable.prefix(q.baseAddress!, b.count), guess: (i + 1) % 4, h)]
                }
            }
            #expect(found == [i, i])
        }
    }

    @Test("enums, patterns and bounds used by several properties are stored once; each set has its own block")
    func sharing() throws {
        let shared = PlanProperty(name: "currency", type: .string, enumValues: [.string("USD"), .string("EUR")], regex: "^[A-Z]{3}$", min: 0, max: 5)
        let plan = Plan(events: (0..<3).map { PlanEvent(name: "E\($0)", properties: PlanPropertySet(properties: [shared, PlanProperty(name: "n\($0)")])) },
                        user: PlanPropertySet(properties: [shared]))
        let checker = PlanChecker(plan)
        let blocks = (0..<3).map { checker.eventBlocks[$0] } + [checker.userBlock]
        let c = blocks.map { $0.checks[0] }
        #expect(Set(c.map(\.enumOffset)).count == 1 && Set(c.map(\.regexOffset)).count == 1 && Set(c.map(\.boundsOffset)).count == 1)
        #expect(Set(blocks.map { Int(bitPattern: $0.block) }).count == 4)
        #expect(Set(blocks.map { Int(bitPattern: $0.base) }).count == 1)
        // The second properties differ by name, and each finds its own.
        for (i, b) in blocks.prefix(3).enumerated() {
            let name = Array("n\(i)".utf8) + Array(repeating: 0, count: 8)
            let found = name.withUnsafeBufferPointer { q in b.find(q.baseAddress!, 2, first: PlanNameTable.prefix(q.baseAddress!, 2), guess: -1, b.header) }
            #expect(found == 1)
        }
    }

    /// Event types as JSON literals, planned or not, plain or escaped, and what the plan should
    /// make of each: the names are compared as decoded text (byte for byte), and only
    /// `$identify` and `$groupidentify` (however written) are not event types at all.
    static let eventTypes: [(json: String, planned: Bool)] = [
        (#""Sign Up""#, true), (#""Sign\u0020Up""#, true), (#""Sign Up ""#, false), (#""sign up""#, false),
        (#""$custom""#, true), (#""\u0024custom""#, true), (#""$other""#, false), (#""$""#, false),
        (#""$identify""#, true), (#""\u0024identify""#, true), (#""$groupidentify""#, true),
        (#""A rather long event name, past sixteen bytes""#, true), (#""A rather long event name, past sixteen byteS""#, false),
        (#""A rather long event name, past sixteen byte\u0073""#, true), (#""Ab""#, true), (#""A""#, false),
        (#""""#, false), (#""é event""#, true), (#""e\u0301 event""#, false), (#""Tab\there""#, true), (#""Tab\u0009here""#, true),
    ]

    @Test("event types are looked up by their decoded bytes, escaped or not; only $identify and $groupidentify are not event types")
    func eventTypeLookup() throws {
        let plan = Plan(events: ["Sign Up", "$custom", "A rather long event name, past sixteen bytes", "Ab", "é event", "Tab\there"]
            .map { PlanEvent(name: $0) })
        var ingest = Ingest()
        ingest.plan = PlanChecker(plan)
        // Each event type alone, then all of them in one request (the names' bytes end at
        // different distances from the end of the body).
        var ctx = ValidationContext()
        for (json, planned) in Self.eventTypes {
            let p = ingest.process(CoreTest.events(CoreTest.event(["event_type": json])), context: &ctx, now: CoreTest.now)
            let unplanned = p.findings.filter { $0.rule == RuleID.planUnplannedEvent }
            #expect(unplanned.count == (planned ? 0 : 1), "\(json)")
        }
        let all = ingest.process(CoreTest.events(Self.eventTypes.map { CoreTest.event(["event_type": $0.json]) }.joined(separator: ",")),
                                 context: &ctx, now: CoreTest.now)
        let flagged = Set(all.findings.filter { $0.rule == RuleID.planUnplannedEvent }.compactMap(\.event))
        #expect(flagged == Set(Self.eventTypes.indices.filter { !Self.eventTypes[$0].planned }))
    }

    @Test("finding texts and paths remembered are the ones made afresh, past the memos' limit too")
    func messageMemo() throws {
        var rng = SplitMix64(seed: 0x3E30)
        var remembered = 0
        for _ in 0..<60 {
            let plan = Self.plan(&rng)
            var shared = Ingest()
            shared.plan = PlanChecker(plan)
            for n in 0..<30 {
                // Now and then a request whose only record is an object (its findings' paths start at its own pointer).
                let c = n % 5 == 4 ? CoreTest.identify(Self.record(&rng, plan)) : Self.capture(&rng, plan)
                var fresh = Ingest()
                fresh.plan = PlanChecker(plan)  // an empty memo: every text made afresh
                var ctx1 = ValidationContext(), ctx2 = ValidationContext()
                let a = shared.process(c, context: &ctx1, now: CoreTest.now).findings
                let b = fresh.process(c, context: &ctx2, now: CoreTest.now).findings
                #expect(a == b)
                remembered += a.filter { [RuleID.planNotInEnum, RuleID.planPatternMismatch, RuleID.planOutOfRange,
                                          RuleID.planUserPropertyValue, RuleID.planGroupPropertyValue, RuleID.planUnplannedEvent].contains($0.rule) }.count
            }
        }
        #expect(remembered > 500, "\(remembered)")

        // More distinct values than the memo keeps: it starts over, and every text stays right.
        var ingest = Ingest()
        ingest.plan = PlanChecker(Plan(events: [PlanEvent(name: "Known")]))
        var ctx = ValidationContext()
        let names = (0..<(PlanChecker.memoLimit + 500)).map { "Unknown \($0)" }
        for round in 0..<2 {
            for chunk in stride(from: 0, to: names.count, by: 500) {
                let batch = names[chunk..<min(names.count, chunk + 500)]
                let p = ingest.process(CoreTest.events(batch.map { CoreTest.event(["event_type": JSONWriter.quoted($0)]) }.joined(separator: ",")),
                                       context: &ctx, now: CoreTest.now)
                let texts = p.findings.filter { $0.rule == RuleID.planUnplannedEvent }.map(\.message)
                #expect(texts == batch.map { "event type \"\($0)\" is not in the tracking plan" }, "round \(round), chunk \(chunk)")
            }
        }
        // More records in one request than the paths' memo keeps: every path stays right.
        let p = ingest.process(CoreTest.events(names.map { CoreTest.event(["event_type": JSONWriter.quoted($0)]) }.joined(separator: ",")),
                               context: &ctx, now: CoreTest.now)
        let unplanned = p.findings.filter { $0.rule == RuleID.planUnplannedEvent }
        #expect(unplanned.map(\.path) == names.indices.map { "/events/\($0)/event_type" })
        #expect(unplanned.map(\.message) == names.map { "event type \"\($0)\" is not in the tracking plan" })
    }
}
