import AmpscopeTestSupport
import Foundation
import Testing

/// Locating and running the built `ampscope` binary from tests.
enum TestSupport {
    /// Repository root (this file is Tests/AmpscopeAppTests/TestSupport.swift).
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The recorded real-SDK traffic (in the repository).
    static let fixtures = Repo.fixtures

    /// The `ampscope` executable built next to the test bundle.
    static var binary: String {
        var candidates: [String] = []
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("ampscope").path)
            dir = dir.deletingLastPathComponent()
        }
        if let b = Bundle.main.executableURL?.deletingLastPathComponent() { candidates.append(b.appendingPathComponent("ampscope").path) }
        candidates.append(repoRoot.appendingPathComponent(".build/debug/ampscope").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var stdoutBytes: [UInt8]
    }

    /// Runs the binary to completion with `args` (and `stdin`, if given), capturing output.
    static func run(_ args: [String], environment: [String: String] = [:], stdin: [UInt8]? = nil) throws -> Result {
        let r = try Programs.run(binary, args, stdin: stdin ?? [], environment: environment)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr, stdoutBytes: r.stdoutBytes)
    }

    /// `run` on a thread of its own, so the cooperative pool (two threads here) is never held
    /// while the program runs.
    static func runOffPool(_ args: [String], environment: [String: String] = [:], stdin: [UInt8]? = nil) async throws -> Result {
        try await onThread { try run(args, environment: environment, stdin: stdin) }
    }

    static func tempDir() -> URL { TempDir.make("ampscope-app") }

    static func fixtureFiles(_ sdk: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        Repo.fixtureFiles(sdk, sourceLocation: sourceLocation)
    }

    /// The fixture request file of an SDK whose name ends with `suffix` (a failed expectation, and
    /// a path that does not exist, when there is none).
    static func fixtureFile(_ sdk: String, _ suffix: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        if let f = fixtureFiles(sdk, sourceLocation: sourceLocation).first(where: { $0.hasSuffix(suffix) }) { return f }
        Issue.record("no \(sdk) fixture ends with \(suffix)", sourceLocation: sourceLocation)
        return fixtures.appendingPathComponent("\(sdk)/requests/missing-\(suffix)").path
    }
}
