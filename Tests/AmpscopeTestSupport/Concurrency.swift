import Foundation
import AmpscopeCore

/// A test failure with a message (thrown by the helpers below and by tests).
public struct TestError: Error, CustomStringConvertible {
    public var description: String
    public init(_ s: String) { description = s }
}

/// Runs blocking work (raw sockets, child processes) on a thread of its own, so the cooperative
/// pool (two threads on a two-core machine) is never held by a test while the code under test
/// needs it.
public func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, Error>) in
        let t = Thread {
            do { cont.resume(returning: try body()) } catch { cont.resume(throwing: error) }
        }
        t.stackSize = 1 << 20
        t.start()
    }
}

/// A value shared between threads, guarded by a lock (`Guarded`).
public final class Locked<Value: Sendable>: Sendable {
    private let m: Guarded<Value>
    public init(_ value: Value) { m = Guarded(value) }
    public var value: Value { m.withLock { $0 } }
    @discardableResult
    public func with<R: Sendable>(_ body: (inout Value) -> R) -> R { m.withLock { body(&$0) } }
}

/// A one-way switch set by one thread and read by others (for asserting the order of events).
public final class Flag: Sendable {
    private let m = Guarded(false)
    public init() {}
    public func set() { m.withLock { $0 = true } }
    public var isSet: Bool { m.withLock { $0 } }
}

/// The order in which things happened, as names.
public final class OrderLog: Sendable {
    private let m = Guarded<[String]>([])
    public init() {}
    public func append(_ s: String) { m.withLock { $0.append(s) } }
    public var items: [String] { m.withLock { $0 } }
}
