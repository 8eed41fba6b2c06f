import Synchronization
import AmpscopeCore
import AmpscopeStore
import AmpscopeTerminal
import AmpscopeUI
import ArgumentParser
import Foundation

/// `ampscope replay`: open recorded traffic and SDK logs in the terminal UI.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Open capture files, HAR exports, request bodies, stores and SDK logs in the terminal UI.",
        discussion: """
        Formats are detected (use --format to override): ampscope capture files and the recorded \
        fixture line shape, HAR 1.2, raw request bodies, ampscope stores, TypeScript SDK console \
        output and Python SDK logs, and gzip-compressed files of these. Several files merge into \
        one time-ordered stream. Requests go through the same validation as live capture.
        """)

    @Argument(help: "Files to replay (- reads standard input).", completion: .file())
    var files: [String] = []

    @OptionGroup var debugOptions: DebugLogOptions

    @Option(name: .long, help: "Input format instead of detecting it: captures, har, body, ts-log, python-log, store.")
    var format: String?

    @Option(name: .long, help: "For raw bodies: the endpoint they were sent to (/2/httpapi, /batch, /identify, ...).")
    var endpoint: String?

    @Option(name: .long, help: "Pace the replay: original gaps divided by N (default: as fast as possible).")
    var speed: Double?

    @Flag(name: .long, help: "Keep reading the files as they grow (like tail -F, across truncation and rotation).")
    var follow = false

    @Option(name: .customLong("min-id-length"), help: "Minimum user_id/device_id length for requests without options.min_id_length (default 5).")
    var minIDLength: Int = 5

    @Option(name: .customLong("api-key"), help: "The project's API key: requests with another key get 'Invalid API key'.")
    var apiKey: String?

    @Option(name: .long, help: "A tracking plan (Docs/plan.md): events get plan-* findings and P shows the plan's coverage.", completion: .file())
    var plan: String?

    @Option(name: .long, help: "A golden capture of the same flow: events that differ from it are marked, and the Diff tab compares with it.", completion: .file())
    var golden: String?

    @OptionGroup var ui: UIOptions

    func validate() throws {
        if files.isEmpty && debugOptions.debugLog.isEmpty {
            throw ValidationError("give files to replay, or an SDK log with --debug-log FILE (or - for standard input)")
        }
        if files.contains("-") && debugOptions.debugLog.contains("-") {
            throw ValidationError("standard input can be replayed (-) or read as an SDK log (--debug-log -), not both")
        }
        try debugOptions.check()
        if let f = format, InputFormat(userSpelling: f) == nil {
            throw ValidationError("unknown format '\(f)': use captures, har, body, ts-log, python-log or store")
        }
        if let e = endpoint, Endpoint(userSpelling: e) == nil { throw ValidationError("unknown endpoint '\(e)'") }
        if let speed, speed <= 0 { throw ValidationError("--speed must be more than 0") }
        guard minIDLength >= 1 else { throw ValidationError("--min-id-length must be at least 1") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        try ui.check(environment: environment)
        let endpointOverride = endpoint.flatMap(Endpoint.init(userSpelling:))
        var ingest = Ingest(decodeOptions: DecodeOptions(endpointOverride: endpointOverride))
        let checker = try PlanFile.checker(plan)
        ingest.plan = checker
        let store = try CaptureStore(path: nil, ingest: ingest)
        let settings = ValidationSettings(defaultMinIdLength: minIDLength, expectedAPIKey: apiKey)
        let shared = SharedIngest(ingest: ingest, settings: settings)
        let options = ReplayOptions(format: format.flatMap(InputFormat.init(userSpelling:)), endpoint: endpointOverride, speed: speed, follow: follow)
        let goldenRun = try GoldenRun.matcher(golden, reader: InputFiles(format: options.format, endpoint: endpointOverride), ingest: ingest, settings: settings)
        let paths = files
        let hub = DebugHub(store: store)
        hub.open(debugOptions.debugLog)
        try await TerminalHost.run(store: store, ingest: shared, storePath: nil, proxyAddress: nil, ui: ui, environment: environment,
                                   debug: hub, plan: checker.map { ($0, plan ?? "") }, golden: goldenRun) { loop, _ in
            paths.isEmpty ? [] : [Task { await ReplayDriver.run(paths, options: options, store: store, ingest: shared, loop: loop, debug: hub) }]
        }
        await store.close()
    }
}
