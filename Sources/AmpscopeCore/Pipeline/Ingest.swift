/// A capture after decoding, validation and answer emulation: what every sink consumes.
public struct Processed: Sendable {
    public var capture: Capture
    public var request: DecodedRequest
    public var findings: [Finding]
    /// What Amplitude would answer (the proxy's answer in sink mode).
    public var answer: EmulatedAnswer
    /// For a Segment request: its calls mapped to the Amplitude requests each destination would
    /// send, each already decoded, validated and answered (nil for Amplitude requests).
    public var segmentMapping: SegmentMapping?
    /// What the plan's checks saw of each record, for `PlanCoverage.add` (with
    /// `Ingest.tallyPlanCoverage`; nil otherwise).
    var planTally: PlanTally?

    /// The status the client actually saw: the recorded/upstream/injected one when there is one.
    public var effectiveStatus: Int { capture.recordedResponse?.status ?? answer.status }

    /// Request-level findings (no event index).
    public var requestFindings: [Finding] { findings.filter { $0.event == nil } }

    public func findings(forEvent i: Int) -> [Finding] { findings.filter { $0.event == i } }

    public var counts: FindingCounts { FindingCounts(findings) }

    public init(capture: Capture, request: DecodedRequest, findings: [Finding], answer: EmulatedAnswer) {
        self.capture = capture
        self.request = request
        self.findings = findings
        self.answer = answer
    }
}

/// The one ingestion path: decode → validate → emulate Amplitude's answer.
///
/// The proxy, the replayer, the demo generator and `check` all call `process`, so a request
/// gets the same findings and the same answer whichever way it arrived.
public struct Ingest: Sendable {
    public var decoders: DecoderRegistry
    public var validator: Validator
    public var emulator: AnswerEmulator
    public var decodeOptions: DecodeOptions
    /// How Segment requests are mapped to Amplitude requests (nil: not mapped).
    public var segmentSettings: SegmentSettings? = SegmentSettings()
    /// A tracking plan to check events against (`--plan`); its findings (`plan-*`) follow the
    /// request's own and never change the emulated answer.
    public var plan: PlanChecker?
    /// With a plan: keep what its checks saw of each record in `Processed.planTally`, so that
    /// `PlanCoverage.add` counts the request without walking its records again. Set by callers
    /// that count coverage (`check --coverage`); off, requests carry nothing more.
    public var tallyPlanCoverage = false

    public init(decoders: DecoderRegistry = .standard, rules: RuleRegistry = .standard,
                decodeOptions: DecodeOptions = DecodeOptions()) {
        self.decoders = decoders
        self.validator = Validator(rules: rules)
        self.emulator = AnswerEmulator(rules: rules)
        self.decodeOptions = decodeOptions
    }

    /// Processes one capture. `now` is the server time written into 200 answers (ms).
    public func process(_ capture: Capture, context: inout ValidationContext, now: Int64) -> Processed {
        judge(capture, decoders.decode(capture, options: decodeOptions), context: &context, now: now)
    }

    /// Decoding needs no shared state: concurrent callers decode in parallel, then `judge` in order.
    public func decode(_ capture: Capture, parsedBody: JSONDocument? = nil) -> DecodedRequest {
        decoders.decode(capture, options: decodeOptions, parsedBody: parsedBody)
    }

    /// Validates a decoded request and emulates the answer (uses and updates the context).
    /// With a plan, its findings are gathered in the validator's pass over the records.
    public func judge(_ capture: Capture, _ request: DecodedRequest, context: inout ValidationContext, now: Int64) -> Processed {
        var planPass = PlanPass(tally: tallyPlanCoverage && plan != nil)
        let findings = validator.validate(request, context: &context, plan: plan, planPass: &planPass)
        var p = conclude(capture, request, findings, planFindings: planPass.findings.findings, context: &context, now: now)
        if let plan, let records = planPass.tally { p.planTally = PlanTally(checker: plan, records: records) }
        return p
    }

    /// Validation that needs no history (any thread, in parallel): pass the result to `judge(_:_:prevalidated:...)`.
    public func prevalidate(_ request: DecodedRequest, settings: ValidationSettings) -> Prevalidated {
        validator.prevalidate(request, settings: settings, plan: plan, tally: tallyPlanCoverage)
    }

    /// `judge` for a request already prevalidated with the context's settings: the same result,
    /// with only the history-dependent part of validation done here.
    public func judge(_ capture: Capture, _ request: DecodedRequest, prevalidated: Prevalidated,
                      context: inout ValidationContext, now: Int64) -> Processed {
        // Prevalidated by an Ingest with another plan (or none): check this one's on its own.
        let samePlan = prevalidated.plan === plan
        let planFindings = samePlan ? prevalidated.planFindings : plan?.check(request) ?? []
        var p = conclude(capture, request, validator.finish(prevalidated, request, context: &context), planFindings: planFindings,
                         context: &context, now: now)
        if samePlan, tallyPlanCoverage, let plan, let records = prevalidated.planTally { p.planTally = PlanTally(checker: plan, records: records) }
        return p
    }

    /// `planFindings`: the plan's findings for the request (empty without a plan).
    private func conclude(_ capture: Capture, _ request: DecodedRequest, _ findings: [Finding], planFindings: [Finding],
                          context: inout ValidationContext, now: Int64) -> Processed {
        let answer = emulator.answer(for: request, findings: findings, now: now)
        // Plan findings follow the request's (most requests have none of the latter: no copy then).
        let findings = planFindings.isEmpty ? findings : findings.isEmpty ? planFindings : findings + planFindings
        // What Amplitude ingested decides later duplicate findings: the real answer when known.
        context.commit(request, accepted: Processed.ingestedByAmplitude(capture: capture, answer: answer))
        var processed = Processed(capture: capture, request: request, findings: findings, answer: answer)
        if request.endpoint == .segment, let settings = segmentSettings {
            processed.segmentMapping = mapSegment(capture, request, findings, settings: settings, context: &context, now: now)
        }
        return processed
    }
}


/// `Ingest` plus its validation context, safe to call from many threads (the proxy's event loops).
///
/// Decoding runs in parallel; validation and answer emulation hold a short lock, because the
/// duplicate-insert_id rule depends on what was ingested before, in arrival order.
public final class SharedIngest: Sendable {
    public let ingest: Ingest
    private let context: Guarded<ValidationContext>

    public init(ingest: Ingest = Ingest(), settings: ValidationSettings = ValidationSettings()) {
        self.ingest = ingest
        self.context = Guarded(ValidationContext(settings: settings))
    }

    public var settings: ValidationSettings { context.withLock { $0.settings } }

    public func process(_ capture: Capture, now: Int64) -> Processed {
        let request = ingest.decode(capture)
        return context.withLock { ctx in ingest.judge(capture, request, context: &ctx, now: now) }
    }

    /// Judges an already decoded request (callers that decode in parallel and judge in order).
    public func judge(_ capture: Capture, _ request: DecodedRequest, now: Int64) -> Processed {
        context.withLock { ctx in ingest.judge(capture, request, context: &ctx, now: now) }
    }

    /// Judges a request prevalidated (in parallel) with `settings`; the same result as `judge`.
    public func judge(_ capture: Capture, _ request: DecodedRequest, prevalidated: Prevalidated, now: Int64) -> Processed {
        context.withLock { ctx in ingest.judge(capture, request, prevalidated: prevalidated, context: &ctx, now: now) }
    }

    /// Forgets what was ingested (the UI's "clear").
    public func reset() {
        context.withLock { ctx in ctx = ValidationContext(settings: ctx.settings) }
    }
}
