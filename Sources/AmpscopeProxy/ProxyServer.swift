import AmpscopeCore
import AmpscopeStore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The intercepting proxy: an HTTP/1.1 server that captures every request into a `CaptureStore`
/// (committed before the answer is sent) and answers like Amplitude (sink), relays to Amplitude
/// (forward), or injects faults. Used by `ampscope proxy` and by the TUI.
public final class ProxyServer: Sendable {
    public let configuration: ProxyConfiguration
    public let store: CaptureStore
    public let ingest: SharedIngest
    public let stats = ProxyStats()

    private struct Running {
        var group: MultiThreadedEventLoopGroup
        var serverChannel: any Channel
        var tlsChannel: (any Channel)?
        var tlsAddress: BoundAddress?
        var upstream: UpstreamClient?
        var relay: PassThroughRelay?
        var engine: ProxyEngine
    }
    private let running = Guarded<Running?>(nil)
    private let children = ChannelRegistry()

    /// The address actually bound (after `start()`).
    public struct BoundAddress: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var description: String { ListenAddress.format(host: host, port: port) }
        /// `http://127.0.0.1:8787` (the base URL to give an SDK).
        public var baseURL: String {
            let h = (host == "0.0.0.0" || host == "::") ? "127.0.0.1" : host
            return "http://" + ListenAddress.format(host: h, port: port)
        }
        /// `https://127.0.0.1:8788` (the `--tls` listener).
        public var httpsURL: String { "https" + baseURL.dropFirst(4) }
    }

    public enum ServerError: Error, CustomStringConvertible {
        case alreadyStarted
        case cannotListen(String, String)
        public var description: String {
            switch self {
            case .alreadyStarted: return "the proxy is already running"
            case .cannotListen(let addr, let why): return "cannot listen on \(addr): \(why)"
            }
        }
    }

    public init(configuration: ProxyConfiguration, store: CaptureStore, ingest: SharedIngest = SharedIngest()) {
        self.configuration = configuration
        self.store = store
        self.ingest = ingest
    }

    /// Binds and starts serving. Returns the bound address (the real port when configured with 0).
    @discardableResult
    public func start() async throws -> BoundAddress {
        guard running.withLock({ $0 == nil }) else { throw ServerError.alreadyStarted }
        let threads = max(1, configuration.eventLoopThreads ?? 1)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let upstream = configuration.upstream.map { UpstreamClient(target: $0, timeout: configuration.upstreamTimeout, group: group,
                                                                        trustRoots: configuration.upstreamTrustRoots) }
        let engine = ProxyEngine(configuration: configuration, store: store, ingest: ingest, stats: stats, upstream: upstream)
        let limits = configuration.limits
        let stats = self.stats
        let decoderLimits: NIOHTTPDecoderLimitConfiguration = {
            var d = NIOHTTPDecoderLimitConfiguration()
            d.maxHeaderListSize = limits.maxHeaderBytes
            d.maxHeaderFieldSize = limits.maxHeaderBytes
            d.maxHeaderFieldCount = 1000
            return d
        }()
        let children = self.children
        let contexts = configuration.interception.map { InterceptContexts(ca: $0.ca) }
        let relay = configuration.interception.map { _ in PassThroughRelay(group: group) }
        let installHTTP: ConnectFrontDoor.InstallHTTP = { channel, guardian, origin in
            let sync = channel.pipeline.syncOperations
            try sync.configureHTTPServerPipeline(
                withPipeliningAssistance: true, withErrorHandling: false,
                // Every header value we send comes from constants or from a header NIO or
                // AsyncHTTPClient parsed (no CR/LF possible), so the per-answer check is skipped.
                withOutboundHeaderValidation: false, withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits)
            try sync.addHandler(ProxyHTTPHandler(engine: engine, guardian: guardian, origin: origin, relay: relay))
        }
        /// Counts the connection; false when it is over the limit (it then gets a refuser only).
        let admit: @Sendable (any Channel) throws -> Bool = { channel in
            let open = stats.openConnections.wrappingAdd(1, ordering: .relaxed).newValue
            ProxyStats.bump(stats.totalConnections)
            let id = ObjectIdentifier(channel)
            children.add(id, channel)
            channel.closeFuture.whenComplete { _ in
                stats.openConnections.wrappingSubtract(1, ordering: .relaxed)
                children.remove(id)
            }
            if open > limits.maxConnections {
                ProxyStats.bump(stats.limitRejections)
                try channel.pipeline.syncOperations.addHandler(ConnectionRefuser())
                return false
            }
            return true
        }

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard try admit(channel) else { return }
                    let guardian = ConnectionGuard(limits: limits, stats: stats)
                    let watcher = RawByteWatcher(guardian)
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(watcher)
                    // CONNECT (proxy mode) or HTTP (server URL, absolute-form): decided on the first bytes.
                    try sync.addHandler(ConnectFrontDoor(engine: engine, guardian: guardian, watcher: watcher,
                                                         contexts: contexts, installHTTP: installHTTP))
                }
            }

        // The HTTPS listener (--tls): its own port, the same capture pipeline behind TLS.
        var tlsBootstrap: ServerBootstrap?
        if let tls = configuration.tls {
            let sslContext: NIOSSLContext
            do {
                sslContext = try tls.makeContext()
            } catch {
                await upstream?.shutdown()
                await relay?.shutdown()
                try? await group.shutdownGracefully()
                throw ServerError.cannotListen(ListenAddress.format(host: tls.host, port: tls.port), "\(error)")
            }
            tlsBootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 512)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard try admit(channel) else { return }
                        let guardian = ConnectionGuard(limits: limits, stats: stats)
                        let sync = channel.pipeline.syncOperations
                        let peer = ProxyHTTPHandler.describe(channel.remoteAddress) ?? "a client"
                        try sync.addHandler(NIOSSLServerHandler(context: sslContext))
                        try sync.addHandler(TLSHandshakeReporter(host: "the --tls port", peer: peer, engine: engine))
                        try sync.addHandler(RawByteWatcher(guardian))
                        try installHTTP(channel, guardian, nil)
                    }
                }
        }

        let serverChannel: any Channel
        do {
            serverChannel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            await upstream?.shutdown()
            await relay?.shutdown()
            try? await group.shutdownGracefully()
            throw ServerError.cannotListen(ListenAddress.format(host: configuration.host, port: configuration.port), "\(error)")
        }
        let local = serverChannel.localAddress
        let bound = BoundAddress(host: local?.ipAddress ?? configuration.host, port: local?.port ?? configuration.port)
        var tlsChannel: (any Channel)?
        if let tlsBootstrap, let tls = configuration.tls {
            do {
                tlsChannel = try await tlsBootstrap.bind(host: tls.host, port: tls.port).get()
            } catch {
                try? await serverChannel.close()
                await upstream?.shutdown()
                await relay?.shutdown()
                try? await group.shutdownGracefully()
                throw ServerError.cannotListen(ListenAddress.format(host: tls.host, port: tls.port), "\(error)")
            }
        }
        engine.setListenAddress(bound.description)
        let tlsBound = tlsChannel.map { c in
            BoundAddress(host: c.localAddress?.ipAddress ?? configuration.tls!.host, port: c.localAddress?.port ?? configuration.tls!.port)
        }
        running.withLock {
            $0 = Running(group: group, serverChannel: serverChannel, tlsChannel: tlsChannel, tlsAddress: tlsBound,
                         upstream: upstream, relay: relay, engine: engine)
        }
        return bound
    }

    /// Stops accepting, lets requests in flight finish (up to `grace` seconds), closes every
    /// connection and releases the threads. Every acknowledged capture is already committed.
    public func shutdown(grace: Double = 5) async {
        guard let r = running.withLock({ s -> Running? in defer { s = nil }; return s }) else { return }
        try? await r.serverChannel.close()
        try? await r.tlsChannel?.close()
        for c in children.all {
            c.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let deadline = Date().addingTimeInterval(grace)
        while stats.openConnections.load(ordering: .relaxed) > 0 && Date() < deadline {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        for c in children.all { try? await c.close() }
        await r.upstream?.shutdown()
        await r.relay?.shutdown()
        try? await r.group.shutdownGracefully()
    }

    /// The `--tls` listener's address (nil without --tls or before `start()`).
    public var tlsAddress: BoundAddress? { running.withLock { $0?.tlsAddress } }

    /// The status document served at `GET /ampscope/status` (nil before `start()`).
    public func statusJSON() -> String? {
        running.withLock { $0?.engine }.map { String(decoding: $0.statusJSON(), as: UTF8.self) }
    }
}

/// The open client connections (for a graceful shutdown).
final class ChannelRegistry: Sendable {
    private let channels = Guarded<[ObjectIdentifier: any Channel]>([:])
    func add(_ id: ObjectIdentifier, _ c: any Channel) { channels.withLock { $0[id] = c } }
    func remove(_ id: ObjectIdentifier) { _ = channels.withLock { $0.removeValue(forKey: id) } }
    var all: [any Channel] { channels.withLock { Array($0.values) } }
}
