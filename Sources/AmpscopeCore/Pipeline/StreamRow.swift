/// One row of the live event stream: an event (or a request without events) and its request's
/// context. This is what the store keeps in memory per event and what filters run over.
public struct StreamRow: Sendable, Equatable {
    /// Store id of the request.
    public var captureID: Int64
    public var receivedAt: Int64
    public var sourceKind: CaptureSource.Kind
    /// File name, `proxy`, `demo`...
    public var sourceName: String
    public var method: String
    public var endpoint: Endpoint
    /// Status the client saw (upstream, injected or emulated).
    public var status: Int
    /// Status ampscope emulates for the request.
    public var emulatedStatus: Int
    /// Where `status` came from: nil = emulated answer.
    public var answerOrigin: RecordedResponse.Origin?
    /// Number of records in the request.
    public var requestEvents: Int
    /// Masked API key of the request (for telling projects apart).
    public var apiKeyMasked: String?
    public var event: EventSummary

    public init(captureID: Int64, receivedAt: Int64, sourceKind: CaptureSource.Kind, sourceName: String, method: String,
                endpoint: Endpoint, status: Int, emulatedStatus: Int, answerOrigin: RecordedResponse.Origin?,
                requestEvents: Int, apiKeyMasked: String?, event: EventSummary) {
        self.captureID = captureID
        self.receivedAt = receivedAt
        self.sourceKind = sourceKind
        self.sourceName = sourceName
        self.method = method
        self.endpoint = endpoint
        self.status = status
        self.emulatedStatus = emulatedStatus
        self.answerOrigin = answerOrigin
        self.requestEvents = requestEvents
        self.apiKeyMasked = apiKeyMasked
        self.event = event
    }

    /// The rows of a processed capture stored under `id`.
    public static func rows(_ p: Processed, id: Int64) -> [StreamRow] {
        let masked = p.request.apiKey.map(Redactor.mask)
        return EventSummary.extract(p).map { s in
            StreamRow(captureID: id, receivedAt: p.capture.receivedAt, sourceKind: p.capture.source.kind,
                      sourceName: p.capture.source.name, method: p.capture.method, endpoint: s.mapped?.endpoint ?? p.request.endpoint,
                      status: s.mapped?.status ?? p.effectiveStatus, emulatedStatus: s.mapped?.status ?? p.answer.status,
                      answerOrigin: p.capture.recordedResponse?.origin, requestEvents: p.request.records.count,
                      apiKeyMasked: masked, event: s)
        }
    }
}
