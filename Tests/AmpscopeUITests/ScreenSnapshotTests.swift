import Foundation
import AmpscopeCore
import Testing
@testable import AmpscopeUI

/// Whole screens at fixed sizes, compared with text files in `__Snapshots__/`.
/// `AMPSCOPE_RECORD_SNAPSHOTS=1 swift test ... --filter ScreenSnapshotTests` rewrites them.
@Suite("Screen snapshots")
struct ScreenSnapshotTests {
    static let small = Size(cols: 80, rows: 24)
    static let medium = Size(cols: 120, rows: 40)
    static let large = Size(cols: 200, rows: 50)

    func host(_ size: Size, _ traffic: [Processed] = SampleTraffic.all, config: UIConfig = UIConfig(storePath: "/tmp/ampscope/s.sqlite")) -> UITest.Host {
        let (s, _, h) = UITest.session(traffic, size: size, config: config)
        h.run(s.start())
        return h
    }

    @Test("empty store: how to get events in", arguments: [small, large])
    func empty(_ size: Size) {
        let h = host(size, [])
        Snapshot.check("empty-\(size)", h.session.render(), styles: size == Self.small)
    }

    @Test("stream and payload", arguments: [small, medium, large])
    func streamPayload(_ size: Size) {
        let h = host(size)
        h.press(.char("g"))
        Snapshot.check("stream-payload-\(size)", h.session.render(), styles: size == Self.small)
    }

    @Test("payload with the cursor inside, a long string elided, then wrapped")
    func payloadWrap() {
        let h = host(Self.small)
        h.press(.char("g"))
        h.press(.enter)
        h.press(.char("z"))  // zoom the inspector
        for _ in 0..<8 { h.press(.char("j")) }
        Snapshot.check("payload-elided-\(Self.small)", h.session.render())
        h.press(.char("w"))
        Snapshot.check("payload-wrapped-\(Self.small)", h.session.render())
    }

    @Test("findings of the short-id event, then the jump to its path", arguments: [small, medium])
    func findings(_ size: Size) {
        let h = host(size)
        h.press(.char("g"))
        h.press(.char("e"))
        h.press(.char("2"))
        h.press(.tab)
        Snapshot.check("findings-\(size)", h.session.render(), styles: size == Self.medium)
        h.press(.enter)
        Snapshot.check("finding-jump-\(size)", h.session.render())
    }

    @Test("request tab: headers, pretty body, emulated and real answers", arguments: [small, large])
    func request(_ size: Size) {
        let h = host(size)
        h.press(.char("G"))
        h.press(.char("k"))   // the hostile event, forwarded with a real answer
        h.press(.char("3"))
        h.press(.tab)
        if size == Self.small { h.press(.char("z")) }
        Snapshot.check("request-\(size)", h.session.render())
    }

    @Test("request tab raw: an identify form upload", arguments: [small])
    func requestRaw(_ size: Size) {
        let h = host(size)
        h.press(.char("g"))
        for _ in 0..<3 { h.press(.char("j")) }
        h.press(.char("3"))
        h.press(.tab)
        h.press(.char("r"))
        Snapshot.check("request-raw-\(size)", h.session.render())
    }

    @Test("hostile strings stay in their cells", arguments: [small, large])
    func hostile(_ size: Size) {
        let h = host(size)
        h.press(.char("G"))
        h.press(.char("k"))
        Snapshot.check("hostile-\(size)", h.session.render(), styles: size == Self.small)
    }

    @Test("help and setup overlays")
    func overlays() {
        let h = host(Self.small)
        h.press(.char("?"))
        Snapshot.check("help-\(Self.small)", h.session.render())
        h.press(.char("q"))
        h.press(.char("s"))
        Snapshot.check("setup-\(Self.medium)", { h.send(.input(.resize(Self.medium))); return h.session.render() }())
    }

    @Test("a bad filter points at the problem")
    func filterError() {
        let h = host(Self.small)
        h.press(.char("f"))
        h.type("type:page and (user:bob or tpye:x)")
        Snapshot.check("filter-error-\(Self.small)", h.session.render(), styles: true)
    }

