import Foundation
import Testing
@testable import AmpscopeCore

/// The simulator with a bound in memory (`ProfileOptions.spill`, `hotEvents`) answers every
/// query as the one that keeps everything in memory.
@Suite("Profile simulator spilling its history")
struct ProfileSpillTests {
    typealias T = ProfileTest

    /// Demo traffic (every flavour: identifies, groups, mappings, Segment, mistakes) and the
    /// list-chain stream of `ProfileStorageTests`, as captures.
    static func traffic() -> [Capture] {
        var demo = DemoTraffic(seed: 11)
        var captures = (0..<1200).map { _ in demo.next() }
        var x: UInt64 = 3
        var requests: [[String]] = []
        for n in 0..<150 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let item = "\"/p/\(Int(x >> 40) % 30)\""
            let payload = switch Int(x >> 33) % 10 {
            case 0: "{\"$unset\":{\"visited\":\"-\"}}"
            case 1: "{\"$setOnce\":{\"first\":\(n)},\"$add\":{\"count\":2}}"
            case 2: "{\"$remove\":{\"visited\":\(item)}}"
            case 3: "{\"$set\":{\"bio\":\"\(String(repeating: "ü", count: n))\",\"meta\":{\"k\":[1,2.5,null,true]}}}"
            default: "{\"$append\":{\"visited\":[\(item),\"/n/\(n)\"]}}"
            }
            requests.append([T.identify(payload, user: "list-\(n % 3)"), T.event(user: "list-\(n % 3)", "\"user_properties\":{\"n\":\(n)}")])
        }
        captures += requests.map { CoreTest.json(CoreTest.body($0)) }
        return captures
    }

    /// Every query the UI and the CLI make, for every event, user and group.
    static func differences(_ a: ProfileSimulator, _ b: ProfileSimulator) -> [String] {
        var out: [String] = []
        func check(_ what: @autoclosure () -> String, _ same: Bool) { if !same && out.count < 20 { out.append(what()) } }
        check("event count", a.eventCount == b.eventCount)
        for n in 0..<min(a.eventCount, b.eventCount) {
            check("event \(n)", a.event(n) == b.event(n))
            check("changes of \(n)", a.changes(forEvent: n) == b.changes(forEvent: n))
            check("properties at \(n)", T.text(a.properties(atEvent: n)) == T.text(b.properties(atEvent: n)))
            check("groups of \(n)", a.groups(forEvent: n) == b.groups(forEvent: n))
            if let e = a.event(n) {
                check("capture of \(n)", a.events(forCapture: e.capture) == b.events(forCapture: e.capture))
                check("ordinal of \(n)", a.ordinal(capture: e.capture, record: e.record) == n && b.ordinal(capture: e.capture, record: e.record) == n)
                check("findings of \(e.capture)", a.findings(forCapture: e.capture) == b.findings(forCapture: e.capture))
            }
        }
        check("users", a.resolvedUsers == b.resolvedUsers)
        for u in a.resolvedUsers.map(\.index) {
            let props = a.properties(ofUser: u)
            check("properties of user \(u)", T.text(props) == T.text(b.properties(ofUser: u)))
            for p in props.map(\.name) {
                check("history of \(p) of user \(u)", a.history(ofProperty: p, user: u) == b.history(ofProperty: p, user: u))
            }
        }
        check("groups", a.groupProfiles == b.groupProfiles)
        for g in a.groupProfiles.map(\.index) {
            check("properties of group \(g)", T.text(a.properties(ofGroup: g)) == T.text(b.properties(ofGroup: g)))
        }
        check("snapshot", ProfileReport.json(a.snapshot()) == ProfileReport.json(b.snapshot()))
        return out
    }

    /// Options that spill to a new storage in memory past `hot` events.
    static func spilling(hot: Int) -> (ProfileOptions, MemorySpillStorage) {
        let storage = MemorySpillStorage()
        var options = ProfileOptions()
        options.spill = storage
        options.hotEvents = hot
        return (options, storage)
    }

    @Test("a simulator keeping 8 events in memory answers every query as one keeping all, from the storage")
    func spilledEqualsInMemory() throws {
        let captures = Self.traffic()
        let whole = T.simulate(captures)
        let (options, storage) = Self.spilling(hot: 8)
        let bounded = T.simulate(captures, options: options)
        #expect(whole.eventCount > 7000)
        #expect(Self.differences(whole, bounded).isEmpty, "\(Self.differences(whole, bounded))")
        // Almost everything went to the storage, and was read back from it.
        #expect(bounded.events.hot.count <= 16 && bounded.events.spilled >= bounded.eventCount - 16)
        #expect(bounded.changes.spilled >= bounded.changes.count - 16)
        #expect(bounded.captureStarts.spilled > 0)
        #expect(storage.size > 30 * bounded.eventCount, "\(storage.size) bytes for \(bounded.eventCount) events")
        #expect(storage.reads > 0)
        expectStoredShortcutsAgree(bounded)
    }

    @Test("while the storage refuses (a full disk) the records stay in memory; they go out once it takes them again")
    func refusedSpillsStayInMemory() throws {
        let captures = Self.traffic()
        let whole = T.simulate(captures)
        let (options, storage) = Self.spilling(hot: 16)
        var ctx = ValidationContext()
        let ingest = Ingest()
        var sim = ProfileSimulator(options: options)
        var heldWhileRefusing = 0
        for (n, c) in captures.enumerated() {
            if n == 400 { storage.refusing = true }
            if n == 900 {
                heldWhileRefusing = sim.events.hot.count
                storage.refusing = false
            }
            sim.apply(ingest.process(c, context: &ctx, now: CoreTest.now), captureID: Int64(n + 1))
        }
        #expect(heldWhileRefusing > 1000, "events kept in memory while the storage refused: \(heldWhileRefusing)")
        #expect(sim.events.hot.count <= 32, "after it took them again: \(sim.events.hot.count)")
        #expect(Self.differences(whole, sim).isEmpty, "\(Self.differences(whole, sim))")
    }

    @Test("copies of a simulator go on spilling into the same storage without disturbing each other")
    func copiesShareTheStorage() throws {
        let captures = Self.traffic()
        let (options, _) = Self.spilling(hot: 8)
        var ctx = ValidationContext()
        let ingest = Ingest()
        let processed = captures.map { ingest.process($0, context: &ctx, now: CoreTest.now) }
        var a = ProfileSimulator(options: options)
        var reference = ProfileSimulator()
        for (n, p) in processed.prefix(600).enumerated() {
            a.apply(p, captureID: Int64(n + 1))
            reference.apply(p, captureID: Int64(n + 1))
        }
        let frozen = reference
        var b = a
        let atCopy = a
        for (n, p) in processed.enumerated().dropFirst(600) {
            a.apply(p, captureID: Int64(n + 1))
            reference.apply(p, captureID: Int64(n + 1))
        }
        for (n, p) in processed.enumerated().dropFirst(600).prefix(300) { b.apply(p, captureID: Int64(n + 1)) }
        var referenceB = frozen
        for (n, p) in processed.enumerated().dropFirst(600).prefix(300) { referenceB.apply(p, captureID: Int64(n + 1)) }
        #expect(Self.differences(reference, a).isEmpty, "\(Self.differences(reference, a))")
        #expect(Self.differences(referenceB, b).isEmpty, "\(Self.differences(referenceB, b))")
        #expect(Self.differences(frozen, atCopy).isEmpty, "\(Self.differences(frozen, atCopy))")
    }

    @Test("spilled values decode to what was encoded, and damaged bytes decode to nothing")
    func valueEncoding() {
        let values: [ProfileValue] = [
            .null, .bool(true), .bool(false), .int(0), .int(-1), .int(.max), .int(.min), .double(-0.0), .double(1e308),
            .double(.pi), .string(""), .string("pro"), .string("抹茶セット「宇治」 \u{1B}[31m"), .string(String(repeating: "x", count: 5000)),
            .array([]), .array([.int(1), .array([.string("a"), .null]), .object(Array("{\"k\":1}".utf8))]),
            .object(Array("{}".utf8)),
        ]
        for v in values {
            var bytes: [UInt8] = []
            SpilledValue.encode(v, into: &bytes)
            let back = bytes.withUnsafeBytes { SpilledValue.decode($0) }
            #expect(back == v, "\(v)")
            if bytes.count > 1 {
                // Cut short or with a byte too many, it is refused rather than misread.
                #expect(bytes.dropLast().withUnsafeBytes { SpilledValue.decode($0) } == nil, "\(v) cut")
                #expect((bytes + [0]).withUnsafeBytes { SpilledValue.decode($0) } == nil, "\(v) extended")
            }
        }
        let hostile: [[UInt8]] = [[9], [5, 0xFF, 0xFF, 0xFF, 0xFF], [6, 0xFF, 0xFF, 0xFF, 0x7F, 0], Array(repeating: 6, count: 2000)]
        for h in hostile { #expect(h.withUnsafeBytes { SpilledValue.decode($0) } == nil) }
    }

    @Test("a spilled event is 24 bytes, a spilled change 32")
    func layout() {
        #expect(MemoryLayout<EventRecord>.stride == 24)
        #expect(MemoryLayout<SpilledChange>.stride == 32)
        #expect(MemoryLayout<ProfileSimulator.CaptureStart>.stride == 16)
    }
}
