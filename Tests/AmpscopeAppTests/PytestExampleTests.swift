import AmpscopeCore
import Foundation
import Testing

/// Runs the pytest example (Examples/pytest) as users would: the real Amplitude Python SDK sends
/// to a real `ampscope proxy --plan`, and pytest asserts through the test-suite API (Docs/api.md).
@Suite(.serialized) struct PytestExampleTests {
    @Test func pytestExampleAgainstTheProxy() async throws {
        guard let python = ProxySDKTests.python() else {
            Issue.record(Comment(rawValue: ProxySDKTests.howTo + " (and pytest)"))
            return
        }
        let check = try await runProgramOffPool(python, ["-c", "import amplitude, pytest"], timeout: 60)
        guard check.status == 0 else {
            Issue.record(Comment(rawValue: "\(python) cannot import amplitude and pytest (\(check.stderr.suffix(300))); run Scripts/test, which installs both in .venv"))
            return
        }
        let root = ProxyProcess.repoRoot
        let plan = root.appendingPathComponent("Tests/Fixtures/plans/checkout.yaml").path
        // Started and stopped off the cooperative pool (both wait on the process).
        let store = ProxyProcess.tempDir().appendingPathComponent("p.sqlite").path
        let proxy = try await onOwnThread { try ProxyProcess(["--plan", plan, "--quiet", "--store", store]) }
        let run = try await onOwnThread {
            try runProgram(python, ["-m", "pytest", "-q", "-p", "no:cacheprovider", root.appendingPathComponent("Examples/pytest").path],
                           timeout: 300,
                           environment: ["AMPSCOPE_URL": "http://127.0.0.1:\(proxy.port)", "PYTHONDONTWRITEBYTECODE": "1"])
        }
        let exit = try await onOwnThread { proxy.stop(signal: SIGTERM) }
        #expect(run.status == 0, "pytest failed:\n\(run.stdout.suffix(4000))\n\(run.stderr.suffix(2000))")
        #expect(run.stdout.contains("2 passed"), "\(run.stdout.suffix(2000))")
        #expect(exit == 0, "proxy exit status \(exit): \(proxy.stderr.suffix(1000))")
    }
}
