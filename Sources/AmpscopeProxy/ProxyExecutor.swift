import Dispatch

/// The executor the proxy's asynchronous request work runs on (forwarding upstream, injected
/// delays, storing): a concurrent dispatch queue, whose threads are not the Swift concurrency
/// cooperative pool. The cooperative pool has one thread per core (two here); when other code
/// in the process blocks those threads (a UI, a test, a synchronous library call), requests
/// preferring this executor still make progress.
final class ProxyExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "ampscope-proxy-requests", qos: .userInitiated, attributes: .concurrent)

    static let shared = ProxyExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
