import AmpscopeCore
import AmpscopeProxy
import AmpscopeStore
import ArgumentParser
import Dispatch
import Foundation

/// `ampscope proxy`: the headless capture proxy (like mitmdump).
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run the capture proxy without the terminal UI: one line (or JSON object) per request.",
        discussion: """
        Point an SDK's server URL at the proxy. Sink mode (default) answers like Amplitude and \
        sends nothing anywhere; --forward relays every request to Amplitude and records both \
        answers. Every request is committed to the store before it is answered. \
        Ctrl-C or SIGTERM stops the proxy cleanly. See Docs/proxy.md.
        """)

    @Option(name: .long, help: "Address to listen on, HOST:PORT (default 127.0.0.1:8787; port 0 picks a free one).")
    var listen: String = "127.0.0.1:8787"

    @Option(name: .long, help: "Store file (SQLite). Default: a new file under the data directory, printed at start. An existing store is appended to.", completion: .file())
    var store: String?

    @Option(name: .long, help: "Forward mode: relay every request to this upstream, e.g. https://api2.amplitude.com or https://api.eu.amplitude.com.")
    var forward: String?

    @Option(name: .customLong("upstream-timeout"), help: "Seconds the upstream gets to answer in forward mode (default 10).")
    var upstreamTimeout: Double = 10

    @Option(name: .long, help: "Fault injection rule, repeatable: e.g. 429,p=0.3 | 413,endpoint=batch | 503,times=2 | delay=2s,p=0.5 | close,user=u1. See Docs/proxy.md.")
    var inject: [String] = []

    @Option(name: .customLong("min-id-length"), help: "Minimum user_id/device_id length for requests without options.min_id_length (default 5).")
    var minIDLength: Int = 5

    @Option(name: .customLong("api-key"), help: "The project's API key: requests with another key are answered 'Invalid API key'.")
    var apiKey: String?

    @Option(name: .customLong("max-body"), help: "Largest request body accepted, e.g. 32MiB (default), 20MB, 500k. Larger: 413.")
    var maxBody: String = "32MiB"

    @Option(name: .customLong("max-connections"), help: "Open connections beyond this are answered 503 (default 1024).")
    var maxConnections: Int = 1024

    @Option(name: .customLong("header-timeout"), help: "Seconds a client gets to send a request's headers (default 10).")
    var headerTimeout: Double = 10

    @Option(name: .customLong("idle-timeout"), help: "Seconds a kept-alive connection may stay silent (default 60).")
    var idleTimeout: Double = 60

    @Option(name: .long, help: "Event-loop threads (default 1; validation is serialized, so more rarely help).")
    var threads: Int?

    @Flag(name: .long, help: "Print one JSON object per request (NDJSON: decoded events, findings, emulated and real answers).")
    var json = false

    @Flag(name: .customLong("no-redact"), help: "Show API keys unmasked in the output.")
    var noRedact = false

    @Flag(name: .long, help: "Print nothing per request (the banner and problems still go to stderr).")
    var quiet = false

    @Flag(name: .customLong("show-preflights"), help: "Also print a line per CORS preflight (OPTIONS) answered; preflights are not captured.")
    var showPreflights = false

    @Option(name: .long, help: "Colour for text output: auto, always or never (NO_COLOR is honoured).")
    var color: String = "auto"

    @OptionGroup var segment: SegmentOptions

    @OptionGroup(title: "HTTPS and proxy mode") var tlsOptions: TLSOptions
    @Option(name: .long, help: "A tracking plan: adds plan-* findings and GET /ampscope/coverage (Docs/plan.md, Docs/api.md).", completion: .file())
    var plan: String?

    @Option(name: .customLong("api-token"), help: "The token /ampscope/* endpoints require (default: a new random one whenever --listen is beyond loopback; none on loopback). Also read from AMPSCOPE_API_TOKEN.")
    var apiToken: String?

    func validate() throws {
        do { _ = try ListenAddress.parse(listen) } catch { throw ValidationError(error.description) }
        if let forward { do { _ = try ForwardTarget(parsing: forward) } catch { throw ValidationError(error.description) } }
        guard upstreamTimeout > 0 else { throw ValidationError("--upstream-timeout must be more than 0 seconds") }
        guard minIDLength >= 1 else { throw ValidationError("--min-id-length must be at least 1") }
        for spec in inject { do { _ = try FaultInjection(parsing: spec) } catch { throw ValidationError(error.description) } }
        guard let b = ProxyByteSize.parse(maxBody), b > 0 else {
            throw ValidationError("--max-body: '\(maxBody)' is not a size (e.g. 32MiB, 20MB, 500k, 1048576)")
        }
        guard b <= 1 << 30 else { throw ValidationError("--max-body is capped at 1GiB") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard headerTimeout > 0, idleTimeout > 0 else { throw ValidationError("timeouts must be more than 0 seconds") }
        if let threads, !(1...64).contains(threads) { throw ValidationError("--threads must be between 1 and 64") }
        guard ["auto", "always", "never"].contains(color) else { throw ValidationError("--color must be auto, always or never") }
        if json && quiet { throw ValidationError("--json and --quiet cannot be combined") }
        try tlsOptions.validateOptions()
    }

    func run() async throws {
        let err = ProxyStderr()
        let (host, port) = try ListenAddress.parse(listen)
        let storePath = store ?? StorePaths.newStorePath()
        var ingest = Ingest()
        let checker = try PlanFile.checker(plan)
        ingest.plan = checker
        let captureStore: CaptureStore
        do {
            ingest.segmentSettings = try segment.settings()
            captureStore = try CaptureStore(path: storePath, ingest: ingest, sessionLabel: "proxy")
        } catch {
            err.line("ampscope: \(Sanitize.inline("\(error)", limit: 300))")
            throw ExitCode(1)
        }
        let shared = SharedIngest(ingest: ingest, settings: ValidationSettings(defaultMinIdLength: minIDLength, expectedAPIKey: apiKey))
        var config = ProxyConfiguration(host: host, port: port)
        if let forward { config.mode = .forward(upstream: try ForwardTarget(parsing: forward)) }
        config.upstreamTimeout = upstreamTimeout
        config.injections = try inject.map { try FaultInjection(parsing: $0) }
        config.limits.maxBodyBytes = ProxyByteSize.parse(maxBody) ?? (32 << 20)
        config.limits.maxConnections = maxConnections
        config.limits.headerTimeout = headerTimeout
        config.limits.idleTimeout = idleTimeout
        config.eventLoopThreads = threads
        config.plan = checker
        config.apiToken = Self.token(option: apiToken, environment: ProcessInfo.processInfo.environment, loopback: config.isLoopback)
        config.onProblem = { message in err.line("ampscope: " + Sanitize.inline(message, limit: 400)) }
        try tlsOptions.apply(to: &config, host: host, port: port, onCreate: { path in
            err.line("ampscope: created ampscope's CA \(path) (trust it: ampscope ca show)")
        })
        let out = ProxyLineOutput(fd: 1)
        if showPreflights && !quiet {
            let asJSON = json
            let useColor = !json && ProxyColor.use(color, fd: 1)
            config.onPreflight = { seen in
                out.write(asJSON ? PreflightLine.json(seen) : PreflightLine.text(seen, color: useColor))
                out.flush()
            }
        }

        let server = ProxyServer(configuration: config, store: captureStore, ingest: shared)
        let bound: ProxyServer.BoundAddress
        do {
            bound = try await server.start()
        } catch {
            err.line("ampscope: \(Sanitize.inline("\(error)", limit: 300))")
            await captureStore.close()
            throw ExitCode(1)
        }
        banner(err, bound: bound, config: config, storePath: storePath)
        ProxyTLSBanner.write(err, bound: bound, tls: server.tlsAddress, config: config)

        let useColor = !json && ProxyColor.use(color, fd: 1)
        let printer = HeadlessPrinter(store: captureStore, format: json ? .json : .text, redact: !noRedact, color: useColor, out: out)
        let printing: Task<Void, Never>? = quiet ? nil : Task { await printer.run() }

        let signal = await ProxyShutdownSignal.wait()
        err.line("ampscope: \(signal), shutting down (in-flight requests finish; Ctrl-C again to quit at once)")
        await server.shutdown()
        if !quiet { await printer.catchUp() }
        let stats = server.stats.snapshot
        await captureStore.close()
        await printing?.value
        out.flush()
        let n = stats.requests
        err.line("ampscope: \(n) request\(n == 1 ? "" : "s"), \(stats.events) event\(stats.events == 1 ? "" : "s") captured in \(storePath)"
                 + (stats.storeFailures > 0 ? " (\(stats.storeFailures) could not be stored and were answered 503)" : ""))
    }

    /// The `/ampscope/*` token: the one given (option, then AMPSCOPE_API_TOKEN), else a new one
    /// when listening beyond loopback, else none.
    static func token(option: String?, environment: [String: String], loopback: Bool) -> String? {
        if let t = option?.trimmingASCIISpaces, !t.isEmpty { return t }
        if let t = environment["AMPSCOPE_API_TOKEN"]?.trimmingASCIISpaces, !t.isEmpty { return t }
        return loopback ? nil : ProxyConfiguration.makeToken()
    }

    private func banner(_ err: ProxyStderr, bound: ProxyServer.BoundAddress, config: ProxyConfiguration, storePath: String) {
        let base = bound.baseURL
        var s = "ampscope \(AmpscopeVersion.current) proxy listening on \(base) (\(config.modeName) mode"
        if let up = config.upstream { s += ", forwarding to \(up), timeout \(ProxyUpstreamDisplay.seconds(config.upstreamTimeout))" }
        s += ")\n"
        s += "store: \(storePath)\n"
        if !config.isLoopback {
            s += "WARNING: listening on \(bound) is reachable from the network: captured API keys and user data can be read by anyone who can connect. Use --listen 127.0.0.1:PORT unless you need this.\n"
        }
        if let token = config.apiToken {
            s += "api token: \(token)   (every /ampscope/* request needs it: Authorization: Bearer TOKEN, X-Ampscope-Token: TOKEN or ?token=TOKEN; captured requests do not)\n"
        }
        if config.plan != nil { s += "plan: \(Sanitize.inline(plan ?? "", limit: 200)) (coverage: \(base)/ampscope/coverage)\n" }
        if !config.injections.isEmpty {
            s += "fault injection: " + config.injections.map(\.spec).joined(separator: " | ") + "\n"
        }
        let host = String(base.dropFirst("http://".count))
        s += """
        point an SDK at it:
          analytics-browser / analytics-node:  serverUrl: '\(base)/2/httpapi'   (batch API: '\(base)/batch')
          Python amplitude-analytics:          Config(server_url='\(base)/2/httpapi')
          amplitude-js 8.x:                    apiEndpoint: '\(host)', forceHttps: false
          HTTP API (curl):                     curl -d @events.json \(base)/2/httpapi
        point a Segment library at it (Segment's Tracking API; mapped to what Amplitude receives):
          analytics-python:                    analytics.host = '\(base)'
          analytics-node:                      new Analytics({ writeKey, host: '\(base)' })
          analytics.js / analytics-next:       integrations: { 'Segment.io': { apiHost: '\(host)/v1', protocol: 'http' } }
          mobile (Swift, Kotlin, React Native): apiHost: '\(host)/v1'
        status: \(base)/ampscope/status   ·   Ctrl-C to stop

        """
        err.write(s)
    }
}

