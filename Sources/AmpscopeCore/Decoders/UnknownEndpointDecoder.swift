/// Anything sent to a path that is not an Amplitude ingestion path.
///
/// The body is still parsed when it is JSON in the HTTP V2 shape, so a user who mistyped the
/// path (`/2/httpApi2`) sees their events and the one finding that matters.
public struct UnknownEndpointDecoder: WireDecoder {
    public let id = "unknown-endpoint"
    public let endpoints: [Endpoint] = [.unknown]

    public init() {}

    public func decode(_ input: DecoderInput) -> DecodedRequest {
        var r = DecodedRequest(endpoint: .unknown, decoder: id, body: input.body,
                               wireBodySize: input.capture.body.count, recordKind: .event)
        let path = Sanitize.inline(input.capture.path)
        r.problem(RuleID.unknownEndpoint,
                  "'\(input.capture.method) \(path)' is not an Amplitude ingestion path; expected /2/httpapi, /batch, /identify, /groupidentify, /usermap or / (amplitude-js)")
        if LegacyUploadDecoder.looksLikeJSONObject(input.body) {
            var probe = r
            probe.problems = []
            HTTPV2Decoder.decodeJSONBody(into: &probe)
            if probe.problems.isEmpty {
                probe.problems = r.problems
                return probe
            }
        }
        return r
    }
}
