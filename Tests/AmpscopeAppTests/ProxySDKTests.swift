import AmpscopeCore
import AmpscopeStore
import Foundation
import Testing

/// The official Amplitude Python SDK (PyPI amplitude-analytics 1.3.0) against the real
/// `ampscope proxy` binary: what the store holds, and what the SDK reported per event.
@Suite(.serialized) struct ProxySDKTests {
    static let howTo = """
        the real-SDK test needs Python with PyPI amplitude-analytics 1.3.0: run Scripts/test (it creates .venv), \
        or `python3 -m venv .venv && .venv/bin/pip install amplitude-analytics==1.3.0` in the repository, \
        or set AMPSCOPE_PYTHON to an interpreter that has it
        """

    /// `AMPSCOPE_PYTHON`, else the repository's `.venv/bin/python`; nil when neither exists.
    static func python() -> String? {
        if let p = ProcessInfo.processInfo.environment["AMPSCOPE_PYTHON"], !p.isEmpty { return p }
        let venv = ProxyProcess.repoRoot.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }

    struct Callback {
        var phase: String
        var eventType: String
        var userID: String?
        var insertID: String
        var code: Int
        var message: String?
    }

    /// Runs a Python scenario script against a fresh `ampscope proxy --store … --json`; nil (with
    /// an issue recorded) when no Python can import `module`.
    /// `proxyArgs` go to the proxy; `client` gives the script's argument and environment for
    /// the proxy's port (default: the proxy's base URL as the SDK's server URL).
    static func runScenario(_ script: String, module: String, howTo: String, proxyArgs: [String] = [],
                            client: @escaping @Sendable (Int) -> (argument: String, environment: [String: String]) = { ("http://127.0.0.1:\($0)", [:]) })
        async throws -> (run: (status: Int32, stdout: String, stderr: String), proxy: ProxyProcess, storePath: String)? {
        guard let python = python() else {
            Issue.record(Comment(rawValue: howTo))
            return nil
        }
        let check = try await runProgramOffPool(python, ["-c", "import \(module)"], timeout: 60)
        guard check.status == 0 else {
            Issue.record(Comment(rawValue: "\(python) cannot import \(module) (\(check.stderr.suffix(300))); " + howTo))
            return nil
        }
        let path = ProxyProcess.repoRoot.appendingPathComponent("Tests/e2e/python/" + script).path
        let storePath = ProxyProcess.tempDir().appendingPathComponent("scenario.sqlite").path
        let proxy = try ProxyProcess(["--store", storePath, "--json"] + proxyArgs)
        let (argument, environment) = client(proxy.port)
        let run = try await onOwnThread {
            try runProgram(python, [path, argument], timeout: 180, environment: environment)
        }
        let exit = proxy.stop(signal: SIGTERM)
        #expect(run.status == 0, "scenario failed: \(run.stderr.suffix(2000))")
        #expect(exit == 0, "proxy exit status \(exit): \(proxy.stderr.suffix(1000))")
        return (run, proxy, storePath)
    }

    @Test func realPythonSDKAgainstTheProxy() async throws {
        guard let scenario = try await Self.runScenario("sdk_scenario.py", module: "amplitude.constants", howTo: Self.howTo) else { return }
        try await Self.checkAmplitudeScenario(scenario)
    }

    /// What the SDK reported and what the store holds after sdk_scenario.py, however the SDK
    /// reached the proxy (server URL, or HTTPS_PROXY with ampscope's CA).
    static func checkAmplitudeScenario(_ scenario: (run: (status: Int32, stdout: String, stderr: String), proxy: ProxyProcess, storePath: String),
                                       also: ([Processed]) -> Void = { _ in }) async throws {
        let (run, proxy, storePath) = scenario

        // What the SDK reported.
        var callbacks: [Callback] = []
        var sent: [(phase: String, type: String, insert: String)] = []
        var settled = false
        var sdkVersion = ""
        for line in run.stdout.split(separator: "\n") {
            let doc = try JSONDocument(parsing: Array(line.utf8))
            let r = doc.root
            func s(_ k: String) -> String? { doc.member(r, named: k).flatMap { doc.stringValue($0) } }
            if s("kind") == "callback" {
                callbacks.append(Callback(phase: s("phase") ?? "", eventType: s("event_type") ?? "", userID: s("user_id"),
                                          insertID: s("insert_id") ?? "", code: Int(doc.member(r, named: "code").flatMap { doc.int64($0) } ?? -1),
                                          message: s("message")))
            } else if s("kind") == "done" {
                settled = doc.member(r, named: "settled").map { doc.kind($0) == .true } ?? false
                sdkVersion = s("sdk") ?? ""
                if let list = doc.member(r, named: "sent") {
                    for e in doc.elements(list) {
                        func f(_ k: String) -> String { doc.member(e, named: k).flatMap { doc.stringValue($0) } ?? "" }
                        sent.append((f("phase"), f("event_type"), f("insert_id")))
                    }
                }
            }
        }
        #expect(sdkVersion == "1.3.0")
        #expect(settled, "every event got its callback")
        #expect(sent.count == 260)  // 250 bulk + short id + 2 identify + group identify + revenue + 5 batch
        #expect(callbacks.count == sent.count)
        #expect(Set(callbacks.map(\.insertID)) == Set(sent.map(\.insert)))
        let short = callbacks.filter { $0.eventType == "Short Id Event" }
        #expect(short.count == 1)
        #expect(short.first?.code == 400)
        #expect(short.first?.message == "Invalid id length for user_id or device_id")
        let others = callbacks.filter { $0.eventType != "Short Id Event" }
        #expect(others.allSatisfy { $0.code == 200 && $0.message == "Event sent successfully." },
                "\(others.filter { $0.code != 200 }.prefix(3).map { "\($0.eventType) \($0.code) \($0.message ?? "")" })")

