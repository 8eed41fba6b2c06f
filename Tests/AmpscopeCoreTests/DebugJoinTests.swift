import Foundation
import Testing
@testable import AmpscopeCore

@Suite("SDK call ↔ wire event join")
struct DebugJoinTests {
    static let eventMethods: Set<String> = ["track", "identify", "groupIdentify", "revenue", "setGroup", "logEvent"]

    /// Every TS scenario, both feeding orders: each call is joined to the right wire events and
    /// its fate agrees with what the SDK reported (results/*.json).
    @Test(arguments: DebugFixtures.tsScenarios, [false, true])
    func tsScenarioJoin(_ name: String, wireFirst: Bool) throws {
        let (j, records, wire) = DebugFixtures.join(log: "typescript-node/logs/\(name).console.log",
                                                    requests: "typescript-node/requests/\(name).jsonl", wireFirst: wireFirst)
        let results = DebugFixtures.results("typescript-node/results/\(name).json")
        #expect(!results.isEmpty)
        let calls = records.filter { $0.call.map { Self.eventMethods.contains($0.name) } == true }
        #expect(calls.count == results.count)
        // Every event-producing call belongs to exactly one trace, and every trace of a call has a result.
        var seen = Set<Int>()
        for c in calls {
            let t = try #require(j.trace(forRecord: c.id))
            #expect(!seen.contains(t.id))
            seen.insert(t.id)
            #expect(t.callRecord == c.id && t.method == c.call?.name)
            #expect(t.resultRecord != nil)
        }
        for res in results {
            let t: SDKTrace
            if let iid = res.insertID {
                t = try #require(j.trace(forInsertID: iid), "\(name): no trace for \(iid)")
                let call = try #require(t.callRecord.map { j.records[$0].call })
                #expect(call?.expected?.eventType == res.eventType)
                #expect(call?.expected?.userID == res.userID)
                // Joined to the wire events that carry this insert_id: all of them, in order.
                let onWire = wire.filter { $0.insertID == iid }.map(\.ref)
                #expect(!onWire.isEmpty)
                #expect(t.wire == onWire)
                #expect(t.linkedBy == .insertID)
                for ref in onWire { #expect(j.trace(forWire: ref)?.id == t.id) }
                #expect(j.call(forWire: onWire[0])?.id == t.callRecord)
            } else {
                // The empty event type: skipped client-side, never on the wire.
                t = try #require(j.traces.first { $0.callRecord != nil && $0.eventType == res.eventType && $0.insertID == nil })
                #expect(t.wire.isEmpty)
                #expect(t.fate == .skipped(reason: "empty event type"))
                #expect(j.callsWithoutWire.contains { $0.id == t.id })
            }
            let result = try #require(t.resultRecord.map { j.records[$0] })
            #expect(result.text == res.message, "\(name) \(res.eventType)")
            #expect(result.code == res.code, "\(name) \(res.eventType)")
            switch res.code {
            case 200: #expect(t.fate == .delivered(code: 200))
            case 0 where res.insertID == nil: break
            default: #expect(t.fate == .rejected(code: res.code, message: res.message))
            }
        }
        // No wire event is left without its SDK call.
        #expect(j.wireWithoutTrace.isEmpty)
        #expect(j.tracesWithoutWire.allSatisfy { $0.fate.neverSent })
    }

    @Test func rejectedCallsAreShownAsSuch() throws {
        let (j, _, wire) = DebugFixtures.join(log: "typescript-node/logs/ts_short_user_id_explicit_flush.console.log",
                                              requests: "typescript-node/requests/ts_short_user_id_explicit_flush.jsonl")
        #expect(j.traces.count == 3)
        #expect(j.traces.allSatisfy { if case .rejected(400, let m) = $0.fate { return m.hasPrefix("invalid: {") } else { return false } })
        #expect(wire.count == 3)
        let short = try #require(wire.first { $0.userID == "abc" })
        #expect(short.ref.index == 1)
        #expect(j.reasons(forWire: short.ref) == ["invalid id length: user_id"])
        let ok = try #require(wire.first { $0.userID == "user-00001" })
        #expect(j.reasons(forWire: ok.ref).isEmpty)
        // The result line is the SDK's note about each wire event.
        for e in wire {
            let notes = j.notes(forWire: e.ref)
            #expect(notes.count == 1 && j.records[notes[0]].level == .error)
        }
    }

    @Test func retriesAndWarningsPerAttempt() throws {
        let (j, _, wire) = DebugFixtures.join(log: "typescript-node/logs/ts_http_429_then_200.console.log",
                                              requests: "typescript-node/requests/ts_http_429_then_200.jsonl")
        #expect(j.traces.count == 2)
        for t in j.traces {
            #expect(t.wire.count == 3)
            let statuses = t.wire.compactMap { j.wireEvent($0)?.sdkStatus }
            #expect(statuses == [429, 429, 200])
            let perAttempt = t.wire.map { j.notes(forWire: $0).map { j.records[$0].kind } }
            #expect(perAttempt == [[.response], [.response], [.result]])
            #expect(j.notes(forTrace: t.id).count == 3)
            #expect(t.fate == .delivered(code: 200))
        }
        #expect(wire.count == 6)
    }

    @Test func throttledAndQuota() throws {
        let (j, _, _) = DebugFixtures.join(log: "typescript-node/logs/ts_http_429_throttled_quota.console.log",
                                           requests: "typescript-node/requests/ts_http_429_throttled_quota.jsonl")
        let t1 = try #require(j.traces.first { $0.eventType == "T1" })
        #expect(t1.fate == .rejected(code: 429, message: "Too many requests for some devices and users"))
        try #require(t1.wire.count == 1)
        #expect(j.reasons(forWire: t1.wire[0]) == ["throttled", "user over daily quota"])
        let t0 = try #require(j.traces.first { $0.eventType == "T0" })
        try #require(t0.wire.count == 2)
        #expect(t0.fate == .delivered(code: 200))
        #expect(j.reasons(forWire: t0.wire[0]) == ["throttled"])
        #expect(j.reasons(forWire: t0.wire[1]).isEmpty)
        let t2 = try #require(j.traces.first { $0.eventType == "T2" })
        try #require(t2.wire.count == 2)
        #expect(j.reasons(forWire: t2.wire[0]).isEmpty)
        #expect(j.notes(forWire: t2.wire[0]).map { j.records[$0].kind } == [.response])
    }

    @Test func statusOnlyWarningsMatchTheirAttempts() throws {
        let (j, _, _) = DebugFixtures.join(log: "typescript-node/logs/ts_http_200_without_code.console.log",
                                           requests: "typescript-node/requests/ts_http_200_without_code.jsonl")
        let timer = try #require(j.traces.first { $0.eventType == "Timer Flushed" })
        #expect(timer.wire.count == 3)
        for ref in timer.wire {
            #expect(j.wireEvent(ref)?.sdkStatus == 0)
            let notes = j.notes(forWire: ref).map { j.records[$0] }
            #expect(notes.filter { $0.kind == .response }.count == 1)
        }
        #expect(timer.fate == .rejected(code: 500, message: TSMessages.maxRetries))

        let (k, _, _) = DebugFixtures.join(log: "typescript-node/logs/ts_http_503_text_then_200.console.log",
                                           requests: "typescript-node/requests/ts_http_503_text_then_200.jsonl")
        for t in k.traces {
            try #require(t.wire.count == 2)
            #expect(k.notes(forWire: t.wire[0]).map { k.records[$0].response?.status } == ["failed"])
        }
    }

    @Test func invalidEventNoIds() throws {
        let (j, _, wire) = DebugFixtures.join(log: "typescript-node/logs/ts_invalid_event_no_ids.console.log",
                                              requests: "typescript-node/requests/ts_invalid_event_no_ids.jsonl")
        try #require(wire.count == 1)
        let sent = try #require(j.trace(forWire: wire[0].ref))
        #expect(sent.eventType == "No Ids")
        #expect(j.records[sent.callRecord!].call?.argsSummary == "\"No Ids\", {…}")
        if case .rejected(400, let m) = sent.fate { #expect(m.contains("Request missing required field")) } else { Issue.record("\(sent.fate)") }
        let skipped = j.callsWithoutWire
        try #require(skipped.count == 1)
        #expect(skipped[0].fate == .skipped(reason: "empty event type"))
        #expect(j.records[skipped[0].resultRecord!].text == TSMessages.emptyEventType)
    }

    // MARK: Python

    @Test(arguments: DebugFixtures.pythonScenarios)
    func pythonScenarioJoin(_ name: String) throws {
        let (j, records, wire) = DebugFixtures.join(log: "python-sdk/logs/\(name).log", requests: "python-sdk/requests/\(name).jsonl")
        for r in records where r.kind == .result || r.kind == .invalidEvent {
            let iid = try #require(r.event?.insertID)
            let t = try #require(j.trace(forInsertID: iid))
            #expect(t.resultRecord == r.id)
            let onWire = wire.filter { $0.insertID == iid }.map(\.ref)
            #expect(t.wire == onWire)
            if r.kind == .invalidEvent {
                #expect(onWire.isEmpty && t.fate.neverSent)
            } else if r.code == 200 {
                #expect(t.fate == .delivered(code: 200) && !onWire.isEmpty)
            } else {
                #expect(t.fate == .rejected(code: r.code, message: r.text))
            }
        }
        // Wire events without a log record are exactly those the SDK never logged about:
        // the callbacks with no log line (quota drops), lost batches (200 without code) or
        // the invalid-key batch (a request-level log line, linked as a note).
        let logged = Set(records.compactMap { $0.event?.insertID })
        for ref in j.wireWithoutTrace {
            let e = try #require(j.wireEvent(ref))
            #expect(!logged.contains(e.insertID ?? ""))
        }
    }

    @Test func pythonInvalidEventsAreNeverSentAndExplained() throws {
        let (j, _, wire) = DebugFixtures.join(log: "python-sdk/logs/invalid_event_no_ids.log", requests: "python-sdk/requests/invalid_event_no_ids.jsonl")
        #expect(wire.isEmpty)
        #expect(j.traces.count == 2)
        #expect(j.traces.allSatisfy { $0.fate.neverSent && $0.wire.isEmpty })
        let bad = try #require(j.traces.first { $0.eventType == "Bad Type" })
        #expect(bad.noteRecords.count == 1)
        #expect(bad.fate == .skipped(reason: "invalid event — Event property user_id expected <class 'str'> but received <class 'int'>."))
    }

    @Test func pythonRequestLevelErrorIsAttachedToItsRequest() throws {
        let (j, records, wire) = DebugFixtures.join(log: "python-sdk/logs/http_400_invalid_api_key.log",
                                                    requests: "python-sdk/requests/http_400_invalid_api_key.jsonl")
        #expect(records.count == 1 && !wire.isEmpty)
        for e in wire {
            #expect(j.trace(forWire: e.ref) == nil)
            #expect(j.notes(forWire: e.ref) == [records[0].id])
        }
        #expect(j.wireWithoutTrace.count == wire.count)
    }

    @Test func pythonQuotaDropHasNoLogLine() throws {
        let (j, _, wire) = DebugFixtures.join(log: "python-sdk/logs/http_429_throttled_quota.log",
                                              requests: "python-sdk/requests/http_429_throttled_quota.jsonl")
        let callbacks = DebugFixtures.results("python-sdk/results/http_429_throttled_quota.json")
        let dropped = try #require(callbacks.first { $0.code == 429 })
        let refs = wire.filter { $0.insertID == dropped.insertID }.map(\.ref)
        #expect(!refs.isEmpty)
        #expect(refs.allSatisfy { j.trace(forWire: $0) == nil })
        #expect(Set(j.wireWithoutTrace) == Set(refs))
    }

    // MARK: Synthetic logs (methods and situations the fixtures do not show)

    static func block(_ name: String, args: String, start: String, end: String, before: Int = 0, after: Int = 1) -> String {
        """
        Amplitude Logger [Debug]: {
          "type": "invoke public method",
          "name": "\(name)",
          "args": \(args),
          "stacktrace": [
            "at onClick (http://localhost:3000/src/App.tsx:12:7)",
            "at AmplitudeBrowser.\(name) (http://localhost:3000/node_modules/@amplitude/analytics-browser/lib/esm/browser-client.js:80:3)"
          ],
          "time": {
            "start": "\(start)",
            "end": "\(end)"
          },
          "states": {
            "before": {
              "timeline.queue.length": \(before)
            },
            "after": {
              "timeline.queue.length": \(after)
            }
          }
        }
        """
    }

    static func final(_ json: String) -> String { "Amplitude Logger [Log]: Timeline.apply: Final event before destinations, event: \(json)" }

    static func parse(_ text: String, source: String = "app") -> [DebugRecord] {
        var p = DebugLogParser(source: source)
        var out: [DebugRecord] = []
        for (_, l) in LineSplitter(Array(text.utf8)) { out += p.feed(line: l) }
        return out + p.finish()
    }

    static let t0 = Timestamp.parseISO8601("2026-01-01T10:00:00.000Z")!

    @Test func groupIdentifySetGroupRevenueLogEvent() throws {
        let log = [
            Self.final("{\"time\":\(Self.t0 + 2),\"insert_id\":\"g-1\",\"event_type\":\"$groupidentify\",\"user_id\":\"u-12345\",\"groups\":{\"org\":\"acme\"},\"group_properties\":{\"$set\":{\"plan\":\"x\"}},\"event_id\":0}"),
            Self.final("{\"time\":\(Self.t0 + 3),\"insert_id\":\"s-1\",\"event_type\":\"$identify\",\"user_id\":\"u-12345\",\"groups\":{\"org\":\"acme\"},\"user_properties\":{\"$set\":{\"org\":\"acme\"}},\"event_id\":1}"),
            Self.final("{\"time\":\(Self.t0 + 4),\"insert_id\":\"r-1\",\"event_type\":\"revenue_amount\",\"user_id\":\"u-12345\",\"event_properties\":{\"$price\":3},\"event_id\":2}"),
            Self.final("{\"time\":\(Self.t0 + 5),\"insert_id\":\"l-1\",\"event_type\":\"Legacy\",\"user_id\":\"u-12345\",\"event_id\":3}"),
            "Amplitude Logger [Log]: Event tracked successfully",
            Self.block("groupIdentify", args: "[\"org\",\"acme\",{\"_propertySet\":{},\"_properties\":{\"$set\":{\"plan\":\"x\"}}},{\"user_id\":\"u-12345\"}]",
                       start: "2026-01-01T10:00:00.001Z", end: "2026-01-01T10:00:00.050Z"),
            "Amplitude Logger [Error]: Payload too large",
            Self.block("setGroup", args: "[\"org\",\"acme\",{\"user_id\":\"u-12345\"}]", start: "2026-01-01T10:00:00.002Z", end: "2026-01-01T10:00:00.050Z"),
            "Amplitude Logger [Log]: Event tracked successfully",
            Self.block("revenue", args: "[{\"productId\":\"p\",\"price\":3},{\"user_id\":\"u-12345\"}]", start: "2026-01-01T10:00:00.003Z", end: "2026-01-01T10:00:00.050Z"),
            "Amplitude Logger [Log]: Event tracked successfully",
            Self.block("logEvent", args: "[\"Legacy\",null,{\"user_id\":\"u-12345\"}]", start: "2026-01-01T10:00:00.004Z", end: "2026-01-01T10:00:00.050Z"),
        ].joined(separator: "\n")
        let records = Self.parse(log)
        var j = DebugJoiner()
        j.add(records)
        let wire = ["g-1": "$groupidentify", "s-1": "$identify", "r-1": "revenue_amount", "l-1": "Legacy"].sorted { $0.key < $1.key }
            .enumerated().map { i, kv in
                DebugWireEvent(ref: WireEventRef(captureID: 1, index: i), receivedAt: Self.t0 + 40, eventType: kv.value, userID: "u-12345",
                               insertID: kv.key, time: Self.t0, requestEventCount: 4, httpStatus: 200)
            }
        j.add(wire: wire)
        let byMethod = Dictionary(uniqueKeysWithValues: j.traces.compactMap { t in t.method.map { ($0, t) } })
        #expect(byMethod["groupIdentify"]?.insertID == "g-1")
        #expect(byMethod["setGroup"]?.insertID == "s-1")
        #expect(byMethod["revenue"]?.insertID == "r-1")
        #expect(byMethod["logEvent"]?.insertID == "l-1")
        #expect(byMethod["groupIdentify"]?.fate == .delivered(code: 200))
        #expect(byMethod["setGroup"]?.fate == .rejected(code: 413, message: "Payload too large"))
        #expect(j.traces.allSatisfy { $0.wire.count == 1 })
        #expect(j.wireWithoutTrace.isEmpty)
        let g1 = try #require(wire.first { $0.insertID == "g-1" })
        let call = try #require(j.call(forWire: g1.ref)?.call)
        #expect(call.stack.map(\.origin) == [.app, .sdk])
        #expect(call.changes.map(\.summary) == ["timeline.queue.length 0 → 1"])
    }

    @Test func optOutFilteredAndQueued() throws {
        let log = [
            Self.block("setOptOut", args: "[true]", start: "2026-01-01T10:00:00.000Z", end: "2026-01-01T10:00:00.000Z"),
            Self.block("track", args: "[\"While Out\"]", start: "2026-01-01T10:00:00.010Z", end: "2026-01-01T10:00:00.011Z"),
            Self.block("setOptOut", args: "[false]", start: "2026-01-01T10:00:00.020Z", end: "2026-01-01T10:00:00.020Z"),
            "Amplitude Logger [Log]: Timeline.apply: Event filtered out by before plugin 'drop-test', event: {\"event_type\":\"Test\",\"insert_id\":\"f-1\",\"time\":\(Self.t0 + 30)}",
            "Amplitude Logger [Error]: ",
            Self.block("track", args: "[\"Test\"]", start: "2026-01-01T10:00:00.030Z", end: "2026-01-01T10:00:00.031Z"),
            Self.final("{\"time\":\(Self.t0 + 40),\"insert_id\":\"q-1\",\"event_type\":\"Queued\",\"user_id\":\"u-12345\"}"),
            Self.final("{\"time\":\(Self.t0 + 41),\"insert_id\":\"q-2\",\"event_type\":\"In Flight\",\"user_id\":\"u-12345\"}"),
        ].joined(separator: "\n")
        var j = DebugJoiner()
        j.add(Self.parse(log))
        j.add(wire: DebugWireEvent(ref: WireEventRef(captureID: 9, index: 0), receivedAt: Self.t0 + 50, eventType: "In Flight",
                                   userID: "u-12345", insertID: "q-2", time: Self.t0 + 41, httpStatus: 503, sdkStatus: 503))
        let out = try #require(j.traces.first { $0.eventType == "While Out" })
        #expect(out.fate == .skipped(reason: "opted out (setOptOut)"))
        let filtered = try #require(j.traces.first { $0.insertID == "f-1" })
        #expect(filtered.method == "track")
        #expect(filtered.fate == .skipped(reason: "filtered out by a plugin"))
        #expect(j.trace(forInsertID: "q-1")?.fate == .queued)
        #expect(j.trace(forInsertID: "q-2")?.fate == .sent(status: 503))
        #expect(j.callsWithoutWire.count == 2)
    }

    /// Without `Final event` lines (no verbose logging) calls are matched by type, ids, content
    /// and time; retries then follow by the matched insert_id.
    @Test func heuristicJoinWithoutFinalEvents() throws {
        let log = [
            "Amplitude Logger [Log]: Event tracked successfully",
            Self.block("track", args: "[\"Signup\",{\"plan\":\"pro\"},{\"user_id\":\"u-00001\"}]", start: "2026-01-01T10:00:00.000Z", end: "2026-01-01T10:00:01.000Z"),
            "Amplitude Logger [Log]: Event tracked successfully",
            Self.block("track", args: "[\"Signup\",{\"plan\":\"free\"},{\"user_id\":\"u-00001\"}]", start: "2026-01-01T10:00:00.001Z", end: "2026-01-01T10:00:01.000Z"),
            "Amplitude Logger [Error]: Event rejected due to exceeded retry count",
            Self.block("track", args: "[\"Late\",null,{\"user_id\":\"u-00001\"}]", start: "2026-01-01T10:05:00.000Z", end: "2026-01-01T10:05:01.000Z"),
        ].joined(separator: "\n")
        func wire(_ cap: Int64, _ i: Int, _ type: String, _ iid: String, _ props: String?, time: Int64) -> DebugWireEvent {
            DebugWireEvent(ref: WireEventRef(captureID: cap, index: i), receivedAt: time + 100, eventType: type, userID: "u-00001",
                           insertID: iid, time: time, httpStatus: 200, propertiesFingerprint: props)
        }
        let w = [
            wire(1, 0, "Signup", "a", "{\"plan\":\"free\"}", time: Self.t0 + 2),
            wire(1, 1, "Signup", "b", "{\"plan\":\"pro\"}", time: Self.t0 + 2),
            wire(2, 0, "Signup", "a", "{\"plan\":\"free\"}", time: Self.t0 + 2),  // a retry
            wire(3, 0, "Late", "c", nil, time: Self.t0 - 600_000),                // far outside the window
        ]
        for wireFirst in [true, false] {
            var j = DebugJoiner()
            if wireFirst { j.add(wire: w); j.add(Self.parse(log)) } else { j.add(Self.parse(log)); j.add(wire: w) }
            let pro = try #require(j.traces.first { j.records[$0.callRecord!].call?.argsJSON.contains("pro") == true })
            let free = try #require(j.traces.first { j.records[$0.callRecord!].call?.argsJSON.contains("free") == true })
            #expect(pro.insertID == "b" && pro.wire == [w[1].ref] && pro.linkedBy == .heuristic)
            #expect(free.insertID == "a" && free.wire == [w[0].ref, w[2].ref] && free.linkedBy == .heuristic)
            #expect(pro.fate == .delivered(code: 200))
            let late = try #require(j.traces.first { $0.eventType == "Late" })
            #expect(late.wire.isEmpty)
            #expect(late.fate == .rejected(code: 500, message: TSMessages.maxRetries))
            #expect(j.wireWithoutTrace == [w[3].ref])
        }
    }

    /// Results are logged in the order calls settle, before their debug blocks: the oldest
    /// unclaimed result goes to the next call that settles.
    @Test func resultsAreTakenInSettleOrder() throws {
        let log = [
            Self.final("{\"time\":\(Self.t0 + 1),\"insert_id\":\"big\",\"event_type\":\"Big\",\"user_id\":\"u-12345\"}"),
            Self.final("{\"time\":\(Self.t0 + 2),\"insert_id\":\"small\",\"event_type\":\"Small\",\"user_id\":\"u-12345\"}"),
            "Amplitude Logger [Error]: Payload too large",
            "Amplitude Logger [Log]: Event tracked successfully",
            Self.block("track", args: "[\"Big\",null,{\"user_id\":\"u-12345\"}]", start: "2026-01-01T10:00:00.000Z", end: "2026-01-01T10:00:00.100Z"),
            Self.block("track", args: "[\"Small\",null,{\"user_id\":\"u-12345\"}]", start: "2026-01-01T10:00:00.001Z", end: "2026-01-01T10:00:00.100Z"),
        ].joined(separator: "\n")
        var j = DebugJoiner()
        j.add(Self.parse(log))
        #expect(j.trace(forInsertID: "big")?.fate == .rejected(code: 413, message: "Payload too large"))
        #expect(j.trace(forInsertID: "small")?.fate == .delivered(code: 200))
    }

    /// Identical calls (same type, ids and properties) take the final event whose time falls in
    /// their own window.
    @Test func identicalCallsAreToldApartByTime() throws {
        let log = [
            Self.final("{\"time\":\(Self.t0 + 5),\"insert_id\":\"first\",\"event_type\":\"Tick\",\"user_id\":\"u-12345\"}"),
            Self.final("{\"time\":\(Self.t0 + 60_000),\"insert_id\":\"second\",\"event_type\":\"Tick\",\"user_id\":\"u-12345\"}"),
            "Amplitude Logger [Log]: Event tracked successfully",
            "Amplitude Logger [Log]: Event tracked successfully",
            // The later call settles first.
            Self.block("track", args: "[\"Tick\",null,{\"user_id\":\"u-12345\"}]", start: "2026-01-01T10:01:00.000Z", end: "2026-01-01T10:01:00.200Z"),
            Self.block("track", args: "[\"Tick\",null,{\"user_id\":\"u-12345\"}]", start: "2026-01-01T10:00:00.000Z", end: "2026-01-01T10:01:00.200Z"),
        ].joined(separator: "\n")
        var j = DebugJoiner()
        let ids = j.add(Self.parse(log))
        let late = try #require(j.trace(forRecord: ids[4]))
        let early = try #require(j.trace(forRecord: ids[5]))
        #expect(late.insertID == "second")
        #expect(early.insertID == "first")
    }

    /// Lines arrive one by one and wire events as they would on a live session; the outcome
    /// equals the batch join.
    @Test func incrementalEqualsBatch() throws {
        let name = "ts_http_413_split"
        let (batch, _, wire) = DebugFixtures.join(log: "typescript-node/logs/\(name).console.log", requests: "typescript-node/requests/\(name).jsonl")
        var p = DebugLogParser(source: "\(name).console.log")
        var j = DebugJoiner()
        var pendingWire = wire[...]
        for (n, line) in LineSplitter(DebugFixtures.bytes("typescript-node/logs/\(name).console.log")) {
            j.add(p.feed(line: line))
            // A request reaches the proxy around when the SDK logs about it.
            if n % 25 == 0, let w = pendingWire.first { j.add(wire: w); pendingWire = pendingWire.dropFirst() }
        }
        j.add(p.finish())
        j.add(wire: Array(pendingWire))
        #expect(j.traces.count == batch.traces.count)
        for t in batch.traces {
            let u = try #require(j.trace(forInsertID: t.insertID!))
            #expect(u.wire == t.wire && u.fate == t.fate && u.method == t.method)
        }
    }

    @Test func wireRetentionIsBounded() {
        var j = DebugJoiner(options: .init(wireRetention: 100))
        for i in 0..<10_000 {
            j.add(wire: DebugWireEvent(ref: WireEventRef(captureID: Int64(i), index: 0), receivedAt: Int64(i), eventType: "E", insertID: "i\(i)"))
        }
        #expect(j.wireWithoutTrace.count == 100)
        #expect(j.wireEvent(WireEventRef(captureID: 0, index: 0)) == nil)
        #expect(j.wireEvent(WireEventRef(captureID: 9_999, index: 0)) != nil)
        // A late log line still links what is retained.
        j.add(Self.parse(Self.final("{\"time\":1,\"insert_id\":\"i9999\",\"event_type\":\"E\"}")))
        #expect(j.trace(forInsertID: "i9999")?.wire == [WireEventRef(captureID: 9_999, index: 0)])
        #expect(j.trace(forInsertID: "i9999")?.fate == .sent(status: 200))
    }

    @Test func wireEventsFromStreamRows() throws {
        let rel = "typescript-node/requests/ts_track_basic.jsonl"
        let ingest = Ingest()
        var ctx = ValidationContext()
        var rows: [StreamRow] = []
        for (n, line) in LineSplitter(DebugFixtures.bytes(rel)) where !line.isEmpty {
            guard case .success(let c?) = CaptureLine.parse(line, name: rel, line: n) else { continue }
            rows += StreamRow.rows(ingest.process(c, context: &ctx, now: 0), id: Int64(n))
        }
        let events = rows.map(DebugWireEvent.init(row:))
        #expect(events.count == 1 && events[0].insertID == "c68378d8-6527-45ab-81df-92e6be754415")
        var j = DebugJoiner()
        j.add(DebugFixtures.parse("typescript-node/logs/ts_track_basic.console.log").records)
        j.add(wire: events)
        #expect(j.call(forWire: events[0].ref)?.call?.name == "track")
    }
}
