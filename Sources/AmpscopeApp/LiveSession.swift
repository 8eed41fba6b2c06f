import AmpscopeCore
import AmpscopeProxy
import AmpscopeStore
import AmpscopeTerminal
import AmpscopeUI
import ArgumentParser
import Foundation

/// Options of the live terminal UI (`ampscope` with no subcommand).
struct LiveOptions: ParsableArguments {
    @Option(name: .long, help: "Address the proxy listens on, HOST:PORT (default 127.0.0.1:8787).")
    var listen: String = "127.0.0.1:8787"

    @Option(name: .long, help: "Store file (SQLite). Default: a new file under the data directory. An existing store is appended to.", completion: .file())
    var store: String?

    @Option(name: .long, help: "Forward every request to this upstream (e.g. https://api2.amplitude.com) and record its real answer.")
    var forward: String?

    @Option(name: .customLong("upstream-timeout"), help: "Seconds the upstream gets to answer in forward mode (default 10).")
    var upstreamTimeout: Double = 10

    @Option(name: .long, help: "Fault injection rule, repeatable (see Docs/proxy.md), e.g. 429,p=0.3.")
    var inject: [String] = []

    @Option(name: .customLong("min-id-length"), help: "Minimum user_id/device_id length for requests without options.min_id_length (default 5).")
    var minIDLength: Int = 5

    @Option(name: .customLong("api-key"), help: "The project's API key: requests with another key are answered 'Invalid API key'.")
    var apiKey: String?

    @OptionGroup var segment: SegmentOptions

    @OptionGroup var tlsOptions: TLSOptions

    @Flag(name: .long, help: "Feed generated traffic (with deliberate mistakes) through the proxy's ingestion path.")
    var demo = false

    @Option(name: .long, help: "A tracking plan (Docs/plan.md): every event gets plan-* findings; GET /ampscope/coverage reports coverage.", completion: .file())
    var plan: String?

    @Option(name: .long, help: "A golden capture of the same flow: live events that differ from it are marked, and the Diff tab compares with it.", completion: .file())
    var golden: String?

    @Option(name: .long, help: "Replay these files beside live capture (capture files, HAR, bodies, SDK logs), repeatable.", completion: .file())
    var replay: [String] = []

    @Option(name: .long, help: "With --replay: original gaps divided by N (default: as fast as possible).")
    var speed: Double?

    @Flag(name: .long, help: "With --replay: keep reading the files as they grow (like tail -F).")
    var follow = false

    @OptionGroup var ui: UIOptions

    @OptionGroup var debugOptions: DebugLogOptions

    func validateOptions() throws {
        try tlsOptions.validateOptions()
        do { _ = try ListenAddress.parse(listen) } catch { throw ValidationError(error.description) }
        if let forward { do { _ = try ForwardTarget(parsing: forward) } catch { throw ValidationError(error.description) } }
        guard upstreamTimeout > 0 else { throw ValidationError("--upstream-timeout must be more than 0 seconds") }
        guard minIDLength >= 1 else { throw ValidationError("--min-id-length must be at least 1") }
        for spec in inject { do { _ = try FaultInjection(parsing: spec) } catch { throw ValidationError(error.description) } }
        if let speed, speed <= 0 { throw ValidationError("--speed must be more than 0") }
        try debugOptions.check()
    }
}

/// The live session: proxy + store + terminal UI (+ demo traffic), until the user quits.
struct LiveSession {
    var options: LiveOptions

