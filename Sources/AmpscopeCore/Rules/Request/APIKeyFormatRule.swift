/// Amplitude API keys are 32 lower-case hexadecimal characters.
public struct APIKeyFormatRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.apiKeyFormat, severity: .warning, scope: .request,
                               summary: "The API key does not look like an Amplitude key (32 hex characters).") }
    public init() {}

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard let key = r.apiKey, !key.trimmingASCIISpaces.isEmpty else { return }
        if let note = r.redaction, note.masks(key) {
            // A masked key is never judged as a key: the live run's verdict on the original stands.
            if let m = note.keyFormatProblem { out.add(info, r.apiKeyPointer, m) }
            return
        }
        let bytes = Array(key.utf8)
        if bytes.count == 32 && bytes.allSatisfy({ hexValue($0) != nil }) {
            if bytes.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "F") }) {
                out.add(info, r.apiKeyPointer, "the API key has upper-case letters; Amplitude keys are lower-case hex")
            }
            return
        }
        if key != key.trimmingASCIISpaces || key.contains("\n") {
            out.add(info, r.apiKeyPointer, "the API key has surrounding whitespace or a line break (copied with it?)")
            return
        }
        if key.hasPrefix("server-") || key.hasPrefix("client-") {
            out.add(info, r.apiKeyPointer, "this looks like an Experiment deployment key, not an Analytics API key")
            return
        }
        out.add(info, r.apiKeyPointer, "the API key is \(bytes.count) characters long and not hex; Amplitude keys are 32 hex characters (is it the secret key or a placeholder?)")
    }
}
