/// Rules whose findings come from the decoders themselves (they have no check of their own).
/// Listed here so the catalogue, the docs and the answer emulator know them.
public enum DecodeProblems {
    public static let all: [RuleInfo] = [
        RuleInfo(id: RuleID.bodyNotJSON, severity: .error, scope: .request,
                 summary: "The body (or a JSON form field) is empty or not valid JSON.",
                 effect: .invalidRequest("Invalid JSON request body")),
        RuleInfo(id: RuleID.bodyEncoding, severity: .error, scope: .request,
                 summary: "Content-Encoding is unsupported, or the compressed body is corrupt or truncated.",
                 effect: .invalidRequest("Invalid JSON request body")),
        RuleInfo(id: RuleID.formEncoding, severity: .error, scope: .request,
                 summary: "Form fields have malformed percent escapes or are not UTF-8.",
                 effect: .invalidRequest("Invalid request body")),
        RuleInfo(id: RuleID.unknownEndpoint, severity: .error, scope: .request,
                 summary: "The path is not an Amplitude ingestion endpoint.", effect: .notFound),
        RuleInfo(id: RuleID.wrongEndpoint, severity: .error, scope: .request,
                 summary: "Another API's request was posted to amplitude-js's path `/` (HTTP V2 JSON, or api_key with identification, mapping or event). A warning when it is decoded as the API it was meant for; an error (answered as `/` answers a form without `client`) for the HTTP API V1's form.",
                 effect: .missingRequestField("api_key")),
        RuleInfo(id: RuleID.pathVariant, severity: .warning, scope: .request,
                 summary: "The path differs from Amplitude's documented spelling (a trailing slash, `//`, another letter case); ampscope routes it, Amplitude may not."),
        RuleInfo(id: RuleID.unreadableInput, severity: .error, scope: .request,
                 summary: "A line (or entry) of a replayed file could not be read; the row keeps its file and line."),
    ]
}
