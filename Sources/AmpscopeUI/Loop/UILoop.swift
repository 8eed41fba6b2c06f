import AmpscopeCore

/// Carries out the effects that need the capture store. Implemented by the app on its store.
///
/// `handle` runs on the UI thread and must not block: start the work (a Task on the store
/// actor) and report back with `post`, which may be called from any thread.
public protocol StoreEffectHandler: AnyObject {
    /// Called for `.loadDetail`, `.applyView`, `.export` and `.clearStore`.
    func handle(_ effect: Effect, post: @escaping @Sendable (Action) -> Void)
}

/// The UI's run loop: reads the terminal, reduces actions, carries out terminal-side effects,
/// hands store effects to the host, and presents a frame when something changed.
///
/// Runs on the calling thread (the main thread, so that ncurses sees SIGWINCH); other threads
/// talk to it only through `post`. Frames are coalesced: however many actions arrive between
/// two reads, one frame is drawn.
public final class UILoop: @unchecked Sendable {  // only `post` (through the `inbox` lock) is called from other threads; everything else runs on the loop's thread
    public let session: UISession
    let terminal: any Terminal
    let handler: any StoreEffectHandler
    let themeLoader: (String) -> Result<Theme, ThemeError>
    /// Longest wait for input before posted actions are looked at.
    public var pollMilliseconds = 50
    private let inbox = Guarded<[Action]>([])
    /// Frames drawn and their times (render + present); read after `run` returns.
    public private(set) var frameStats = FrameStats()

    /// `themeLoader` resolves `:theme NAME|PATH` (the app passes one that reads files).
    public init(session: UISession, terminal: any Terminal, handler: any StoreEffectHandler,
                themeLoader: @escaping (String) -> Result<Theme, ThemeError> = { name in
                    Theme.builtin(name).map { .success($0) }
                        ?? .failure(ThemeError(source: name, line: 0, column: 0, message: "unknown theme"))
                }) {
        self.session = session
        self.terminal = terminal
        self.handler = handler
        self.themeLoader = themeLoader
    }

    /// Queues an action from any thread (store changes, loaded details, export results).
    public func post(_ action: Action) {
        inbox.withLock { $0.append(action) }
    }

    /// Runs until the user quits or the input ends.
    public func run() {
        terminal.setTheme(session.theme)
        terminal.setMouse(session.state.config.mouse)
        if terminal.size != session.state.size { apply(.input(.resize(terminal.size))) }
        apply(.dataChanged)
        var dirty = true
        while !session.isQuitting {
            // Posted actions first; consecutive dataChanged collapse into one.
            let pending = inbox.withLock { q -> [Action] in
                let a = q
                q.removeAll(keepingCapacity: true)
                return a
            }
            var sawData = false
            for a in pending {
                if case .dataChanged = a {
                    if sawData { continue }
                    sawData = true
                }
                apply(a)
                dirty = true
            }
            if session.isQuitting { break }
            if dirty {
                draw()
                dirty = false
            }
            switch terminal.read(timeoutMilliseconds: pollMilliseconds) {
            case .event(let e):
                apply(.input(e))
                dirty = true
            case .timeout:
                break
            case .end:
                return
            }
        }
        draw()
    }

    private func draw() {
        let start = ContinuousClock.now
        terminal.present(session.render())
        let d = ContinuousClock.now - start
        frameStats.record(nanoseconds: UInt64(max(0, d.components.seconds)) * 1_000_000_000 + UInt64(max(0, d.components.attoseconds / 1_000_000_000)))
    }

    /// Reduces one action and carries out its effects (terminal ones here, store ones via the handler).
    func apply(_ action: Action) {
        var queue = session.send(action)
        while !queue.isEmpty {
            let e = queue.removeFirst()
            switch e {
            case .quit:
                break
            case .copy(let text, let what):
                let m = terminal.copy(text, what: what)
                queue += session.send(.message(m, isError: false))
            case .setMouse(let on):
                terminal.setMouse(on)
            case .loadTheme(let name):
                switch themeLoader(name) {
                case .success(let t):
                    session.theme = t
                    terminal.setTheme(t)
                    queue += session.send(.message("theme \(t.name)", isError: false))
                case .failure(let err):
                    queue += session.send(.message(err.description, isError: true))
                }
            case .loadDetail, .loadProfiles, .loadDiff, .applyView, .export, .clearStore:
                handler.handle(e) { [weak self] a in self?.post(a) }
            }
        }
    }
}

/// Store effects carried out on a `MemoryStreamData` at once (tests, the demo, small replays).
public final class MemoryStoreHandler: StoreEffectHandler {
    public let data: MemoryStreamData
    /// Called for `.export` (the demo writes nothing; tests record the path).
    public var onExport: (String, StreamView) -> String

    public init(data: MemoryStreamData, onExport: @escaping (String, StreamView) -> String = { p, _ in "export to \(p) is not available here" }) {
        self.data = data
        self.onExport = onExport
    }

    public func handle(_ effect: Effect, post: @escaping @Sendable (Action) -> Void) {
        switch effect {
        case .loadDetail(let id):
            if let p = data.detail(id) { post(.detailLoaded(p)) } else { post(.detailFailed(captureID: id, message: "no such capture")) }
        case .loadDiff(let pair):
            if let a = data.detail(pair.base.captureID), let b = data.detail(pair.other.captureID) {
                post(.diffLoaded(DiffSubject(pair: pair, base: a, other: b)))
            }
        case .loadProfiles(let id):
            post(.profilesLoaded(data.profiles(id)))
            post(.usersChanged(data.users()))
        case .applyView(let v, let debug):
            data.apply(v.bound(to: debug))
            post(.dataChanged)
        case .export(let path, let v, let debug):
            post(.message(onExport(path, v.bound(to: debug)), isError: false))
        case .clearStore:
            data.clear()
            post(.cleared)
        default:
            break
        }
    }
}
