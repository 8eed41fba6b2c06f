import AmpscopeCore
@testable import AmpscopeUI
import Testing

/// The copy (`y`) path with hostile keys and values: the copied text is the payload's (the user
/// asked for it; the terminal gets it base64-encoded in OSC 52), but the description shown in
/// the status line (`copied the value at /…`) must not carry a payload's escape sequences.
@Suite struct HostileCopyTests {
    static let hostileKey = "\\u001b]52;c;aGk=\\u0007\\u001b[2J\\u202Ekey"

    @Test func copyDescriptionsAreTerminalSafe() {
        let p = UITest.processed("""
        {"api_key":"0123456789abcdef0123456789abcdef","events":[
         {"event_type":"\\u001b]0;pwned\\u0007Hostile","user_id":"user-hostile-1","insert_id":"ins-h1","time":1763800002000,
          "event_properties":{"\(Self.hostileKey)":"\\u001b[31mred\\u009b2J\\u202Etxt","b":1}}
        ]}
        """)
        let (session, _, host) = UITest.session([p], size: Size(cols: 120, rows: 40))
        host.press(.enter)
        host.press(.char("1"))
        var whats: [String] = []
        var texts: [String] = []
        for _ in 0..<14 {
            for e in session.press(.char("y")) {
                if case .copy(let text, let what) = e { whats.append(what); texts.append(text) }
            }
            host.send(.message("", isError: false))
            host.press(.char("j"))
        }
        #expect(!whats.isEmpty, "y copied nothing")
        for w in whats {
            #expect(!w.unicodeScalars.contains { Sanitize.isUnsafe($0.value) }, "copy description carries an unsafe character: \(Sanitize.visible(w))")
        }
        #expect(whats.contains { $0.contains("\\u001b]52") }, "the hostile key's pointer is described (escaped): \(whats.map(Sanitize.visible))")
        #expect(texts.contains { $0.contains("red") }, "the hostile value itself is copied: \(texts.map(Sanitize.visible))")
        let screen = host.screen
        #expect(!screen.unicodeScalars.contains { Sanitize.isUnsafe($0.value) && $0 != "\n" }, "the screen after copying: \(Sanitize.visible(screen))")
    }
}
