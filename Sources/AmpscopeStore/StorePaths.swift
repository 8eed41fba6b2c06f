import Foundation

/// Where stores live by default: `$XDG_DATA_HOME/ampscope` or `~/.local/share/ampscope`.
public enum StorePaths {
    public static func dataDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let x = environment["XDG_DATA_HOME"], !x.isEmpty { return x + "/ampscope" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSTemporaryDirectory()
        return home + "/.local/share/ampscope"
    }

    /// A new file name for this run: `captures-20261122-180605.sqlite` (local time), made unique.
    public static func newStorePath(now: Date = Date(), environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyyMMdd-HHmmss"
        let base = dataDirectory(environment: environment) + "/captures-" + f.string(from: now)
        var path = base + ".sqlite"
        var n = 2
        while FileManager.default.fileExists(atPath: path) {
            path = base + "-\(n).sqlite"
            n += 1
        }
        return path
    }
}
