import Foundation

/// Locating and running the built `ampscope` binary from tests.
enum TestSupport {
    /// Repository root (this file is Tests/AmpscopeAppTests/TestSupport.swift).
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The recorded real-SDK traffic beside the repository.
    static let fixtures = repoRoot.appendingPathComponent("Tests/Fixtures/real-sdk")

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

    /// Runs the binary to completion with `args` (stdin empty), capturing output.
    static func run(_ args: [String], environment: [String: String] = [:], stdin: [UInt8]? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try? input.fileHandleForWriting.close()
        // Read both pipes concurrently so a full pipe cannot block the child.
        let errBox = DataBox()
        let errHandle = err.fileHandleForReading
        let reader = Thread { errBox.set(errHandle.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = errBox.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self), stdoutBytes: [UInt8](outData))
    }

    static func tempDir() -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ampscope-app-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    static func fixtureFiles(_ sdk: String) -> [String] {
        let dir = fixtures.appendingPathComponent(sdk).appendingPathComponent("requests")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".jsonl") }.sorted().map { dir.appendingPathComponent($0).path }
    }
}

/// A one-shot value handed from a reader thread.
final class DataBox: @unchecked Sendable {
    private var data: Data?
    private let cond = NSCondition()
    func set(_ d: Data) {
        cond.lock()
        data = d
        cond.signal()
        cond.unlock()
    }
    func wait() -> Data {
        cond.lock()
        while data == nil { cond.wait() }
        let d = data!
        cond.unlock()
        return d
    }
}
