import AmpscopeCore
import AmpscopeStore
import AmpscopeUI
import Dispatch

/// Follows the capture store with the profile simulator (and, with `--plan`, the plan's
/// coverage; with `--golden`, the pairing with a golden run): every capture the store indexes (live, replayed, demo) is applied in id order on a
/// serial queue of its own, so the proxy and the replayer never wait for it. The UI asks it for
/// the User tab of a capture and for the Users list, and gets the Plan view's coverage posted;
/// all are values built under its lock.
final class ProfileFollower: Sendable {
    private struct State {
        var simulator = ProfileSimulator()
        /// The plan's coverage, folded over the same captures in the same order.
        var coverage: PlanCoverage?
        /// The golden run's pairing, and what it said of each live record.
        var golden: GoldenMatcher?
        var goldenLinks: [RowID: GoldenMarks.Link] = [:]
        var goldenExtra: Set<RowID> = []
        /// Captures received out of order, waiting for the ones before them.
        var waiting: [Int64: Processed] = [:]
        /// The next capture id to apply (nil until the first arrives).
        var next: Int64?
        /// Bumped on every apply (the Users list is rebuilt when it changed).
        var version = 0

        mutating func apply(_ p: Processed, captureID: Int64) {
            simulator.apply(p, captureID: captureID)
            coverage?.add(p)
            if golden != nil {
                for (i, verdict) in golden!.match(p).enumerated() {
                    let row = RowID(captureID: captureID, index: i)
                    switch verdict {
                    case .paired(let g, let differences)?:
                        let ref = golden!.golden[g]
                        goldenLinks[row] = GoldenMarks.Link(golden: g, record: ref.record, location: ref.event.location, differences: differences.count)
                    case .extra?: goldenExtra.insert(row)
                    case nil: break
                    }
                }
            }
        }
    }
    private let state = Guarded(State())
    private let queue = DispatchQueue(label: "ampscope.profiles", qos: .utility)
    /// Signalled when captures were applied (waiters re-check).
    private let applied = Guarded<[(Int64, @Sendable () -> Void)]>([])

    /// Where the Users list goes (the UI loop's post), throttled to a few times a second.
    /// The closure sits in a class box: stored straight in the lock's generic payload and read
    /// back, it came out as a re-abstraction thunk wrapping itself, and calling it recursed until
    /// the stack overflowed (SIGSEGV in the live UI once the Users list was posted).
    final class Poster: Sendable {
        let send: @Sendable (Action) -> Void
        init(_ send: @escaping @Sendable (Action) -> Void) { self.send = send }
    }
    private let post = Guarded<Poster?>(nil)

    /// Sets where the follower posts (the UI loop's `post`).
    func setPost(_ send: @escaping @Sendable (Action) -> Void) {
        let box = Poster(send)
        post.withLock { $0 = box }
    }
    private let lastPost = Guarded<(at: UInt64, scheduled: Bool)>((0, false))
    static let postInterval: UInt64 = 400_000_000

    /// Starts following `store`: the captures it already holds (a reopened store, or what the
    /// proxy took before the UI started) are read back and applied first, on the follower's
    /// queue, then every capture it indexes from now on.
    /// `plan`: the checker the store's ingest judges with and the file it came from.
    private let planSource: String?
    /// Where the simulator's spilled history goes: beside the store file (nil: `$TMPDIR`).
    private let spillDirectory: String?

    /// A simulator whose history past its bound in memory goes to a temporary file beside
    /// the store (all in memory when no file can be made there or in `$TMPDIR`), so that a
    /// long live capture's profiles take bounded memory (Docs/profiles.md, "Memory").
    private func makeSimulator() -> ProfileSimulator {
        var options = ProfileOptions()
        options.spill = FileSpillStorage(directory: spillDirectory) ?? FileSpillStorage()
        return ProfileSimulator(options: options)
    }
    private let goldenSource: String?

    /// `golden`: the golden run's events and the file they came from.
    init(store: CaptureStore, plan: (checker: PlanChecker, source: String)? = nil, golden: (matcher: GoldenMatcher, source: String)? = nil) {
        planSource = plan?.source
        goldenSource = golden?.source
        spillDirectory = store.path.map { p in
            guard let slash = p.lastIndex(of: "/") else { return "." }
            return slash == p.startIndex ? "/" : String(p[..<slash])
        }
        let simulator = makeSimulator()
        state.withLock { s in
            s.simulator = simulator
            s.coverage = plan.map { PlanCoverage($0.checker) }
            s.golden = golden?.matcher
        }
        queue.async { [self] in
            let ids = store.index.captureIDs()
            state.withLock { s in
                for id in ids {
                    guard let p = try? store.payloads.processed(id) else { continue }
                    s.apply(p, captureID: id)
                    s.next = id + 1
                }
                s.version += 1
            }
            announce()
        }
        store.follow { [weak self] c in self?.receive(c) }
    }

