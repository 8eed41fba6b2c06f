import AmpscopeCore
import Testing
@testable import AmpscopeUI

/// The User tab over a small story of one user: an event that sets a property, an identify that
/// changes it (applied from the next event), the next event, and a `$setOnce` that does nothing.
@Suite("User tab")
struct UserTabTests {
    static let key = SampleTraffic.key
    static let t0 = SampleTraffic.t0

    static func event(_ type: String, _ extra: String, at i: Int64) -> Processed {
        UITest.processed("""
        {"api_key":"\(key)","events":[{"event_type":"\(type)","user_id":"user-00009","device_id":"device-0009","insert_id":"ins-9\(i)","time":\(t0 + i * 1000)\(extra)}]}
        """, receivedAt: t0 + i * 1000)
    }

    static func identify(_ ops: String, at i: Int64) -> Processed {
        let ident = #"[{"user_id":"user-00009","device_id":"device-0009","user_properties":"# + ops + "}]"
        return UITest.processed("api_key=\(key)&identification=" + FormEncoding.escape(ident), path: "/identify", receivedAt: t0 + i * 1000,
                                headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded")])
    }

    /// Captures 1…4, one event each.
    static var story: [Processed] {
        [event("Signed Up", #","user_properties":{"plan":"free"}"#, at: 1),
         identify(#"{"$set":{"plan":"pro"},"$setOnce":{"first_seen":"2026-12-01"}}"#, at: 2),
         event("Upgraded", "", at: 3),
         identify(#"{"$setOnce":{"plan":"enterprise"}}"#, at: 4)]
    }

    func make(_ size: Size = Size(cols: 160, rows: 45)) -> (UISession, MemoryStreamData, UITest.Host) {
        let r = UITest.session(Self.story, size: size)
        r.2.run(r.0.start())
        return r
    }

    func select(_ host: UITest.Host, capture: Int64) {
        host.press(.char("g"))
        for _ in 1..<capture { host.press(.char("j")) }
    }

    @Test("who the user is, the properties in effect, and the identify that set them")
    func propertiesInEffect() {
        let (s, _, host) = make()
        select(host, capture: 3)
        host.press(.char("6"))
        #expect(s.state.tab == .user)
        let screen = host.screen
        #expect(screen.contains("User 1 · user_id user-00009"))
        #expect(screen.contains("devices device-0009"))
        #expect(screen.contains("Properties in effect for this event (2)"))
        #expect(screen.contains(#"plan = "pro""#), "the identify before it applies to this event:\n\(screen)")
        #expect(screen.contains(#"first_seen = "2026-12-01""#))
        // The history of the property under the cursor (the first one, first_seen; then plan).
        host.press(.tab)
        let plan = s.state.userProperty == "plan" ? 0 : 1
        for _ in 0..<plan { host.press(.char("j")) }
        #expect(s.state.userProperty == "plan")
        #expect(host.screen.contains("History of plan (3 events)"))
    }

    @Test("an identify's changes apply from the next event; a $setOnce on a set property does nothing")
    func changesOfAnEvent() {
        let (_, _, host) = make()
        select(host, capture: 2)
        host.press(.char("6"))
        var screen = host.screen
        #expect(screen.contains("(an identify: it applies from the user's next event)"))
        #expect(screen.contains(#"~ plan  "free" → "pro""#), "\(screen)")
        #expect(screen.contains(#"+ first_seen  (missing) → "2026-12-01""#))
        #expect(screen.contains(#"plan = "free""#), "its own changes are not in effect for the identify itself")
        select(host, capture: 4)
        screen = host.screen
        #expect(screen.contains("· plan  stays \"pro\""), "\(screen)")
        #expect(screen.contains("no effect"))
    }

    @Test("enter walks back through the events that set the property under the cursor")
    func jumpToSetter() {
        let (s, _, host) = make()
        select(host, capture: 3)
        host.press(.char("6"))
        host.press(.tab)
        if s.state.userProperty != "plan" { host.press(.char("j")) }
        #expect(s.state.userProperty == "plan")
        host.press(.enter)
        #expect(s.state.selection == RowID(captureID: 2, index: 0), "the identify that set plan to pro")
        host.press(.enter)
        #expect(s.state.selection == RowID(captureID: 1, index: 0), "the event that set it first")
        host.press(.enter)
        #expect(s.state.selection == RowID(captureID: 1, index: 0))
        #expect(s.state.message?.text.contains("first to touch") == true)
    }

    @Test("screen for the guide: the User tab")
    func guideScreen() {
        let (_, _, host) = make(Size(cols: 120, rows: 32))
        select(host, capture: 3)
        host.press(.char("6"))
        Snapshot.check("user-tab-120x32", host.session.render())
    }

    @Test("u lists the users as Amplitude resolves them; enter filters the stream to one")
    func usersList() {
        let r = UITest.session(SampleTraffic.all + Self.story, size: Size(cols: 160, rows: 45))
        let (s, data, host) = r
        host.run(s.start())
        host.press(.char("u"))
        #expect(s.state.usersOpen)
        var screen = host.screen
        #expect(screen.contains("Users ·"))
        #expect(screen.contains("user-00009"))
        #expect(screen.contains("user-00004"))
        // user-00009 is the last user to appear; its row shows 4 events and 2 properties.
        host.press(.char("G"))
        screen = host.screen
        #expect(screen.contains("user-00009"))
        host.press(.enter)
        #expect(!s.state.usersOpen)
        #expect(s.state.view.filter.text == #"user="user-00009""#)
        #expect(data.rows(0..<data.count).allSatisfy { $0.event.userID == "user-00009" })
        #expect(data.count == 4)
        host.press(.char("u"))
        host.press(.char("q"))
        #expect(!s.state.usersOpen)
        #expect(!host.quit, "q closes the list, it does not quit")
    }

    @Test("profile.NAME and changed:NAME filter on the simulated profiles")
    func profileFilters() {
        let (s, data, host) = make()
        func filter(_ text: String) -> [Int64] {
            host.press(.char("f"))
            host.press(.ctrl("u"))
            host.type(text + "\n")
            #expect(s.state.prompt == nil, "filter '\(text)' was refused: \(String(describing: s.state.message))")
            return data.rows(0..<data.count).map(\.captureID)
        }
        // The identify (2) sets pro for later events; its own event still sees free.
        #expect(filter("profile.plan=pro") == [3, 4])
        #expect(filter("profile.plan:fre") == [1, 2], "properties sent on an event apply to it")
        #expect(filter("profile.first_seen") == [3, 4], "exists: set by the identify, in effect from the next event")
        #expect(filter("changed:plan") == [1, 2], "the $setOnce of event 4 changed nothing")
        #expect(filter("changed:first_seen or changed:nothing") == [2])
        #expect(filter("!changed:plan type:$identify") == [4])
    }
}
