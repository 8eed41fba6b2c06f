import AmpscopeCore
import AmpscopeProxy
import AmpscopeStore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// `ampscope-bench proxy-baseline`: the baseline of Scripts/bench-proxy.sh — an HTTP/1.1 NIO
/// server with the proxy's pipeline shape (keep-alive, pipelining assistance, whole body read)
/// that answers a constant Amplitude-shaped 200 without decoding, validating or storing.
/// The script drives it and `ampscope proxy` with the same wrk load and reports the ratio.
enum ProxyBaselineBench: BenchMode {
    static let name = "proxy-baseline"
    static let summary = "constant-answer NIO HTTP server: the baseline for Scripts/bench-proxy.sh (runs until killed)"
    static let optionsHelp = """
      --listen HOST:PORT  address (default 127.0.0.1:8788)
      --threads N         event-loop threads (default 1, like the proxy)
    """

    static func run(_ o: inout BenchOptions) throws {
        let listen = o.string("listen", default: "127.0.0.1:8788")
        let threads = try o.int("threads", default: 1)
        try o.rejectUnused()
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw BenchError("--listen needs HOST:PORT")
        }
        let host = String(listen[..<colon])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ConstantAnswerHandler())
                }
            }
            .bind(host: host, port: port).wait()
        let banner = "proxy-baseline listening on \(channel.localAddress.map { "\($0)" } ?? listen) with \(threads) event loop(s)\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        try channel.closeFuture.wait()
        try group.syncShutdownGracefully()
    }
}

/// Reads the whole request, then answers the same bytes every time.
final class ConstantAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let body = Array("{\"code\":200,\"events_ingested\":10,\"payload_size_bytes\":2048,\"server_upload_time\":1795000000000}".utf8)
    private var keepAlive = true
    private var received = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            received = 0
        case .body(let buffer):
            received += buffer.readableBytes
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            headers.add(name: "Content-Length", value: String(Self.body.count))
            headers.add(name: "Access-Control-Allow-Origin", value: "*")
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: Self.body)))), promise: nil)
            if keepAlive {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}

/// `ampscope-bench proxy-server`: the real `ProxyServer` (sink mode) with a store of choice, so
/// Scripts/bench-proxy.sh can split the proxy's cost: `--store memory` keeps captures in memory
/// (decode + validate + answer, no SQLite), a path behaves like `ampscope proxy --quiet`.
enum ProxyServerBench: BenchMode {
    static let name = "proxy-server"
    static let summary = "the capture proxy in sink mode with an in-memory or SQLite store (runs until killed)"
    static let optionsHelp = """
      --listen HOST:PORT  address (default 127.0.0.1:8789)
      --threads N         event-loop threads (default 1, like the proxy)
      --store memory|PATH where captures go (default memory)
    """

    static func run(_ o: inout BenchOptions) throws {
        let listen = o.string("listen", default: "127.0.0.1:8789")
        let threads = try o.int("threads", default: 1)
        let storeArg = o.string("store", default: "memory")
        try o.rejectUnused()
        let (host, port) = try ListenAddress.parse(listen)
        let store = try CaptureStore(path: storeArg == "memory" ? nil : storeArg)
        let config = ProxyConfiguration(host: host, port: port, eventLoopThreads: threads)
        let server = ProxyServer(configuration: config, store: store)
        let started = DispatchSemaphore(value: 0)
        let failure = BenchFailureBox()
        Task {
            do {
                let bound = try await server.start()
                FileHandle.standardOutput.write(Data("proxy-server listening on \(bound) (store: \(storeArg))\n".utf8))
            } catch {
                failure.set("\(error)")
            }
            started.signal()
        }
        started.wait()
        if let f = failure.message { throw BenchError(f) }
        // Serve until the process is killed.
        while true { sleep(3600) }
    }
}

final class BenchFailureBox: Sendable {
    private let text = Guarded<String?>(nil)
    func set(_ s: String) { text.withLock { $0 = s } }
    var message: String? { text.withLock { $0 } }
}
