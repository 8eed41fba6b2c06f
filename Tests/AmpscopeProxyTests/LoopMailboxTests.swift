import AmpscopeTestSupport
@testable import AmpscopeProxy
import Dispatch
import NIOCore
import NIOPosix
import Testing

@Suite struct LoopMailboxTests {
    /// Work posted from another thread while the loop is busy runs on the loop, in the order it
    /// was posted, as one task; a post after that task ran schedules a new one.
    @Test func postsFromAnotherThreadRunOnTheLoopInOrderAsOneTask() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let mailbox = LoopMailboxes().mailbox(for: loop)
        let ran = Locked<[(Int, Bool)]>([])

        // Hold the loop until every post is queued.
        let release = DispatchSemaphore(value: 0)
        let held = DispatchSemaphore(value: 0)
        loop.execute {
            held.signal()
            release.wait()
        }
        held.wait()
        let allRan = loop.makePromise(of: Void.self)
        DispatchQueue.global().sync {
            for i in 0..<100 {
                mailbox.post {
                    ran.with { $0.append((i, loop.inEventLoop)) }
                    if i == 99 { allRan.succeed(()) }
                }
            }
        }
        release.signal()
        try await allRan.futureResult.get()
        #expect(ran.value.map(\.0) == Array(0..<100))
        #expect(ran.value.allSatisfy { $0.1 }, "every post ran on the loop")
        #expect(mailbox.drainCount == 1)

        let again = loop.makePromise(of: Void.self)
        mailbox.post { again.succeed(()) }
        try await again.futureResult.get()
        #expect(mailbox.drainCount == 2)
        try await group.shutdownGracefully()
    }

    @Test func oneMailboxPerLoop() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let boxes = LoopMailboxes()
        let (a, b) = (group.next(), group.next())
        #expect(boxes.mailbox(for: a) === boxes.mailbox(for: a))
        #expect(boxes.mailbox(for: a) !== boxes.mailbox(for: b))
        #expect(boxes.mailbox(for: b).loop === b)
    }
}
