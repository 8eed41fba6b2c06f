// A value guarded by a lock: the one lock type of ampscope (every target and the tests use it).
//
// Normally it is `Synchronization.Mutex`, wrapped in a struct with inlinable members, so the
// code and the layout are those of a `Mutex`. ThreadSanitizer does not see that lock on Linux
// (it waits with raw futex calls, which TSan does not intercept), so every access to the guarded
// value from two threads is reported as a race. Built with `-DAMPSCOPE_TSAN` (Scripts/tsan) it is
// a `pthread_mutex_t` that TSan intercepts, at a stable heap address owned by a class.
// Docs/DECISIONS.md, "One lock type, visible to ThreadSanitizer".
//
// This file depends on nothing else in the module: Scripts/tsan compiles it on its own to check
// that TSan sees it.

#if AMPSCOPE_TSAN
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
#else
import Synchronization
#endif

#if !AMPSCOPE_TSAN

/// A value guarded by a lock, reached only inside `withLock`. The same API as
/// `Synchronization.Mutex` (which it is in normal builds); keep it in a `let`.
public struct Guarded<Value: ~Copyable>: ~Copyable {
    @usableFromInline let mutex: Mutex<Value>

    @inlinable @inline(__always)
    public init(_ initialValue: consuming sending Value) {
        mutex = Mutex(initialValue)
    }

    /// Runs `body` with the lock held and the value borrowed for writing.
    @inlinable @inline(__always)
    public borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        try mutex.withLock(body)
    }
}

#else

/// The lock and the value of a `Guarded` in the ThreadSanitizer build: both on the heap, so their
/// addresses do not move for as long as the `Guarded` lives.
@usableFromInline
final class _GuardedStorage<Value: ~Copyable> {
    @usableFromInline let lock: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let value: UnsafeMutablePointer<Value>

    @inlinable
    init(_ initialValue: consuming Value) {
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_mutex_t())
        let rc = pthread_mutex_init(lock, nil)
        precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
        value = .allocate(capacity: 1)
        value.initialize(to: initialValue)
    }

    @inlinable
    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }
}

/// A value guarded by a lock, reached only inside `withLock`. In this (ThreadSanitizer) build
/// the lock is a `pthread_mutex_t`.
public struct Guarded<Value: ~Copyable>: ~Copyable {
    @usableFromInline let storage: _GuardedStorage<Value>

    @inlinable
    public init(_ initialValue: consuming sending Value) {
        storage = _GuardedStorage(initialValue)
    }

    /// Runs `body` with the lock held and the value borrowed for writing.
    @inlinable
    public borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        pthread_mutex_lock(storage.lock)
        defer { pthread_mutex_unlock(storage.lock) }
        return try body(&storage.value.pointee)
    }
}

#endif

// As `Mutex`: the value is only reached with the lock held, and `sending` keeps it from being
// shared outside it, so the guard can be shared whatever the value is.
extension Guarded: @unchecked Sendable where Value: ~Copyable {}
