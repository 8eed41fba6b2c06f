import AmpscopeCore
import AmpscopeProxy
import AmpscopeStore
import AmpscopeUI
import ArgumentParser
import Dispatch
import Foundation

/// `--debug-log`, shared by `ampscope` (live) and `ampscope replay`.
struct DebugLogOptions: ParsableArguments {
    @Option(name: .customLong("debug-log"),
            help: ArgumentHelp("An SDK debug log to read, then follow like tail -F; - reads standard input (node app.js 2>&1 | ampscope --debug-log -). Repeatable.",
                               valueName: "file"),
            completion: .file())
    var debugLog: [String] = []

    /// Refuses `--debug-log -` when standard input is the terminal: the UI reads its keys there.
    func check(stdinIsTTY: Bool = isatty(0) == 1) throws {
        if debugLog.filter({ $0 == "-" }).count > 1 { throw ValidationError("--debug-log - can be given once") }
        if debugLog.contains("-") && stdinIsTTY {
            throw ValidationError("--debug-log - reads the SDK log from standard input, but standard input is this terminal: pipe the app's output in (node app.js 2>&1 | ampscope --debug-log -) or give a file")
        }
    }
}

/// The SDK debug side of one ampscope run: one `SharedDebugSession`, fed by every source, read
/// by the UI.
///
/// Sources: SDK log files found by the replayer (`replayLines`), `--debug-log FILE` (read from
/// the start, then followed like `tail -F`), standard input (`--debug-log -`, read on its own
/// thread until it ends), and the proxy's `POST /ampscope/log` (`proxySink`). Wire events: every
/// stored capture, read back from the store as the store reports new rows (from the first one,
/// once any SDK record is read). A timer flushes records held for a continuation after 100 ms
/// without input, and tells the UI (`.debugChanged`) when the session changed, at most every
/// 200 ms.
final class DebugHub: @unchecked Sendable {  // `post`, `now` and the sources (`followers`, `readsStdin`) are set by the starting thread before `start`; everything that changes later is in `state` (a `Guarded`) or the Sendable session
    let session: SharedDebugSession
    let store: CaptureStore
    /// Where the hub talks to the UI (set before `start`).
    var post: @Sendable (Action) -> Void = { _ in }
    /// Wall clock, ms (injectable).
    var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }

    private struct State {
        /// Wire events are fed once any SDK record arrived (or a log source was opened).
        var active = false
        var cursor = StoreCursor()
        var lastInput: Int64 = 0
        var needsFlush = false
        var postedVersion = -1
        var lastPost: Int64 = 0
        var feeding = false
    }
    private let state = Guarded(State())
    private let wireQueue = DispatchQueue(label: "ampscope.debug-wire", qos: .utility)
    private var followers: [DebugLogFollower] = []
    private var readsStdin = false
    private var stdinThread: Thread?

    init(store: CaptureStore, session: SharedDebugSession = SharedDebugSession()) {
        self.store = store
        self.session = session
    }

    // MARK: Sources

    /// Lines of an SDK log file the replayer found (in order, per file).
    func replayLines(_ file: String, _ lines: [(line: Int, text: String)]) {
        session.feed(source: file, lines: lines.map(\.text))
        touched(live: false)
    }

    /// The replayer read a log file to its end (not followed).
    func replayEnded(_ file: String) {
        session.finish(source: file)
        touched(live: false)
    }

    /// `POST /ampscope/log`.
    func proxySink(_ p: SDKLogPost) {
        session.ingest(p.request, receivedAt: p.receivedAt)
        touched(live: true)
    }

    /// Bytes of a live source (stdin, a followed file).
    func feed(source: String, bytes: [UInt8]) {
        session.feed(source: source, bytes: bytes, receivedAt: now())
        touched(live: true)
    }

    func finish(source: String) {
        session.finish(source: source)
        touched(live: false)
    }

    private func touched(live: Bool) {
        let t = now()
        state.withLock { s in
            s.active = true
            if live {
                s.lastInput = t
                s.needsFlush = true
            }
        }
        scheduleWire()
    }

    /// Opens the `--debug-log` sources: files are followed, `-` is read on a thread.
    func open(_ paths: [String]) {
        for p in paths {
            if p == "-" {
                readsStdin = true
                state.withLock { $0.active = true }
            } else {
                let name = (p as NSString).lastPathComponent
                followers.append(DebugLogFollower(path: p, name: name) { [weak self] event in
                    guard let self else { return }
                    switch event {
                    case .bytes(let b): self.feed(source: name, bytes: b)
                    case .restarted(let why):
                        self.finish(source: name)
                        self.post(.message("\(Sanitize.inline(name, limit: 60)) \(why): reading it again from the start", isError: false))
                    case .missing:
                        break
                    }
                })
                state.withLock { $0.active = true }
            }
        }
    }

    private func startStdin() {
        let t = Thread { [weak self] in
            var buf = [UInt8](repeating: 0, count: 64 * 1024)
            var total = 0
            while true {
                let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0, let self else { break }
                total += n
                self.feed(source: "stdin", bytes: Array(buf[0..<n]))
            }
            guard let self else { return }
            self.finish(source: "stdin")
            self.post(.message("standard input ended: \(TextLayout.grouped(total)) bytes of SDK log read", isError: false))
        }
        t.name = "ampscope.debug-stdin"
        stdinThread = t
        t.start()
    }

    // MARK: Running

    /// The timer (flush, file polling, UI notification) and the wire watcher; cancel to stop.
    func start() async -> [Task<Void, Never>] {
        let changes = await store.subscribe()
        let watcher = Task { [weak self] in
            for await c in changes {
                guard let self else { return }
                self.storeChanged(c)
            }
        }
        let timer = Task { [weak self] in
            var ticks = 0
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 100_000_000)
                guard let self else { return }
                ticks += 1
                if ticks % 2 == 0 { for f in self.followers { f.poll() } }
                self.tick()
            }
        }
        // Files are read at once.
        for f in followers { f.poll() }
        if readsStdin && stdinThread == nil { startStdin() }
        return [watcher, timer]
    }

    /// Flushes idle live sources and tells the UI about changes.
    func tick() {
        let t = now()
        let flush: Bool = state.withLock { s in
            guard s.needsFlush, t - s.lastInput >= 100 else { return false }
            s.needsFlush = false
            return true
        }
        if flush { session.flushIdle() }
        let v = session.version
        let due: Bool = state.withLock { s in
            guard v != s.postedVersion, t - s.lastPost >= 200 else { return false }
            s.postedVersion = v
            s.lastPost = t
            return true
        }
        if due { post(.debugChanged(session.snapshot())) }
    }

    // MARK: Wire events

    func storeChanged(_ c: CaptureStore.Change) {
        state.withLock { s in _ = s.cursor.sync(c) }
        scheduleWire()
    }

    private func scheduleWire() {
        let go: Bool = state.withLock { s in
            guard s.active, !s.feeding, s.cursor.hasNew(in: store.index) else { return false }
            s.feeding = true
            return true
        }
        guard go else { return }
        wireQueue.async { [self] in
            feedWire()
            state.withLock { $0.feeding = false }
            // Rows that arrived meanwhile.
            if state.withLock({ $0.cursor.hasNew(in: store.index) }) { scheduleWire() }
        }
    }

    /// Adds the wire events of every stored capture not seen yet, in store order.
    func feedWire() {
        while true {
            // Only this queue moves the cursor forward (a clear may reset it meanwhile: then the
            // rows read are of the old generation and the next round starts from the top).
            let (rows, captures) = state.withLock { $0.cursor.next(in: store.index) }
            if rows.isEmpty { return }
            let withEvents = Set(rows.lazy.filter { $0.eventIndex >= 0 }.map(\.captureID))
            for id in captures where withEvents.contains(id) {
                guard let p = try? store.payloads.processed(id) else { continue }
                session.add(wire: DebugWireEvent.events(p, captureID: id))
            }
        }
    }

    /// The sources a live session or a replay opens, with the proxy's log endpoint wired in.
    static func make(store: CaptureStore, options: DebugLogOptions, proxy: inout ProxyConfiguration) -> DebugHub {
        let hub = DebugHub(store: store)
        proxy.onSDKLog = { [weak hub] p in hub?.proxySink(p) }
        hub.open(options.debugLog)
        return hub
    }
}

