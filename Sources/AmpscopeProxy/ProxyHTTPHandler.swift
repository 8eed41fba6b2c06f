import AmpscopeCore
import NIOCore
import NIOHTTP1

/// The HTTP/1.1 request handler: collects a request, hands it to the engine, writes the answer.
/// What to do at each event is decided by `HTTPConnectionStateMachine`; this class carries the
/// actions out on the channel.
final class ProxyHTTPHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let engine: ProxyEngine
    let guardian: ConnectionGuard
    let maxBody: Int
    private var machine: HTTPConnectionStateMachine
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var receivedAt: Int64 = 0
    private var peer: String?
    /// Body bytes of the current request counted against the proxy-wide memory budget.
    private var reserved = 0
    /// A read was held back because the client is not reading its answers.
    private var readPending = false
    /// Where the store's writer posts this connection's answers (its event loop's mailbox).
    private var mailbox: LoopMailbox?

    /// `https://host[:port]` when this connection is an intercepted CONNECT tunnel.
    let origin: String?
    /// Carries absolute-form requests for hosts that are not intercepted (proxy mode).
    let relay: PassThroughRelay?

    init(engine: ProxyEngine, guardian: ConnectionGuard, origin: String? = nil, relay: PassThroughRelay? = nil) {
        self.origin = origin
        self.relay = relay
        self.engine = engine
        self.guardian = guardian
        maxBody = engine.configuration.limits.maxBodyBytes
        machine = HTTPConnectionStateMachine(maxBody: maxBody)
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = Self.describe(context.channel.remoteAddress)
        context.fireChannelActive()
    }

    /// Added once the connection is open (after ConnectFrontDoor saw the first bytes).
    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { peer = Self.describe(context.channel.remoteAddress) }
    }

    static func describe(_ a: SocketAddress?) -> String? {
        guard let a else { return nil }
        guard let ip = a.ipAddress, let port = a.port else { return a.description }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.closed()
        guardian.cancelAll()
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        machine.closed()
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
            let declared = h.headers.first(name: "content-length").flatMap { Int($0.trimmedHTTPSpace()) }
            let expects = h.headers.first(name: "expect")?.asciiLowercased == "100-continue"
            let action = machine.head(declaredLength: declared, expectsContinue: expects)
            if action == .ignore { return }
            guardian.headReceived(context)
            head = h
            receivedAt = ProxyEngine.nowMs()
            switch action {
            case .ignore:
                return
            case .refuseTooLarge(let declared):
                refuseTooLarge(context, declared: declared)
            case .receive(let sendContinue, let capacity):
                if sendContinue {
                    context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: .continue))), promise: nil)
                }
                body = context.channel.allocator.buffer(capacity: capacity)
            }
        case .body(var chunk):
            let n = chunk.readableBytes
            switch machine.body(bytes: n, reserve: { engine.bodyBudget.reserve(n) }) {
            case .ignore:
                return
            case .refuseTooLarge:
                refuseTooLarge(context, declared: nil)
            case .refuseBusy:
                refuseBusy(context)
            case .append:
                reserved += n
                body?.writeBuffer(&chunk)
            }
        case .end:
            guard let h = head, machine.end() == .dispatch else { return }
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
                            headers: headers, body: body, client: peer, receivedAt: receivedAt,
                            origin: origin ?? ProxiedOrigin.absoluteForm(h.uri))
    }

    private func dispatch(_ context: ChannelHandlerContext, _ request: ProxyRequest) {
        if request.method == "CONNECT" {
            // A tunnel is opened only by the first request of a connection (ConnectFrontDoor).
            respond(context, .error(405, "send CONNECT as the first request of a new connection", close: true), to: request)
            return
        }
        if let relay, PassThroughRelay.shouldRelay(request, interception: engine.configuration.interception) {
            let promise = context.eventLoop.makePromise(of: ProxyResponse.self)
            Task(executorPreference: ProxyExecutor.shared) { promise.succeed(await relay.relay(request)) }
            promise.futureResult.assumeIsolated().whenSuccess { response in self.respond(context, response, to: request) }
            return
        }
        if request.method == "OPTIONS" {
            respond(context, engine.preflight(request), to: request)
            return
        }
        let path = request.pathAndQuery.path
        let engine = self.engine
        if path.hasPrefix("/ampscope/") {
            // Answered through a promise: `/ampscope/wait` answers later, without holding the loop.
            let answer = context.eventLoop.makePromise(of: ProxyResponse.self)
            engine.internalEndpoint(request, path: path) { answer.succeed($0) }
            answer.futureResult.assumeIsolated().whenSuccess { response in self.respond(context, response, to: request) }
            return
        }
        let promise = context.eventLoop.makePromise(of: ProxyResponse.self)
        if engine.processesInline {
            // Sink mode: validate here, on the event loop, and hand the capture to the store's
            // writer thread (no task per request). An idle writer starts on it at once; what
            // queues while it commits goes into its next transaction. It posts the answer to this
            // loop's mailbox, which runs the answers of one commit as one task.
            let processed = engine.process(ProxyEngine.capture(request))
            let mailbox = self.mailbox ?? engine.mailboxes.mailbox(for: context.eventLoop)
            self.mailbox = mailbox
            engine.commit(processed, reply: nil) { response in mailbox.post { promise.succeed(response) } }
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
        ProxyStats.bump(engine.stats.limitRejections)
        release()
        body = nil
        let response = ProxyResponse.error(503, "ampscope is receiving too much request data at once (\(engine.bodyBudget.limit >> 20) MiB in flight); retry later", close: true)
        respond(context, response, to: makeRequest(h, body: []))
    }

    private func respond(_ context: ChannelHandlerContext, _ response: ProxyResponse, to request: ProxyRequest) {
        release()
        let wasRefused = machine.state == .refused
        let action = machine.respond(channelActive: context.channel.isActive, clientKeepAlive: head?.isKeepAlive ?? false,
                                     close: response.close, drop: response.dropConnection)
        let keepAlive: Bool
        switch action {
        case .ignore:
            return
        case .drop:
            context.close(promise: nil)
            return
        case .write(let k):
            keepAlive = k
        }
        let version = head?.version ?? .http1_1
        var headers = HTTPHeaders()
        headers.reserveCapacity(response.headers.count + 4)
        for h in response.headers { headers.add(name: h.name, value: h.value) }
        for h in response.relayed ? [] : engine.corsHeaders(for: request) where !headers.contains(name: h.name) || h.name == "Vary" {
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
        if !wasRefused {
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
            // Answered only when no answer is under way for this connection.
            switch machine.parseError(headersTooLarge: parse == .headerOverflow) {
            case .answer(let status):
                let message = status == 431
                    ? "request headers exceed the proxy's limit of \(engine.configuration.limits.maxHeaderBytes) bytes"
                    : "malformed HTTP request (\(parse)); the connection is closed"
                let request = ProxyRequest(method: head?.method.rawValue ?? "GET", uri: head?.uri ?? "/", httpVersion: "HTTP/1.1",
                                           headers: [], body: [], client: peer, receivedAt: ProxyEngine.nowMs())
                respond(context, .error(status, message, close: true), to: request)
            case .close:
                context.close(promise: nil)
            }
            return
        }
        // I/O errors (reset by peer...): this connection is over; others are unaffected.
        machine.closed()
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
