import AmpscopeTestSupport
import Foundation

/// A blocking HTTP/1.1 keep-alive client posting JSON (load generation in tests).
final class ProxyAppSocket {
    let client: RawClient

    init(port: Int, timeout: Double = 10) throws { client = try RawClient(port: port, timeout: timeout) }

    /// POSTs `body` to `path` and returns the status and body (throws when the connection fails).
    func post(_ path: String, _ body: [UInt8]) throws -> (status: Int, body: [UInt8]) {
        let head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        let r = try client.exchange(Array(head.utf8) + body)
        return (r.status, r.body)
    }
}

/// One HTTP/1.1 request over its own connection, with the answer's headers.
enum RawHTTP {
    /// `timeout` bounds each read; it is generous because the full suite runs debug binaries on a
    /// busy two-core machine, where a megabyte body can take many seconds to be validated and stored.
    static func send(port: Int, _ method: String, _ path: String, headers: [String], body: [UInt8], timeout: Double = 120) throws -> RawResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for h in headers { head += h + "\r\n" }
        return try RawClient(port: port, timeout: timeout).exchange(Array((head + "\r\n").utf8) + body)
    }
}
