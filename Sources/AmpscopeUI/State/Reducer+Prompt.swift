import AmpscopeCore

/// The `/`, `f` and `:` prompts and the `:` commands.
extension Reducer {
    static func promptKey(_ s: inout AppState, _ k: Key, _ data: any StreamData, _ fx: inout [Effect]) {
        guard var p = s.prompt else { return }
        var edited = false
        switch k {
        case .char(let c):
            p.text.insert(c, at: p.cursor)
            p.cursor += 1
            edited = true
        case .backspace, .ctrl("h"):
            if p.cursor > 0 {
                p.text.remove(at: p.cursor - 1)
                p.cursor -= 1
                edited = true
            } else if p.text.isEmpty {
                cancelPrompt(&s, &fx)
                return
            }
        case .delete, .ctrl("d"):
            if p.cursor < p.text.count {
                p.text.remove(at: p.cursor)
                edited = true
            }
        case .left, .ctrl("b"): p.cursor = max(0, p.cursor - 1)
        case .right, .ctrl("f"): p.cursor = min(p.text.count, p.cursor + 1)
        case .home, .ctrl("a"): p.cursor = 0
        case .end, .ctrl("e"): p.cursor = p.text.count
        case .ctrl("u"):
            p.text.removeSubrange(0..<p.cursor)
            p.cursor = 0
            edited = true
        case .ctrl("k"):
            p.text.removeSubrange(p.cursor...)
            edited = true
        case .ctrl("w"):
            var i = p.cursor
            while i > 0 && p.text[i - 1] == " " { i -= 1 }
            while i > 0 && p.text[i - 1] != " " { i -= 1 }
            p.text.removeSubrange(i..<p.cursor)
            p.cursor = i
            edited = true
        case .up, .down:
            let hist = s.history[p.kind] ?? []
            guard !hist.isEmpty else { break }
            var i = p.historyIndex ?? hist.count
            i = k == .up ? max(0, i - 1) : min(hist.count, i + 1)
            p.historyIndex = i
            p.text = i < hist.count ? Array(hist[i].unicodeScalars) : []
            p.cursor = p.text.count
            edited = true
        case .tab:
            if p.kind == .command { complete(&p) }
            edited = true
        case .escape, .ctrl("c"), .ctrl("g"):
            cancelPrompt(&s, &fx)
            return
        case .enter:
            s.prompt = p
            submit(&s, data, &fx)
            return
        default:
            break
        }
        s.prompt = p
        if edited && p.kind == .filter { liveFilter(&s, &fx) }
    }

    static func cancelPrompt(_ s: inout AppState, _ fx: inout [Effect]) {
        if let p = s.prompt, p.kind == .filter, let prev = p.previousFilter, prev.text != s.view.filter.text {
            s.view = StreamView(filter: prev, markedOnly: s.view.markedOnly, marks: s.marks, hideMapped: s.view.hideMapped)
            fx.append(viewEffect(&s, s.view))
        }
        s.prompt = nil
    }

    /// Checks the filter being typed and, when it needs no payloads, applies it at once.
    static func validateFilterPrompt(_ s: inout AppState) {
        guard var p = s.prompt, p.kind == .filter else { return }
        do {
            _ = try Filter(p.string)
            p.error = nil
        } catch {
            p.error = error
        }
        s.prompt = p
    }

    static func liveFilter(_ s: inout AppState, _ fx: inout [Effect]) {
        guard var p = s.prompt, p.kind == .filter else { return }
        do {
            let f = try Filter(p.string)
            p.error = nil
            if !f.mayNeedPayload, f.text != s.view.filter.text {
                s.view = StreamView(filter: f, markedOnly: s.view.markedOnly, marks: s.marks, hideMapped: s.view.hideMapped)
                fx.append(viewEffect(&s, s.view))
            }
        } catch {
            p.error = error
        }
        s.prompt = p
    }

    static func remember(_ s: inout AppState, _ kind: PromptState.Kind, _ text: String) {
        guard !text.isEmpty else { return }
        var h = s.history[kind] ?? []
        h.removeAll { $0 == text }
        h.append(text)
        if h.count > 50 { h.removeFirst(h.count - 50) }
        s.history[kind] = h
    }

    static func submit(_ s: inout AppState, _ data: any StreamData, _ fx: inout [Effect]) {
        guard let p = s.prompt else { return }
        let text = p.string
        remember(&s, p.kind, text)
        switch p.kind {
        case .filter:
            do {
                let f = try Filter(text)
                s.prompt = nil
                setFilter(&s, f, &fx)
            } catch {
                var q = p
                q.error = error
                s.prompt = q
                s.message = StatusMessage("filter \(error.description); the previous filter stays (esc)", isError: true)
            }
        case .search:
            s.prompt = nil
            startSearch(&s, text, data)
        case .command:
            s.prompt = nil
            runCommand(&s, text, data, &fx)
        }
    }

    static func setFilter(_ s: inout AppState, _ f: Filter, _ fx: inout [Effect]) {
        let v = StreamView(filter: f, markedOnly: s.view.markedOnly, marks: s.marks, hideMapped: s.view.hideMapped)
        if v != s.view || f.mayNeedPayload {
            s.view = v
            fx.append(viewEffect(&s, v))
        }
        s.message = StatusMessage(f.isEmpty ? "filter cleared: showing every event" : "filter: \(Sanitize.inline(f.text, limit: 60))")
    }

