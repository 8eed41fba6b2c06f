import AmpscopeCore
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// The first handler of every capture-port connection. It looks at the first bytes: a request
/// that is not `CONNECT` gets the ordinary HTTP pipeline (server-URL captures and absolute-form
/// proxy requests); a `CONNECT host:port` is answered here:
/// - an intercepted host (`Interception.hosts`): `200`, then TLS is terminated with a
///   certificate from ampscope's CA and the same HTTP capture pipeline runs inside;
/// - any other host: ampscope connects to it, answers `200` and splices the two sockets
///   byte for byte without looking inside.
/// Bad targets, oversized heads and unreachable hosts are answered with a status and a reason.
final class ConnectFrontDoor: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Installs the HTTP capture pipeline at the end of a channel's pipeline. `origin` is the
    /// intercepted host (`https://host:port`) when the connection is a terminated tunnel.
    typealias InstallHTTP = @Sendable (_ channel: any Channel, _ guardian: ConnectionGuard, _ origin: String?) throws -> Void

    let engine: ProxyEngine
    let guardian: ConnectionGuard
    let watcher: RawByteWatcher
    let installHTTP: InstallHTTP
    let contexts: InterceptContexts?
    private var buffer: ByteBuffer?
    private var done = false
    /// A tunnel is being connected: bytes that arrive meanwhile are kept for it.
    private var connecting = false
    /// The connection's deadlines still apply (until a CONNECT head is complete).
    private var watcherActive = true
    static let connectPrefix: [UInt8] = Array("CONNECT ".utf8)
    /// How long ampscope waits to connect to a tunnelled host.
    static let connectTimeout = TimeAmount.seconds(10)

    init(engine: ProxyEngine, guardian: ConnectionGuard, watcher: RawByteWatcher, contexts: InterceptContexts?, installHTTP: @escaping InstallHTTP) {
        self.engine = engine
        self.guardian = guardian
        self.watcher = watcher
        self.contexts = contexts
        self.installHTTP = installHTTP
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if connecting {
            if buffer == nil { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
            return
        }
        guard !done else { return }
        if buffer == nil {
            buffer = incoming
        } else {
            buffer!.writeBuffer(&incoming)
        }
        let bytes = buffer!.readableBytesView
        // Decide as soon as the first bytes tell whether this is CONNECT.
        let n = min(bytes.count, Self.connectPrefix.count)
        if !bytes.prefix(n).elementsEqual(Self.connectPrefix.prefix(n)) {
            becomeHTTP(context)
            return
        }
        if n < Self.connectPrefix.count { return }
        guard let headEnd = Self.endOfHead(bytes) else {
            if bytes.count > engine.configuration.limits.maxHeaderBytes {
                refuse(context, 431, "Request Header Fields Too Large",
                       "the CONNECT request head exceeds the proxy's limit of \(engine.configuration.limits.maxHeaderBytes) bytes")
            }
            return
        }
        let head = Array(bytes.prefix(headEnd.start))
        buffer!.moveReaderIndex(forwardBy: headEnd.end)
        handleConnect(context, head: head)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done = true
        buffer = nil
        context.fireChannelInactive()
    }

    /// Where the head ends: the index of `\r\n\r\n` (or `\n\n`) and the index after it.
    static func endOfHead(_ bytes: ByteBufferView) -> (start: Int, end: Int)? {
        var i = bytes.startIndex
        let e = bytes.endIndex
        while i < e {
            if bytes[i] == 0x0A {
                if i + 1 < e, bytes[i + 1] == 0x0A { return (i - bytes.startIndex, i + 2 - bytes.startIndex) }
                if i + 2 < e, bytes[i + 1] == 0x0D, bytes[i + 2] == 0x0A { return (i - bytes.startIndex, i + 3 - bytes.startIndex) }
            }
            i += 1
        }
        return nil
    }

    private func becomeHTTP(_ context: ChannelHandlerContext) {
        done = true
        do {
            try installHTTP(context.channel, guardian, nil)
        } catch {
            context.close(promise: nil)
            return
        }
        if let b = buffer {
            buffer = nil
            context.fireChannelRead(wrapInboundOut(b))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    // MARK: CONNECT

    /// A parsed `CONNECT host:port HTTP/1.x` line.
    struct Target: Equatable {
        var host: String
        var port: Int
        var version: String
        var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    enum ParseError: Error, Equatable {
        case bad(String)
        case version(String)
    }

    /// Parses the request line of a CONNECT head (RFC 9110 §9.3.6: authority-form, port required).
    static func parse(head: [UInt8]) -> Result<Target, ParseError> {
        let lineEnd = head.firstIndex(of: 0x0A) ?? head.count
        var line = head[..<lineEnd]
        if line.last == 0x0D { line = line.dropLast() }
        guard line.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return .failure(.bad("the CONNECT line has control or non-ASCII bytes")) }
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .failure(.bad("expected 'CONNECT host:port HTTP/1.1'")) }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return .failure(.version("unsupported HTTP version '\(Sanitize.inline(version, limit: 20))' (HTTP/1.0 or HTTP/1.1)"))
        }
        let authority = String(decoding: parts[1], as: UTF8.self)
        var host: String
        var portText: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]"), authority[authority.index(after: close)...].hasPrefix(":") else {
                return .failure(.bad("bad CONNECT target '\(Sanitize.inline(authority, limit: 80))': use [IPv6]:port"))
            }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            portText = authority[authority.index(close, offsetBy: 2)...]
            guard host.contains(":"), IPAddressBytes.parse(host) != nil else {
                return .failure(.bad("bad CONNECT target '\(Sanitize.inline(authority, limit: 80))': not an IPv6 address"))
            }
        } else {
            guard let colon = authority.lastIndex(of: ":") else {
                return .failure(.bad("bad CONNECT target '\(Sanitize.inline(authority, limit: 80))': the port is missing (host:port)"))
            }
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
            guard HostName.isValidDNSName(host) || IPAddressBytes.parse(host) != nil, !host.contains(":") else {
                return .failure(.bad("bad CONNECT target '\(Sanitize.inline(authority, limit: 80))': not a host name or IP address"))
            }
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portText), (1...65535).contains(port) else {
            return .failure(.bad("bad CONNECT target '\(Sanitize.inline(authority, limit: 80))': the port must be 1-65535"))
        }
        while host.hasSuffix(".") { host.removeLast() }
        return .success(Target(host: host.asciiLowercased, port: port, version: version))
    }

    private func handleConnect(_ context: ChannelHandlerContext, head: [UInt8]) {
        done = true
        let target: Target
        switch Self.parse(head: head) {
        case .failure(.bad(let why)):
            refuse(context, 400, "Bad Request", why)
            return
        case .failure(.version(let why)):
            refuse(context, 505, "HTTP Version Not Supported", why)
            return
        case .success(let t):
            target = t
        }
        // The head is complete: the CONNECT stage's deadline is over; the next stage has its own.
        watcherActive = false
        guardian.cancelAll()
        context.pipeline.syncOperations.removeHandler(watcher, promise: nil)
        let peer = ProxyHTTPHandler.describe(context.channel.remoteAddress) ?? "a client"
        if let contexts, engine.configuration.interception?.intercepts(target.host) == true {
            intercept(context, target, contexts: contexts, peer: peer)
        } else {
            // When the proxy listens beyond loopback, a remote client must not reach this machine's own services.
            if HostName.isLoopback(target.host), let ip = context.channel.remoteAddress?.ipAddress, !HostName.isLoopback(ip) {
                refuse(context, 403, "Forbidden", "ampscope does not tunnel a remote client to this machine's loopback address \(target.authority)")
                return
            }
            tunnel(context, target, peer: peer)
        }
    }

    private func intercept(_ context: ChannelHandlerContext, _ target: Target, contexts: InterceptContexts, peer: String) {
        let sslContext: NIOSSLContext
        do {
            sslContext = try contexts.context(for: target.host)
        } catch {
            let why = "cannot make a certificate for \(target.host) with ampscope's CA: \(error)"
            engine.configuration.onProblem?("CONNECT \(target.authority): \(why)")
            refuse(context, 502, "Bad Gateway", why)
            return
        }
        ProxyStats.bump(engine.stats.intercepted)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: "\(target.version) 200 Connection established\r\n\r\n")),
                              promise: nil)
        let origin = target.port == 443 ? "https://\(target.host)" : "https://\(target.authority)"
        do {
            let sync = context.pipeline.syncOperations
            try sync.addHandler(NIOSSLServerHandler(context: sslContext))
            try sync.addHandler(TLSHandshakeReporter(host: target.host, peer: peer, engine: engine))
            let inner = ConnectionGuard(limits: engine.configuration.limits, stats: engine.stats)
            try sync.addHandler(RawByteWatcher(inner))
            try installHTTP(context.channel, inner, origin)
        } catch {
            context.close(promise: nil)
            return
        }
        forwardLeftover(context)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func tunnel(_ context: ChannelHandlerContext, _ target: Target, peer: String) {
        ProxyStats.bump(engine.stats.tunnels)
        let client = context.channel
        // Nothing more is read from the client until the tunnel is up.
        let loop = context.eventLoop
        let version = target.version
        connecting = true
        ClientBootstrap(group: loop)
            .connectTimeout(Self.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: target.host, port: target.port)
            .assumeIsolated()
            .whenComplete { [self] result in
                connecting = false
                switch result {
                case .failure(let error):
                    refuse(context, 502, "Bad Gateway", "cannot reach \(target.authority): \(error)")
                case .success(let upstream):
                    guard client.isActive else {
                        upstream.close(promise: nil)
                        return
                    }
                    let (a, b) = TunnelGlue.pair()
                    do {
                        try upstream.pipeline.syncOperations.addHandler(b)
                        try context.pipeline.syncOperations.addHandler(a)
                    } catch {
                        upstream.close(promise: nil)
                        context.close(promise: nil)
                        return
                    }
                    context.writeAndFlush(wrapOutboundOut(client.allocator.buffer(string: "\(version) 200 Connection established\r\n\r\n")),
                                          promise: nil)
                    forwardLeftover(context)
                    context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
                }
            }
    }

    /// Bytes the client sent after the CONNECT head (before it saw the answer) go on to the next stage.
    private func forwardLeftover(_ context: ChannelHandlerContext) {
        if let b = buffer, b.readableBytes > 0 {
            buffer = nil
            context.fireChannelRead(wrapInboundOut(b))
            context.fireChannelReadComplete()
        }
        buffer = nil
    }

    /// An answer that ends the connection (raw bytes: no HTTP encoder is installed here). The
    /// output is closed after it and whatever else the client sends is read and dropped until it
    /// closes or the connection's deadline passes, so the answer is not lost to a reset.
    private func refuse(_ context: ChannelHandlerContext, _ status: Int, _ phrase: String, _ why: String) {
        done = true
        buffer = nil
        ProxyStats.bump(engine.stats.limitRejections)
        let body = "ampscope: " + Sanitize.inline(why, limit: 300) + "\n"
        let text = "HTTP/1.1 \(status) \(phrase)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        guard context.channel.isActive else { return }
        let channel = context.channel
        let draining = watcherActive
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text))).whenComplete { _ in
            if draining {
                channel.close(mode: .output, promise: nil)
            } else {
                channel.close(promise: nil)
            }
        }
    }

}

