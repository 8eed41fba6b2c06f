import Foundation
import Testing
import AmpscopeCore

/// `Guarded`, the project's lock. Scripts/tsan runs this suite too: with `-DAMPSCOPE_TSAN` the
/// first test is the pattern that gets reports with `Synchronization.Mutex` (threads appending to
/// a locked array) and must get none.
@Suite("Guarded (the project's lock)")
struct GuardedTests {
    final class Shared: Sendable {
        let items = Guarded<[Int]>([])
        let finished = Guarded(0)
    }

    @Test("four threads append to one locked array")
    func fourThreadsAppend() {
        let shared = Shared()
        for t in 0..<4 {
            let thread = Thread {
                for i in 0..<1_000 { shared.items.withLock { $0.append(t * 1_000 + i) } }
                shared.finished.withLock { $0 += 1 }
            }
            thread.start()
        }
        // Waits on the lock's own state, so the reads below are ordered after every append.
        while shared.finished.withLock({ $0 }) < 4 { usleep(1_000) }
        let items = shared.items.withLock { $0 }
        #expect(items.count == 4_000)
        #expect(Set(items).count == 4_000)
    }

    struct Failure: Error {}

    @Test("a throwing body unlocks and passes its error through")
    func throwingBody() {
        let g = Guarded(1)
        #expect(throws: Failure.self) {
            try g.withLock { (v: inout Int) throws(Failure) in
                v = 2
                throw Failure()
            }
        }
        // Locking again would deadlock if the throw had left the lock held.
        #expect(g.withLock { $0 } == 2)
    }

    struct Token: ~Copyable { var n: Int }

    @Test("a value that cannot be copied")
    func noncopyableValue() {
        let g = Guarded(Token(n: 1))
        g.withLock { $0.n += 1 }
        #expect(g.withLock { $0.n } == 2)
    }
}
