import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A peer program run to its end in the same benchmark run: wall time and peak RSS, read from
/// `wait4`'s resource usage of that one child (Foundation's `Process` reaps its children itself,
/// so it is spawned here with `posix_spawn`). Its output goes to /dev/null.
struct PeerRun {
    var seconds: Double
    var peakMB: Double
    var status: Int32

    static func measure(_ exe: String, _ args: [String], environment: [String: String]? = nil) -> PeerRun {
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([exe] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for e in env { free(e) } }
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        guard posix_spawn(&pid, exe, &actions, nil, argv, env) == 0 else { return PeerRun(seconds: .nan, peakMB: .nan, status: -1) }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return PeerRun(seconds: seconds, peakMB: Double(usage.ru_maxrss) / 1024, status: status)
    }
}

/// lnav (Debian's package) loading a capture file with the JSON log format in
/// `Scripts/lnav/ampscope_capture.json`, installed into a throwaway HOME so the user's lnav
/// setup is neither used nor changed. Installed with apt-get when missing and running as root.
enum LnavPeer {
    static let formatFile = "Scripts/lnav/ampscope_capture.json"

    static func load(_ path: String) -> PeerRun? {
        let fm = FileManager.default
        var exe = ["/usr/bin/lnav", "/usr/local/bin/lnav"].first { fm.isExecutableFile(atPath: $0) }
        if exe == nil && getuid() == 0 {
            print("lnav is missing: apt-get install -y lnav ...")
            _ = PeerRun.measure("/usr/bin/apt-get", ["install", "-y", "-q", "lnav"])
            exe = fm.isExecutableFile(atPath: "/usr/bin/lnav") ? "/usr/bin/lnav" : nil
        }
        guard let exe else { print("lnav: not installed, skipped"); return nil }
        guard fm.fileExists(atPath: formatFile) else { print("lnav: \(formatFile) not found (run from the repository root), skipped"); return nil }
        let home = fm.temporaryDirectory.appendingPathComponent("ampscope-bench-lnav-\(getpid())").path
        try? fm.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: home) }
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = home
        env["XDG_CONFIG_HOME"] = home + "/.config"
        guard PeerRun.measure(exe, ["-i", formatFile], environment: env).status == 0 else {
            print("lnav: could not install the format, skipped")
            return nil
        }
        // Headless: lnav indexes the whole file (a JSON parse per line for the timestamp and
        // fields) before it runs the command, which then reads one row.
        let run = PeerRun.measure(exe, ["-n", "-c", ";SELECT log_line FROM ampscope_capture LIMIT 1", path], environment: env)
        return run.status == 0 ? run : nil
    }
}
