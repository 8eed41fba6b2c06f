import AmpscopeCore
import ArgumentParser

/// The options `check` and `profile` share: how inputs are read and judged.
struct InputOptions: ParsableArguments {
    @Option(name: .customLong("min-id-length"), help: "Minimum user_id/device_id length when a request has no options.min_id_length.")
    var minIDLength: Int = 5

    @Option(name: .long, help: "Decode every input as this endpoint (/2/httpapi, /batch, /identify, /groupidentify, /usermap, /, /httpapi, /v1/batch).")
    var endpoint: String?

    @OptionGroup var segment: SegmentOptions

    @Option(name: .customLong("input-format"), help: "Input format instead of detecting it: captures, har, body.")
    var inputFormat: String?

    @Option(name: .customLong("api-key"), help: "The project's API key: requests with another key are answered 'Invalid API key'.")
    var apiKey: String?

    func validate() throws {
        guard minIDLength >= 1 else { throw ValidationError("--min-id-length must be at least 1") }
        if let e = endpoint, Endpoint(userSpelling: e) == nil {
            throw ValidationError("unknown endpoint '\(e)': use /2/httpapi, /batch, /identify, /groupidentify, /usermap, /, /httpapi or /v1/batch")
        }
        if let f = inputFormat, InputFormat(userSpelling: f) == nil {
            throw ValidationError("unknown input format '\(f)': use captures, har or body")
        }
    }

    var endpointOverride: Endpoint? { endpoint.flatMap(Endpoint.init(userSpelling:)) }

    /// The ingestion path (with the Segment destinations' settings), a fresh validation context
    /// and the file reader these options describe. Throws when the settings file cannot be read.
    func makeIngest() throws -> (ingest: Ingest, context: ValidationContext, reader: InputFiles) {
        var ingest = Ingest(decodeOptions: DecodeOptions(endpointOverride: endpointOverride))
        ingest.segmentSettings = try segment.settings()
        return (ingest,
                ValidationContext(settings: ValidationSettings(defaultMinIdLength: minIDLength, expectedAPIKey: apiKey)),
                InputFiles(format: inputFormat.flatMap(InputFormat.init(userSpelling:)), endpoint: endpointOverride))
    }
}
