/// With `--api-key KEY`, requests for any other project are answered `Invalid API key`,
/// as Amplitude answers keys it does not know.
public struct InvalidAPIKeyRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.invalidAPIKey, severity: .error, scope: .request,
                               summary: "The API key is not the one configured with --api-key.", effect: .invalidAPIKey) }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard let expected = context.settings.expectedAPIKey, let key = r.apiKey,
              !key.isEmpty, key != expected else { return }
        out.add(info, r.apiKeyPointer, "the API key is not the project's key configured with --api-key; Amplitude answers 'Invalid API key'")
    }
}