/// Splices two channels: what one reads, the other writes, untouched. Reading stops while the
/// other side cannot keep up (backpressure); a close or half-close is passed on.
final class TunnelGlue: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: TunnelGlue?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    static func pair() -> (TunnelGlue, TunnelGlue) {
        let a = TunnelGlue()
        let b = TunnelGlue()
        a.partner = b
        b.partner = a
        return (a, b)
    }

    private func partnerWrite(_ data: NIOAny) { context?.write(data, promise: nil) }
    private func partnerFlush() { context?.flush() }
    private func partnerWriteEOF() {
        context?.close(mode: .output, promise: nil)
    }
    private func partnerCloseFull() { context?.close(promise: nil) }
    private func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }
    private var partnerWritable: Bool { context?.channel.isWritable ?? false }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerCloseFull()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, case .inputClosed = e {
            partner?.partnerWriteEOF()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
    }

    func read(context: ChannelHandlerContext) {
        if let partner, partner.partnerWritable {
            context.read()
        } else {
            pendingRead = true
        }
    }
}

/// Reports a TLS handshake that failed on an intercepted host or the `--tls` port: which host,
/// which client, and why (most often: the client does not trust ampscope's CA).
final class TLSHandshakeReporter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let host: String
    let peer: String
    let engine: ProxyEngine
    private var completed = false

    init(host: String, peer: String, engine: ProxyEngine) {
        self.host = host
        self.peer = peer
        self.engine = engine
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? TLSUserEvent, case .handshakeCompleted = e { completed = true }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !completed, error is NIOSSLError || error is BoringSSLError {
            completed = true
            ProxyStats.bump(engine.stats.tlsFailures)
            engine.configuration.onProblem?("TLS: \(peer) did not complete the handshake for \(host): \(Self.explain(error))")
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }

    /// A sentence for the user; the library's words follow in parentheses.
    static func explain(_ error: any Error) -> String {
        let text = String(describing: error)
        let lower = text.lowercased()
        let detail = Sanitize.inline(text, limit: 200)
        if lower.contains("unknown_ca") || lower.contains("unknown ca") || lower.contains("certificate_unknown")
            || lower.contains("certificate unknown") || lower.contains("bad_certificate") || lower.contains("bad certificate") {
            return "the client rejected ampscope's certificate: it does not trust ampscope's CA. Trust it (`ampscope ca show` says how) or leave the host out of --intercept (\(detail))"
        }
        if lower.contains("no_shared_cipher") || lower.contains("wrong_version") || lower.contains("unsupported_protocol") {
            return "the client and ampscope share no TLS version or cipher (\(detail))"
        }
        if lower.contains("http_request") {
            return "the client spoke plain HTTP to a TLS port (\(detail))"
        }
        // A client that rejects the certificate ends the handshake; under TLS 1.3 its alert is
        // encrypted and BoringSSL often reports only a framing error, so the cause is inferred.
        return "the client ended the handshake: most likely it does not trust ampscope's CA (trust it: `ampscope ca show`) or it pins the real certificate (\(detail))"
    }
}