    @Test("a filter that matches nothing, marked-only without marks")
    func emptyViews() {
        let h = host(Self.small)
        h.press(.char("f"))
        h.type("type:nothing-like-this\n")
        Snapshot.check("filter-no-match-\(Self.small)", h.session.render())
        h.press(.char(":"))
        h.type("filter\n")
        h.press(.char("M"))
        Snapshot.check("marked-none-\(Self.small)", h.session.render())
    }

    @Test("debug tab without an SDK log, and a terminal that is too small")
    func debugAndTiny() {
        let h = host(Self.small)
        h.press(.char("4"))
        Snapshot.check("debug-\(Self.small)", h.session.render())
        h.send(.input(.resize(Size(cols: 25, rows: 6))))
        Snapshot.check("too-small-25x6", h.session.render())
    }

    @Test("API keys are masked unless --no-redact")
    func redaction() {
        let h = host(Self.large)
        h.press(.char("g"))
        h.press(.char("3"))
        let masked = h.session.render().text
        #expect(masked.contains("0123************************cdef"))
        #expect(!masked.contains(SampleTraffic.key))
        let open = host(Self.large, config: UIConfig(redact: false))
        open.press(.char("g"))
        open.press(.char("3"))
        #expect(open.session.render().text.contains(SampleTraffic.key))
    }

    @Test("invalid UTF-8 in a body is shown as \\xNN in the request view")
    func invalidUTF8() {
        var c = Capture(receivedAt: SampleTraffic.t0, source: .proxy, path: "/2/httpapi",
                        headers: [HTTPHeader("Content-Type", "application/json")],
                        body: Array(#"{"api_key":"k","events":[{"event_type":"bad "#.utf8) + [0xFF, 0xFE, 0x1B] + Array(#"[2J","user_id":"user-1"}]}"#.utf8))
        c.client = "127.0.0.1:1"
        var ctx = ValidationContext(settings: ValidationSettings())
        let p = Ingest().process(c, context: &ctx, now: SampleTraffic.t0)
        let h = host(Self.small, [p])
        h.press(.char("3"))
        h.press(.tab)
        h.press(.char("z"))
        for _ in 0..<12 { h.press(.char("j")) }
        var screen = h.session.render().text
        #expect(screen.contains("\\xFF\\xFE\\u001b[2J"), "\(screen)")
        h.press(.char("r"))
        screen = h.session.render().text
        #expect(screen.contains("\\xFF\\xFE\\u001b[2J"), "\(screen)")
        #expect(h.session.render().isConsistent)
    }

    @Test("every screen shown in Docs/guide.md is a current snapshot")
    func guideScreens() throws {
        let guide = try String(contentsOf: UITest.repoRoot.appendingPathComponent("Docs/guide.md"), encoding: .utf8)
        let snaps = try FileManager.default.contentsOfDirectory(atPath: UITest.snapshotsDir.path).map { name -> String in
            let t = (try? String(contentsOf: UITest.snapshotsDir.appendingPathComponent(name), encoding: .utf8)) ?? ""
            let text = t.components(separatedBy: "\n# style runs")[0]
            return text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
        }
        let blocks = guide.components(separatedBy: "```\n").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        let screens = blocks.filter { $0.hasPrefix(" ampscope ") }
        #expect(screens.count >= 12)
        for screen in screens {
            #expect(snaps.contains { $0.trimmed("\n") == screen.trimmed("\n") },
                    "a screen in Docs/guide.md is not a current snapshot (copy the new one from __Snapshots__): \(screen.prefix(120))")
        }
    }

    @Test("every screen at every size keeps the grid consistent and free of control characters")
    func everyScreen() {
        for size in [Self.small, Self.medium, Self.large, Size(cols: 30, rows: 8), Size(cols: 131, rows: 12)] {
            let h = host(size)
            let keys: [Key] = [.char("g"), .char("j"), .char("j"), .char("j"), .char("j"), .enter, .char("w"), .char("1"), .char("2"),
                               .char("3"), .char("r"), .char("l"), .char("4"), .tab, .char("?"), .char("j"), .escape, .char("s"),
                               .escape, .char("z"), .char("p"), .char("1")]
            for k in keys {
                h.press(k)
                let b = h.session.render()
                #expect(b.isConsistent)
                for y in 0..<size.rows {
                    #expect(b.printedWidth(y) == size.cols)
                    #expect(!b.line(y).unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || (0x202A...0x202E).contains($0.value) })
                }
            }
        }
    }
}
