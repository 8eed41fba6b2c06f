/// With `--api-key KEY`, requests for any other project are answered `Invalid API key`,
/// as Amplitude answers keys it does not know.
public struct InvalidAPIKeyRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.invalidAPIKey, severity: .error, scope: .request,
                               summary: "The API key is not the one configured with --api-key.", effect: .invalidAPIKey) }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard let expected = context.settings.expectedAPIKey, let key = r.apiKey,
              !key.isEmpty, key != expected else { return }
        if let note = r.redaction, note.masks(key) {
            // A masked key can only be compared by its mask: a different mask is surely another key.
            guard Redactor.mask(expected) != key else { return }
            out.add(info, r.apiKeyPointer, "the API key (masked in this export) is not the project's key configured with --api-key; Amplitude answers 'Invalid API key'")
            return
        }
        out.add(info, r.apiKeyPointer, "the API key is not the project's key configured with --api-key; Amplitude answers 'Invalid API key'")
    }
}
