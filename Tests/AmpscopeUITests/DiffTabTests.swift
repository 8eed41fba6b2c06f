import AmpscopeCore
import Testing
@testable import AmpscopeUI

/// The Diff tab: the selected event against the previous one of its type and user, or the two
/// marked events; volatile fields dimmed, or hidden with x.
@Suite("Diff tab")
struct DiffTabTests {
    static func page(_ path: String, insert: String, at i: Int64, extra: String = "") -> Processed {
        UITest.processed("""
        {"api_key":"\(SampleTraffic.key)","events":[{"event_type":"Page Viewed","user_id":"user-00007","insert_id":"\(insert)","time":\(SampleTraffic.t0 + i),
         "event_properties":{"page":"\(path)","tags":["a","b"]\(extra)}}]}
        """, receivedAt: SampleTraffic.t0 + i)
    }

    func make() -> (UISession, MemoryStreamData, UITest.Host) {
        let traffic = [Self.page("/home", insert: "i-1", at: 1000), SampleTraffic.identify,
                       Self.page("/pricing", insert: "i-2", at: 2000, extra: #","plan":"pro""#)]
        let r = UITest.session(traffic, size: Size(cols: 160, rows: 45))
        r.2.run(r.0.start())
        return r
    }

    @Test("the structural diff: changed, added and same values; volatile fields dimmed or hidden")
    func previousOfTheSameTypeAndUser() {
        let (s, _, host) = make()
        host.press(.char("G"))
        host.press(.char("7"))
        #expect(s.state.tab == .diff)
        #expect(s.state.diffPair == DiffPair(base: RowID(captureID: 1, index: 0), other: RowID(captureID: 3, index: 0), marked: false))
        var screen = host.screen
        #expect(screen.contains("2 differences outside volatile fields"), "\(screen)")
        #expect(DiffContent.context(s.state.diffPair, s.state.diffSubject.flatMap(DiffContent.diff), hideVolatile: false)
            .contains("2 differences outside volatile fields, 2 in them"))
        #expect(screen.contains(#"~ page: "/home" → "/pricing""#), "\(screen)")
        #expect(screen.contains(#"+ plan: "pro""#), "\(screen)")
        #expect(screen.contains(#"~ insert_id: "i-1" → "i-2""#), "volatile fields are listed, dimmed:\n\(screen)")
        #expect(screen.contains(#"1: "b""#), "unchanged array items are shown")
        host.press(.tab)
        host.press(.char("x"))
        screen = host.screen
        #expect(!screen.contains("insert_id"), "x hides the volatile fields")
        #expect(screen.contains(#"~ page: "/home" → "/pricing""#))
    }

    @Test("two marked events are compared, whatever their types")
    func markedPair() {
        let (s, _, host) = make()
        host.press(.char("g"))
        host.press(.char("m"))
        host.press(.char("j"))
        host.press(.char("m"))
        host.press(.char("7"))
        #expect(s.state.diffPair?.marked == true)
        #expect(s.state.diffPair?.base == RowID(captureID: 1, index: 0))
        #expect(s.state.diffPair?.other == RowID(captureID: 2, index: 0))
        let screen = host.screen
        #expect(screen.contains("(marked)"))
        #expect(screen.contains("- event_type") || screen.contains("~ event_type") || screen.contains("- event_properties"), "\(screen)")
    }
}
