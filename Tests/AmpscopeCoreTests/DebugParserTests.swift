import Foundation
import Testing
@testable import AmpscopeCore

@Suite("Debug log parser")
struct DebugParserTests {
    static let tsTrackBasic = "typescript-node/logs/ts_track_basic.console.log"

    @Test func trackBasicRecords() throws {
        let (records, parser) = DebugFixtures.parse(Self.tsTrackBasic)
        #expect(parser.problems.isEmpty)
        #expect(records.map(\.kind) == [.pipeline, .pipeline, .finalEvent, .result, .call, .call])
        #expect(records.map(\.level) == [.log, .log, .log, .log, .debug, .debug])
        #expect(records.allSatisfy { $0.sdk == .typescript })

        let final = try #require(records[2].event)
        #expect(final.insertID == "c68378d8-6527-45ab-81df-92e6be754415")
        #expect(final.eventType == "Button Clicked")
        #expect(final.userID == "user-12345")
        #expect(final.time == 1_795_370_765_924)
        #expect(final.eventID == 0)

        let result = records[3]
        #expect(result.code == 200)
        #expect(result.line == 4 && result.endLine == 8)
        #expect(result.text == "success: {\n  \"eventsIngested\": 1,\n  \"payloadSizeBytes\": 665,\n  \"serverUploadTime\": 1795370765943\n}")
        #expect(result.response?.eventsIngested == 1)
        #expect(result.response?.payloadSizeBytes == 665)
        #expect(result.response?.status == "success")

        let flush = try #require(records[4].call)
        #expect(flush.name == "flush")
        #expect(flush.argsJSON == "[]")
        #expect(flush.changes.map(\.summary) == ["timeline.queue.length 1 → 0"])
        #expect(flush.stateDiff.first { $0.key == "config.apiKey" }?.kind == .unchanged)
        #expect(flush.producesEvent == false)

        let track = try #require(records[5].call)
        #expect(track.type == "invoke public method")
        #expect(track.name == "track")
        #expect(track.argsJSON.hasPrefix("[\"Button Clicked\",{\"button\":\"signup\",\"count\":3,\"price\":9.5,\"ok\":true,\"tags\":[\"a\",\"b\"]"))
        #expect(track.argsSummary == "\"Button Clicked\", {…}, {…}")
        #expect(track.startText == "2026-11-22T18:06:05.914Z")
        #expect(track.start == Timestamp.parseISO8601("2026-11-22T18:06:05.914Z"))
        #expect(track.durationMs == 33)
        #expect(track.stack.count == 2)
        #expect(track.stack[0] == StackFrame(function: "track", file: "<runner>/run-ts.js", line: 28, column: 46,
                                              raw: "at track (<runner>/run-ts.js:28:46)", origin: .app))
        #expect(track.callSite?.function == "track")
        #expect(track.stateDiff.count == 2)
        #expect(track.changes.isEmpty)
        let x = try #require(track.expected)
        #expect(x.eventType == "Button Clicked")
        #expect(x.userID == "user-12345")
        #expect(x.deviceID == "device-abcdef")
        #expect(x.propertiesFingerprint == final.propertiesFingerprint)
        #expect(records[5].headline == "track(\"Button Clicked\", {…}, {…})")
        #expect(records[5].methodName == "track")
        #expect(records[5].location == "ts_track_basic.console.log:31-86")
    }

    /// Every TS fixture: every SDK line is accounted for, every block is read, nothing is wrong.
    @Test(arguments: DebugFixtures.tsScenarios)
    func tsFixtureParsesCleanly(_ name: String) throws {
        let rel = "typescript-node/logs/\(name).console.log"
        let (records, parser) = DebugFixtures.parse(rel)
        let text = String(decoding: DebugFixtures.bytes(rel), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(parser.problems.isEmpty, "\(parser.problems)")
        #expect(parser.stats.badLines == 0)
        #expect(parser.stats.otherLines == 0)
        #expect(parser.stats.lines == lines.count)
        #expect(parser.stats.sdkLines == lines.count)
        #expect(records.count == lines.filter { $0.hasPrefix("Amplitude Logger [") }.count)
        #expect(records.filter { $0.kind == .call }.count == lines.filter { $0 == "Amplitude Logger [Debug]: {" }.count)
        #expect(records.filter { $0.kind == .finalEvent }.count == lines.filter { $0.contains("Final event before destinations") }.count)
        #expect(records.allSatisfy { $0.kind != .message || $0.level != .debug })
        // Records are contiguous: each starts right after the previous one ends.
        for (a, b) in zip(records, records.dropFirst()) { #expect(b.line == a.endLine + 1) }
        for r in records where r.kind == .call {
            let c = try #require(r.call)
            #expect(c.start != nil && c.end != nil && c.durationMs! >= 0)
            // The runner's own frames, sometimes under a Node runtime frame; never SDK frames
            // (the SDK trims its own frames from the stack it prints).
            #expect(c.stack.first?.origin == .app)
            #expect(c.stack.allSatisfy { $0.origin == .app || $0.origin == .runtime })
        }
    }

    @Test func identifyArgsAndExpectedEvent() throws {
        let (records, _) = DebugFixtures.parse("typescript-node/logs/ts_identify_all_ops.console.log")
        let calls = records.compactMap(\.call).filter { $0.name == "identify" }
        #expect(calls.count == 2)
        let finals = records.filter { $0.kind == .finalEvent }.compactMap(\.event)
        #expect(calls[0].expected?.eventType == "$identify")
        #expect(calls[0].expected?.propertiesFingerprint == finals[0].propertiesFingerprint)
        #expect(calls[1].expected?.propertiesFingerprint == "{\"$clearAll\":\"-\"}")
        #expect(calls[1].expected?.userID == "user-12345" && calls[1].expected?.deviceID == nil)
    }

    @Test func warnBodiesAndStatusSentences() throws {
        let (records, _) = DebugFixtures.parse("typescript-node/logs/ts_http_429_throttled_quota.console.log")
        let warn = try #require(records.first { $0.kind == .response })
        let info = try #require(warn.response)
        #expect(info.error == "Too many requests for some devices and users")
        #expect(info.flagged == [0: ["throttled"], 1: ["throttled"]])
        #expect(info.exceededQuotaUsers == ["user-00002"])
        #expect(info.reasons(forIndex: 1, userID: "user-00002") == ["throttled", "user over daily quota"])
        let err = try #require(records.first { $0.level == .error })
        #expect(err.kind == .result && err.code == 429)

        let (r503, _) = DebugFixtures.parse("typescript-node/logs/ts_http_503_text_then_200.console.log")
        let w = try #require(r503.first { $0.kind == .response }?.response)
        #expect(w.status == "failed" && w.eventCount == 2 && w.code == 0)

        let (short, _) = DebugFixtures.parse("typescript-node/logs/ts_short_user_id_explicit_flush.console.log")
        let inv = try #require(short.first { $0.level == .error })
        #expect(inv.kind == .result && inv.code == 400)
        #expect(inv.response?.status == "invalid")
        #expect(inv.response?.flagged == [1: ["invalid id length: user_id"]])
    }

    @Test func emptyTypeAndOtherErrorResults() {
        let (records, _) = DebugFixtures.parse("typescript-node/logs/ts_invalid_event_no_ids.console.log")
        #expect(records[0].kind == .result && records[0].code == 0 && records[0].text == TSMessages.emptyEventType)
        let (r200, _) = DebugFixtures.parse("typescript-node/logs/ts_http_200_without_code.console.log")
        let errors = r200.filter { $0.level == .error }
        #expect(errors.map(\.text) == [TSMessages.maxRetries, "unknown"])
        #expect(errors.map(\.code) == [500, 0])
        #expect(r200.filter { $0.kind == .response }.count == 3)
        let (key, _) = DebugFixtures.parse("typescript-node/logs/ts_http_400_invalid_api_key.console.log")
        #expect(key.filter { $0.kind == .result }.map(\.code) == [400, 400])
    }

    /// Feeding arbitrary chunks gives exactly what feeding lines gives.
    @Test func chunkedFeedingMatchesLines() {
        let rel = "typescript-node/logs/ts_http_413_split.console.log"
        let (expected, _) = DebugFixtures.parse(rel)
        let bytes = DebugFixtures.bytes(rel)
        var g = DebugRandom(seed: 7)
        for _ in 0..<5 {
            var p = DebugLogParser(source: "ts_http_413_split.console.log")
            var got: [DebugRecord] = []
            var i = 0
            while i < bytes.count {
                let n = Int(g.next() % 300) + 1
                got += p.feed(bytes: bytes[i..<min(bytes.count, i + n)])
                i += n
            }
            got += p.finish()
            #expect(got == expected)
        }
    }

    /// On a live tail a record is returned by the call that feeds its last line.
    @Test func recordsCompleteAsSoonAsTheirLastLineArrives() {
        let bytes = DebugFixtures.bytes(Self.tsTrackBasic)
        var p = DebugLogParser(source: "live")
        for (n, line) in LineSplitter(bytes) {
            let got = p.feed(line: line, receivedAt: Int64(n))
            for r in got { #expect(r.endLine == n) }
            if n == 86 { #expect(got.first?.call?.name == "track") }
            if n == 85 { #expect(got.isEmpty) }
        }
        #expect(p.finish().isEmpty)
    }

    @Test(arguments: DebugFixtures.pythonScenarios)
    func pythonTextAndJSONLAgree(_ name: String) throws {
        let (text, tp) = DebugFixtures.parse("python-sdk/logs/\(name).log")
        let (jsonl, jp) = DebugFixtures.parse("python-sdk/logs/\(name).log.jsonl")
        #expect(tp.problems.isEmpty && jp.problems.isEmpty)
        #expect(tp.stats.otherLines == 0 && jp.stats.otherLines == 0)
        #expect(text.count == jsonl.count)
        #expect(text.count == jp.stats.lines)
        for (a, b) in zip(text, jsonl) {
            #expect(a.sdk == .python && b.sdk == .python)
            #expect(a.level == b.level)
            #expect(a.text == b.text)
            #expect(a.kind == b.kind)
            #expect(a.code == b.code)
            #expect(a.event?.insertID == b.event?.insertID)
            #expect(a.event?.json == b.event?.json)
            #expect(a.traceback == b.traceback)
        }
        // Each per-event record agrees with the callback the SDK made for that event.
        let callbacks = DebugFixtures.results("python-sdk/results/\(name).json")
        for r in text where r.kind == .result {
            let iid = try #require(r.event?.insertID)
            let cb = try #require(callbacks.first { $0.insertID == iid }, "no callback for \(iid)")
            #expect(cb.code == r.code)
            #expect(cb.message == r.text)
        }
    }

    @Test func pythonTracebacks() throws {
        let (records, parser) = DebugFixtures.parse("python-sdk/logs/invalid_event_no_ids.log")
        #expect(parser.problems.isEmpty)
        #expect(records.map(\.kind) == [.invalidEvent, .message, .invalidEvent])
        let first = records[0]
        #expect(first.level == .error)
        #expect(first.event?.eventType == "No Ids" && first.event?.insertID == "9975ea27-83c8-469a-968d-370ea70cdac9")
        #expect(first.traceback.first == "Traceback (most recent call last):")
        #expect(first.traceback.last == "amplitude.exception.InvalidEventError: Invalid event.")
        #expect(first.line == 1 && first.endLine == 7)
        #expect(first.tracebackFrames.map(\.function) == ["apply_plugins", "execute"])
        #expect(first.tracebackFrames.allSatisfy { $0.origin == .sdk })
        #expect(first.tracebackFrames[1].line == 163)
        #expect(records[1].text == "Event property user_id expected <class 'str'> but received <class 'int'>.")
    }

    @Test func pythonRecordIsHeldUntilTheNextLineOrFlush() {
        var p = DebugLogParser(source: "py")
        #expect(p.feed(line: Array("ERROR:amplitude:Invalid API Key".utf8)).isEmpty)
        let flushed = p.flush()
        #expect(flushed.map(\.text) == ["Invalid API Key"])
        #expect(p.feed(line: Array("INFO:amplitude:Event sent successfully.".utf8)).isEmpty)
        let next = p.feed(line: Array("WARNING:amplitude:Skipped event for opt out config".utf8))
        #expect(next.map(\.level) == [.info])
        #expect(p.finish().map(\.level) == [.warn])
        // Child logger names and a time before the level.
        var q = DebugLogParser(source: "py")
        _ = q.feed(line: Array("2026-11-22 18:06:05,921 DEBUG:amplitude.worker:hello".utf8))
        let r = q.finish()
        #expect(r.count == 1 && r[0].text == "hello" && r[0].level == .debug)
        #expect(r[0].loggedAt == Timestamp.parseISO8601("2026-11-22 18:06:05.921"))
        // Not an amplitude logger.
        var o = DebugLogParser(source: "py")
        _ = o.feed(line: Array("INFO:urllib3:connection".utf8))
        _ = o.feed(line: Array("{\"level\":\"INFO\",\"logger\":\"other\",\"message\":\"x\"}".utf8))
        #expect(o.finish().isEmpty && o.stats.otherLines == 2)
    }

    @Test func prefixesBeforeTheSDKPrefix() throws {
        let log = """
        2026-11-22T18:06:05.921Z Amplitude Logger [Log]: Event tracked successfully
        app_1  | Amplitude Logger [Debug]: {
        app_1  |   "type": "invoke public method",
        app_1  |   "name": "flush",
        app_1  |   "args": []
        app_1  | }
        \u{1b}[33mAmplitude Logger [Warn]: {code: 0, error: "Status 'timeout' provided for 1 events"}
        [Amplitude] Invalid event type
        logger.js:48 Amplitude Logger [Debug]: {
          "type": "invoke public method",
          "name": "getUserId",
          "args": []
        }
        """
        var p = DebugLogParser(source: "mixed")
        var out: [DebugRecord] = []
        for (_, l) in LineSplitter(Array(log.utf8)) { out += p.feed(line: l) }
        out += p.finish()
        #expect(p.problems.isEmpty)
        try #require(out.count == 5)
        #expect(out[0].loggedAt == Timestamp.parseISO8601("2026-11-22T18:06:05.921Z"))
        #expect(out[0].kind == .result)
        #expect(out[1].call?.name == "flush" && out[1].line == 2 && out[1].endLine == 6)
        #expect(out[2].response?.status == "timeout")
        #expect(out[3].sdk == .amplitudeJS && out[3].level == .error && out[3].text == "Invalid event type")
        #expect(out[4].call?.name == "getUserId" && out[4].endLine == 13)
    }

    @Test func sniffingFormats() {
        #expect(DebugLogParser.sniff(DebugFixtures.bytes(Self.tsTrackBasic)) == .typescript)
        #expect(DebugLogParser.sniff(DebugFixtures.bytes("python-sdk/logs/invalid_event_no_ids.log")) == .python)
        #expect(DebugLogParser.sniff(DebugFixtures.bytes("python-sdk/logs/revenue.log.jsonl")) == .python)
        #expect(DebugLogParser.sniff(DebugFixtures.bytes("typescript-node/requests/ts_track_basic.jsonl")) == nil)
        #expect(DebugLogParser.sniff(Array("[Amplitude] Invalid event\n".utf8)) == .amplitudeJS)
        #expect(DebugLogParser.sniff(Array("hello\nworld\n".utf8)) == nil)
    }

    @Test func stackFrames() {
        let f1 = StackFrame.parseJS("at AmplitudeBrowser.track (https://cdn.amplitude.com/libs/analytics-browser-2.11.1-min.js.gz:1:2345)")
        #expect(f1.function == "AmplitudeBrowser.track" && f1.file == "https://cdn.amplitude.com/libs/analytics-browser-2.11.1-min.js.gz")
        #expect(f1.line == 1 && f1.column == 2345 && f1.origin == .sdk)
        let f2 = StackFrame.parseJS("at /app/node_modules/@amplitude/analytics-core/lib/cjs/core-client.js:120:9")
        #expect(f2.function == nil && f2.line == 120 && f2.column == 9 && f2.origin == .sdk)
        let f3 = StackFrame.parseJS("at async main (/home/me/app/src/index.ts:12:3)")
        #expect(f3.function == "async main" && f3.file == "/home/me/app/src/index.ts" && f3.origin == .app)
        let f4 = StackFrame.parseJS("at process.processTicksAndRejections (node:internal/process/task_queues:95:5)")
        #expect(f4.origin == .runtime && f4.line == 95)
        let f5 = StackFrame.parseJS("onClick@http://localhost:3000/static/js/main.js:10:20")
        #expect(f5.function == "onClick" && f5.file == "http://localhost:3000/static/js/main.js" && f5.column == 20 && f5.origin == .app)
        let f6 = StackFrame.parseJS("something odd")
        #expect(f6.origin == .unknown && f6.raw == "something odd")
        let f7 = StackFrame.parseJS("at new Promise (<anonymous>)")
        #expect(f7.function == "new Promise" && f7.origin == .runtime)
        let f8 = StackFrame.parseJS("at Object.<anonymous> (/srv/app.js:3:1)")
        #expect(f8.function == "Object.<anonymous>" && f8.location == "/srv/app.js:3:1")
        let p = StackFrame.parsePython("  File \"/home/me/app/main.py\", line 12, in <module>")
        #expect(p?.origin == .app && p?.line == 12 && p?.function == "<module>")
        #expect(StackFrame.parsePython("    plugin.execute(x)") == nil)
    }

    @Test func stateDiffKinds() throws {
        let text = """
        {"before": {"timeline.queue.length": 0, "gone": 1, "config": {"optOut": false, "flushQueueSize": 30}},
         "after": {"timeline.queue.length": 1, "config": {"optOut": true, "flushQueueSize": 30}, "new": "x"}}
        """
        let doc = try JSONDocument(parsing: text)
        let d = StateChange.diff(doc, before: doc.member(doc.root, "before"), after: doc.member(doc.root, "after"))
        #expect(d.map(\.key) == ["timeline.queue.length", "gone", "config.optOut", "config.flushQueueSize", "new"])
        #expect(d.map(\.kind) == [.changed, .removed, .changed, .unchanged, .added])
        #expect(d[0].summary == "timeline.queue.length 0 → 1")
        #expect(d[1].summary == "gone 1 → (absent)")
        #expect(d[4].summary == "new (absent) → \"x\"")
    }

    @Test func expectedEventsOfEveryEventMethod() throws {
        func expected(_ method: String, _ args: String) throws -> ExpectedEvent? {
            let doc = try JSONDocument(parsing: args)
            return ExpectedEvent.from(method: method, doc, doc.root)
        }
        #expect(try expected("groupIdentify", "[\"org\",\"acme\",{\"_propertySet\":{},\"_properties\":{\"$set\":{\"plan\":\"x\"}}},{\"user_id\":\"u-12345\"}]")
                == ExpectedEvent(eventType: "$groupidentify", userID: "u-12345", propertiesFingerprint: "{\"$set\":{\"plan\":\"x\"}}"))
        #expect(try expected("setGroup", "[\"org\",\"acme\",{\"device_id\":\"d-12345\"}]")
                == ExpectedEvent(eventType: "$identify", deviceID: "d-12345", propertiesFingerprint: "{\"$set\":{\"org\":\"acme\"}}"))
        #expect(try expected("revenue", "[{\"productId\":\"p\",\"price\":3},{\"user_id\":\"u-12345\",\"insert_id\":\"iid\"}]")
                == ExpectedEvent(eventType: "revenue_amount", userID: "u-12345", insertID: "iid"))
        #expect(try expected("logEvent", "[{\"event_type\":\"E\",\"user_id\":\"u1\",\"event_properties\":{\"b\":1,\"a\":2}},null,{\"device_id\":\"d1\",\"time\":5}]")
                == ExpectedEvent(eventType: "E", userID: "u1", deviceID: "d1", time: 5, propertiesFingerprint: "{\"a\":2,\"b\":1}"))
        #expect(try expected("track", "[\"  \"]")?.hasBlankType == true)
        #expect(try expected("flush", "[]") == nil)
    }
}

/// Deterministic random numbers for tests.
struct DebugRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
