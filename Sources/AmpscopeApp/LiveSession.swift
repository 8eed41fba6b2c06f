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

    @Option(name: .long, help: "Theme name (dark, light, high-contrast, mono) or path to a theme file.")
    var theme: String?

    @Option(name: .long, help: "Key bindings file (default: $XDG_CONFIG_HOME/ampscope/keys.conf when present).", completion: .file())
    var keys: String?

    @Flag(name: .long, help: "Feed generated traffic (with deliberate mistakes) through the proxy's ingestion path.")
    var demo = false

    @Flag(name: .customLong("no-mouse"), help: "Do not capture the mouse (keeps the terminal's own text selection).")
    var noMouse = false

    @Flag(name: .customLong("no-redact"), help: "Show API keys unmasked.")
    var noRedact = false

    func validateOptions() throws {
        do { _ = try ListenAddress.parse(listen) } catch { throw ValidationError(error.description) }
        if let forward { do { _ = try ForwardTarget(parsing: forward) } catch { throw ValidationError(error.description) } }
        guard upstreamTimeout > 0 else { throw ValidationError("--upstream-timeout must be more than 0 seconds") }
        guard minIDLength >= 1 else { throw ValidationError("--min-id-length must be at least 1") }
        for spec in inject { do { _ = try FaultInjection(parsing: spec) } catch { throw ValidationError(error.description) } }
    }
}

/// The live session: proxy + store + terminal UI (+ demo traffic), until the user quits.
struct LiveSession {
    var options: LiveOptions

    func run() async throws {
        let o = options
        let environment = ProcessInfo.processInfo.environment
        let themeResult = UIFiles.theme(o.theme, environment: environment)
        guard case .success(let theme) = themeResult else {
            if case .failure(let e) = themeResult { Self.fail("theme: \(e.description)") }
            throw ExitCode(2)
        }
        let (keyTable, keyProblem) = UIFiles.keys(path: o.keys, environment: environment)
        if let keyProblem, o.keys != nil {
            Self.fail("keys: \(keyProblem)")
            throw ExitCode(2)
        }

        let storePath = o.store ?? StorePaths.newStorePath()
        let ingest = Ingest()
        let store: CaptureStore
        do {
            store = try CaptureStore(path: storePath, ingest: ingest, sessionLabel: o.demo ? "demo" : "live")
        } catch {
            Self.fail("\(error)")
            throw ExitCode(1)
        }
        let shared = SharedIngest(ingest: ingest, settings: ValidationSettings(defaultMinIdLength: o.minIDLength, expectedAPIKey: o.apiKey))
        let (host, port) = try ListenAddress.parse(o.listen)
        var config = ProxyConfiguration(host: host, port: port)
        if let forward = o.forward { config.mode = .forward(upstream: try ForwardTarget(parsing: forward)) }
        config.upstreamTimeout = o.upstreamTimeout
        config.injections = try o.inject.map { try FaultInjection(parsing: $0) }
        let problems = ProblemLog()
        config.onProblem = { problems.add($0) }
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
        }

        let data = StoreStreamData(store: store)
        let effects = StoreEffects(data: data, ingest: shared, redact: !o.noRedact)
        let uiConfig = UIConfig(proxyAddress: bound.description, storePath: storePath, redact: !o.noRedact, mouse: !o.noMouse,
                                utcOffsetSeconds: TimeZone.current.secondsFromGMT(), demoCommand: "ampscope --demo")

        let terminal: CursesTerminal
        do {
            terminal = try CursesTerminal(theme: theme, mouse: !o.noMouse, environment: environment)
        } catch {
            await server.shutdown()
            await store.close()
            Self.fail("\(error)")
            throw ExitCode(2)
        }
        let session = UISession(config: uiConfig, keys: keyTable, theme: theme, data: data, size: terminal.size)
        let loop = UILoop(session: session, terminal: terminal, handler: effects, themeLoader: UIFiles.themeLoader(environment: environment))
        data.post = { [weak loop] a in loop?.post(a) }
        problems.post = { [weak loop] m in loop?.post(.message(m, isError: true)) }

        let changes = await store.subscribe()
        let watcher = Task {
            for await change in changes { data.storeChanged(change) }
        }
        let feeder: Task<Void, Never>? = o.demo ? Task { await DemoFeeder.run(ingest: shared, store: store) } : nil

        await MainActor.run { loop.run() }

        terminal.close()
        feeder?.cancel()
        await server.shutdown()
        let totals = store.index.totals
        await store.close()
        watcher.cancel()
        print("ampscope: \(totals.requests) request\(totals.requests == 1 ? "" : "s"), \(totals.events) event\(totals.events == 1 ? "" : "s") in \(storePath)")
    }

    static func fail(_ message: String) {
        FileHandle.standardError.write(Data(("ampscope: " + Sanitize.inline(message, limit: 400) + "\n").utf8))
    }
}

/// Problems reported by the proxy while the UI runs, shown in the status line.
final class ProblemLog: @unchecked Sendable {
    var post: (@Sendable (String) -> Void)?
    func add(_ message: String) { post?(Sanitize.inline(message, limit: 200)) }
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
