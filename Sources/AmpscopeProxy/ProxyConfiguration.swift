import AmpscopeCore

/// Everything a `ProxyServer` needs to know before it starts.
public struct ProxyConfiguration: Sendable {
    /// What the proxy answers with.
    public enum Mode: Sendable, Equatable {
        /// Answer with the core's emulated Amplitude answer (nothing leaves the machine).
        case sink
        /// Relay every request to this upstream base URL and return its answer.
        case forward(upstream: ForwardTarget)
    }

    /// Address to listen on. Port 0 lets the OS choose (tests).
    public var host: String
    public var port: Int
    public var mode: Mode
    /// How long an upstream gets to answer in forward mode (seconds).
    public var upstreamTimeout: Double
    /// Fault injection rules, tried in order; the first that fires decides.
    public var injections: [FaultInjection]
    /// Seed for the injection dice (nil: random). Tests use a seed for reproducible runs.
    public var injectionSeed: UInt64?
    public var limits: ProxyLimits
    /// Event-loop threads (nil: 1). Sink mode validates on the event loop under the core's
    /// validation lock, so more loops only contend for it (measured: 1 is faster on 2 cores).
    public var eventLoopThreads: Int?
    /// Receives `POST /ampscope/log` bodies (SDK log lines). nil: that endpoint answers 501.
    public var onSDKLog: (@Sendable (SDKLogPost) -> Void)?
    /// Receives operational problems (a capture that could not be stored, an upstream failure).
    public var onProblem: (@Sendable (String) -> Void)?
    /// Told of every CORS preflight (`OPTIONS`) the proxy answered; preflights are not captures.
    public var onPreflight: (@Sendable (PreflightSeen) -> Void)?
    /// Hosts whose CONNECT tunnels are opened and captured, and the CA that signs their
    /// certificates (nil: every CONNECT is tunnelled untouched). See Interception.swift.
    public var interception: Interception?
    /// The HTTPS listener (`--tls`); nil: none.
    public var tls: TLSListener?
    /// PEM files of CAs trusted for forward-mode upstreams besides the system's (a company CA,
    /// a test server's).
    public var upstreamTrustRoots: [String] = []
    /// When set, every `/ampscope/*` endpoint needs this token (`Authorization: Bearer`,
    /// `X-Ampscope-Token` or `?token=`), from every client. The commands set one whenever the
    /// proxy listens beyond loopback (Docs/proxy.md, "Who may talk to it"). Captures never need it.
    public var apiToken: String?
    /// The tracking plan whose coverage `GET /ampscope/coverage` reports (the same checker the
    /// ingest path uses for `plan-*` findings).
    public var plan: PlanChecker?
    /// Memory the test-suite API keeps for recent requests (`/ampscope/events`, `/wait`); the
    /// oldest are dropped beyond it.
    public var apiMemoryBytes: Int = 64 << 20
    /// More members of `GET /ampscope/status`, filled in by the process that runs the proxy
    /// once it has them (the terminal UI: its profile follower's progress, `"profiles"`).
    public var statusSections: [StatusSection] = []

    public init(host: String = "127.0.0.1", port: Int = 8787, mode: Mode = .sink, upstreamTimeout: Double = 10,
                injections: [FaultInjection] = [], injectionSeed: UInt64? = nil, limits: ProxyLimits = ProxyLimits(),
                eventLoopThreads: Int? = nil, onSDKLog: (@Sendable (SDKLogPost) -> Void)? = nil,
                onProblem: (@Sendable (String) -> Void)? = nil) {
        self.host = host
        self.port = port
        self.mode = mode
        self.upstreamTimeout = upstreamTimeout
        self.injections = injections
        self.injectionSeed = injectionSeed
        self.limits = limits
        self.eventLoopThreads = eventLoopThreads
        self.onSDKLog = onSDKLog
        self.onProblem = onProblem
    }

    /// `forward` or `sink`, as shown by the status endpoint.
    public var modeName: String {
        switch mode {
        case .sink: return "sink"
        case .forward: return "forward"
        }
    }

    public var upstream: ForwardTarget? {
        if case .forward(let t) = mode { return t }
        return nil
    }

    /// True when the listen host is a loopback address (only this machine can connect).
    public var isLoopback: Bool { ListenAddress.isLoopback(host) }

    /// A new random token for `apiToken` (32 hex digits from the system's random source).
    public static func makeToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let b = UInt8.random(in: 0...255, using: &g)
            let hex = String(b, radix: 16)
            return b < 16 ? "0" + hex : hex
        }.joined()
    }
}

/// Protective limits: nothing a client sends can exhaust the process.
public struct ProxyLimits: Sendable, Equatable {
    /// Largest request body accepted (bytes, as sent). Larger: 413 and the connection is closed.
    public var maxBodyBytes: Int
    /// Largest request head (request line + headers). Larger: 431 and the connection is closed.
    public var maxHeaderBytes: Int
    /// Time from the first byte of a request to the end of its headers (slowloris guard).
    public var headerTimeout: Double
    /// Time from the first byte of a request to the end of its body.
    public var requestTimeout: Double
    /// Time a kept-alive connection may stay silent between requests.
    public var idleTimeout: Double
    /// Open connections beyond this are answered 503 and closed at once.
    public var maxConnections: Int
    /// Request bodies buffered by all connections together; beyond it new body bytes are
    /// answered 503 (default: 8 × maxBodyBytes, at least 256 MiB).
    public var maxBufferedBodyBytes: Int