    /// Posts the Users list now, or once the throttle interval has passed.
    private func announce() {
        wakeWaiters()
        guard post.withLock({ $0 }) != nil else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        let wait: UInt64? = lastPost.withLock { l in
            if l.scheduled { return nil }
            let due = l.at + Self.postInterval
            l.scheduled = true
            return due > now ? due - now : 0
        }
        guard let wait else { return }
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(wait))) { [self] in
            lastPost.withLock { $0 = (DispatchTime.now().uptimeNanoseconds, false) }
            let list = users()
            guard let poster = self.post.withLock({ $0 }) else { return }
            poster.send(.usersChanged(list))
            if let plan = planCoverage() { poster.send(.planChanged(plan)) }
            if let golden = goldenMarks() { poster.send(.goldenChanged(golden)) }
        }
    }

    private func receive(_ c: CaptureStore.Commit) {
        queue.async { [self] in
            switch c {
            case .cleared:
                state.withLock { s in
                    var coverage = s.coverage
                    coverage?.reset()
                    var golden = s.golden
                    golden?.reset()
                    s = State(simulator: makeSimulator(), coverage: coverage, golden: golden, version: s.version + 1)
                }
                announce()
            case .captures(let items):
                state.withLock { s in
                    for (id, p) in items {
                        if s.next == nil { s.next = id }
                        if id < s.next! { continue }
                        s.waiting[id] = p
                    }
                    // Apply what is contiguous; a gap (a writer not yet heard from) waits, unless
                    // it has waited behind too many later captures (ids are dense per session).
                    while let n = s.next {
                        if let p = s.waiting.removeValue(forKey: n) {
                            s.apply(p, captureID: n)
                            s.next = n + 1
                        } else if s.waiting.count > 4096, let low = s.waiting.keys.min() {
                            s.next = low
                        } else {
                            break
                        }
                    }
                    s.version += 1
                }
                announce()
            }
        }
    }

    private func wakeWaiters() {
        let upTo = state.withLock { $0.next ?? 0 }
        let ready = applied.withLock { w -> [@Sendable () -> Void] in
            let r = w.filter { $0.0 < upTo }.map(\.1)
            w.removeAll { $0.0 < upTo }
            return r
        }
        for f in ready { f() }
    }

    /// Calls `f` once capture `id` has been applied (at once when it has), or after `timeout` seconds.
    func whenApplied(_ id: Int64, timeout: Double = 2, _ f: @escaping @Sendable () -> Void) {
        let once = Once(f)
        let done = state.withLock { s in s.next.map { id < $0 } ?? false }
        if done { once.run(); return }
        applied.withLock { $0.append((id, { once.run() })) }
        queue.asyncAfter(deadline: .now() + timeout) { once.run() }
        wakeWaiters()
    }

    /// The User tab's content for every record of capture `id` the simulator has seen.
    func profiles(capture id: Int64) -> CaptureProfiles {
        state.withLock { s in
            let n = s.simulator.events(forCapture: id).count
            return CaptureProfiles(captureID: id, events: (0..<n).compactMap { s.simulator.eventProfile(capture: id, record: $0) })
        }
    }

    /// The Users list: every user as Amplitude resolves them now.
    func users() -> UsersList {
        state.withLock { s in UsersList(version: s.version, users: s.simulator.resolvedUsers) }
    }

    /// The Plan view's coverage now (nil without a plan).
    func planCoverage() -> PlanCoverageList? {
        guard let source = planSource else { return nil }
        return state.withLock { s in s.coverage.map { PlanCoverageList(version: s.version, source: source, coverage: $0) } }
    }

    /// The golden run's marks now (nil without a golden run).
    func goldenMarks() -> GoldenMarks? {
        guard let source = goldenSource else { return nil }
        return state.withLock { s in
            s.golden.map { GoldenMarks(version: s.version, source: source, links: s.goldenLinks, extra: s.goldenExtra,
                                       goldenCount: $0.golden.count, unpaired: $0.unpairedCount) }
        }
    }

    /// The judged golden request behind golden event `index` (for the Diff tab).
    func goldenRequest(_ index: Int) -> Processed? {
        state.withLock { s in s.golden.flatMap { index >= 0 && index < $0.golden.count ? $0.golden[index].processed : nil } }
    }

    var version: Int { state.withLock { $0.version } }

    /// Blocks (not on the cooperative pool: the store's scan threads call it) until capture `id`
    /// is applied or `timeout` passes.
    func waitApplied(_ id: Int64, timeout: Double = 1) {
        if state.withLock({ s in s.next.map { id < $0 } ?? false }) { return }
        let sem = DispatchSemaphore(value: 0)
        whenApplied(id, timeout: timeout) { sem.signal() }
        _ = sem.wait(timeout: .now() + timeout + 0.5)
    }

    /// The live lookup for `profile.NAME` and `changed:NAME` filter terms: rows of captures the
    /// follower has not reached yet wait for it (briefly).
    struct Lookup: FilterProfileLookup {
        let follower: ProfileFollower
        func profileValue(captureID: Int64, index: Int, name: String) -> ProfileValue? {
            follower.waitApplied(captureID)
            return follower.read { $0.profileValue(captureID: captureID, index: index, name: name) }
        }
        func changedProperties(captureID: Int64, index: Int) -> [String] {
            follower.waitApplied(captureID)
            return follower.read { $0.changedProperties(captureID: captureID, index: index) }
        }
    }

    var lookup: Lookup { Lookup(follower: self) }

    /// Reads the simulation under the lock.
    func read<T>(_ f: (borrowing ProfileSimulator) -> T) -> T { state.withLock { f($0.simulator) } }

    /// Runs a closure once.
    private final class Once: Sendable {
        private let f: Guarded<(@Sendable () -> Void)?>
        init(_ f: @escaping @Sendable () -> Void) { self.f = Guarded(f) }
        func run() { f.withLock { g in defer { g = nil }; return g }?() }
    }
}
