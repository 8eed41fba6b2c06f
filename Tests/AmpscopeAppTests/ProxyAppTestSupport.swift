import AmpscopeTestSupport
import Foundation

typealias ProxyTestFailure = TestError

/// Runs the built `ampscope proxy` binary as a subprocess for end-to-end tests.
final class ProxyProcess: @unchecked Sendable {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `ampscope` executable next to the test bundle (`.build*/debug/ampscope`).
    static func binary() throws -> String {
        var candidates: [String] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("ampscope").path)
            dir = dir.deletingLastPathComponent()
        }
        if let b = Bundle.main.executableURL?.deletingLastPathComponent() { candidates.append(b.appendingPathComponent("ampscope").path) }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ProxyTestFailure("the ampscope binary was not found next to the tests (looked at \(candidates)); build it with `swift build --product ampscope` using the same --scratch-path")
        }
        return found
    }

    static func tempDir() -> URL { TempDir.make("ampscope-proxy-app") }

    let process = Process()
    private let outPipe = Pipe()
    private let errPipe = Pipe()
    private let lock = NSLock()
    private var stdoutData = Data()
    private var stderrData = Data()
    private var readers: [Thread] = []
    private let done = DispatchGroup()
    private(set) var port = 0

    /// Starts `ampscope proxy --listen 127.0.0.1:0 ARGS` and waits for its banner (the bound port).
    init(_ args: [String]) throws {
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = ["proxy", "--listen", "127.0.0.1:0"] + args
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        process.environment = env
        try process.run()
        ChildReaper.register(pid: process.processIdentifier)
        follow(outPipe.fileHandleForReading, isOut: true)
        follow(errPipe.fileHandleForReading, isOut: false)
        // Generous: a debug binary starting beside a whole test run on two cores. Looked at once
        // more after the deadline, in case the sleep overran it.
        let deadline = Date().addingTimeInterval(60)
        while true {
            if let p = Self.port(in: stderr) { port = p; return }
            if !process.isRunning || Date() >= deadline { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        stop(signal: SIGKILL, timeout: 5)
        throw ProxyTestFailure("ampscope proxy did not start; stderr:\n\(stderr)")
    }

    private func follow(_ handle: FileHandle, isOut: Bool) {
        done.enter()
        let t = Thread { [self] in
            while true {
                let d = handle.availableData
                if d.isEmpty { break }
                append(d, isOut)
            }
            done.leave()
        }
        t.start()
        readers.append(t)
    }

    private func append(_ d: Data, _ isOut: Bool) {
        lock.lock()
        if isOut { stdoutData.append(d) } else { stderrData.append(d) }
        lock.unlock()
    }

    static func port(in banner: String) -> Int? {
        guard let r = banner.range(of: "listening on http://127.0.0.1:") else { return nil }
        let digits = banner[r.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return String(decoding: stdoutData, as: UTF8.self) }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return String(decoding: stderrData, as: UTF8.self) }

    /// Sends `signal` and waits for the process and its output to end. Returns the exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Double = 30) -> Int32 {
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        ChildReaper.unregister(pid: process.processIdentifier)
        _ = done.wait(timeout: .now() + 5)
        return process.terminationStatus
    }
}

/// Runs a program to completion with a time limit, capturing both outputs.
func runProgram(_ path: String, _ args: [String], timeout: Double, environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    let r = try Programs.run(path, args, environment: environment, timeout: timeout)
    return (r.status, r.stdout, r.stderr)
}

/// `runProgram` on a thread of its own (never blocks the cooperative pool).
func runProgramOffPool(_ path: String, _ args: [String], timeout: Double, environment: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
    let r = try await onThread { try Programs.run(path, args, environment: environment, timeout: timeout) }
    return (r.status, r.stdout, r.stderr)
}

/// Runs blocking work on its own thread (never on the cooperative pool).
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T { try await onThread(body) }
