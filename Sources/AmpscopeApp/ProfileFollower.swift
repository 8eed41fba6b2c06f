import AmpscopeCore
import AmpscopeStore
import AmpscopeUI
import Dispatch
import Synchronization

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
        /// Captures received and not applied yet (out of order, or behind the backlog): the
        /// judged request, or only its id when it is to be read back from the store.
        var waiting: [Int64: Pending] = [:]
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
    /// A capture the follower has yet to apply.
    enum Pending: Sendable {
        case processed(Processed, bytes: Int)
        /// Only what the fold reads of it (the backlog of judged requests was full).
        case compact(ProfileInput, bytes: Int)
        /// Read back from the store when its turn comes (both backlogs were full).
        case readBack
        /// Nothing for the fold (no records; the backlog of judged requests was full).
        case nothing

        /// What it holds in the backlogs: (judged requests, compact inputs).
        var held: (Int, Int) {
            switch self {
            case .processed(_, let b): (b, 0)
            case .compact(_, let b): (0, b)
            case .readBack, .nothing: (0, 0)
            }
        }

        var isProcessed: Bool { if case .processed = self { true } else { false } }
    }
    private let state = Guarded(State())
    private let store: CaptureStore
    /// Body bytes of the captures handed to the worker and not applied yet. A judged request
    /// holds several times its body (the body, the parsed document and its tape, the records,
    /// the findings: about five times on the bench's file), and when the follower lagged behind
    /// a replay load it held all of them: 1.6–1.8 GB more for a 1M-event file
    /// (`ampscope-bench profiles`). Past `backlogBodyBytes` the captures are queued in a
    /// compact form, and past that one's bound only their ids (read back from the store, decoded
    /// again, when their turn comes). The bound is small: the judged requests only spare the
    /// compact form's making and parsing (0.6 µs an event), and a follower that keeps up holds
    /// a few of them.
    private let backlogBytes = Atomic<Int>(0)
    static let backlogBodyBytes = 8 << 20
    private let backlogLimit: Int
    /// Past the judged requests' backlog, captures are queued as `ProfileInput`: only what the
    /// fold reads, about a sixth of the body on the bench's file (a thirtieth of a judged
    /// request), up to `compactBacklogBytes` of them (about 800 000 of the bench's events); only
    /// past that are they read back. With a plan or a golden run the follower needs whole
    /// requests, and reads them back instead.
    private let compactBytes = Atomic<Int>(0)
    static let compactBacklogBytes = 192 << 20
    private let compactLimit: Int
    private let compactCount = Atomic<Int>(0)
    /// Captures queued in their compact form because the judged requests' backlog was full.
    var compacted: Int { compactCount.load(ordering: .relaxed) }
    /// What the backlog holds now (body bytes of the judged requests queued and not applied).
    var backlog: Int { backlogBytes.load(ordering: .relaxed) }
    /// Captures read back from the store because the backlog was full when they came.
    private let readBackCount = Atomic<Int>(0)
    var readBacks: Int { readBackCount.load(ordering: .relaxed) }
    /// Captures handed to the follower by the store's commits, and those it has applied (or
    /// found it had applied already): the difference is how far the profiles are behind.
    private let receivedCount = Atomic<Int>(0)
    private let appliedCount = Atomic<Int>(0)

    /// The follower's progress, for `GET /ampscope/status` (`"profiles"`).
    var statusFields: [(String, Int)] {
        let applied = appliedCount.load(ordering: .relaxed)
        let received = receivedCount.load(ordering: .relaxed)
        return [("captures_received", received), ("captures_applied", applied), ("captures_behind", max(0, received - applied)),
                ("backlog_body_bytes", backlog), ("compact_backlog_bytes", compactBytes.load(ordering: .relaxed)),
                ("compacted", compacted), ("read_backs", readBacks)]
    }
    /// Its own thread at a lowered priority (`BackgroundWorker`): a replay load or the proxy
    /// keep the cores they need, and the profiles take what is left (and catch up after).
    private let queue = BackgroundWorker(label: "ampscope.profiles")
    /// The most captures applied in one hold of the state's lock: the worker runs at a low
    /// priority, so a long hold would make the UI, which reads under the same lock, wait for it
    /// while it waits for a core.
    static let capturesPerLock = 32
    /// Reads back, one chunk ahead of the fold, the captures queued by id (`Pending.readBack`),
    /// and parses the compact ones (`Pending.compact`).
    private let reader = BackgroundWorker(label: "ampscope.profiles.read")
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
    /// `backlogLimit`: body bytes of judged requests kept for the worker before captures are
    /// queued in their compact form; `compactLimit`: bytes of compact inputs kept before they
    /// are queued by id and read back (tests set 0 to take either path for every capture).
    init(store: CaptureStore, plan: (checker: PlanChecker, source: String)? = nil, golden: (matcher: GoldenMatcher, source: String)? = nil,
         backlogLimit: Int = backlogBodyBytes, compactLimit: Int = compactBacklogBytes) {
        self.store = store
        self.backlogLimit = backlogLimit
        self.compactLimit = plan == nil && golden == nil ? compactLimit : 0
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
            var at = 0
            repeat {
                let chunk = ids[at..<min(ids.count, at + Self.capturesPerLock)]
                at += chunk.count
                // Read outside the lock; applied under it.
                let read = chunk.compactMap { id in (try? store.payloads.processed(id)).map { (id, $0) } }
                state.withLock { s in
                    for (id, p) in read {
                        s.apply(p, captureID: id)
                        s.next = id + 1
                    }
                    s.version += 1
                }
            } while at < ids.count
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
        queue.asyncAfter(.nanoseconds(Int(wait))) { [self] in
            lastPost.withLock { $0 = (DispatchTime.now().uptimeNanoseconds, false) }
            let list = users()
            guard let poster = self.post.withLock({ $0 }) else { return }
            poster.send(.usersChanged(list))
            if let plan = planCoverage() { poster.send(.planChanged(plan)) }
            if let golden = goldenMarks() { poster.send(.goldenChanged(golden)) }
        }
    }

    private func receive(_ c: CaptureStore.Commit) {
        // On the committing thread: keep the judged requests while the backlog is small, else
        // only their ids (read back later).
        if case .captures(let items) = c { receivedCount.add(items.count, ordering: .relaxed) }
        let c: Commit = switch c {
        case .cleared: .cleared
        case .captures(let items):
            .captures(items.map { id, p in
                let bytes = p.capture.body.count + 256
                if backlogBytes.load(ordering: .relaxed) + bytes > backlogLimit {
                    if compactLimit > 0 {
                        // No input: no records, nothing the fold would do with it.
                        guard let input = ProfileInput(p) else { return (id, .nothing) }
                        let size = input.footprint
                        if compactBytes.load(ordering: .relaxed) + size <= compactLimit {
                            compactBytes.add(size, ordering: .relaxed)
                            compactCount.add(1, ordering: .relaxed)
                            return (id, .compact(input, bytes: size))
                        }
                    }
                    readBackCount.add(1, ordering: .relaxed)
                    return (id, .readBack)
                }
                backlogBytes.add(bytes, ordering: .relaxed)
                return (id, .processed(p, bytes: bytes))
            })
        }
        queue.async { [self] in
            switch c {
            case .cleared:
                state.withLock { s in
                    var dropped = (0, 0)
                    for p in s.waiting.values { dropped = (dropped.0 + p.held.0, dropped.1 + p.held.1) }
                    release(dropped)
                    appliedCount.add(s.waiting.count, ordering: .relaxed)
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
                        if id < s.next! {
                            release(p.held)
                            appliedCount.add(1, ordering: .relaxed)
                            continue
                        }
                        s.waiting[id] = p
                    }
                }
                applyContiguous()
                announce()
            }
        }
    }

    /// Applies what is contiguous from `next` on, a few captures per hold of the lock. A gap (a
    /// writer not yet heard from) waits, unless it has waited behind too many later captures (ids
    /// are dense per session). The captures queued by id are read back from the store outside
    /// the lock, by a second low-priority thread one chunk ahead of the fold, so that reading
    /// (parsing and decoding again) and folding use both cores once the load is done. Runs on
    /// the worker.
    private func applyContiguous() {
        var ahead: ReadAhead?
        while true {
            // What is due, looked at under the lock (only this thread changes it)…
            let due = state.withLock { s in Self.contiguous(&s, from: nil) }
            if due.isEmpty { return }
            // …read back where it was queued by id, parsed where it was queued compact (by the
            // reader, when it went ahead; here otherwise, outside the lock)…
            let fetched = ahead?.wait() ?? [:]
            let from = due.last!.0 + 1
            let next = state.withLock { s in Self.contiguous(&s, from: from).filter { !$0.1.isProcessed } }
            ahead = next.isEmpty ? nil : ReadAhead(next, store: store, on: reader)
            let ready: [Ready?] = due.map { id, p in
                if case .processed(let q, _) = p { return .processed(q) }
                return fetched[id] ?? Self.prepare(p, id: id, store: store)
            }
            // …and applied under the lock, in order.
            var freed = (0, 0)
            state.withLock { s in
                for ((id, p), q) in zip(due, ready) {
                    s.waiting[id] = nil
                    freed = (freed.0 + p.held.0, freed.1 + p.held.1)
                    switch q {
                    case .processed(let q)?: s.apply(q, captureID: id)
                    case .compact(let c)?: s.simulator.apply(c, captureID: id)
                    case nil: break
                    }
                    s.next = id + 1
                }
                s.version += 1
            }
            release(freed)
            appliedCount.add(due.count, ordering: .relaxed)
        }
    }

    /// A capture queued compact or by id, made ready to apply: parsed, or read back (also when
    /// its compact form does not parse, which a pruned valid document cannot cause).
    fileprivate static func prepare(_ p: Pending, id: Int64, store: CaptureStore) -> Ready? {
        if case .nothing = p { return nil }
        if case .compact(let input, _) = p, let parsed = input.parsed() { return .compact(parsed) }
        return (try? store.payloads.processed(id)).map { .processed($0) }
    }

    /// A capture ready to be applied.
    fileprivate enum Ready: Sendable {
        case processed(Processed)
        /// Only with neither a plan nor a golden run (`compactLimit` is 0 otherwise).
        case compact(ProfileInput.Parsed)
    }

    /// Gives back what applied or dropped captures held in the backlogs.
    private func release(_ held: (Int, Int)) {
        if held.0 > 0 { backlogBytes.subtract(held.0, ordering: .relaxed) }
        if held.1 > 0 { compactBytes.subtract(held.1, ordering: .relaxed) }
    }

    /// Up to `capturesPerLock` waiting captures with consecutive ids from `from` (nil: from
    /// `next`, skipping a gap that has waited too long).
    private static func contiguous(_ s: inout State, from: Int64?) -> [(Int64, Pending)] {
        guard var n = from ?? s.next else { return [] }
        var out: [(Int64, Pending)] = []
        while out.count < capturesPerLock {
            if let p = s.waiting[n] {
                out.append((n, p))
                n += 1
            } else if from == nil, out.isEmpty, s.waiting.count > 4096, let low = s.waiting.keys.min() {
                s.next = low
                n = low
            } else {
                break
            }
        }
        return out
    }

    /// Captures read back from the store or parsed from their compact form on the reader
    /// thread, waited for by the fold.
    private final class ReadAhead: @unchecked Sendable {  // `result` is written before `done` is signalled and read after
        private let done = DispatchSemaphore(value: 0)
        private var result: [Int64: Ready] = [:]

        init(_ items: [(Int64, Pending)], store: CaptureStore, on worker: BackgroundWorker) {
            worker.async { [self] in
                for (id, p) in items { if let r = ProfileFollower.prepare(p, id: id, store: store) { result[id] = r } }
                done.signal()
            }
        }

        func wait() -> [Int64: Ready] {
            done.wait()
            return result
        }
    }

    /// A store commit as the worker gets it.
    private enum Commit: Sendable {
        case cleared
        case captures([(Int64, Pending)])
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

    /// Whether capture `id` has been applied (or passed over: gone from the store, cleared).
    func hasApplied(_ id: Int64) -> Bool { state.withLock { s in s.next.map { id < $0 } ?? false } }

    /// Calls `f` once capture `id` has been applied (at once when it has), or after `timeout` seconds.
    func whenApplied(_ id: Int64, timeout: Double = 2, _ f: @escaping @Sendable () -> Void) {
        let once = Once(f)
        let done = hasApplied(id)
        if done { once.run(); return }
        applied.withLock { $0.append((id, { once.run() })) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { once.run() }
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
        if hasApplied(id) { return }
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