    public init(maxBodyBytes: Int = 32 << 20, maxHeaderBytes: Int = 64 << 10, headerTimeout: Double = 10,
                requestTimeout: Double = 60, idleTimeout: Double = 60, maxConnections: Int = 1024,
                maxBufferedBodyBytes: Int? = nil) {
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.headerTimeout = headerTimeout
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxBufferedBodyBytes = maxBufferedBodyBytes ?? max(256 << 20, 8 * maxBodyBytes)
    }
}

/// An upstream base URL for forward mode: `https://api2.amplitude.com`, `http://127.0.0.1:9000/base`.
public struct ForwardTarget: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    /// host[:port]
    public var authority: String
    /// Base path without a trailing slash ("" for none); the request's path is appended.
    public var basePath: String

    public init(parsing text: String) throws(ProxyConfigurationError) {
        let parts = URLParts(text)
        guard parts.scheme == "http" || parts.scheme == "https" else {
            throw .invalid("--forward needs an http:// or https:// URL, got '\(Sanitize.inline(text, limit: 80))'")
        }
        guard !parts.hostname.isEmpty else { throw .invalid("--forward URL has no host: '\(Sanitize.inline(text, limit: 80))'") }
        guard parts.query.isEmpty else { throw .invalid("--forward URL must not have a query string") }
        scheme = parts.scheme
        authority = parts.host
        var base = parts.path
        while base.hasSuffix("/") { base.removeLast() }
        basePath = base
    }

    /// The upstream URL for a request target (`/2/httpapi?x=1`).
    public func url(for target: String) -> String { scheme + "://" + authority + basePath + target }

    public var description: String { scheme + "://" + authority + basePath }
}

public enum ProxyConfigurationError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self {
        case .invalid(let s): return s
        }
    }
}

/// `HOST:PORT` parsing for `--listen`.
public enum ListenAddress {
    /// `127.0.0.1:8787`, `:8787` (loopback), `8787`, `[::1]:8787`, `0.0.0.0:8787`, `localhost:0`.
    public static func parse(_ text: String) throws(ProxyConfigurationError) -> (host: String, port: Int) {
        var host = "127.0.0.1"
        var portText = text
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .invalid("--listen: missing ']' in '\(Sanitize.inline(text))'") }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .invalid("--listen: expected [HOST]:PORT, got '\(Sanitize.inline(text))'") }
            portText = String(rest.dropFirst())
        } else if let colon = text.lastIndex(of: ":") {
            let h = String(text[..<colon])
            if !h.isEmpty { host = h }
            portText = String(text[text.index(after: colon)...])
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw .invalid("--listen: '\(Sanitize.inline(portText))' is not a port number (0-65535); use HOST:PORT")
        }
        return (host, port)
    }

    public static func isLoopback(_ host: String) -> Bool {
        let h = host.asciiLowercased
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }

    /// `127.0.0.1:8787`, `[::1]:8787`.
    public static func format(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// A `POST /ampscope/log` request handed to `ProxyConfiguration.onSDKLog`, already decoded by
/// the core's `LogIngest` (text or JSON lines, gzip, `?source=`; see Docs/debug.md).
public struct SDKLogPost: Sendable {
    public var receivedAt: Int64
    public var client: String?
    public var request: LogIngestRequest

    /// The lines as text (invalid UTF-8 replaced).
    public var lines: [String] { request.lines.map { String(decoding: $0.text, as: UTF8.self) } }

    public init(receivedAt: Int64, client: String?, request: LogIngestRequest) {
        self.receivedAt = receivedAt
        self.client = client
        self.request = request
    }
}

/// A CORS preflight the proxy answered: what the browser asked before sending a request.
public struct PreflightSeen: Sendable, Equatable {
    public var receivedAt: Int64
    public var client: String?
    /// Path and query the preflight was for.
    public var target: String
    public var origin: String?
    /// `Access-Control-Request-Method`.
    public var requestMethod: String?
    /// `Access-Control-Request-Headers`: the non-simple headers that made the browser ask
    /// (amplitude-js 8.7+ sends `cross-origin-resource-policy`).
    public var requestHeaders: String?
    /// The status answered (204).
    public var status: Int

    public init(receivedAt: Int64, client: String?, target: String, origin: String?, requestMethod: String?,
                requestHeaders: String?, status: Int) {
        self.receivedAt = receivedAt
        self.client = client
        self.target = target
        self.origin = origin
        self.requestMethod = requestMethod
        self.requestHeaders = requestHeaders
        self.status = status
    }
}

/// A member of `GET /ampscope/status` whose numbers come from outside the proxy, set after the
/// proxy started (the terminal UI creates its profile follower after the proxy). Absent from the
/// document until a provider is set.
public final class StatusSection: Sendable {
    public let key: String
    /// The provider, in a class box (a closure stored straight in the lock's payload comes back
    /// wrapped in one more thunk per read; `CaptureStore.Follower` says why that matters).
    private final class Provider: Sendable {
        let fields: @Sendable () -> [(String, Int)]
        init(_ fields: @escaping @Sendable () -> [(String, Int)]) { self.fields = fields }
    }
    private let provider = Guarded<Provider?>(nil)

    public init(key: String) { self.key = key }

    /// Sets what the section reports: named integers, read on every status request.
    public func provide(_ fields: @escaping @Sendable () -> [(String, Int)]) {
        let box = Provider(fields)
        provider.withLock { $0 = box }
    }

    /// The fields now (nil: no provider yet).
    public var fields: [(String, Int)]? { provider.withLock { $0 }?.fields() }
}
