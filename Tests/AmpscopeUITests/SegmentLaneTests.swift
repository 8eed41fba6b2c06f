import AmpscopeCore
import Testing
@testable import AmpscopeUI

/// The Segment lane in the UI: a Segment call's row with the Amplitude records each destination
/// sends under it, the fold key, the Mapping tab and its destination switch, and the filters.
@Suite("Segment lane in the UI")
struct SegmentLaneTests {
    static let writeKey = "wk_0123456789abcdef"

    /// One Segment batch: a track (Order Completed), a page, and an identify whose userId is too
    /// short for Amplitude (the mapped `$identify` gets `id-too-short`); mapped through both destinations.
    static var segmentBatch: Processed {
        let ts = "2026-12-05T21:00:00.000Z"
        let body = """
        {"batch":[
         {"type":"track","event":"Order Completed","userId":"user-00001","anonymousId":"anon-00001","messageId":"m-1","timestamp":"\(ts)",
          "properties":{"order_id":"o-1","total":30}},
         {"type":"page","name":"Home","userId":"user-00001","anonymousId":"anon-00001","messageId":"m-2","timestamp":"\(ts)"},
         {"type":"identify","userId":"u1","anonymousId":"anon-00001","messageId":"m-3","timestamp":"\(ts)","traits":{"plan":"pro"}}
        ],"writeKey":"\(writeKey)"}
        """
        var c = Capture(receivedAt: SampleTraffic.t0 + 5000, source: .proxy, path: "/v1/batch",
                        headers: [HTTPHeader("Content-Type", "application/json")], body: Array(body.utf8))
        c.client = "127.0.0.1:50123"
        var ingest = Ingest()
        var settings = SegmentSettings()
        settings.destinations = [.actions, .classic]
        ingest.segmentSettings = settings
        var ctx = ValidationContext(settings: ValidationSettings())
        return ingest.process(c, context: &ctx, now: c.receivedAt)
    }

    func make(_ size: Size = Size(cols: 160, rows: 45)) -> (UISession, MemoryStreamData, UITest.Host) {
        let r = UITest.session([SampleTraffic.batch, Self.segmentBatch], size: size)
        r.2.run(r.0.start())
        return r
    }

    func rows(_ data: MemoryStreamData) -> [StreamRow] { data.rows(0..<data.count) }

    func select(_ host: UITest.Host, _ data: MemoryStreamData, where test: (StreamRow) -> Bool) {
        guard let p = (0..<data.count).first(where: { data.row(at: $0).map(test) ?? false }) else {
            Issue.record("no row matches")
            return
        }
        host.press(.char("g"))
        for _ in 0..<p { host.press(.char("j")) }
    }

    @Test("each call's row is followed by the records each destination sends for it; a counts them into the call's row and back")
    func rowsAndFold() {
        let (s, data, host) = make()
        let seg = rows(data).filter { $0.captureID == 2 }
        // Calls 0, 1, 2, each followed by its Actions records, then its classic ones.
        #expect(seg.map { $0.event.index } == [0, 0, 0, 1, 1, 1, 2, 2, 2])
        #expect(seg.map { $0.event.mapped?.destination } == [nil, .actions, .classic, nil, .actions, .classic, nil, .actions, .classic])
        #expect(seg[1].endpoint == .httpV2 && seg[1].event.eventType == "Order Completed")
        #expect(seg[2].endpoint == .httpV1, "the classic destination posts to the V1 HTTP API")
        #expect(seg[7].endpoint == .identify && seg[7].event.eventType == "$identify")
        #expect(seg[7].event.rules.contains("id-too-short"))
        // The identify call's row counts its mapped records' findings.
        #expect(seg[6].event.rules.contains("id-too-short"))
        #expect(seg[6].event.counts.errors >= 1)
        #expect(data.totals.events == 6, "mapped rows are not counted as events: 3 Amplitude events + 3 Segment calls")
        host.press(.char("g"))
        for _ in 0..<4 { host.press(.char("j")) }  // onto the track call's Actions row
        #expect(host.screen.contains("↳ Order Completed"))
        #expect(host.screen.contains("↳ classic: Order Completed"))
        // Fold: only the calls' rows stay.
        host.press(.char("a"))
        #expect(s.state.view.hideMapped)
        #expect(rows(data).filter { $0.captureID == 2 }.map(\.event.index) == [0, 1, 2])
        #expect(!host.screen.contains("↳ Order Completed"))
        host.press(.char("a"))
        #expect(rows(data).filter { $0.captureID == 2 }.count == 9)
    }

    @Test("a mapped row's Payload, Findings and Request tabs show the Amplitude request its destination sends")
    func mappedRowInspector() {
        let (s, data, host) = make()
        select(host, data) { $0.captureID == 2 && $0.event.index == 2 && $0.event.mapped?.destination == .actions }
        #expect(s.state.selection == RowID(captureID: 2, index: 2, sub: 1))
        host.press(.enter)
        host.press(.char("1"))
        #expect(host.screen.contains("\"user_id\"") || host.screen.contains("user_id"))
        #expect(host.screen.contains("$set") || host.screen.contains("user_properties"))
        host.press(.char("2"))
        #expect(host.screen.contains("id-too-short"))
        host.press(.char("3"))
        #expect(host.screen.contains("POST /identify"))
        // The Segment call's own row shows the Segment request.
        host.press(.tab)
        host.press(.char("k"))
        #expect(s.state.selection == RowID(captureID: 2, index: 2))
        #expect(host.screen.contains("/v1/batch"))
    }

