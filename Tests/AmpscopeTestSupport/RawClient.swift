import AmpscopeCore
import Foundation

/// An HTTP answer read off a raw socket.
public struct RawResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
    public var text: String { String(decoding: body, as: UTF8.self) }
    public func header(_ n: String) -> String? { headers.first { $0.0.lowercased() == n.lowercased() }?.1 }
    /// The body's `code` field, when the body is JSON.
    public var code: Int? {
        guard let doc = try? JSONDocument(parsing: body), doc.kind(doc.root) == .object,
              let c = doc.member(doc.root, "code") else { return nil }
        return doc.int64(c).map(Int.init)
    }
    public func json(_ key: String) -> String? {
        guard let doc = try? JSONDocument(parsing: body), doc.kind(doc.root) == .object,
              let v = doc.member(doc.root, named: key) else { return nil }
        return doc.rawText(v)
    }
}

/// A blocking TCP client with timeouts: full control over the bytes (keep-alive, pipelining,
/// slow clients, junk).
public final class RawClient: @unchecked Sendable {  // one test thread uses a client at a time; nothing in it is shared
    public let fd: Int32
    private var pending: [UInt8] = []
    /// True once a read saw the server close (or reset) the connection.
    public private(set) var closedByPeer = false

    public init(port: Int, timeout: Double = 60) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestError("socket() failed") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else {
            let e = errno
            Glibc.close(fd)
            throw TestError("connect to 127.0.0.1:\(port) failed: errno \(e)")
        }
    }

    deinit { Glibc.close(fd) }

    public func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestError("send failed: errno \(errno)") }
            off += n
        }
    }

    public func send(_ s: String) throws { try send(Array(s.utf8)) }

    /// Without blocking: has the server closed the connection (end of stream or reset)?
    public func peerClosed() -> Bool {
        var b: UInt8 = 0
        let n = recv(fd, &b, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n == 0 || (n < 0 && errno == ECONNRESET) { closedByPeer = true }
        return closedByPeer
    }

    /// Reads more bytes; nil at EOF (peer closed), throws on timeout/reset.
    private func fill() throws -> Bool {
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { closedByPeer = true; return false }
        if n < 0 {
            if errno == ECONNRESET { closedByPeer = true; return false }
            throw TestError("recv failed: errno \(errno) (timeout?)")
        }
        pending.append(contentsOf: buf[0..<n])
        return true
    }

    /// Reads one HTTP/1.1 response (Content-Length framed, or until close).
    public func readResponse() throws -> RawResponse {
        var headEnd: Int?
        while headEnd == nil {
            if let r = find(pending, [13, 10, 13, 10]) { headEnd = r; break }
            guard try fill() else { throw TestError("connection closed before a response head (got \(pending.count) bytes)") }
        }
        let headText = String(decoding: pending[0..<headEnd!], as: UTF8.self)
        pending.removeFirst(headEnd! + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw TestError("bad status line: \(statusLine)") }
        var headers: [(String, String)] = []
        for l in lines {
            guard let c = l.firstIndex(of: ":") else { continue }
            headers.append((String(l[..<c]), String(l[l.index(after: c)...]).trimmingCharacters(in: .whitespaces)))
        }
        if status == 100 { return try readResponse() }
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) }
        var body: [UInt8] = []
        if status == 204 || status == 304 {
            return RawResponse(status: status, headers: headers, body: [])
        }
        if let length {
            while pending.count < length {
                guard try fill() else { throw TestError("connection closed in the body") }
            }
            body = Array(pending[0..<length])
            pending.removeFirst(length)
        } else {
            while try fill() {}
            body = pending
            pending = []
        }
        return RawResponse(status: status, headers: headers, body: body)
    }

    /// Waits until the server closes the connection; returns the bytes received meanwhile and the wait.
    public func waitForClose() throws -> (bytes: [UInt8], seconds: Double) {
        let start = Date()
        while try fill() {}
        let b = pending
        pending = []
        return (b, Date().timeIntervalSince(start))
    }

    /// One request/response exchange.
    public func exchange(_ request: [UInt8]) throws -> RawResponse {
        try send(request)
        return try readResponse()
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<i + needle.count]) == needle {
            return i
        }
        return nil
    }
}

