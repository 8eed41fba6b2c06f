import AmpscopeTestSupport
import Foundation
import Testing

/// The User tab and the Users list for real: the `ampscope` binary in tmux, on a replayed
/// recording of the Python SDK (every identify operation, then `$clearAll`) and on demo traffic.
@Suite(.serialized) struct ProfilesTmuxTests {
    @Test func userTabAndUsersListOnAReplayedFixture() async throws {
        let dir = TestSupport.tempDir()
        let file = TestSupport.fixtures.appendingPathComponent("python-sdk/requests/identify_all_ops.jsonl").path
        let t = try TmuxSession(command: "\(TestSupport.binary) replay \(file) --no-mouse", directory: dir.path, cols: 160, rows: 50,
                                environment: ["XDG_CONFIG_HOME": dir.path, "HOME": dir.path])
        try await t.wait(for: "the two identifies") { $0.contains("2 rows") && $0.contains("$identify") }
        // The first identify: everything it sets applies from the user's next event.
        try t.press("g")
        try t.press("6")
        var s = try await t.wait(for: "the User tab of the first identify") { $0.contains("user_id user-12345") && $0.contains("This event (#1) changed") }
        #expect(s.contains("(an identify: it applies from the user's next event)"), "\(s)")
        #expect(s.contains(#"+ plan  (missing) → "pro""#), "\(s)")
        #expect(s.contains(#"+ first_seen  (missing) → "2024-01-01""#), "\(s)")
        #expect(s.contains("devices device-abcdef"))
        // The $clearAll: the properties in effect are the first identify's; it removes them all.
        try t.press("j")
        s = try await t.wait(for: "the User tab of the $clearAll") { $0.contains("This event (#2) changed") && $0.contains("- plan") }
        #expect(s.contains(#"plan = "pro""#), "in effect for the $clearAll itself:\n\(s)")
        #expect(s.contains("clearAll"), "\(s)")
        // The Users list, then that user's events.
        try t.press("u")
        s = try await t.wait(for: "the Users list") { $0.contains("Users · 1 as Amplitude resolves them") }
        #expect(s.contains("user-12345") && s.contains("device-abcdef"))
        try t.press("Enter")
        try await t.wait(for: "the stream filtered to the user") { $0.contains(#"user="user-12345""#) }
        try t.press("Q")
        try await t.wait(for: "ampscope to exit") { !$0.contains("Users ·") && !$0.contains("$identify") }
    }

    @Test func userTabAndUsersListOnDemoTraffic() async throws {
        let dir = TestSupport.tempDir()
        let store = dir.appendingPathComponent("demo.sqlite").path
        let t = try TmuxSession(command: "\(TestSupport.binary) --demo --listen 127.0.0.1:0 --store \(store) --no-mouse",
                                directory: dir.path, cols: 160, rows: 50, environment: ["XDG_CONFIG_HOME": dir.path, "HOME": dir.path])
        try await t.wait(for: "demo traffic") { $0.contains("$identify") }
        try t.press("Space")
        try t.press("6")
        // The demo sends deliberate mistakes: a request Amplitude would not ingest has no user, so
        // move up to an event that has one.
        var s = try await t.wait(for: "the User tab") { $0.contains("Properties in effect for this event") || $0.contains("No user") }
        for _ in 0..<40 where !s.contains("Properties in effect for this event") {
            try t.press("k")
            s = try await t.wait(for: "the User tab of the event above") { $0.contains("Properties in effect for this event") || $0.contains("No user") }
        }
        s = try await t.wait(for: "the User tab of an event with a user") { $0.contains("Who") && $0.contains("Properties in effect for this event") }
        #expect(s.contains("user_id") && s.contains("Amplitude id"), "\(s)")
        try t.press("u")
        // At least one user listed: the follower posts the list a few times a second, so the
        // list can first be drawn before its first post (`Users · 0`), and Enter on an empty list
        // filters nothing (this waited for the filter in vain once).
        let users = try await t.wait(for: "the Users list with a user in it") { s in
            s.contains("AMP ID") && s.range(of: #"Users · [1-9][0-9,]* as Amplitude resolves them"#, options: .regularExpression) != nil
        }
        #expect(users.contains("EVENTS") && users.contains("PROPS"))
        try t.press("Enter")
        try await t.wait(for: "the stream filtered to one user") { $0.contains("user=") || $0.contains("device=") }
        try t.press("Q")
        try await t.wait(for: "ampscope to exit and print its summary") { $0.contains("requests,") && $0.contains(store) }
    }
}
