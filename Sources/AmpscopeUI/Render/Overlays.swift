import AmpscopeCore

/// The help and setup overlays.
enum Overlays {
    static func frame(_ b: inout ScreenBuffer, _ s: AppState, width: Int, title: String) -> Rect {
        let w = min(s.size.cols - 2, width)
        let h = max(3, s.size.rows - 2)
        let r = Rect(x: (s.size.cols - w) / 2, y: 1, width: w, height: h)
        b.fill(r, role: .overlay)
        b.box(r, role: .overlayBorder, title: title, titleRole: .overlayTitle)
        return r.inset(1)
    }

    static func scrolled(_ b: inout ScreenBuffer, _ rows: [[Segment]], in r: Rect, scroll: Int, footer: String) {
        let h = r.height - 1
        let maxScroll = max(0, rows.count - h)
        let top = min(scroll, maxScroll)
        for i in 0..<max(0, h) {
            guard let row = rows[safe: top + i] else { break }
            b.draw(row, x: r.x + 1, y: r.y + i, maxX: r.maxX - 1)
        }
        let more = rows.count > h ? " (\(top + 1)-\(min(rows.count, top + h)) of \(rows.count), j/k scroll)" : ""
        b.draw(footer + more, x: r.x + 1, y: r.maxY - 1, maxX: r.maxX - 1, role: .overlayTitle)
    }

    static func help(_ b: inout ScreenBuffer, _ s: AppState) {
        let r = frame(&b, s, width: 96, title: "Keys")
        var rows: [[Segment]] = []
        let keyW = 22
        for (ctx, entries) in s.keys.helpSections() where ctx != .help {
            rows.append([Segment(ctx.title, .overlayTitle)])
            for e in entries {
                rows.append([Segment("  " + TextLayout.pad(e.keys, keyW), .overlayKey), Segment(e.help, .overlay)])
            }
            rows.append([])
        }
        rows.append([Segment("Commands (type : then a command)", .overlayTitle)])
        for c in PromptCommands.all {
            rows.append([Segment("  " + TextLayout.pad(":" + c.name + (c.argument.isEmpty ? "" : " " + c.argument), keyW), .overlayKey),
                         Segment(c.help, .overlay)])
        }
        rows.append([])
        rows.append([Segment("Filters: type:Foo user:bob status:4xx severity:error rule:id-too-short prop.plan=pro", .overlay)])
        rows.append([Segment("         !, and, or, ( ), \"quoted text\", ~regex, < >; bare words search the text", .overlay)])
        rows.append([Segment("SDK log: sdk:track fate:rejected has:debug has:call has:sdkwarn !has:wire (Docs/debug.md)", .overlay)])
        scrolled(&b, rows.flatMap { InspectorContent.wrapSegments($0, width: max(10, r.width - 2)) }, in: r, scroll: s.overlayScroll,
                 footer: "q or esc closes")
    }

    static func setup(_ b: inout ScreenBuffer, _ s: AppState) {
        let r = frame(&b, s, width: 100, title: "Point an SDK at ampscope")
        let base = s.config.proxyAddress ?? "127.0.0.1:8787"
        let url = "http://\(base)/2/httpapi"
        var rows: [[Segment]] = []
        func t(_ x: String, _ role: StyleRole = .overlay) { rows.append([Segment(x, role)]) }
        if s.config.proxyAddress == nil {
            t("No proxy is listening in this session; start ampscope without files to capture live traffic.", .messageError)
            rows.append([])
        }
        t("ampscope answers like Amplitude; nothing leaves this machine unless you forward.")
        rows.append([])
        if !s.config.lanAddresses.isEmpty {
            let port = base.split(separator: ":").last.map(String.init) ?? "8787"
            t("From a phone or another machine on this network", .overlayTitle)
            for a in s.config.lanAddresses.prefix(4) {
                t("  server URL http://\(a):\(port)/2/httpapi · Wi-Fi proxy \(a) port \(port)", .overlayKey)
            }
            t("  WARNING: anyone on the network can send to it; captured data and keys sit on this machine.", .messageError)
            t("  ampscope's own /ampscope/* endpoints need the token printed at start (Docs/proxy.md).", .messageError)
            rows.append([])
        }
        t("Browser SDK (@amplitude/analytics-browser)", .overlayTitle)
        t("  amplitude.init(API_KEY, { serverUrl: '\(url)' });", .overlayKey)
        t("Node SDK (@amplitude/analytics-node)", .overlayTitle)
        t("  init(API_KEY, { serverUrl: '\(url)' });", .overlayKey)
        t("Python SDK (amplitude-analytics)", .overlayTitle)
        t("  from amplitude import Amplitude, Config", .overlayKey)
        t("  client = Amplitude(API_KEY, Config(server_url='\(url)'))", .overlayKey)
        t("amplitude-js 8.x (legacy browser SDK)", .overlayTitle)
        t("  amplitude.getInstance().init(API_KEY, null, { apiEndpoint: '\(base)', forceHttps: false });", .overlayKey)
        t("npm package \"amplitude\" (Node)", .overlayTitle)
        t("  new Amplitude(API_KEY, { tokenEndpoint: 'http://\(base)' })", .overlayKey)
        t("  or set AMPLITUDE_TOKEN_ENDPOINT=http://\(base)", .overlayKey)
        rows.append([])
        t("The batch endpoint works too: http://\(base)/batch (useBatch / use_batch).")
        rows.append([])
        t("Without changing the app: the same address is an HTTPS proxy", .overlayTitle)
        t("  HTTPS_PROXY=http://\(base), or the system / Wi-Fi proxy (phones: the LAN address)", .overlayKey)
        t("  then trust ampscope's CA: `ampscope ca show` says how per platform (Docs/capture.md)", .overlayKey)
        rows.append([])
        t("Segment libraries (Tracking API; each call is shown with what Amplitude receives, tab 5)", .overlayTitle)
        t("  analytics.js / analytics-next:", .overlayTitle)
        t("  analytics.load(WRITE_KEY, { integrations: { 'Segment.io': { apiHost: '\(base)/v1', protocol: 'http' } } })", .overlayKey)
        t("  analytics-node:  new Analytics({ writeKey: WRITE_KEY, host: 'http://\(base)' })", .overlayKey)
        t("  analytics-python:  analytics.write_key = WRITE_KEY; analytics.host = 'http://\(base)'", .overlayKey)
        t("  analytics-swift / analytics-kotlin / React Native:  apiHost = '\(base)/v1'", .overlayKey)
        t("  (mobile apps refuse plain http to anything but localhost: allow cleartext traffic in a debug build)")
        t("Mapped through Amplitude (Actions) by default; --segment-destination classic|both and --segment-settings FILE change it.")
        scrolled(&b, rows.flatMap { InspectorContent.wrapSegments($0, width: max(10, r.width - 2)) }, in: r, scroll: s.overlayScroll,
                 footer: "q or esc closes")
    }
}
