import AmpscopeCore
import AmpscopeStore
import AmpscopeTerminal
import AmpscopeUI
import ArgumentParser
import Foundation

/// Options every terminal-UI command takes.
struct UIOptions: ParsableArguments {
    @Option(name: .long, help: "Theme name (dark, light, high-contrast, mono) or path to a theme file.")
    var theme: String?

    @Option(name: .long, help: "Key bindings file (default: $XDG_CONFIG_HOME/ampscope/keys.conf when present).", completion: .file())
    var keys: String?

    @Flag(name: .customLong("no-mouse"), help: "Do not capture the mouse (keeps the terminal's own text selection).")
    var noMouse = false

    @Flag(name: .customLong("no-redact"), help: "Show API keys unmasked.")
    var noRedact = false

    /// Fails early, before anything starts, on a bad theme or key file.
    func check(environment: [String: String]) throws {
        if case .failure(let e) = UIFiles.theme(theme, environment: environment) {
            LiveSession.fail("theme: \(e.description)")
            throw ExitCode(2)
        }
        if keys != nil, let problem = UIFiles.keys(path: keys, environment: environment).1 {
            LiveSession.fail("keys: \(problem)")
            throw ExitCode(2)
        }
    }
}

/// Runs the terminal UI over a store until the user quits: the shared part of the live session
/// and `ampscope replay`.
enum TerminalHost {
    /// `background` starts the tasks that feed the store (demo, replay...) once the loop exists;
    /// they are cancelled when the UI ends.
    /// `debug`: the SDK debug side (the Debug tab, the SDK-calls list), started with the loop.
    static func run(store: CaptureStore, ingest: SharedIngest, storePath: String?, proxyAddress: String?, ui: UIOptions,
                    environment: [String: String], debug: DebugHub? = nil,
                    background: (UILoop, StoreStreamData) -> [Task<Void, Never>]) async throws {
        guard case .success(let theme) = UIFiles.theme(ui.theme, environment: environment) else { throw ExitCode(2) }
        let keyTable = UIFiles.keys(path: ui.keys, environment: environment).0
        let data = StoreStreamData(store: store)
        let effects = StoreEffects(data: data, ingest: ingest, redact: !ui.noRedact)
        let config = UIConfig(proxyAddress: proxyAddress, storePath: storePath, redact: !ui.noRedact, mouse: !ui.noMouse,
                              utcOffsetSeconds: TimeZone.current.secondsFromGMT(), demoCommand: "ampscope --demo")
        let terminal: CursesTerminal
        do {
            terminal = try CursesTerminal(theme: theme, mouse: !ui.noMouse, environment: environment)
        } catch {
            LiveSession.fail("\(error)")
            throw ExitCode(2)
        }
        let session = UISession(config: config, keys: keyTable, theme: theme, data: data, size: terminal.size, debug: debug?.session)
        let loop = UILoop(session: session, terminal: terminal, handler: effects, themeLoader: UIFiles.themeLoader(environment: environment))
        data.post = { [weak loop] a in loop?.post(a) }
        let changes = await store.subscribe()
        let watcher = Task { for await change in changes { data.storeChanged(change) } }
        debug?.post = { [weak loop] a in loop?.post(a) }
        let debugTasks = await debug?.start() ?? []
        let tasks = background(loop, data)
        let signals = QuitSignals.install { [weak loop] in loop?.post(.command(.quit)) }

        await MainActor.run { loop.run() }

        signals.cancel()
        terminal.close()
        for t in tasks + debugTasks { t.cancel() }
        watcher.cancel()
    }
}

struct ReplayOptions: Sendable {
    var format: InputFormat?
    var endpoint: Endpoint?
    var speed: Double?
    var follow: Bool
}

/// Runs a replay into the store and reports progress in the UI's status line.
enum ReplayDriver {
    static func run(_ paths: [String], options: ReplayOptions, store: CaptureStore, ingest: SharedIngest, loop: UILoop,
                    debug: DebugHub? = nil) async {
        var o = Replayer.Options()
        o.format = options.format
        o.endpoint = options.endpoint
        o.speed = options.speed
        o.follow = options.follow
        let replayer = Replayer(store: store, ingest: ingest, options: o)
        if let debug {
            replayer.onDebugLines = { file, _, lines in debug.replayLines(file, lines) }
            replayer.onDebugEnd = { file in debug.replayEnded(file) }
        }
        let started = Date()
        let lastPost = LockedTime()
        replayer.onProgress = { [weak loop] p in
            guard lastPost.due(every: 0.2) || p.finished else { return }
            loop?.post(.message(ReplayDriver.describe(p, since: started), isError: false))
        }
        await replayer.run(paths)
        if !Task.isCancelled {
            let p = replayer.progress
            loop.post(.message(describe(p, since: started), isError: p.problems > 0))
        }
    }

    static func describe(_ p: Replayer.Progress, since start: Date) -> String {
        let secs = Date().timeIntervalSince(start)
        var s: String
        if p.finished {
            s = "loaded \(p.events.formatted()) events (\(p.captures.formatted()) requests) from \(p.files) file\(p.files == 1 ? "" : "s") in \(String(format: "%.1f", secs)) s"
        } else {
            s = "loading \(Int(p.fraction * 100))% · \(p.events.formatted()) events"
        }
        if p.problems > 0 { s += " · \(p.problems) unreadable (filter rule:unreadable-input)" }
        if p.debugLines > 0 { s += " · \(p.debugLines.formatted()) SDK log lines" }
        if p.following { s += " · following" }
        return s
    }
}

/// Rate limit for progress messages across threads.
final class LockedTime: @unchecked Sendable {
    private var last = Date.distantPast
    private let lock = NSLock()
    func due(every seconds: Double) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        if now.timeIntervalSince(last) >= seconds { last = now; return true }
        return false
    }
}

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
        let ingest = Ingest(decodeOptions: DecodeOptions(endpointOverride: endpointOverride))
        let store = try CaptureStore(path: nil, ingest: ingest)
        let shared = SharedIngest(ingest: ingest, settings: ValidationSettings(defaultMinIdLength: minIDLength, expectedAPIKey: apiKey))
        let options = ReplayOptions(format: format.flatMap(InputFormat.init(userSpelling:)), endpoint: endpointOverride, speed: speed, follow: follow)
        let paths = files
        let hub = DebugHub(store: store)
        hub.open(debugOptions.debugLog)
        try await TerminalHost.run(store: store, ingest: shared, storePath: nil, proxyAddress: nil, ui: ui, environment: environment,
                                   debug: hub) { loop, _ in
            paths.isEmpty ? [] : [Task { await ReplayDriver.run(paths, options: options, store: store, ingest: shared, loop: loop, debug: hub) }]
        }
        await store.close()
    }
}
