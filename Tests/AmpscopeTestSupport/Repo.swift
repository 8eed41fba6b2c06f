import Foundation
import Testing

/// Paths inside the repository. Tests read nothing outside it.
public enum Repo {
    /// The repository root (this file is Tests/AmpscopeTestSupport/Repo.swift).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The recorded traffic and logs of real SDKs (`Tests/Fixtures/real-sdk`, see its README).
    public static let fixtures = root.appendingPathComponent("Tests/Fixtures/real-sdk", isDirectory: true)

    /// The request files of one SDK's fixtures (`python-sdk`, `typescript-node`), sorted; a
    /// missing directory is a failed expectation, not an empty list.
    public static func fixtureFiles(_ sdk: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        let dir = fixtures.appendingPathComponent(sdk).appendingPathComponent("requests")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else {
            Issue.record("fixture directory \(dir.path) is missing (the fixtures live in the repository)", sourceLocation: sourceLocation)
            return []
        }
        return names.filter { $0.hasSuffix(".jsonl") }.sorted().map { dir.appendingPathComponent($0).path }
    }

    /// The bytes of a fixture file (path relative to `fixtures`); a missing file is a failed
    /// expectation naming it, and the test goes on with no bytes.
    public static func fixtureBytes(_ relative: String, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
        let url = fixtures.appendingPathComponent(relative)
        guard let data = try? Data(contentsOf: url) else {
            Issue.record("fixture \(relative) is missing or unreadable (\(url.path))", sourceLocation: sourceLocation)
            return []
        }
        return [UInt8](data)
    }

    /// A fixture's path that must exist (a failed expectation when it does not).
    public static func fixturePath(_ relative: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let path = fixtures.appendingPathComponent(relative).path
        if !FileManager.default.fileExists(atPath: path) {
            Issue.record("fixture \(relative) is missing (\(path))", sourceLocation: sourceLocation)
        }
        return path
    }
}

/// Fresh temporary directories for tests, all under one directory per test process
/// (`$TMPDIR/ampscope-test-runs/PID`). Tests that delete theirs still do; what the others leave
/// is removed by the next run, which deletes the directories of test processes that are gone.
/// (Each test making its own directory straight in `$TMPDIR` left thousands there.)
public enum TempDir {
    public static let runs = FileManager.default.temporaryDirectory.appendingPathComponent("ampscope-test-runs")

    /// This process's directory; the first call removes those of finished runs.
    public static let root: URL = {
        try? FileManager.default.createDirectory(at: runs, withIntermediateDirectories: true)
        removeFinishedRuns(in: runs)
        let mine = runs.appendingPathComponent(String(getpid()))
        try? FileManager.default.createDirectory(at: mine, withIntermediateDirectories: true)
        return mine
    }()

    /// Removes the directories in `runs` named by the id of a process that no longer exists.
    public static func removeFinishedRuns(in runs: URL) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: runs.path)) ?? [] {
            guard let pid = Int32(name), pid > 0, pid != getpid(), !processExists(pid) else { continue }
            try? fm.removeItem(at: runs.appendingPathComponent(name))
        }
    }

    /// False only when no process has this id (a process of another user still counts).
    static func processExists(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno != ESRCH
    }

    public static func make(_ prefix: String = "ampscope-test") -> URL {
        let d = root.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }
}
