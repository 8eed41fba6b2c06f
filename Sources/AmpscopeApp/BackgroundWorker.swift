import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A serial queue on a thread of its own that runs at a lowered scheduling priority (a nice
/// value), for derived work that must never slow what it follows: the profile simulation beside
/// a replay load or the live proxy. With the follower on an ordinary queue, its thread competed
/// with the replay's decode threads as an equal, and a 1M-event file took 80 % longer to load
/// into the terminal UI than without it (`ampscope-bench profiles`); niced, it takes the cores
/// the load leaves and the rest only after.
///
/// A thread of its own, not a dispatch queue: on Linux the nice value belongs to the thread, and
/// a pooled thread lowered for this work would stay lowered for whatever the pool ran on it next
/// (raising it back needs a privilege). Jobs queued before the worker is released still run;
/// then the thread ends.
final class BackgroundWorker: Sendable {
    private final class Shared: @unchecked Sendable {  // every field is read and written under `condition`
        let condition = NSCondition()
        var jobs: [@Sendable () -> Void] = []
        var stopped = false
    }
    private let shared = Shared()
    /// The nice value the worker's thread runs at (0–19; higher is lower priority).
    static let defaultNice: Int32 = 10

    init(label: String, nice: Int32 = defaultNice) {
        let shared = self.shared
        let thread = Thread {
            // `who` 0 with PRIO_PROCESS is the calling thread on Linux (its nice value is per thread).
            #if os(Linux)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
            #endif
            while true {
                shared.condition.lock()
                while shared.jobs.isEmpty && !shared.stopped { shared.condition.wait() }
                if shared.jobs.isEmpty {
                    shared.condition.unlock()
                    return
                }
                let batch = shared.jobs
                shared.jobs.removeAll(keepingCapacity: true)
                shared.condition.unlock()
                for job in batch { job() }
            }
        }
        thread.name = label
        thread.start()
    }

    /// Runs `job` after every job queued before it.
    func async(_ job: @escaping @Sendable () -> Void) {
        Self.enqueue(shared, job)
    }

    /// Queues `job` once `delay` has passed.
    func asyncAfter(_ delay: DispatchTimeInterval, _ job: @escaping @Sendable () -> Void) {
        let shared = self.shared
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { Self.enqueue(shared, job) }
    }

    private static func enqueue(_ shared: Shared, _ job: @escaping @Sendable () -> Void) {
        shared.condition.lock()
        shared.jobs.append(job)
        shared.condition.signal()
        shared.condition.unlock()
    }

    deinit {
        shared.condition.lock()
        shared.stopped = true
        shared.condition.signal()
        shared.condition.unlock()
    }
}