    func run() async throws {
        let o = options
        let environment = ProcessInfo.processInfo.environment
        try o.ui.check(environment: environment)
        let storePath = o.store ?? StorePaths.newStorePath()
        var ingest = Ingest()
        do {
            ingest.segmentSettings = try o.segment.settings()
        } catch {
            Self.fail("\(error)")
            throw ExitCode(1)
        }
        let checker = try PlanFile.checker(o.plan)
        ingest.plan = checker
        let settings = ValidationSettings(defaultMinIdLength: o.minIDLength, expectedAPIKey: o.apiKey)
        let goldenRun = try GoldenRun.matcher(o.golden, ingest: ingest, settings: settings)
        let store: CaptureStore
        do {
            store = try CaptureStore(path: storePath, ingest: ingest, sessionLabel: o.demo ? "demo" : "live")
        } catch {
            Self.fail("\(error)")
            throw ExitCode(1)
        }
        let shared = SharedIngest(ingest: ingest, settings: settings)
        let (host, port) = try ListenAddress.parse(o.listen)
        var config = ProxyConfiguration(host: host, port: port)
        if let forward = o.forward { config.mode = .forward(upstream: try ForwardTarget(parsing: forward)) }
        config.upstreamTimeout = o.upstreamTimeout
        config.injections = try o.inject.map { try FaultInjection(parsing: $0) }
        let problems = ProblemLog()
        config.onProblem = { problems.add($0) }
        try o.tlsOptions.apply(to: &config, host: host, port: port, onCreate: { problems.add("created ampscope's CA: \($0); trust it with `ampscope ca show`") })
        config.plan = checker
        // The profile follower's progress in GET /ampscope/status ("profiles"), once the UI made it.
        let profilesStatus = StatusSection(key: "profiles")
        config.statusSections.append(profilesStatus)
        // Beyond loopback, /ampscope/* needs a token (printed below; Docs/proxy.md).
        config.apiToken = ProxyCommand.token(option: nil, environment: environment, loopback: config.isLoopback)
        let debugHub = DebugHub.make(store: store, options: o.debugOptions, proxy: &config)
        let server = ProxyServer(configuration: config, store: store, ingest: shared)
        let bound: ProxyServer.BoundAddress
        do {
            bound = try await server.start()
        } catch {
            Self.fail("\(error)")
            await store.close()
            throw ExitCode(1)
        }
        if !config.isLoopback {
            Self.fail("WARNING: listening on \(bound) is reachable from the network: captured API keys and user data can be read by anyone who can connect.")
            if let token = config.apiToken { Self.fail("api token for /ampscope/*: \(token)") }
        }

        let problemsLog = problems
        let replayPaths = o.replay
        let replay = ReplayOptions(format: nil, endpoint: nil, speed: o.speed, follow: o.follow)
        do {
          try await TerminalHost.run(
            store: store, ingest: shared, storePath: storePath, proxyAddress: bound.description, ui: o.ui,
            environment: environment, debug: debugHub, plan: checker.map { ($0, o.plan ?? "") }, golden: goldenRun,
            profilesStatus: profilesStatus,
            background: { loop, data in
                problemsLog.post = { [weak loop] m in loop?.post(.message(m, isError: true)) }
                var tasks: [Task<Void, Never>] = []
                if o.demo { tasks.append(Task { await DemoFeeder.run(ingest: shared, store: store) }) }
                if !replayPaths.isEmpty {
                    tasks.append(Task { await ReplayDriver.run(replayPaths, options: replay, store: store, ingest: shared, loop: loop, debug: debugHub) })
                }
                return tasks
            })
        } catch {
            await server.shutdown()
            await store.close()
            throw error
        }
        await server.shutdown()
        let totals = store.index.totals
        await store.close()
        print("ampscope: \(totals.requests) request\(totals.requests == 1 ? "" : "s"), \(totals.events) event\(totals.events == 1 ? "" : "s") in \(storePath)")
    }

    static func fail(_ message: String) {
        FileHandle.standardError.write(Data(("ampscope: " + Sanitize.inline(message, limit: 400) + "\n").utf8))
    }
}

/// Problems reported by the proxy while the UI runs, shown in the status line.
/// Proxy threads may report before the UI has set `post` (the proxy starts first): reports made
/// before then are kept and handed over when it is set.
final class ProblemLog: Sendable {
    private struct State {
        var post: (@Sendable (String) -> Void)?
        var early: [String] = []
    }
    private let state = Guarded(State())

    var post: (@Sendable (String) -> Void)? {
        get { state.withLock { $0.post } }
        set {
            let early = state.withLock { s -> [String] in
                s.post = newValue
                defer { s.early = [] }
                return newValue == nil ? [] : s.early
            }
            for m in early { newValue?(m) }
        }
    }

    func add(_ message: String) {
        let m = Sanitize.inline(message, limit: 200)
        let post = state.withLock { s -> (@Sendable (String) -> Void)? in
            if s.post == nil && s.early.count < 100 { s.early.append(m) }
            return s.post
        }
        post?(m)
    }
}

/// Generated traffic for `--demo`, through the same ingestion path as the proxy.
enum DemoFeeder {
    static func run(ingest: SharedIngest, store: CaptureStore) async {
        var demo = DemoTraffic(seed: UInt64(Date().timeIntervalSince1970), startTime: Int64(Date().timeIntervalSince1970 * 1000) - 60_000)
        // A first screenful at once, then a steady trickle.
        for i in 0..<120 {
            if Task.isCancelled { return }
            var c = demo.next()
            if i == 119 { demo.clock = Int64(Date().timeIntervalSince1970 * 1000) }
            c.source = .demo
            _ = try? await store.append(ingest.process(c, now: c.receivedAt))
        }
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64.random(in: 150_000_000...900_000_000))
            var c = demo.next()
            c.receivedAt = Int64(Date().timeIntervalSince1970 * 1000)
            demo.clock = c.receivedAt
            _ = try? await store.append(ingest.process(c, now: c.receivedAt))
        }
    }
}