enum ProxyUpstreamDisplay {
    static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : "\(s) s" }
}

/// `32MiB`, `20MB`, `500k`, `1048576` → bytes (k/M/G and KiB/MiB/GiB are all binary multiples).
enum ProxyByteSize {
    static func parse(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Int)] = [("gib", 1 << 30), ("mib", 1 << 20), ("kib", 1 << 10), ("gb", 1 << 30), ("mb", 1 << 20),
                                      ("kb", 1 << 10), ("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10), ("b", 1)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v.isFinite, v >= 0 else { return nil }
            return Int(v * Double(scale))
        }
        return Int(t)
    }
}

enum ProxyColor {
    static func use(_ mode: String, fd: Int32) -> Bool {
        switch mode {
        case "always": return true
        case "never": return false
        default:
            let env = ProcessInfo.processInfo.environment
            if let nc = env["NO_COLOR"], !nc.isEmpty { return false }
            if env["TERM"] == "dumb" { return false }
            return isatty(fd) == 1
        }
    }
}

/// Unbuffered lines to stderr (banner, problems).
final class ProxyStderr: Sendable {
    func write(_ s: String) {
        let bytes = Array(s.utf8)
        bytes.withUnsafeBytes { p in
            var off = 0
            while off < p.count {
                let n = Foundation.write(2, p.baseAddress! + off, p.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }
    func line(_ s: String) { write(s + "\n") }
}

/// Waits for SIGINT or SIGTERM; a second signal exits at once.
enum ProxyShutdownSignal {
    static func wait() async -> String {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let queue = DispatchQueue(label: "ampscope.signals")
        return await withCheckedContinuation { (cont: CheckedContinuation<String, Never>) in
            let fired = ProxySignalLatch()
            var sources: [DispatchSourceSignal] = []
            for (sig, name) in [(SIGINT, "interrupted"), (SIGTERM, "terminated")] {
                let src = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                src.setEventHandler {
                    if fired.fire() {
                        cont.resume(returning: name)
                    } else {
                        _exit(sig == SIGINT ? 130 : 143)
                    }
                }
                src.resume()
                sources.append(src)
            }
            ProxySignalLatch.keep(sources)
        }
    }
}

/// First signal wins; the sources are kept alive for the process's lifetime.
final class ProxySignalLatch: Sendable {
    private let done = Guarded(false)
    /// Written once, on the main thread, while the command starts (before any signal can fire).
    nonisolated(unsafe) private static var kept: [DispatchSourceSignal] = []
    func fire() -> Bool {
        done.withLock { d in
            if d { return false }
            d = true
            return true
        }
    }
    static func keep(_ s: [DispatchSourceSignal]) { kept += s }
}
