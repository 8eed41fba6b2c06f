import AmpscopeCore
import AmpscopeStore
import AmpscopeTestSupport
import Foundation
import Testing

/// The official Amplitude Python SDK, unchanged (its default server URL
/// https://api2.amplitude.com/2/httpapi), reaching the real `ampscope proxy` binary only through
/// HTTPS_PROXY with ampscope's CA as its trust store: captured and answered in sink mode,
/// nothing leaves the machine. The same checks as the server-URL test, plus the host.
@Suite(.serialized) struct ProxyHTTPSSDKTests {
    @Test func unchangedPythonSDKThroughHTTPSProxy() async throws {
        let caDir = TempDir.make("ampscope-https-sdk").appendingPathComponent("ca").path
        // `ampscope ca path` creates the CA and prints where its certificate is.
        let made = try await runProgramOffPool(try ProxyProcess.binary(), ["ca", "path", "--ca-dir", caDir], timeout: 60)
        #expect(made.status == 0, "\(made.stderr)")
        let caPath = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(caPath == caDir + "/ampscope-ca.pem")
        #expect(FileManager.default.fileExists(atPath: caPath))

        guard let scenario = try await ProxySDKTests.runScenario(
            "sdk_scenario.py", module: "amplitude.constants", howTo: ProxySDKTests.howTo, proxyArgs: ["--ca-dir", caDir],
            client: { port in
                let proxy = "http://127.0.0.1:\(port)"
                return ("default", ["HTTPS_PROXY": proxy, "https_proxy": proxy, "NO_PROXY": "", "no_proxy": "",
                                    "SSL_CERT_FILE": caPath, "REQUESTS_CA_BUNDLE": caPath])
            }) else { return }
        #expect(scenario.proxy.stderr.contains("HTTPS_PROXY=http://127.0.0.1:\(scenario.proxy.port)"))
        #expect(scenario.proxy.stderr.contains(caPath))
        try await ProxySDKTests.checkAmplitudeScenario(scenario) { requests in
            #expect(!requests.isEmpty)
            // Every request came through the tunnel to Amplitude's own host name.
            #expect(requests.allSatisfy { $0.capture.header("Host") == "api2.amplitude.com" },
                    "\(Set(requests.compactMap { $0.capture.header("Host") }))")
            #expect(Set(requests.map(\.capture.path)) == ["/2/httpapi", "/batch"])
        }
    }

    @Test func caCommandExportsAndShows() async throws {
        let dir = TempDir.make("ampscope-ca-cmd")
        let caDir = dir.appendingPathComponent("ca").path
        let out = dir.appendingPathComponent("out").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let bin = try ProxyProcess.binary()
        let show = try await runProgramOffPool(bin, ["ca", "show", "--ca-dir", caDir], timeout: 60)
        #expect(show.status == 0, "\(show.stderr)")
        for words in ["created now", "SHA-256:", "expires:", "security add-trusted-cert", "update-ca-certificates",
                      "certutil -addstore root", "certutil -d sql:", "simctl keychain booted add-root-cert",
                      "network_security_config", "Firefox", "Certificate Trust Settings"] {
            #expect(show.stdout.contains(words), "missing \(words)")
        }
        var st = stat()
        #expect(stat(caDir + "/ampscope-ca-key.pem", &st) == 0 && st.st_mode & 0o777 == 0o600)
        let again = try await runProgramOffPool(bin, ["ca", "show", "--ca-dir", caDir], timeout: 60)
        #expect(!again.stdout.contains("created now"))
        let fingerprint = show.stdout.split(separator: "\n").first { $0.contains("SHA-256:") }
        #expect(again.stdout.split(separator: "\n").first { $0.contains("SHA-256:") } == fingerprint)

        let export = try await runProgramOffPool(bin, ["ca", "export", "--ca-dir", caDir, "--output", out], timeout: 60)
        #expect(export.status == 0, "\(export.stderr)")
        let pem = try String(contentsOfFile: out + "/ampscope-ca.pem", encoding: .utf8)
        #expect(pem == (try String(contentsOfFile: caDir + "/ampscope-ca.pem", encoding: .utf8)))
        #expect(!pem.contains("PRIVATE"))
        let der = try Data(contentsOf: URL(fileURLWithPath: out + "/ampscope-ca.cer"))
        #expect(der.first == 0x30)  // a DER SEQUENCE
        // The DER is the PEM's body decoded.
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        #expect(Data(base64Encoded: body) == der)
    }
}