    @Test("the Mapping tab shows field by field what Amplitude receives, and t switches destination")
    func mappingTab() {
        let (s, data, host) = make()
        select(host, data) { $0.captureID == 2 && $0.event.index == 0 && $0.event.mapped == nil }
        host.press(.char("5"))
        #expect(s.state.tab == .mapping)
        var screen = host.screen
        #expect(screen.contains("track Order Completed → Amplitude (Actions)"))
        #expect(screen.contains("Log Event V2") || screen.contains("Log Purchase"))
        #expect(screen.contains("/events/0/event_type"))
        #expect(screen.contains("← /batch/0/event"))
        #expect(screen.contains("https://api2.amplitude.com/2/httpapi"))
        host.press(.tab)
        host.press(.char("t"))
        #expect(s.state.mappingDestination == .classic)
        screen = host.screen
        #expect(screen.contains("→ Amplitude (classic)"))
        #expect(screen.contains("classic track"))
        #expect(screen.contains("/httpapi"))
        // The identify call through Actions: its finding names the destination.
        host.press(.char("t"))
        host.press(.tab)
        select(host, data) { $0.captureID == 2 && $0.event.index == 2 && $0.event.mapped == nil }
        #expect(host.screen.contains("Identify User"))
        #expect(host.screen.contains("id-too-short"))
        // An Amplitude request has nothing to map.
        host.press(.char("g"))
        #expect(host.screen.contains("nothing is mapped"))
    }

    @Test("segment: and dest: filters, and every other term on the mapped rows")
    func filters() {
        let (s, data, host) = make()
        func filter(_ text: String) -> [StreamRow] {
            host.press(.char("f"))
            host.press(.ctrl("u"))
            host.type(text + "\n")
            #expect(s.state.prompt == nil, "filter '\(text)' was refused: \(String(describing: s.state.message))")
            return rows(data)
        }
        #expect(filter("segment:track").map { RowID($0) } == [RowID(captureID: 2, index: 0), RowID(captureID: 2, index: 0, sub: 1),
                                                             RowID(captureID: 2, index: 0, sub: MappedRowTag(destination: .classic, ordinal: 0, callType: .track, endpoint: .httpV1, status: 200).sub)])
        #expect(filter("dest:classic").allSatisfy { $0.event.mapped?.destination == .classic })
        #expect(filter("dest:classic").count == 3)
        // `type:` reads the call's label too ("track Order Completed"); `type=` only the Amplitude event type.
        #expect(filter("type:\"Order Completed\"").count == 3)
        #expect(filter("type=\"Order Completed\"").map { $0.event.mapped?.destination } == [.actions, .classic])
        #expect(filter("endpoint=/identify").map { $0.event.mapped?.destination } == [.actions, .classic])
        #expect(filter("rule:id-too-short segment:identify").count == 3, "the call's row and both destinations' identify")
        #expect(filter("rule:id-too-short dest:actions").map { $0.event.eventType } == ["$identify"])
        #expect(filter("prop.order_id:o-1").allSatisfy { $0.captureID == 2 })
        host.press(.char("f"))
        host.press(.ctrl("u"))
        host.type("segment:nope\n")
        #expect(s.state.prompt != nil, "an unknown call type is refused")
    }

    @Test("screens for the guide: a Segment call with its mapped rows, and its Mapping tab")
    func guideScreens() {
        let (_, data, host) = make(Size(cols: 120, rows: 32))
        select(host, data) { $0.captureID == 2 && $0.event.index == 0 && $0.event.mapped == nil }
        host.press(.char("5"))
        Snapshot.check("segment-mapping-120x32", host.session.render())
    }
}

/// The setup screen when the proxy listens beyond loopback: the LAN address to type on a phone,
/// and the warning.
@Suite("Setup screen beyond loopback")
struct SetupLANTests {
    @Test func lanAddressAndWarning() {
        var config = UIConfig(proxyAddress: "0.0.0.0:8787")
        config.lanAddresses = ["192.168.1.23"]
        let (s, _, host) = UITest.session([], size: Size(cols: 130, rows: 60), config: config)
        host.run(s.start())
        host.press(.char("s"))
        let screen = host.screen
        #expect(screen.contains("server URL http://192.168.1.23:8787/2/httpapi"), "\(screen)")
        #expect(screen.contains("Wi-Fi proxy 192.168.1.23 port 8787"))
        #expect(screen.contains("WARNING: anyone on the network can send to it"))
        let (s2, _, host2) = UITest.session([], size: Size(cols: 130, rows: 60))
        host2.run(s2.start())
        host2.press(.char("s"))
        #expect(!host2.screen.contains("WARNING: anyone on the network"), "not on loopback")
    }
}
