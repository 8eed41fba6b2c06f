import Foundation
import Synchronization
import Testing
import AmpscopeCore
import AmpscopeTestSupport

/// `Guarded`, the project's lock. Scripts/tsan runs this suite too: with `-DAMPSCOPE_TSAN` the
/// first test is the pattern that gets reports with `Synchronization.Mutex` (threads appending to
/// a locked array at the same time) and must get none.
@Suite("Guarded (the project's lock)")
struct GuardedTests {
    final class Shared: Sendable {
        let items = Guarded<[Int]>([])
        let finished = Guarded(0)
        /// A start line: no thread appends before all four are running, so the appends overlap
        /// and only the lock orders them (a thread that ran to its end before the next one
        /// started would be ordered by thread start-up alone).
        let started = Atomic<Int>(0)
    }

    @Test("four threads append to one locked array")
    func fourThreadsAppend() {
        let shared = Shared()
        for t in 0..<4 {
            let thread = Thread {
                shared.started.add(1, ordering: .sequentiallyConsistent)
                while shared.started.load(ordering: .sequentiallyConsistent) < 4 { sched_yield() }
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

    @Test("no Synchronization.Mutex outside Guarded (ThreadSanitizer would not see it)")
    func everyLockIsGuarded() throws {
        var found: [String] = []
        for dir in ["Sources", "Tests"] {
            let base = Repo.root.appendingPathComponent(dir)
            guard let files = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else {
                throw TestError("cannot list \(base.path)")
            }
            for case let url as URL in files where url.pathExtension == "swift" {
                let rel = dir + "/" + url.path.dropFirst(base.path.count + 1)
                if rel == "Sources/AmpscopeCore/Util/Guarded.swift" || rel == "Tests/AmpscopeCoreTests/GuardedTests.swift" { continue }
                let text = try String(contentsOf: url, encoding: .utf8)
                guard text.contains("Mutex") else { continue }
                for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where line.contains(/\bMutex\s*[<(]/) {
                    found.append("\(rel):\(n + 1)")
                }
            }
        }
        #expect(found.isEmpty, "use Guarded instead: \(found)")
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