        // What the store holds.
        let store = try CaptureStore(path: storePath)
        var requests: [Processed] = []
        for id in await store.captureIDs() { requests.append(try await store.processed(id)) }
        #expect(requests.allSatisfy { $0.capture.source.kind == .proxy && $0.capture.recordedResponse == nil })
        #expect(requests.allSatisfy { $0.capture.header("User-Agent")?.hasPrefix("Python-urllib/") == true })
        var acceptedInserts: [String] = []
        var rejectedInserts: [String] = []
        var typesSeen = Set<String>()
        var identifyOps = Set<String>()
        for p in requests {
            let summaries = EventSummary.extract(p)
            for s in summaries {
                typesSeen.insert(s.eventType)
                if let i = s.insertID {
                    if p.answer.accepted { acceptedInserts.append(i) } else { rejectedInserts.append(i) }
                }
            }
            if let doc = p.request.document {
                for node in p.request.records where doc.kind(node) == .object {
                    if doc.member(node, "event_type").flatMap({ doc.stringValue($0) }) == "$identify",
                       let up = doc.member(node, "user_properties"), doc.kind(up) == .object {
                        for (k, _) in doc.members(up) { identifyOps.insert(doc.string(k)) }
                    }
                }
            }
        }
        // The short-id event was only ever in rejected requests; every other event was accepted exactly once.
        let shortInsert = try #require(short.first?.insertID)
        #expect(!acceptedInserts.contains(shortInsert))
        #expect(rejectedInserts.contains(shortInsert))
        #expect(acceptedInserts.count == sent.count - 1, "accepted \(acceptedInserts.count)")
        #expect(Set(acceptedInserts) == Set(sent.map(\.insert)).subtracting([shortInsert]))
        // A rejected request was answered 400 with the index of the short id, like Amplitude.
        let rejected = try #require(requests.first { !$0.answer.accepted })
        #expect(rejected.answer.status == 400)
        #expect(rejected.answer.bodyText.contains("\"events_with_invalid_id_lengths\""))
        #expect(rejected.findings.contains { $0.rule == RuleID.idTooShort })
        // Every kind of call reached the store.
        for t in ["Bulk Event", "Short Id Event", "$identify", "$groupidentify", "revenue_amount", "Batch Event"] {
            #expect(typesSeen.contains(t) || typesSeen.contains { $0.hasPrefix(t) }, "missing \(t) in \(typesSeen.sorted())")
        }
        #expect(identifyOps.isSuperset(of: ["$set", "$setOnce", "$add", "$append", "$prepend", "$preInsert", "$postInsert", "$remove", "$unset", "$clearAll"]),
                "\(identifyOps.sorted())")
        let batch = requests.filter { $0.request.endpoint == .batch }
        #expect(batch.count >= 1)
        #expect(batch.allSatisfy { $0.answer.status == 200 })
        #expect(batch.reduce(0) { $0 + $1.request.records.count } == 5)

        // The headless NDJSON output has one line per stored request, keys masked.
        let lines = proxy.stdout.split(separator: "\n")
        #expect(lines.count == requests.count)
        for line in lines {
            let doc = try JSONDocument(parsing: Array(line.utf8))
            #expect(doc.member(doc.root, "api_key").flatMap { doc.stringValue($0) } == "0123************************cdef")
            #expect(doc.member(doc.root, "events").map { doc.kind($0) } == .array)
            #expect(doc.member(doc.root, "emulated") != nil)
        }
        #expect(!proxy.stdout.contains("0123456789abcdef0123456789abcdef"))
        also(requests)
        await store.close()
    }
}
