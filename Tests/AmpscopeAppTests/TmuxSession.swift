import AmpscopeTestSupport
import Foundation

/// Drives a real terminal program in a private tmux server: type keys, read the screen.
/// Each session has its own socket (`-L`), so tests never touch a user's tmux or each other.
final class TmuxSession {
    let socket: String
    let cols: Int
    let rows: Int

    enum Failure: Error, CustomStringConvertible {
        case tmuxMissing
        case command(String)
        case timeout(String, screen: String)
        var description: String {
            switch self {
            case .tmuxMissing: return "tmux is not installed (apt-get install tmux)"
            case .command(let c): return "tmux command failed: \(c)"
            case .timeout(let what, let screen): return "timed out waiting for \(what); screen:\n\(screen)"
            }
        }
    }

    /// Starts `command` (run by /bin/sh in `directory`) in a new detached session.
    init(command: String, directory: String, cols: Int = 140, rows: Int = 40, environment: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else { throw Failure.tmuxMissing }
        socket = "ampscope-test-\(UUID().uuidString.prefix(8))"
        // Killed by the reaper should the test process die before deinit runs.
        ChildReaper.register(tmuxSocket: socket)
        self.cols = cols
        self.rows = rows
        var env = ""
        for (k, v) in environment.sorted(by: { $0.key < $1.key }) { env += "\(k)='\(v)' " }
        try tmux(["-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "\(cols)", "-y", "\(rows)", "-c", directory,
                  "env \(env)\(command); sleep 30"], captureOutput: false)
    }

    deinit {
        // Left to the reaper (which runs when the test process ends) if this fails.
        if (try? tmux(["kill-server"], captureOutput: false)) != nil { ChildReaper.unregister(tmuxSocket: socket) }
    }

    /// Runs a tmux client command and returns its standard output.
    ///
    /// Spawned with posix_spawn and reaped with waitpid: Foundation's `Process` on Linux learns
    /// of a child's exit through a descriptor the child inherits, and the daemonised tmux server
    /// inherits it too, so `waitUntilExit` would never return for the command that starts it.
    @discardableResult
    func tmux(_ args: [String], captureOutput: Bool = true) throws -> String {
        let outPath = TempDir.root.appendingPathComponent("tmux-out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, captureOutput ? outPath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // The command that starts the server goes through CleanSpawn: the tmux server outlives
        // this call and must not hold copies of the tests' sockets.
        let tmuxArgs = ["-L", socket] + args
        let argv = args.contains("new-session") ? CleanSpawn.argv("/usr/bin/tmux", tmuxArgs) : ["/usr/bin/tmux"] + tmuxArgs
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cargs, environ)
        guard rc == 0 else { throw Failure.command(args.joined(separator: " ")) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw Failure.command(args.joined(separator: " ")) }
        return captureOutput ? ((try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "") : ""
    }

    /// The visible screen as text.
    func screen() -> String { (try? tmux(["capture-pane", "-t", "t", "-p"])) ?? "" }

    /// Named keys (`Enter`, `Escape`, `Tab`, `Down`...) or single characters.
    func press(_ keys: String...) throws { try tmux(["send-keys", "-t", "t"] + keys, captureOutput: false) }

    /// Types text literally.
    func type(_ text: String) throws { try tmux(["send-keys", "-t", "t", "-l", text], captureOutput: false) }

    /// Polls the screen (every 100 ms, up to `timeout` seconds) until `condition` holds.
    /// Sleeps with `Task.sleep`, so a waiting test does not hold one of the few threads of the
    /// cooperative pool, which the other tests running in parallel need.
    @discardableResult
    func wait(for what: String, timeout: Double = 120, _ condition: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        // The screen is looked at once more after the deadline: a sleep that overran it (the
        // cooperative pool held by other tests for a while) must not fail a wait without a look.
        while true {
            last = screen()
            if condition(last) { return last }
            if Date() >= deadline { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        throw Failure.timeout(what, screen: last)
    }
}

