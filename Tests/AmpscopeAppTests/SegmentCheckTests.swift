import AmpscopeCore
import Foundation
import Testing

@Suite struct SegmentCheckTests {
    static let batch = #"{"batch":[{"type":"identify","userId":"user-00001","traits":{"plan":"pro"},"timestamp":"2026-12-05T21:00:00.000Z"},{"type":"track","event":"Signed Up","anonymousId":"anon-00001","timestamp":"2026-12-05T21:00:01.000Z","context":{"userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"}},{"type":"track","properties":{"a":1}}],"writeKey":"wk"}"#

    @Test func rawSegmentBodyReportsSegmentAndMappedFindings() throws {
        let dir = TestSupport.tempDir()
        let body = dir.appendingPathComponent("segment.json")
        try Self.batch.write(to: body, atomically: true, encoding: .utf8)
        let r = try TestSupport.run(["check", "--format", "json", "--endpoint", "/v1/batch", "--segment-destination", "both", body.path])
        #expect(r.status == 1, "the call without ids or event is an error: \(r.stderr)")
        let doc = try JSONDocument(parsing: r.stdout)
        let req = try #require(doc.member(doc.root, "requests").flatMap { doc.elements($0).first { _ in true } })
        #expect(doc.member(req, "endpoint").map { doc.string($0) } == "/v1")
        #expect(doc.member(req, "decoder").map { doc.string($0) } == "segment")
        let findings = try #require(doc.member(req, "findings"))
        let rules = doc.elements(findings).compactMap { doc.member($0, "rule").map { doc.string($0) } }
        #expect(rules.contains("segment-missing-id"))
        #expect(rules.contains("segment-missing-field"))
        let mapped = try #require(doc.member(req, "mapped"))
        let items = Array(doc.elements(mapped))
        // identify and track, through both destinations; the dropped call is listed as not sent.
        let sent = items.filter { doc.member($0, "endpoint") != nil }
        #expect(sent.count == 4)
        #expect(sent.compactMap { doc.member($0, "destination").map { doc.string($0) } } == ["actions", "classic", "actions", "classic"])
        #expect(sent.compactMap { doc.member($0, "endpoint").map { doc.string($0) } } == ["/identify", "/identify", "/2/httpapi", "/httpapi"])
        #expect(items.contains { doc.member($0, "not_sent").map { doc.string($0) }?.contains("segment-missing-id") == true })
        let actionsTrack = sent[2]
        let mf = try #require(doc.member(actionsTrack, "findings"))
        let mappedRules = doc.elements(mf).compactMap { doc.member($0, "rule").map { doc.string($0) } }
        #expect(mappedRules.contains("unknown-field"))
        let events = try #require(doc.member(actionsTrack, "events"))
        #expect(doc.count(events) == 1)
        #expect(doc.member(try #require(doc.elements(events).first { _ in true }), "device_type").map { doc.string($0) } == "mobile")
        let summary = try #require(doc.member(doc.root, "summary"))
        let byRule = try #require(doc.member(summary, "by_rule"))
        #expect(doc.member(byRule, "deprecated-http-api") != nil, "mapped findings count in the summary")
    }

    @Test func settingsFileChangesTheMappingAndBadFilesAreRefused() throws {
        let dir = TestSupport.tempDir()
        let body = dir.appendingPathComponent("segment.json")
        try Self.batch.write(to: body, atomically: true, encoding: .utf8)
        let settings = dir.appendingPathComponent("settings.json")
        try #"{"actions":{"user_agent_parsing":false,"use_batch_endpoint":true}}"#.write(to: settings, atomically: true, encoding: .utf8)
        let r = try TestSupport.run(["check", "--segment-settings", settings.path, body.path])
        #expect(r.stdout.contains("Log Event V2 POST /batch"), "\(r.stdout)")
        #expect(!r.stdout.contains("device_type"), "\(r.stdout)")
        let bad = dir.appendingPathComponent("bad.json")
        try #"{"actions":{"use_batch":true}}"#.write(to: bad, atomically: true, encoding: .utf8)
        let refused = try TestSupport.run(["check", "--segment-settings", bad.path, body.path])
        #expect(refused.status != 0 && refused.status != 1)
        #expect(refused.stderr.contains("use_batch"), "\(refused.stderr)")
        let wrong = try TestSupport.run(["check", "--segment-destination", "amplitude", body.path])
        #expect(wrong.stderr.contains("actions, classic or both"), "\(wrong.stderr)")
    }

    /// The same settings in YAML give the same mapping; YAML errors and unknown keys are refused
    /// with the file named.
    @Test func yamlSettingsFilesWorkLikeJSON() throws {
        let dir = TestSupport.tempDir()
        let body = dir.appendingPathComponent("segment.json")
        try Self.batch.write(to: body, atomically: true, encoding: .utf8)
        let json = dir.appendingPathComponent("settings.json")
        try #"{"actions":{"user_agent_parsing":false,"use_batch_endpoint":true}}"#.write(to: json, atomically: true, encoding: .utf8)
        let yaml = dir.appendingPathComponent("settings.yaml")
        try "# the Actions destination's settings\nactions:\n  user_agent_parsing: false\n  use_batch_endpoint: true\n"
            .write(to: yaml, atomically: true, encoding: .utf8)
        let fromJSON = try TestSupport.run(["check", "--segment-settings", json.path, "--format", "json", body.path])
        let fromYAML = try TestSupport.run(["check", "--segment-settings", yaml.path, "--format", "json", body.path])
        #expect(fromYAML.status == fromJSON.status)
        #expect(fromYAML.stdout.contains("/batch"), "\(fromYAML.stdout.prefix(600))")
        // The same report, but for the server time in the emulated answers.
        func timeless(_ t: String) -> String { t.replacingOccurrences(of: #""server_upload_time":[0-9]+"#, with: "", options: .regularExpression) }
        #expect(timeless(fromYAML.stdout) == timeless(fromJSON.stdout), "YAML and JSON settings give the same report")
        let broken = dir.appendingPathComponent("broken.yml")
        try "actions: [unclosed\n".write(to: broken, atomically: true, encoding: .utf8)
        let r1 = try TestSupport.run(["check", "--segment-settings", broken.path, body.path])
        #expect(r1.status != 0 && r1.status != 1)
        #expect(r1.stderr.contains("does not parse as YAML") && r1.stderr.contains("broken.yml"), "\(r1.stderr)")
        let unknown = dir.appendingPathComponent("unknown.yaml")
        try "actions:\n  use_batch: true\n".write(to: unknown, atomically: true, encoding: .utf8)
        let r2 = try TestSupport.run(["check", "--segment-settings", unknown.path, body.path])
        #expect(r2.stderr.contains("use_batch"), "\(r2.stderr)")
    }
}