    static func startSearch(_ s: inout AppState, _ text: String, _ data: any StreamData) {
        if text.isEmpty {
            s.search = nil
            s.message = StatusMessage("search cleared")
            return
        }
        if s.focus == .inspector && s.tab == .payload {
            s.search = SearchState(text: text, scope: .payload, filter: nil)
            searchStep(&s, forward: true, data, inclusive: false)
            return
        }
        do {
            let f = try Filter(text)
            s.search = SearchState(text: text, scope: .stream, filter: f)
            searchStep(&s, forward: true, data, inclusive: false)
        } catch {
            s.message = StatusMessage("search \(error.description)", isError: true)
        }
    }

    static func complete(_ p: inout PromptState) {
        let t = p.string
        guard !t.contains(" ") else { return }
        let matches = PromptCommands.all.map(\.name).filter { $0.hasPrefix(t) }
        if matches.count == 1 {
            p.text = Array((matches[0] + " ").unicodeScalars)
            p.cursor = p.text.count
        } else if matches.count > 1 {
            var common = matches[0]
            for m in matches.dropFirst() {
                while !m.hasPrefix(common) { common.removeLast() }
            }
            p.text = Array(common.unicodeScalars)
            p.cursor = p.text.count
        }
    }

    static func runCommand(_ s: inout AppState, _ line: String, _ data: any StreamData, _ fx: inout [Effect]) {
        var rest = Substring(line)
        while rest.first == " " { rest.removeFirst() }
        let name = String(rest.prefix { $0 != " " })
        var arg = String(rest.dropFirst(name.count))
        while arg.first == " " { arg.removeFirst() }
        while arg.last == " " { arg.removeLast() }
        func need(_ what: String) -> Bool {
            if arg.isEmpty { s.message = StatusMessage(":\(name) needs \(what)", isError: true); return false }
            return true
        }
        switch name {
        case "":
            return
        case "q", "quit", "q!", "exit", "wq":
            s.quitting = true
            fx.append(.quit)
        case "filter", "f":
            do {
                setFilter(&s, try Filter(arg), &fx)
            } catch {
                s.message = StatusMessage(":filter \(error.description)", isError: true)
            }
        case "search", "s", "/":
            startSearch(&s, arg, data)
        case "clear":
            command(&s, .clear, data, &fx)
        case "export", "w", "write", "save":
            guard need("a file name, e.g. :export bad-events.jsonl") else { return }
            fx.append(.export(path: arg, view: s.view, debug: debugTable(s, s.view)))
            s.message = StatusMessage("exporting \(s.view.isAll ? "every event" : "the events shown") to \(Sanitize.inline(arg, limit: 60))…")
        case "theme":
            guard need("a theme name (dark, light, high-contrast, mono) or a file path") else { return }
            fx.append(.loadTheme(arg))
        case "mouse":
            switch arg.lowercased() {
            case "on", "":
                s.config.mouse = true
                fx.append(.setMouse(true))
                s.message = StatusMessage("mouse on")
            case "off":
                s.config.mouse = false
                fx.append(.setMouse(false))
                s.message = StatusMessage("mouse off: the terminal selects text again")
            default:
                s.message = StatusMessage(":mouse takes on or off", isError: true)
            }
        case "follow": command(&s, .follow, data, &fx)
        case "pause":
            if s.following { command(&s, .pause, data, &fx) }
        case "marked": command(&s, .markedOnly, data, &fx)
        case "unmark", "unmark-all":
            s.marks = []
            if s.view.markedOnly {
                s.view = StreamView(filter: s.view.filter, markedOnly: true, marks: [], hideMapped: s.view.hideMapped)
                fx.append(viewEffect(&s, s.view))
            }
            s.message = StatusMessage("all marks removed")
        case "goto", "g":
            guard need("a capture id") else { return }
            guard let id = Int64(arg) else { s.message = StatusMessage(":goto needs a number (a capture id)", isError: true); return }
            let p = data.position(atOrAfter: RowID(captureID: id, index: Int.min))
            if p < data.count, let r = data.row(at: p), r.captureID == id {
                select(&s, position: p, data)
                s.following = false
            } else {
                s.message = StatusMessage("capture \(id) is not in the view", isError: true)
            }
        case "tab":
            if let t = InspectorTab.allCases.first(where: { $0.rawValue.hasPrefix(arg.lowercased()) && !arg.isEmpty }) {
                s.tab = t
                s.focus = .inspector
            } else {
                s.message = StatusMessage(":tab takes payload, findings, request or debug", isError: true)
            }
        case "wrap": command(&s, .wrap, data, &fx)
        case "raw": command(&s, .raw, data, &fx)
        case "help", "h", "keys": command(&s, .help, data, &fx)
        case "setup": command(&s, .setup, data, &fx)
        default:
            s.message = StatusMessage("unknown command :\(Sanitize.inline(name, limit: 30)); commands: "
                                      + PromptCommands.all.map(\.name).joined(separator: " "), isError: true)
        }
    }
}
