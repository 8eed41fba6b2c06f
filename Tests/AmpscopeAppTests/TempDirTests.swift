import AmpscopeTestSupport
import Foundation
import Testing

/// The tests' temporary directories: one per test process, and what finished runs left removed.
@Suite struct TempDirTests {
    @Test("a run's directories go under its own, and the directories of finished runs are removed, not those of live ones")
    func finishedRunsAreRemoved() throws {
        let made = TempDir.make("probe")
        #expect(made.deletingLastPathComponent().path == TempDir.root.path)
        #expect(TempDir.root.lastPathComponent == String(getpid()))
        #expect(FileManager.default.fileExists(atPath: made.path))

        // A process that has exited (and was reaped): its id names no process now.
        let exited = Process()
        exited.executableURL = URL(fileURLWithPath: "/bin/true")
        try exited.run()
        exited.waitUntilExit()
        let dead = exited.processIdentifier

        let runs = TempDir.make("runs")
        let fm = FileManager.default
        for name in [String(dead), String(getpid()), "1", "not-a-pid"] {
            try fm.createDirectory(at: runs.appendingPathComponent(name).appendingPathComponent("left"), withIntermediateDirectories: true)
        }
        TempDir.removeFinishedRuns(in: runs)
        let left = Set(try fm.contentsOfDirectory(atPath: runs.path))
        #expect(left == [String(getpid()), "1", "not-a-pid"], "\(left.sorted()), the exited process was \(dead)")
    }
}
