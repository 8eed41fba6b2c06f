import AmpscopeCore
import Foundation
import Testing

/// `ampscope profile` run as the built binary.
@Suite struct ProfileCommandTests {
    static var identifyAllOps: String {
        TestSupport.fixtures.appendingPathComponent("python-sdk/requests/identify_all_ops.jsonl").path
    }

    /// A capture-lines file of hand-built requests (in a temp dir), one line per body.
    static func captures(_ bodies: [String]) throws -> String {
        let dir = TestSupport.tempDir()
        let url = dir.appendingPathComponent("profile.jsonl")
        var text = ""
        for (n, b) in bodies.enumerated() {
            text += "{\"received_ms\":\(1_795_371_070_000 + n),\"method\":\"POST\",\"path\":\"/2/httpapi\",\"headers\":[[\"Content-Type\",\"application/json\"]],\"body\":\(JSONWriter.quoted(b))}\n"
        }
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static func body(_ events: String...) -> String {
        "{\"api_key\":\"0123456789abcdef0123456789abcdef\",\"events\":[" + events.joined(separator: ",") + "]}"
    }

    @Test func fixtureFinalProfileIsEmptyAfterClearAll() throws {
        let r = try TestSupport.run(["profile", "--format", "json", Self.identifyAllOps])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSONDocument(parsing: r.stdout)
        #expect(doc.int64(doc.member(doc.root, "ampscope_profile")!) == 1)
        #expect(doc.int64(doc.member(doc.root, "events")!) == 2)
        #expect(doc.int64(doc.member(doc.root, "applied_events")!) == 2)
        let users = try #require(doc.member(doc.root, "users"))
        #expect(doc.count(users) == 1)
        let u = try #require(doc.elements(users).first { _ in true })
        #expect(doc.stringValue(doc.member(u, "user_id")!) == "user-12345")
        #expect(doc.count(doc.member(u, "properties")!) == 0)
        #expect(doc.int64(doc.member(u, "event_count")!) == 2)
    }

    @Test func atOneShowsTheFirstIdentifyAndUserShowsTheChanges() throws {
        let r = try TestSupport.run(["profile", "--format", "json", "--at", "1", "--user", "user-12345", Self.identifyAllOps])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSONDocument(parsing: r.stdout)
        #expect(doc.int64(doc.member(doc.root, "at")!) == 1)
        let u = try #require(doc.elements(doc.member(doc.root, "users")!).first { _ in true })
        let props = try #require(doc.member(u, "properties"))
        #expect(doc.int64(doc.member(props, "logins")!) == 1)
        #expect(doc.stringValue(doc.member(props, "plan")!) == "pro")
        #expect(doc.count(props) == 7)
        let changes = try #require(doc.member(u, "changes"))
        #expect(doc.count(changes) == 9)
        let first = try #require(doc.elements(changes).first { _ in true })
        #expect(doc.stringValue(doc.member(first, "operation")!) == "$unset")
        #expect(doc.stringValue(doc.member(first, "kind")!) == "no-effect")
        #expect(doc.stringValue(doc.member(first, "reason")!) == "absent")
    }

    @Test func textShowsUsersGroupsAndFindings() throws {
        let file = try Self.captures([
            Self.body("{\"event_type\":\"$identify\",\"user_id\":\"jane-00001\",\"device_id\":\"device-S0001\",\"user_properties\":{\"$set\":{\"first_seen\":\"2023\"}}}"),
            Self.body("{\"event_type\":\"$identify\",\"user_id\":\"jane-00001\",\"device_id\":\"device-S0001\",\"user_properties\":{\"$setOnce\":{\"first_seen\":\"2024\"}}}"),
            Self.body("{\"event_type\":\"$groupidentify\",\"user_id\":\"jane-00001\",\"groups\":{\"org\":\"acme\"},\"group_properties\":{\"$set\":{\"tier\":\"gold\"}}}"),
            Self.body("{\"event_type\":\"Signed In\",\"user_id\":\"mary-00001\",\"device_id\":\"device-S0001\"}"),
        ])
        let r = try TestSupport.run(["profile", file])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("4 events, 4 applied to profiles; 2 users, 1 groups"), "\(r.stdout)")
        #expect(r.stdout.contains("first_seen = \"2023\""))
        #expect(r.stdout.contains("group org:acme"))
        #expect(r.stdout.contains("tier = \"gold\""))
        #expect(r.stdout.contains("set-once-no-effect"))
        #expect(r.stdout.contains("user-id-changed-on-device"))
        let g = try TestSupport.run(["profile", "--group", "org:acme", "--format", "json", file])
        let doc = try JSONDocument(parsing: g.stdout)
        #expect(doc.count(doc.member(doc.root, "users")!) == 0)
        let group = try #require(doc.elements(doc.member(doc.root, "groups")!).first { _ in true })
        #expect(doc.count(doc.member(group, "changes")!) == 1)
    }

    @Test func badOptionsAndUnreadableInputs() throws {
        let both = try TestSupport.run(["profile", "--user", "a", "--device", "b", Self.identifyAllOps])
        #expect(both.status == 64)
        let group = try TestSupport.run(["profile", "--group", "org", Self.identifyAllOps])
        #expect(group.status == 64)
        let missing = try TestSupport.run(["profile", "/nonexistent/ampscope-profile.jsonl", Self.identifyAllOps])
        #expect(missing.status == 2)
        #expect(missing.stdout.contains("1 users"), "the readable input is still used: \(missing.stdout)")
    }
}
