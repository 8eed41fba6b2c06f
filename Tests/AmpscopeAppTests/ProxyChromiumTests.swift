import AmpscopeCore
import AmpscopeStore
import AmpscopeTestSupport
import Foundation
import Testing

/// A real browser through proxy mode: headless Chromium (Debian's `chromium`) with
/// `--proxy-server` pointing at the real `ampscope proxy` and ampscope's CA in its NSS database
/// loads a local page that posts events to https://api2.amplitude.com/2/httpapi (a JSON body, so
/// the browser sends a CORS preflight first). Nothing leaves the machine: sink mode answers.
@Suite(.serialized) struct ProxyChromiumTests {
    static let howTo = "the browser test needs Debian's chromium and libnss3-tools (certutil): .ci/run installs them (apt-get install chromium libnss3-tools)"

    static func find(_ names: [String]) -> String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
            for n in names where FileManager.default.isExecutableFile(atPath: dir + "/" + n) { return dir + "/" + n }
        }
        return nil
    }

    static let page = """
    <!doctype html>
    <html><head><meta charset="utf-8"><title>ampscope browser test</title></head>
    <body><pre id="out">pending</pre>
    <script>
    const body = JSON.stringify({
      api_key: "0123456789abcdef0123456789abcdef",
      events: [
        { event_type: "Chromium Event", user_id: "user-chromium-1", device_id: "device-chromium-1", insert_id: "ins-chromium-1" },
        { event_type: "Chromium Event", user_id: "user-chromium-1", device_id: "device-chromium-1", insert_id: "ins-chromium-2" }
      ]
    });
    fetch("https://api2.amplitude.com/2/httpapi", { method: "POST", headers: { "Content-Type": "application/json" }, body })
      .then(r => r.text().then(t => { document.getElementById("out").textContent = "status " + r.status + " " + t; }))
      .catch(e => { document.getElementById("out").textContent = "error " + e; });
    </script></body></html>
    """

    @Test func headlessChromiumThroughTheProxyIsCaptured() async throws {
        guard let chromium = Self.find(["chromium", "chromium-browser"]), let certutil = Self.find(["certutil"]) else {
            Issue.record(Comment(rawValue: Self.howTo))
            return
        }
        let dir = TempDir.make("ampscope-chromium")
        let caDir = dir.appendingPathComponent("ca").path
        let home = dir.appendingPathComponent("home").path
        let nss = home + "/.pki/nssdb"
        try FileManager.default.createDirectory(atPath: nss, withIntermediateDirectories: true)
        let made = try await runProgramOffPool(try ProxyProcess.binary(), ["ca", "path", "--ca-dir", caDir], timeout: 300)
        #expect(made.status == 0, "\(made.stderr)")
        let caPath = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // The NSS database Chromium reads on Linux, with ampscope's CA trusted for TLS servers.
        let create = try await runProgramOffPool(certutil, ["-d", "sql:" + nss, "-N", "--empty-password"], timeout: 300)
        #expect(create.status == 0, "\(create.stderr)")
        let add = try await runProgramOffPool(certutil, ["-d", "sql:" + nss, "-A", "-t", "C,,", "-n", "ampscope", "-i", caPath], timeout: 300)
        #expect(add.status == 0, "\(add.stderr)")

        let pagePath = dir.appendingPathComponent("page.html").path
        try Data(Self.page.utf8).write(to: URL(fileURLWithPath: pagePath))
        let storePath = dir.appendingPathComponent("browser.sqlite").path
        let proxy = try await onOwnThread { try ProxyProcess(["--store", storePath, "--json", "--show-preflights", "--ca-dir", caDir]) }
        let run = try await runProgramOffPool(chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--user-data-dir=" + dir.appendingPathComponent("profile").path,
            "--proxy-server=http://127.0.0.1:\(proxy.port)",
            "--virtual-time-budget=20000", "--dump-dom", "file://" + pagePath,
        ], timeout: 180, environment: ["HOME": home, "XDG_CONFIG_HOME": home + "/.config", "XDG_DATA_HOME": home + "/.local/share"])
        let exit = try await onOwnThread { proxy.stop(signal: SIGTERM) }
        #expect(exit == 0, "\(proxy.stderr.suffix(1000))")
        #expect(run.stdout.contains("status 200"), "chromium printed: \(run.stdout.suffix(800)) \(run.stderr.suffix(1500)); proxy: \(proxy.stderr.suffix(1500))")
        #expect(run.stdout.contains("events_ingested"))

        // The preflight was answered (not captured), then the POST was captured through the tunnel.
        #expect(proxy.stdout.contains("\"preflight\":true"), "\(proxy.stdout.suffix(1000))")
        let store = try CaptureStore(path: storePath)
        var requests: [Processed] = []
        for id in await store.captureIDs() { requests.append(try await store.processed(id)) }
        await store.close()
        // Chromium's own plain-HTTP calls (its component updater) are relayed, not captured.
        #expect(requests.allSatisfy { $0.capture.header("Host") == "api2.amplitude.com" },
                "\(requests.map { ($0.capture.header("Host") ?? "") + $0.capture.path })")
        let posts = requests.filter { $0.capture.method == "POST" }
        #expect(posts.count == 1)
        let p = try #require(posts.first)
        #expect(p.capture.header("Host") == "api2.amplitude.com")
        #expect(p.capture.path == "/2/httpapi")
        #expect(p.capture.header("User-Agent")?.contains("Chrome") == true)
        #expect(p.capture.header("Origin") == "null")  // a file:// page
        #expect(p.request.records.count == 2)
        #expect(p.answer.status == 200)
    }
}
