import AmpscopeCore
import AmpscopeTestSupport
import AmpscopeStore
@testable import AmpscopeProxy
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Builds HTTP/1.1 request bytes.
enum HTTPRequestBytes {
    static func make(_ method: String = "POST", _ target: String, headers: [(String, String)] = [],
                     body: [UInt8] = [], close: Bool = false, host: String = "127.0.0.1") -> [UInt8] {
        var s = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\n"
        for (n, v) in headers { s += "\(n): \(v)\r\n" }
        if !body.isEmpty || method == "POST" { s += "Content-Length: \(body.count)\r\n" }
        if close { s += "Connection: close\r\n" }
        s += "\r\n"
        return Array(s.utf8) + body
    }

    static func json(_ target: String, _ body: String, extra: [(String, String)] = [], close: Bool = false) -> [UInt8] {
        make("POST", target, headers: [("Content-Type", "application/json")] + extra, body: Array(body.utf8), close: close)
    }
}

/// Sample Amplitude payloads.
enum Payload {
    static let key = "0123456789abcdef0123456789abcdef"

    static func event(_ type: String, user: String = "user-00001", device: String? = nil, insert: String? = nil) -> String {
        var s = "{\"event_type\":\"\(type)\",\"user_id\":\"\(user)\",\"time\":1795000000000"
        if let device { s += ",\"device_id\":\"\(device)\"" }
        s += ",\"insert_id\":\"\(insert ?? UUID().uuidString)\"}"
        return s
    }

    static func v2(_ events: [String], key: String = Payload.key) -> String {
        "{\"api_key\":\"\(key)\",\"events\":[\(events.joined(separator: ","))]}"
    }

    static func form(_ fields: [(String, String)]) -> String { FormEncoding.encode(fields) }
}

/// A proxy on a free loopback port with its own store; shut down by `stop()`.
final class ProxyFixture: Sendable {
    let server: ProxyServer
    let store: CaptureStore
    let port: Int
    let storePath: String?

    init(_ configure: (inout ProxyConfiguration) -> Void = { _ in }, onDisk: Bool = true,
         validation: ValidationSettings = ValidationSettings()) async throws {
        var config = ProxyConfiguration(host: "127.0.0.1", port: 0, eventLoopThreads: 1)
        configure(&config)
        let path: String? = onDisk ? ProxyFixture.tempPath() : nil
        storePath = path
        store = try CaptureStore(path: path)
        server = ProxyServer(configuration: config, store: store, ingest: SharedIngest(settings: validation))
        port = try await server.start().port
    }

    static func tempPath() -> String {
        TempDir.make("ampscope-proxy-tests").appendingPathComponent("store.sqlite").path
    }

    func client(timeout: Double = 10) throws -> RawClient { try RawClient(port: port, timeout: timeout) }

    /// One request on a new connection.
    func send(_ request: [UInt8], timeout: Double = 10) async throws -> RawResponse {
        let port = self.port
        return try await onThread { try RawClient(port: port, timeout: timeout).exchange(request) }
    }

    func stop() async { await server.shutdown(grace: 1) }

    /// Every stored capture, re-read from the store.
    func captures() async throws -> [Processed] {
        var out: [Processed] = []
        for id in await store.captureIDs() { out.append(try await store.processed(id)) }
        return out
    }
}

/// A stand-in for Amplitude in forward-mode tests: a small NIO server that records what it
/// receives and answers as told.
final class FakeUpstream: Sendable {
    struct Received: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var body: [UInt8]
    }
    struct Behaviour: Sendable {
        var status = 200
        var body = "{\"code\":200,\"events_ingested\":1,\"payload_size_bytes\":10,\"server_upload_time\":1}"
        var headers: [(String, String)] = [("Content-Type", "application/json"), ("X-Upstream", "yes")]
        var delaySeconds: Double = 0
    }

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let log = LockedBox<[Received]>([])
    let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    init(_ behaviour: Behaviour = Behaviour()) async throws {
        let log = self.log
        channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.configureHTTPServerPipeline()
                    try ch.pipeline.syncOperations.addHandler(FakeUpstreamHandler(behaviour: behaviour, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    var received: [Received] { log.value }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

final class FakeUpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let behaviour: FakeUpstream.Behaviour
    let log: LockedBox<[FakeUpstream.Received]>
    var head: HTTPRequestHead?
    var body: [UInt8] = []

    init(behaviour: FakeUpstream.Behaviour, log: LockedBox<[FakeUpstream.Received]>) {
        self.behaviour = behaviour
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h; body = []
        case .body(let b): body += Array(b.readableBytesView)
        case .end:
            guard let h = head else { return }
            let rec = FakeUpstream.Received(method: h.method.rawValue, uri: h.uri, headers: h.headers.map { ($0.name, $0.value) }, body: body)
            log.mutate { $0.append(rec) }
            let b = behaviour
            let answer = {
                var headers = HTTPHeaders(b.headers)
                headers.add(name: "Content-Length", value: String(b.body.utf8.count))
                context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: b.status), headers: headers))), promise: nil)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: b.body)))), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
            if b.delaySeconds > 0 {
                context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(b.delaySeconds * 1000))) { answer() }
            } else {
                answer()
            }
        }
    }
}

final class LockedBox<T: Sendable>: @unchecked Sendable {
    private var v: T
    private let lock = NSLock()
    init(_ v: T) { self.v = v }
    var value: T { lock.lock(); defer { lock.unlock() }; return v }
    func mutate(_ f: (inout T) -> Void) { lock.lock(); f(&v); lock.unlock() }
}

/// A port nothing listens on.
/// The socket stays bound and never listens, for the rest of the test process: a connection to
/// the port is refused, and no other socket (another test's proxy on an ephemeral port) can take
/// the port meanwhile. Closing it at once let a concurrent test's server bind it and answer.
func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}