/// Follows one log file like `tail -F`: reads what is there, then what is appended; starts
/// again from the top when the file is truncated, reopens it when it is replaced (rotation),
/// waits when it is missing. Decisions come from `FollowState`.
final class DebugLogFollower: @unchecked Sendable {  // every mutable field is read and written under `lock`
    enum Event {
        case bytes([UInt8])
        /// `truncated` or `rotated`.
        case restarted(String)
        case missing
    }

    let path: String
    let name: String
    private let emit: (Event) -> Void
    private var handle: FileHandle?
    private var state = FollowState()
    private var wasMissing = false
    private let lock = NSLock()

    init(path: String, name: String, emit: @escaping (Event) -> Void) {
        self.path = path
        self.name = name
        self.emit = emit
    }

    /// Looks at the file once and emits what changed.
    func poll() {
        lock.lock()
        defer { lock.unlock() }
        if handle == nil {
            guard let h = FileHandle(forReadingAtPath: path) else {
                if !wasMissing { wasMissing = true; emit(.missing) }
                return
            }
            handle = h
            state = FollowState(identity: FileStat.identity(path), offset: 0)
            wasMissing = false
        }
        switch state.decide(identity: FileStat.identity(path), size: FileStat.size(path)) {
        case .wait:
            return
        case .missing:
            if !wasMissing { wasMissing = true; emit(.missing) }
            return
        case .read:
            readToEnd()
        case .restartTruncated:
            try? handle?.seek(toOffset: 0)
            state.offset = 0
            emit(.restarted("was truncated"))
            readToEnd()
        case .reopenRotated:
            try? handle?.close()
            handle = FileHandle(forReadingAtPath: path)
            state = FollowState(identity: FileStat.identity(path), offset: 0)
            emit(.restarted("was replaced (rotated)"))
            readToEnd()
        }
    }

    private func readToEnd() {
        guard let h = handle else { return }
        try? h.seek(toOffset: UInt64(state.offset))
        while let d = try? h.read(upToCount: 1 << 20), !d.isEmpty {
            state.offset += Int64(d.count)
            emit(.bytes([UInt8](d)))
        }
    }
}
