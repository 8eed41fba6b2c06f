import NIOCore

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
        guard channel == nil, sweepTimer == nil else { return }
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
