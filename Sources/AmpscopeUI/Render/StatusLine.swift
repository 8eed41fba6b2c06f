import AmpscopeCore

/// The status bar (totals, mode, filter, proxy and store) and the hint line below it.
enum StatusLine {
    static func draw(_ b: inout ScreenBuffer, _ s: AppState, _ data: any StreamData, _ layout: Layout) {
        let r = layout.status
        b.fill(r, role: .statusBar)
        let t = data.totals
        var left: [Segment] = [
            Segment(" " + TextLayout.grouped(t.events), .statusCount), Segment(t.events == 1 ? " event " : " events ", .statusBar),
            Segment("✖ " + TextLayout.grouped(t.eventsWithErrors), t.eventsWithErrors > 0 ? .statusCount : .statusBar),
            Segment(" ▲ " + TextLayout.grouped(t.eventsWithWarnings) + " ", .statusBar),
        ]
        if s.following {
            left.append(Segment(" FOLLOW ", .statusFollow))
        } else {
            var p = " PAUSED "
            if let at = s.pausedAtEvents, t.events > at { p = " PAUSED +\(TextLayout.grouped(t.events - at)) new " }
            left.append(Segment(p, .statusPaused))
        }
        if !s.view.filter.isEmpty {
            left.append(Segment(" filter: ", .statusBar))
            left.append(Segment(Sanitize.inline(s.view.filter.text, limit: 60), .statusFilter))
        }
        if s.view.markedOnly { left.append(Segment(" marked only", .statusFilter)) }
        if !s.marks.isEmpty { left.append(Segment(" ● \(s.marks.count)", .statusBar)) }
        if let search = s.search { left.append(Segment(" /" + Sanitize.inline(search.text, limit: 30), .statusBar)) }
        if let dbg = s.debug, dbg.hasRecords {
            let rows = dbg.sdkRows.count
            left.append(Segment(s.streamMode == .calls ? " SDK CALLS " : " ", s.streamMode == .calls ? .statusFollow : .statusBar))
            if s.streamMode == .events && rows > 0 {
                left.append(Segment("SDK \(TextLayout.grouped(rows)) row\(rows == 1 ? "" : "s") (v)", .statusBar))
            } else if s.streamMode == .events {
                left.append(Segment("SDK log open (v)", .statusBar))
            }
        }
        let leftEnd = b.draw(left, x: r.x, y: r.y, maxX: r.maxX)
        // Right side: proxy and store, dropping the proxy first and shortening the path from the left.
        let store = "store " + (s.config.storePath ?? "in memory")
        var choices: [String] = []
        if let p = s.config.proxyAddress { choices.append("proxy \(p) · \(store) ") }
        choices.append(store + " ")
        let room = r.maxX - leftEnd - 2
        if let fit = choices.first(where: { DisplayWidth.of($0) <= room }) {
            b.draw(fit, x: r.maxX - DisplayWidth.of(fit), y: r.y, maxX: r.maxX, role: .statusBar)
        } else if room >= 16 {
            let text = Sanitize.inlineTail(store, limit: room - 1) + " "
            b.draw(text, x: r.maxX - DisplayWidth.of(text), y: r.y, maxX: r.maxX, role: .statusBar)
        }
        bottom(&b, s, layout)
    }

