import AmpscopeCore
import AmpscopeProxy
import AmpscopeStore
import AmpscopeTerminal
import AmpscopeUI
import ArgumentParser
import Foundation

/// Options every terminal-UI command takes.
struct UIOptions: ParsableArguments {
    @Option(name: .long, help: "Theme name (dark, light, high-contrast, mono) or path to a theme file.")
    var theme: String?

    @Option(name: .long, help: "Key bindings file (default: $XDG_CONFIG_HOME/ampscope/keys.conf when present).", completion: .file())
    var keys: String?

    @Flag(name: .customLong("no-mouse"), help: "Do not capture the mouse (keeps the terminal's own text selection).")
    var noMouse = false

    @Flag(name: .customLong("no-redact"), help: "Show API keys unmasked.")
    var noRedact = false

    /// Fails early, before anything starts, on a bad theme or key file.
    func check(environment: [String: String]) throws {
        if case .failure(let e) = UIFiles.theme(theme, environment: environment) {
            LiveSession.fail("theme: \(e.description)")
            throw ExitCode(2)
        }
        if keys != nil, let problem = UIFiles.keys(path: keys, environment: environment).1 {
            LiveSession.fail("keys: \(problem)")
            throw ExitCode(2)
        }
    }
}

/// Runs the terminal UI over a store until the user quits: the shared part of the live session
/// and `ampscope replay`.
enum TerminalHost {
    /// `background` starts the tasks that feed the store (demo, replay...) once the loop exists;
    /// they are cancelled when the UI ends.
    /// `debug`: the SDK debug side (the Debug tab, the SDK-calls list), started with the loop.
    static func run(store: CaptureStore, ingest: SharedIngest, storePath: String?, proxyAddress: String?, ui: UIOptions,
                    environment: [String: String], debug: DebugHub? = nil, plan: (checker: PlanChecker, source: String)? = nil,
                    golden: (matcher: GoldenMatcher, source: String)? = nil, profilesStatus: StatusSection? = nil,
                    background: (UILoop, StoreStreamData) -> [Task<Void, Never>]) async throws {
        guard case .success(let theme) = UIFiles.theme(ui.theme, environment: environment) else { throw ExitCode(2) }
        let keyTable = UIFiles.keys(path: ui.keys, environment: environment).0
        let data = StoreStreamData(store: store)
        let effects = StoreEffects(data: data, ingest: ingest, redact: !ui.noRedact)
        let profiles = ProfileFollower(store: store, plan: plan, golden: golden)
        effects.profiles = profiles
        profilesStatus?.provide { [weak profiles] in profiles?.statusFields ?? [] }
        var config = UIConfig(proxyAddress: proxyAddress, storePath: storePath, redact: !ui.noRedact, mouse: !ui.noMouse,
                              utcOffsetSeconds: TimeZone.current.secondsFromGMT(), demoCommand: "ampscope --demo")
        if let address = proxyAddress, case let host = address.split(separator: ":").dropLast().joined(separator: ":"), !host.isEmpty,
           !ListenAddress.isLoopback(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))) {
            config.lanAddresses = host == "0.0.0.0" || host == "[::]" || host == "::" ? LANAddresses.ipv4() : [host]
        }
        let terminal: CursesTerminal
        do {
            terminal = try CursesTerminal(theme: theme, mouse: !ui.noMouse, environment: environment)
        } catch {
            LiveSession.fail("\(error)")
            throw ExitCode(2)
        }
        let session = UISession(config: config, keys: keyTable, theme: theme, data: data, size: terminal.size, debug: debug?.session.snapshot())
        let loop = UILoop(session: session, terminal: terminal, handler: effects, themeLoader: UIFiles.themeLoader(environment: environment))
        data.post = { [weak loop] a in loop?.post(a) }
        profiles.setPost { [weak loop] a in loop?.post(a) }
        if let coverage = profiles.planCoverage() { loop.post(.planChanged(coverage)) }
        if let marks = profiles.goldenMarks() { loop.post(.goldenChanged(marks)) }
        let changes = await store.subscribe()
        let watcher = Task { for await change in changes { data.storeChanged(change) } }
        debug?.post = { [weak loop] a in loop?.post(a) }
        let debugTasks = await debug?.start() ?? []
        let tasks = background(loop, data)
        let signals = QuitSignals.install { [weak loop] in loop?.post(.command(.quit)) }

        await MainActor.run { loop.run() }

        signals.cancel()
        terminal.close()
        // The UI's own frame counter, once the terminal is back to normal, when asked for
        // (`AMPSCOPE_FRAME_STATS=1`: stderr; a path: a line appended to that file).
        if let target = environment["AMPSCOPE_FRAME_STATS"], !target.isEmpty {
            let line = Data("ampscope: \(loop.frameStats.summary)\n".utf8)
            if target == "1" {
                FileHandle.standardError.write(line)
            } else {
                let fd = open(target, O_WRONLY | O_CREAT | O_APPEND, 0o644)
                if fd >= 0 {
                    line.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
                    close(fd)
                }
            }
        }
        for t in tasks + debugTasks { t.cancel() }
        watcher.cancel()
    }
}

struct ReplayOptions: Sendable {
    var format: InputFormat?
    var endpoint: Endpoint?
    var speed: Double?
    var follow: Bool
}

/// Runs a replay into the store and reports progress in the UI's status line.
enum ReplayDriver {
    static func run(_ paths: [String], options: ReplayOptions, store: CaptureStore, ingest: SharedIngest, loop: UILoop,
                    debug: DebugHub? = nil) async {
        var o = Replayer.Options()
        o.format = options.format
        o.endpoint = options.endpoint
        o.speed = options.speed
        o.follow = options.follow
        let replayer = Replayer(store: store, ingest: ingest, options: o)
        if let debug {
            replayer.onDebugLines = { file, _, lines in debug.replayLines(file, lines) }
            replayer.onDebugEnd = { file in debug.replayEnded(file) }
        }
        let started = Date()
        let lastPost = LockedTime()
        replayer.onProgress = { [weak loop] p in
            guard lastPost.due(every: 0.2) || p.finished else { return }
            loop?.post(.message(ReplayDriver.describe(p, since: started), isError: false))
        }
        await replayer.run(paths)
        if !Task.isCancelled {
            let p = replayer.progress
            loop.post(.message(describe(p, since: started), isError: p.problems > 0))
        }
    }

    static func describe(_ p: Replayer.Progress, since start: Date) -> String {
        let secs = Date().timeIntervalSince(start)
        var s: String
        if p.finished {
            s = "loaded \(p.events.formatted()) events (\(p.captures.formatted()) requests) from \(p.files) file\(p.files == 1 ? "" : "s") in \(String(format: "%.1f", secs)) s"
        } else {
            s = "loading \(Int(p.fraction * 100))% · \(p.events.formatted()) events"
        }
        if p.problems > 0 { s += " · \(p.problems) unreadable (filter rule:unreadable-input)" }
        if p.debugLines > 0 { s += " · \(p.debugLines.formatted()) SDK log lines" }
        if p.following { s += " · following" }
        return s
    }
}

/// Rate limit for progress messages across threads.
final class LockedTime: Sendable {
    private let last = Guarded(Date.distantPast)
    func due(every seconds: Double) -> Bool {
        last.withLock { last in
            let now = Date()
            if now.timeIntervalSince(last) >= seconds { last = now; return true }
            return false
        }
    }
}
