import AmpscopeCore
import NIOCore
import NIOHTTP1

/// Per-connection deadlines (slowloris and idle guards), shared by the raw-byte watcher in front
/// of the HTTP decoder and the HTTP handler behind it. Lives on the channel's event loop only.
///
/// One sweep timer per connection checks the deadlines a few times per timeout, so a request
/// costs no timer scheduling at all (only clock reads).
final class ConnectionGuard {
    enum Phase { case idle, readingHead, readingBody, processing }
    let limits: ProxyLimits
    let stats: ProxyStats
    var phase = Phase.idle
    /// Bytes of a next (pipelined) request arrived while one was being processed.
    var bytesWhileBusy = false
    private var idleDeadline = NIODeadline.distantFuture
    private var headerDeadline = NIODeadline.distantFuture
    private var requestDeadline = NIODeadline.distantFuture
    private var sweepTimer: Scheduled<Void>?
    private var channel: (any Channel)?
    private let tick: TimeAmount

    init(limits: ProxyLimits, stats: ProxyStats) {
        self.limits = limits
        self.stats = stats
        let shortest = min(limits.headerTimeout, limits.idleTimeout, limits.requestTimeout)
        tick = Self.amount(min(1.0, max(0.02, shortest / 5)))
    }

    private static func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64(max(seconds, 0.001) * 1_000_000_000)) }

    /// A new connection: it must start a request within the header timeout.
    func connected(_ context: ChannelHandlerContext) {
        channel = context.channel
        idleDeadline = .now() + Self.amount(limits.headerTimeout)
        scheduleSweep(context.eventLoop)
    }

    private func scheduleSweep(_ loop: any EventLoop) {
        sweepTimer = loop.assumeIsolated().scheduleTask(in: tick) { [self] in
            sweep(loop)
        }
    }

    private func sweep(_ loop: any EventLoop) {
        let now = NIODeadline.now()
        let expired: Bool
        switch phase {
        case .idle: expired = now >= idleDeadline
        case .readingHead: expired = now >= headerDeadline || now >= requestDeadline
        case .readingBody: expired = now >= requestDeadline
        case .processing: expired = false
        }
        if expired {
            // No answer: the client has not sent a complete request (HTTP allows closing here).
            ProxyStats.bump(stats.limitRejections)
            sweepTimer = nil
            channel?.close(promise: nil)
            channel = nil
            return
        }
        scheduleSweep(loop)
    }

    /// Raw bytes arrived (before HTTP decoding).
    func bytesArrived(_ context: ChannelHandlerContext) {
        switch phase {
        case .idle:
            phase = .readingHead
            let now = NIODeadline.now()
            headerDeadline = now + Self.amount(limits.headerTimeout)
            requestDeadline = now + Self.amount(limits.requestTimeout)
        case .processing:
            bytesWhileBusy = true
        case .readingHead, .readingBody:
            break
        }
    }

    func headReceived(_ context: ChannelHandlerContext) {
        if phase == .idle {
            // (A head can only follow bytes; kept for safety.)
            requestDeadline = .now() + Self.amount(limits.requestTimeout)
        }
        phase = .readingBody
    }

    func requestComplete() {
        phase = .processing
        bytesWhileBusy = false
    }

    /// The answer is going out; the connection stays open for the next request.
    func responding(_ context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        if bytesWhileBusy {
            // Part of the next request is already here: it gets the header timeout, not the idle one.
            bytesWhileBusy = false
            phase = .readingHead
            headerDeadline = now + Self.amount(limits.headerTimeout)
            requestDeadline = now + Self.amount(limits.requestTimeout)
        } else {
            phase = .idle
            idleDeadline = now + Self.amount(limits.idleTimeout)
        }
    }

    func cancelAll() {
        sweepTimer?.cancel()
        sweepTimer = nil
        channel = nil
    }
}

/// Sits in front of the HTTP decoder and tells the guard when bytes arrive.
final class RawByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let guardian: ConnectionGuard

    init(_ guardian: ConnectionGuard) { self.guardian = guardian }

    func channelActive(context: ChannelHandlerContext) {
        guardian.connected(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guardian.bytesArrived(context)
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        guardian.cancelAll()
        context.fireChannelInactive()
    }
}

