import Foundation
import AmpscopeCore

/// Makes sure every process and private tmux server a test starts is stopped, whatever happens
/// to the test process: a crash, a failed `#require`, a `kill`.
///
/// Tests register what they start (`register(pid:)`, `register(tmuxSocket:)`) and unregister it
/// when they stop it themselves. The first registration starts a watchdog, a small shell in a
/// session of its own, that waits for the test process to end and then kills whatever is still
/// registered (the list is kept in a file it reads at that moment).
public enum ChildReaper {
    private struct State: Sendable {
        var pids: Set<Int32> = []
        var sockets: Set<String> = []
        var watchdog = false
    }
    private static let state = Guarded(State())
    private static let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ampscope-tests-\(getpid())")

    public static func register(pid: Int32) { change { _ = $0.pids.insert(pid) } }
    public static func unregister(pid: Int32) { change { _ = $0.pids.remove(pid) } }
    public static func register(tmuxSocket: String) { change { _ = $0.sockets.insert(tmuxSocket) } }
    public static func unregister(tmuxSocket: String) { change { _ = $0.sockets.remove(tmuxSocket) } }

    private static func change(_ body: (inout State) -> Void) {
        state.withLock { s in
            body(&s)
            if !s.watchdog {
                s.watchdog = true
                startWatchdog()
            }
            // Written under the lock, so the files always match the latest state.
            try? s.pids.map(String.init).joined(separator: "\n").write(to: dir.appendingPathComponent("pids"), atomically: true, encoding: .utf8)
            try? s.sockets.joined(separator: "\n").write(to: dir.appendingPathComponent("tmux"), atomically: true, encoding: .utf8)
        }
    }

    private static func startWatchdog() {
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let d = dir.path
        // First, close every descriptor inherited from the test process (posix_spawn passes them
        // all on): a watchdog holding a copy of a test's socket would keep it open after the test
        // closed it, and the peer would never see the connection end.
        let script = """
        while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
        if [ -s '\(d)/pids' ]; then for p in $(cat '\(d)/pids'); do kill -9 "$p" 2>/dev/null; done; fi
        if [ -s '\(d)/tmux' ]; then for s in $(cat '\(d)/tmux'); do tmux -L "$s" kill-server 2>/dev/null; done; fi
        rm -rf '\(d)'
        """
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = CleanSpawn.argv("/usr/bin/setsid", ["/bin/sh", "-c", script])
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        // Not waited for: it outlives the tests by design (init reaps it).
        _ = posix_spawn(&pid, argv[0], &actions, nil, &cargs, environ)
    }
}

/// Spawning helpers that start long-lived processes from tests.
public enum CleanSpawn {
    /// An argv that runs `program ARGS` with every descriptor above 2 closed first. posix_spawn
    /// passes on all the parent's descriptors that are not close-on-exec, the tests' sockets
    /// included; a process that outlives the call (a watchdog, a tmux server) would keep a copy
    /// of a socket a test closed, and its peer would never see the connection end.
    ///
    /// Signals start afresh too: posix_spawn also passes on the calling thread's blocked signals
    /// (the test runner's threads block nearly all of them) and ignored ones. A tmux server that
    /// inherited them never hears SIGCHLD and its panes never hear SIGHUP, so `kill-server`
    /// answered but left the server and the program in it running.
    public static func argv(_ program: String, _ args: [String]) -> [String] {
        let python = """
        import os, signal, sys
        os.closerange(3, 65536)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        for s in range(1, signal.NSIG):
            try: signal.signal(s, signal.SIG_DFL)
            except (OSError, ValueError): pass
        os.execv(sys.argv[1], sys.argv[1:])
        """
        return ["/usr/bin/python3", "-c", python, program] + args
    }
}

/// Runs programs to completion from tests, with a time limit, capturing both outputs.
public enum Programs {
    public struct Result: Sendable {
        public var status: Int32
        public var stdoutBytes: [UInt8]
        public var stderrBytes: [UInt8]
        public var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
        public var stderr: String { String(decoding: stderrBytes, as: UTF8.self) }
    }

    /// Runs `path ARGS` with `stdin` (nil: /dev/null) and the environment plus `environment`;
    /// kills it after `timeout` seconds (then throws, with what it wrote to stderr).
    public static func run(_ path: String, _ args: [String], stdin: [UInt8]? = nil, environment: [String: String] = [:],
                           timeout: Double = 300) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        let err = Pipe()
        let input = stdin.map { _ in Pipe() }
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input ?? FileHandle.nullDevice
        try p.run()
        let pid = p.processIdentifier
        ChildReaper.register(pid: pid)
        defer { ChildReaper.unregister(pid: pid) }
        // Both pipes are drained on threads of their own so a full pipe cannot block the child.
        let outBox = Locked<Data?>(nil)
        let errBox = Locked<Data?>(nil)
        let outHandle = out.fileHandleForReading
        let errHandle = err.fileHandleForReading
        Thread { let d = outHandle.readDataToEndOfFile(); outBox.with { $0 = d } }.start()
        Thread { let d = errHandle.readDataToEndOfFile(); errBox.with { $0 = d } }.start()
        if let input, let stdin {
            let w = input.fileHandleForWriting
            Thread { w.write(Data(stdin)); try? w.close() }.start()
        }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let timedOut = p.isRunning
        if timedOut { kill(pid, SIGKILL) }
        p.waitUntilExit()
        let drainDeadline = Date().addingTimeInterval(10)
        while (outBox.value == nil || errBox.value == nil) && Date() < drainDeadline { Thread.sleep(forTimeInterval: 0.005) }
        let r = Result(status: p.terminationStatus, stdoutBytes: [UInt8](outBox.value ?? Data()), stderrBytes: [UInt8](errBox.value ?? Data()))
        if timedOut {
            throw TestError("\(path) \(args.joined(separator: " ")) did not finish within \(timeout) s and was killed; stderr:\n\(r.stderr)")
        }
        return r
    }
}
