@testable import AmpscopeCore
import Testing

@Suite struct DemoTrafficTests {
    @Test func generatedTrafficDecodesAndMixesCleanAndBadRequests() {
        var demo = DemoTraffic(seed: 7, badRate: 0.25)
        var ctx = ValidationContext()
        let ingest = Ingest()
        var endpoints: [Endpoint: Int] = [:]
        var withErrors = 0
        var clean = 0
        var rules = Set<String>()
        var lastTime: Int64 = 0
        for _ in 0..<600 {
            let c = demo.next()
            #expect(c.receivedAt > lastTime)
            lastTime = c.receivedAt
            let p = ingest.process(c, context: &ctx, now: c.receivedAt)
            endpoints[p.request.endpoint, default: 0] += 1
            #expect(p.request.document != nil, "every generated request decodes")
            #expect(!p.findings.contains { $0.rule == RuleID.bodyNotJSON || $0.rule == RuleID.unknownEndpoint || $0.rule == RuleID.formEncoding })
            if p.counts.errors > 0 { withErrors += 1 }
            if p.counts.errors == 0 && p.counts.warnings == 0 { clean += 1 }
            for f in p.findings { rules.insert(f.rule) }
        }
        for e in [Endpoint.httpV2, .batch, .identify, .groupIdentify, .usermap, .legacy] {
            #expect((endpoints[e] ?? 0) > 0, "no \(e) request generated")
        }
        #expect(withErrors > 30)
        #expect(clean > 200)
        for r in [RuleID.idTooShort, RuleID.missingID, RuleID.unknownField, RuleID.timeNotMs, RuleID.nestedArray,
                  RuleID.unknownOperation, RuleID.propertyInMultipleOps, RuleID.clearAllNotAlone, RuleID.mixedUserProperties,
                  RuleID.badChecksum, RuleID.groupIdentifyIncomplete, RuleID.mappingIncomplete] {
            #expect(rules.contains(r), "demo never shows \(r)")
        }
    }

    @Test func sameSeedSameTraffic() {
        var a = DemoTraffic(seed: 99)
        var b = DemoTraffic(seed: 99)
        for _ in 0..<50 { #expect(a.next() == b.next()) }
    }

    @Test func legacyChecksumsAreRightWhenNotBrokenOnPurpose() {
        var demo = DemoTraffic(seed: 3, badRate: 0)
        var ctx = ValidationContext()
        for _ in 0..<40 {
            let c = demo.request(.legacy, bad: false)
            let p = Ingest().process(c, context: &ctx, now: c.receivedAt)
            #expect(p.findings.filter { $0.severity == .error }.isEmpty, "\(p.findings)")
            #expect(p.answer.bodyText == "success")
        }
    }
}
