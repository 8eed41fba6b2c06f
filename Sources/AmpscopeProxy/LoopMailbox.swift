import AmpscopeCore
import NIOCore
import Synchronization

/// Work handed to one event loop from other threads, run there in batches. The store's writer
/// commits several captures at once and posts each one's answer here: the first post after a
/// drain schedules one task on the loop and later ones join it, so a commit of n captures costs
/// the loop one task and one wake-up, not n.
final class LoopMailbox: Sendable {
    let loop: EventLoop
    private let pending = Guarded<[@Sendable () -> Void]>([])
    private let drains = Atomic<Int>(0)
    /// Tasks the mailbox has run on the loop so far (each ran every post queued when it began).
    var drainCount: Int { drains.load(ordering: .relaxed) }

    init(loop: EventLoop) { self.loop = loop }

    /// Runs `work` on the loop, after the work posted before it.
    func post(_ work: @escaping @Sendable () -> Void) {
        let first = pending.withLock { pending -> Bool in
            pending.append(work)
            return pending.count == 1
        }
        if first { loop.execute { self.drain() } }
    }

    private func drain() {
        drains.add(1, ordering: .relaxed)
        let batch = pending.withLock { pending -> [@Sendable () -> Void] in
            defer { pending = [] }
            return pending
        }
        for work in batch { work() }
    }
}

/// One mailbox per event loop, made on first use.
final class LoopMailboxes: Sendable {
    private let boxes = Guarded<[ObjectIdentifier: LoopMailbox]>([:])

    func mailbox(for loop: EventLoop) -> LoopMailbox {
        boxes.withLock { boxes in
            if let box = boxes[ObjectIdentifier(loop)] { return box }
            let box = LoopMailbox(loop: loop)
            boxes[ObjectIdentifier(loop)] = box
            return box
        }
    }
}
