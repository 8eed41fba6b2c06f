import Synchronization

/// Counters of a running proxy (lock-free; read by the status endpoint and the UI).
public final class ProxyStats: Sendable {
    /// Captured requests (stored or not).
    let requests = Atomic<Int>(0)
    /// Records (events, identifications...) in captured requests.
    let events = Atomic<Int>(0)
    /// Error / warning findings over all captured requests.
    let errors = Atomic<Int>(0)
    let warnings = Atomic<Int>(0)
    /// Requests whose answer was not 2xx (what the client saw).
    let rejected = Atomic<Int>(0)
    /// Captures the store refused (answered 503).
    let storeFailures = Atomic<Int>(0)
    /// Forward mode: upstream unreachable, too slow or broken (answered 502/503/504).
    let upstreamFailures = Atomic<Int>(0)
    /// Answers chosen by `--inject` (faults, closes and delays).
    let injected = Atomic<Int>(0)
    /// Requests refused by a limit (body too large, too many connections, bad HTTP, timeouts).
    let limitRejections = Atomic<Int>(0)
    /// CORS preflights answered.
    let preflights = Atomic<Int>(0)
    /// CONNECT tunnels opened for an intercepted host (TLS terminated, captured).
    let intercepted = Atomic<Int>(0)
    /// CONNECT tunnels passed through untouched.
    let tunnels = Atomic<Int>(0)
    /// TLS handshakes that failed (intercepted hosts and the --tls port).
    let tlsFailures = Atomic<Int>(0)
    let openConnections = Atomic<Int>(0)
    let totalConnections = Atomic<Int>(0)

    public init() {}

    /// CONNECT tunnels opened for intercepted hosts, tunnels passed through, failed TLS handshakes.
    public var tunnelCounts: (intercepted: Int, tunnelled: Int, tlsFailures: Int) {
        (intercepted.load(ordering: .relaxed), tunnels.load(ordering: .relaxed), tlsFailures.load(ordering: .relaxed))
    }

    public struct Snapshot: Sendable, Equatable {
        public var requests: Int
        public var events: Int
        public var errors: Int
        public var warnings: Int
        public var rejected: Int
        public var storeFailures: Int
        public var upstreamFailures: Int
        public var injected: Int
        public var limitRejections: Int
        public var preflights: Int
        public var openConnections: Int
        public var totalConnections: Int
    }

    public var snapshot: Snapshot {
        Snapshot(requests: requests.load(ordering: .relaxed), events: events.load(ordering: .relaxed),
                 errors: errors.load(ordering: .relaxed), warnings: warnings.load(ordering: .relaxed),
                 rejected: rejected.load(ordering: .relaxed), storeFailures: storeFailures.load(ordering: .relaxed),
                 upstreamFailures: upstreamFailures.load(ordering: .relaxed), injected: injected.load(ordering: .relaxed),
                 limitRejections: limitRejections.load(ordering: .relaxed), preflights: preflights.load(ordering: .relaxed),
                 openConnections: openConnections.load(ordering: .relaxed), totalConnections: totalConnections.load(ordering: .relaxed))
    }

    @inline(__always) static func bump(_ a: borrowing Atomic<Int>, by n: Int = 1) {
        a.wrappingAdd(n, ordering: .relaxed)
    }
}