    static func bottom(_ b: inout ScreenBuffer, _ s: AppState, _ layout: Layout) {
        let r = layout.bottom
        b.fill(r, role: .text)
        if let p = s.prompt {
            let leader = p.kind.leader
            let text = p.string
            // Scroll the input so the cursor stays visible.
            let leaderW = DisplayWidth.of(leader)
            let avail = max(4, r.width - leaderW - 1)
            let beforeCursor = String(String.UnicodeScalarView(p.text[..<p.cursor]))
            let cw = DisplayWidth.of(beforeCursor)
            let skip = max(0, cw - avail + 1)
            b.draw(leader, x: r.x, y: r.y, maxX: r.maxX, role: .prompt)
            b.draw(text, x: r.x + leaderW, y: r.y, maxX: r.maxX, role: .prompt, skip: skip)
            let cx = r.x + leaderW + cw - skip
            if cx < r.maxX {
                let under = cx < b.size.cols ? b[cx, r.y] : Cell.blank
                b.put(Glyph(under.width == 0 || under.text.isEmpty ? " " : under.text, width: max(1, Int(under.width))),
                      x: cx, y: r.y, role: .listSelected)
            }
            if let e = p.error {
                // Underline the bad part and say why, on the status row.
                let pre = String(String.UnicodeScalarView(p.text.prefix(e.position)))
                let ex = r.x + leaderW + DisplayWidth.of(pre) - skip
                let bad = String(String.UnicodeScalarView(p.text.dropFirst(e.position).prefix(e.length)))
                if ex >= r.x + leaderW && ex < r.maxX && !bad.isEmpty {
                    b.draw(bad, x: ex, y: r.y, maxX: r.maxX, role: .promptError)
                }
                let st = layout.status
                b.fill(st, role: .statusBar)
                let arrowX = max(st.x, min(st.maxX - 1, ex))
                let msg = e.message
                if arrowX + 2 + DisplayWidth.of(msg) <= st.maxX {
                    b.draw("^ " + msg, x: arrowX, y: st.y, maxX: st.maxX, role: .messageError)
                } else {
                    b.draw(" column \(e.position + 1): " + msg, x: st.x, y: st.y, maxX: st.maxX, role: .messageError)
                }
            } else if p.kind == .filter, let f = try? Filter(text), f.mayNeedPayload {
                let st = layout.status
                b.fill(st, role: .statusBar)
                b.draw(" reads payloads: enter applies it", x: st.x, y: st.y, maxX: st.maxX, role: .statusBar)
            }
            return
        }
        if let m = s.message {
            b.draw(" " + m.text, x: r.x, y: r.y, maxX: r.maxX, role: m.isError ? .messageError : .message)
            return
        }
        hints(&b, s, r)
    }

    static func hints(_ b: inout ScreenBuffer, _ s: AppState, _ r: Rect) {
        let ctx = s.keyContexts
        var cmds: [Command]
        switch s.focus {
        case .stream:
            cmds = [.help, .open, .filter, .search, .nextError, s.following ? .pause : .follow]
            if s.debug != nil { cmds += [.sdkCalls, .jump] }
            cmds += [.mark, .copy, .command, .back]
        case .inspector:
            switch s.tab {
            case .payload: cmds = [.help, .nextTab, .toggleFold, .wrap, .scope, .search, .copy, .nextError, .back]
            case .findings: cmds = [.help, .nextTab, .toggleFold, .copy, .nextError, .back]
            case .request: cmds = [.help, .nextTab, .raw, .wrap, .copy, .back]
            case .debug: cmds = [.help, .nextTab, .jump, .sdkCalls, .copy, .back]
            case .mapping: cmds = [.help, .nextTab, .switchDestination, .foldSegment, .copy, .back]
            case .user: cmds = [.help, .nextTab, .toggleFold, .copy, .back]
            case .diff: cmds = [.help, .nextTab, .volatile, .mark, .copy, .back]
            }
        }
        var segs: [Segment] = []
        for c in cmds {
            guard let k = s.keys.key(for: c, in: ctx) else { continue }
            var label = c.hint
            if c == .toggleFold && s.tab == .findings { label = "go to path" }
            if c == .toggleFold && s.tab == .user { label = "go to setter" }
            if c == .back { label = s.focus == .stream ? "quit" : "back" }
            if c == .sdkCalls && s.streamMode == .calls { label = "wire events" }
            segs.append(Segment(" " + k.description, .hintKey))
            segs.append(Segment(" " + label + " ", .hintText))
        }
        var x = r.x
        for i in stride(from: 0, to: segs.count, by: 2) {
            let w = DisplayWidth.of(segs[i].text) + DisplayWidth.of(segs[i + 1].text)
            guard x + w <= r.maxX else { break }
            x = b.draw([segs[i], segs[i + 1]], x: x, y: r.y, maxX: r.maxX)
        }
    }
}
