import Foundation
import Testing
@testable import AmpscopeCore

/// The User tab's queries (`eventProfile`, `properties(atEvent:)`, `history(ofProperty:)`) on
/// long histories: the same answers as folding the whole history, at a cost that does not grow
/// with it (the TUI asks for the User tab of every capture it follows, under the follower's lock).
@Suite("Profile queries on long histories")
struct ProfileQueryCostTests {
    typealias T = ProfileTest

    /// One user sending `requests` × 100 events that set the same two user properties at the same
    /// time (the soak's bodies): after 1 800 updates every later one is dropped (§A4), so each
    /// event adds two changes to the user's history.
    static func throttledUser(requests: Int) -> ProfileSimulator {
        let props = "\"time\":1795000000000,\"user_properties\":{\"plan\":\"pro\",\"beta\":true}"
        return T.simulate((0..<requests).map { _ in (0..<100).map { _ in T.event("Page Viewed", props) } })
    }

    /// The properties in effect at every event, folded from the public per-event changes.
    static func referenceSnapshots(_ sim: ProfileSimulator) -> [Int: [String: String]] {
        var current: [Int: [String: ProfileValue]] = [:]
        var out: [Int: [String: String]] = [:]
        for n in 0..<sim.eventCount {
            guard let e = sim.event(n), let u = e.user else { continue }
            let own = sim.changes(forEvent: n).filter { $0.applied && $0.target == .user(u) }
            var after = current[u] ?? [:]
            for c in own { after[c.property] = c.after }
            out[n] = (e.ownChangesApply ? after : current[u] ?? [:]).mapValues(\.jsonText)
            current[u] = after
        }
        return out
    }

    @Test("the properties in effect at each event are the fold of the user's changes up to it (demo traffic: merges, removals, identify-only updates, list suffixes)")
    func propertiesAtEveryEvent() throws {
        var demo = DemoTraffic(seed: 11)
        let sim = T.simulate((0..<1500).map { _ in demo.next() })
        let reference = Self.referenceSnapshots(sim)
        #expect(reference.count > 1500)
        var nonEmpty = 0
        for n in 0..<sim.eventCount {
            let got = T.text(sim.properties(atEvent: n))
            #expect(got == reference[n] ?? [:], "event \(n)")
            if !got.isEmpty { nonEmpty += 1 }
        }
        #expect(nonEmpty > 500)
    }

    @Test("a limited history is the newest part of the whole one (demo traffic, and a merged user)")
    func limitedHistory() throws {
        var demo = DemoTraffic(seed: 12)
        let sim = T.simulate((0..<1500).map { _ in demo.next() })
        var compared = 0
        var cut = 0
        for u in sim.resolvedUsers {
            for (name, _) in sim.properties(ofUser: u.index) {
                let whole = sim.history(ofProperty: name, user: u.index)
                for limit in [1, 2, 5, 200] {
                    #expect(sim.history(ofProperty: name, user: u.index, limit: limit) == Array(whole.suffix(limit)), "user \(u.amplitudeID) \(name) limit \(limit)")
                    if whole.count > limit { cut += 1 }
                }
                compared += 1
            }
        }
        #expect(compared > 100)
        #expect(cut > 100)

        // A merged user: its history interleaves its own touches with the anonymous user's.
        var requests: [[String]] = []
        for i in 0..<6 {
            requests.append([T.identify("{\"$set\":{\"plan\":\"p\(i)\"}}", user: "david-0001", device: "device-A0001")])
            requests.append([T.event("Opened", user: nil, device: "device-Z0001", "\"user_properties\":{\"plan\":\"z\(i)\"}")])
        }
        requests.append([T.event("Signed In", user: "david-0001", device: "device-Z0001")])
        let merged = T.simulate(requests)
        let d = try T.user(merged, "david-0001")
        #expect(merged.user(d).mergedUsers.count == 1)
        let whole = merged.history(ofProperty: "plan", user: d)
        #expect(whole.count > 12)
        #expect(Set(whole.map { $0.target }).count == 2, "touches of both members")
        for limit in 1...whole.count + 1 {
            #expect(merged.history(ofProperty: "plan", user: d, limit: limit) == Array(whole.suffix(limit)), "merged, limit \(limit)")
        }
    }

    @Test("the User tab of a user with 32 000 throttled events costs about what it costs with 2 000 (it rebuilt the whole history for every selected event)")
    func userTabCostIsFlat() throws {
        func cost(_ requests: Int) throws -> (Duration, EventProfile) {
            let sim = Self.throttledUser(requests: requests)
            let capture = Int64(requests)
            var best = Duration.seconds(3600)
            var profile: EventProfile?
            for _ in 0..<5 {
                let start = ContinuousClock.now
                profile = sim.eventProfile(capture: capture, record: 99)
                best = min(best, ContinuousClock.now - start)
            }
            return (best, try #require(profile))
        }
        let (small, _) = try cost(20)
        let (large, profile) = try cost(320)
        // What the tab shows is unchanged: the newest touches, the dropped update, the values.
        #expect(profile.ordinal == 32_000)
        #expect(T.text(profile.properties) == ["plan": "\"pro\"", "beta": "true"])
        #expect(profile.changes.map(\.kind) == [.dropped, .dropped])
        for name in ["plan", "beta"] {
            let touches = try #require(profile.history[name])
            #expect(touches.count == EventProfile.historyLimit)
            #expect(touches.last?.capture == 320 && touches.last?.record == 99)
            #expect(touches.allSatisfy { $0.change.kind == .dropped })
        }
        // 16 times the history: the whole-history walk took about 16 times as long.
        #expect(large < small * 4 + .milliseconds(2), "2 000 events: \(small), 32 000 events: \(large)")
    }
}