/// Answers connections over `--max-connections` with a 503 and closes them.
final class ConnectionRefuser: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        let body = ProxyEngine.errorBody(503, "too many open connections to ampscope; retry later")
        var head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
        head += "Content-Length: \(body.count)\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\n\r\n"
        var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + body.count)
        buffer.writeString(head)
        buffer.writeBytes(body)
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// The HTTP/1.1 request handler: collects a request, hands it to the engine, writes the answer.
final class ProxyHTTPHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    enum State { case idle, receiving, refused, processing, closed }

    let engine: ProxyEngine
    let guardian: ConnectionGuard
    let maxBody: Int
    private var state = State.idle
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var receivedAt: Int64 = 0
    private var peer: String?
    /// Body bytes of the current request counted against the proxy-wide memory budget.
    private var reserved = 0
    /// A read was held back because the client is not reading its answers.
    private var readPending = false

    init(engine: ProxyEngine, guardian: ConnectionGuard) {
        self.engine = engine
        self.guardian = guardian
        maxBody = engine.configuration.limits.maxBodyBytes
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = Self.describe(context.channel.remoteAddress)
        context.fireChannelActive()
    }

    static func describe(_ a: SocketAddress?) -> String? {
        guard let a else { return nil }
        guard let ip = a.ipAddress, let port = a.port else { return a.description }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        guardian.cancelAll()
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        state = .closed
        release()
    }

    /// Returns this request's body bytes to the memory budget.
    private func release() {
        if reserved > 0 {
            engine.bodyBudget.release(reserved)
            reserved = 0
        }
    }

    // Backpressure: a client that does not read its answers is not read from either, so
    // pipelined requests cannot pile answers up in memory.
    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable && readPending {
            readPending = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            guard state == .idle else { return }
            guardian.headReceived(context)
            head = h
            receivedAt = ProxyEngine.nowMs()
            let declared = h.headers.first(name: "content-length").flatMap { Int($0.trimmedHTTPSpace()) }
            if let declared, declared > maxBody {
                refuseTooLarge(context, declared: declared)
                return
            }
            if h.headers.first(name: "expect")?.asciiLowercased == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: .continue))), promise: nil)
            }
            body = context.channel.allocator.buffer(capacity: min(declared ?? 0, 1 << 20))
            state = .receiving
        case .body(var chunk):
            guard state == .receiving else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > maxBody {
                refuseTooLarge(context, declared: nil)
                return
            }
            guard engine.bodyBudget.reserve(chunk.readableBytes) else {
                refuseBusy(context)
                return
            }
            reserved += chunk.readableBytes
            body?.writeBuffer(&chunk)
        case .end:
            guard state == .receiving, let h = head else { return }
            state = .processing
            guardian.requestComplete()
            let request = makeRequest(h, body: body.map { Array($0.readableBytesView) } ?? [])
            body = nil
            dispatch(context, request)
        }
    }

    private func makeRequest(_ h: HTTPRequestHead, body: [UInt8]) -> ProxyRequest {
        var headers: [HTTPHeader] = []
        headers.reserveCapacity(h.headers.count)
        for (name, value) in h.headers { headers.append(HTTPHeader(name, value)) }
        return ProxyRequest(method: h.method.rawValue, uri: h.uri, httpVersion: "HTTP/\(h.version.major).\(h.version.minor)",
                            headers: headers, body: body, client: peer, receivedAt: receivedAt)
    }

    private func dispatch(_ context: ChannelHandlerContext, _ request: ProxyRequest) {
        if request.method == "OPTIONS" {
            respond(context, engine.preflight(request), to: request)
            return
        }
        let path = request.pathAndQuery.path
        if path.hasPrefix("/ampscope/") {
            respond(context, engine.internalEndpoint(request, path: path), to: request)
            return
        }
        let engine = self.engine
        let promise = context.eventLoop.makePromise(of: ProxyResponse.self)
        if engine.processesInline {
            // Sink mode: validate here, on the event loop, and hand the capture to the store's
            // writer thread, which completes the promise after the commit (no task per request).
            let processed = engine.process(ProxyEngine.capture(request))
            engine.commit(processed, reply: nil) { promise.succeed($0) }
        } else {
            // On the proxy's own executor, not the cooperative pool (see ProxyExecutor).
            Task(executorPreference: ProxyExecutor.shared) { promise.succeed(await engine.handle(request)) }
        }
        promise.futureResult.assumeIsolated().whenSuccess { response in
            self.respond(context, response, to: request)
        }
    }

    /// 413 before the body is read; the connection is closed (the rest of the body is never read).
    private func refuseTooLarge(_ context: ChannelHandlerContext, declared: Int?) {
        guard let h = head else { return }
        state = .refused
        ProxyStats.bump(engine.stats.limitRejections)
        let size = declared.map { "\($0) bytes" } ?? "more than \(maxBody) bytes"
        let reason = "request body of \(size) exceeds the proxy's --max-body limit of \(maxBody) bytes; it was not read or stored"
        let response = ProxyResponse.error(413, reason, close: true)
        let request = makeRequest(h, body: [])
        let engine = self.engine
        let answer = response.body
        Task(executorPreference: ProxyExecutor.shared) { await engine.recordRefused(request, status: 413, reason: reason, answer: answer) }
        respond(context, response, to: request)
    }

    /// 503 when the bodies being received by all connections together exceed the memory budget.
    private func refuseBusy(_ context: ChannelHandlerContext) {
        guard let h = head else { return }
        state = .refused
        ProxyStats.bump(engine.stats.limitRejections)
        release()
        body = nil
        let response = ProxyResponse.error(503, "ampscope is receiving too much request data at once (\(engine.bodyBudget.limit >> 20) MiB in flight); retry later", close: true)
        respond(context, response, to: makeRequest(h, body: []))
    }

    private func respond(_ context: ChannelHandlerContext, _ response: ProxyResponse, to request: ProxyRequest) {
        release()
        guard state != .closed, context.channel.isActive else { return }
        if response.dropConnection {
            state = .closed
            context.close(promise: nil)
            return
        }
        let version = head?.version ?? .http1_1
        let keepAlive = (head?.isKeepAlive ?? false) && !response.close && state != .refused
        var headers = HTTPHeaders()
        headers.reserveCapacity(response.headers.count + 4)
        for h in response.headers { headers.add(name: h.name, value: h.value) }
        for h in engine.corsHeaders(for: request) where !headers.contains(name: h.name) || h.name == "Vary" {
            headers.add(name: h.name, value: h.value)
        }
        if response.status == 204 || response.status == 304 {
            headers.remove(name: "Content-Length")
        } else {
            headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        }
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if version.major == 1 && version.minor == 0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        let status = HTTPResponseStatus(statusCode: response.status)
        let isHead = request.method == "HEAD"
        if state != .refused {
            state = keepAlive ? .idle : .closed
            head = nil
            if keepAlive { guardian.responding(context) }
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        if !response.body.isEmpty && !isHead {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parse = error as? HTTPParserError {
            ProxyStats.bump(engine.stats.limitRejections)
            // Answer only when no answer is under way for this connection.
            if state == .idle || state == .receiving {
                let tooBig = parse == .headerOverflow
                let status = tooBig ? 431 : 400
                let message = tooBig
                    ? "request headers exceed the proxy's limit of \(engine.configuration.limits.maxHeaderBytes) bytes"
                    : "malformed HTTP request (\(parse)); the connection is closed"
                let request = ProxyRequest(method: head?.method.rawValue ?? "GET", uri: head?.uri ?? "/", httpVersion: "HTTP/1.1",
                                           headers: [], body: [], client: peer, receivedAt: ProxyEngine.nowMs())
                state = .refused
                respond(context, .error(status, message, close: true), to: request)
            } else {
                state = .closed
                context.close(promise: nil)
            }
            return
        }
        // I/O errors (reset by peer...): this connection is over; others are unaffected.
        state = .closed
        context.close(promise: nil)
    }
}

extension String {
    func trimmedHTTPSpace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
