import Testing
@testable import AmpscopeCore

/// `duplicate-insert-id` depends on what Amplitude ingested earlier in the same input.
@Suite("Duplicate insert_id across requests")
struct DuplicateInsertIDTests {
    typealias E = CoreTest

    /// Runs captures in order through one context, as `check` and the proxy do.
    static func run(_ captures: [Capture], settings: ValidationSettings = ValidationSettings()) -> [Processed] {
        var ctx = ValidationContext(settings: settings)
        let ingest = Ingest()
        return captures.map { ingest.process($0, context: &ctx, now: E.now) }
    }

    static func dupHits(_ p: Processed) -> [Finding] { p.findings.filter { $0.rule == RuleID.duplicateInsertID } }

    @Test("a resend after an accepted request is flagged")
    func resendAfterAccepted() {
        let e = E.event(["insert_id": "\"ins-1\""])
        let out = Self.run([E.events(e), E.events(E.event(), e)])
        #expect(Self.dupHits(out[0]).isEmpty)
        expectFinding(out[1].findings, RuleID.duplicateInsertID, at: "/events/1/insert_id", event: 1, severity: .warning)
        #expect(Self.dupHits(out[1]).first?.message.contains("request #1") == true)
        #expect(out[1].answer.status == 200, "a duplicate is still answered 200")
    }

    @Test("an SDK retry after a rejected request is not flagged")
    func retryAfterRejected() {
        let a = E.event(["insert_id": "\"ins-a\""])
        let short = E.event(["user_id": "\"abc\"", "insert_id": "\"ins-b\""])
        let c = E.event(["insert_id": "\"ins-c\""])
        let out = Self.run([E.events(a, short, c), E.events(a, c)])
        #expect(out[0].answer.status == 400)
        #expect(out[1].findings.isEmpty, "\(E.describe(out[1].findings))")
        #expect(out[1].answer.status == 200)
    }

    @Test("a third send after the accepted retry is flagged again")
    func afterRetryAccepted() {
        let a = E.event(["insert_id": "\"ins-a\""])
        let out = Self.run([E.events(a, E.event(["device_id": "\"d1\""])), E.events(a), E.events(a)])
        #expect(out[0].answer.status == 400)
        #expect(Self.dupHits(out[1]).isEmpty)
        expectFinding(out[2].findings, RuleID.duplicateInsertID, at: "/events/0/insert_id", event: 0, severity: .warning)
        #expect(Self.dupHits(out[2]).first?.message.contains("request #2") == true)
    }

    @Test("the recorded answer decides what was ingested, when there is one")
    func recordedAnswerDecides() {
        let e = E.event(["insert_id": "\"ins-r\""])
        func with(_ status: Int, _ origin: RecordedResponse.Origin) -> Capture {
            var c = E.events(e)
            c.recordedResponse = RecordedResponse(status: status, body: [], origin: origin)
            return c
        }
        // Really answered 200 upstream: ingested.
        #expect(!Self.dupHits(Self.run([with(200, .upstream), E.events(e)])[1]).isEmpty)
        // Recorded 503 although ampscope would answer 200: not ingested.
        #expect(Self.dupHits(Self.run([with(503, .recorded), E.events(e)])[1]).isEmpty)
        // An injected fault (or a fallback answer) never reached Amplitude, even when it says 200.
        #expect(Self.dupHits(Self.run([with(200, .injected), E.events(e)])[1]).isEmpty)
        #expect(Self.dupHits(Self.run([with(200, .fallback), E.events(e)])[1]).isEmpty)
    }

    @Test("the same insert_id on another device is a different event")
    func otherDevice() {
        let out = Self.run([E.events(E.event(["insert_id": "\"ins-1\""])),
                            E.events(E.event(["insert_id": "\"ins-1\"", "device_id": "\"device-67890\""]))])
        #expect(Self.dupHits(out[1]).isEmpty)
    }

    @Test("an insert_id without device_id is keyed on the insert_id alone")
    func noDevice() {
        let e = E.event(["insert_id": "\"ins-u\""], drop: ["device_id"])
        let out = Self.run([E.events(e), E.events(e)])
        #expect(!Self.dupHits(out[1]).isEmpty)
    }

    @Test("events without insert_id are never duplicates")
    func noInsertID() {
        let e = E.event(drop: ["insert_id"])
        let out = Self.run([E.events(e, e), E.events(e)])
        #expect(out.allSatisfy { Self.dupHits($0).isEmpty })
    }

    @Test("within one request: the second use is flagged, pointing at the first")
    func withinRequest() {
        let e = E.event(["insert_id": "\"ins-w\""])
        let out = Self.run([E.events(e, E.event(), e, e)])
        let hits = Self.dupHits(out[0])
        #expect(hits.map(\.event) == [2, 3])
        #expect(hits.first?.message.contains("event 0") == true)
    }

    @Test("SharedIngest keeps the context across threads and reset() forgets it")
    func shared() {
        let shared = SharedIngest()
        let e = E.event(["insert_id": "\"ins-s\""])
        _ = shared.process(E.events(e), now: E.now)
        #expect(!Self.dupHits(shared.process(E.events(e), now: E.now)).isEmpty)
        shared.reset()
        #expect(Self.dupHits(shared.process(E.events(e), now: E.now)).isEmpty)
    }
}
