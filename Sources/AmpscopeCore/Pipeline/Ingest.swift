/// A capture after decoding, validation and answer emulation: what every sink consumes.
public struct Processed: Sendable {
    public var capture: Capture
    public var request: DecodedRequest
    public var findings: [Finding]
    /// What Amplitude would answer (the proxy's answer in sink mode).
    public var answer: EmulatedAnswer

    /// The status the client actually saw: the recorded/upstream/injected one when there is one.
    public var effectiveStatus: Int { capture.recordedResponse?.status ?? answer.status }

    /// Request-level findings (no event index).
    public var requestFindings: [Finding] { findings.filter { $0.event == nil } }

    public func findings(forEvent i: Int) -> [Finding] { findings.filter { $0.event == i } }

    public var counts: FindingCounts { FindingCounts(findings) }
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

    public init(decoders: DecoderRegistry = .standard, rules: RuleRegistry = .standard,
                decodeOptions: DecodeOptions = DecodeOptions()) {
        self.decoders = decoders
        self.validator = Validator(rules: rules)
        self.emulator = AnswerEmulator(rules: rules)
        self.decodeOptions = decodeOptions
    }

    /// Processes one capture. `now` is the server time written into 200 answers (ms).
    public func process(_ capture: Capture, context: inout ValidationContext, now: Int64) -> Processed {
        let request = decoders.decode(capture, options: decodeOptions)
        let findings = validator.validate(request, context: &context)
        let answer = emulator.answer(for: request, findings: findings, now: now)
        // What Amplitude ingested decides later duplicate findings: the real answer when known.
        let accepted: Bool
        if let recorded = capture.recordedResponse {
            accepted = recorded.origin != .injected && recorded.origin != .fallback && (200..<300).contains(recorded.status)
        } else {
            accepted = answer.accepted
        }
        context.commit(request, accepted: accepted)
        return Processed(capture: capture, request: request, findings: findings, answer: answer)
    }
}
