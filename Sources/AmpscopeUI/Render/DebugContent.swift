import AmpscopeCore

/// The Debug tab: the SDK call behind the selected event (or the selected SDK row), built from
/// a `DebugDetail`. Pure; the reducer (scroll bounds, copy) and the renderer share it.
///
/// Everything here is text an app printed: it is drawn through `SafeText` (control characters
/// become visible escapes), split into lines by us, and API keys (32 hex digits in a JSON
/// string) are masked unless `--no-redact`.
extension InspectorContent {
    /// At most this many lines of a JSON tree or of one logged text.
    static let debugTreeLimit = 400
    static let debugTextLimit = 40

    public static func debug(_ d: DebugDetail?, debugOpen: Bool, config: UIConfig, width: Int, isSDKRow: Bool = false) -> [[Segment]] {
        let w = max(20, width - 1)
        var out: [[Segment]] = []
        func text(_ s: String, _ role: StyleRole = .text, indent: String = "") {
            for l in TextLayout.wrap(s, width: max(8, w - indent.count)) { out.append([Segment(indent + l, role)]) }
        }
        func blank() { if let last = out.last, !last.isEmpty { out.append([]) } }
        let redact = config.redact
        func safe(_ s: String) -> String { redact ? DebugRedaction.maskKeys(s) : s }

        guard debugOpen else {
            out.append([Segment("No SDK debug log is open.", .sectionTitle)])
            out.append([])
            text("This tab shows the SDK call that produced the selected event: method, arguments, stack, state before and after, what the SDK logged about it and its fate. Give ampscope the SDK's debug output:", .textDim)
            out.append([])
            for (cmd, what) in [("ampscope --debug-log app.log", "follow a log file"),
                                ("node app.js 2>&1 | ampscope --debug-log -", "read standard input"),
                                ("ampscope replay app.console.log capture.jsonl", "replay both"),
                                ("POST /ampscope/log on the proxy", "ship lines from the app (Docs/debug.md)")] {
                out.append([Segment("  " + cmd, .emptyKey)])
                out.append([Segment("      " + what, .textDim)])
            }
            return out
        }
        guard let d, !d.isEmpty else {
            out.append([Segment(isSDKRow ? "Nothing selected." : "No SDK call is joined to this event.", .sectionTitle)])
            out.append([])
            if d?.hasRecords ?? false {
                text("The SDK logs read so far say nothing about this event: another app or SDK instance sent it, its log lines were not captured, or the SDK did not log its insert_id (logLevel Debug includes the [Log] lines that carry it). The filter !has:debug lists every such event; v lists the SDK calls.", .textDim)
            } else {
                text("No SDK log line has been read yet. Lines appear here as the log is read (--debug-log, a replayed log file, or POST /ampscope/log).", .textDim)
            }
            return out
        }

        // A located problem of the log itself.
        if let p = d.problem {
            out.append([Segment("Unreadable SDK log line", .severityError), Segment("  \(p.source):\(p.line)", .path)])
            text(p.reason, .text, indent: "  ")
            out.append([])
            text("ampscope skipped this line and read on; the rest of the log is unaffected.", .textDim)
            return out
        }

        let call = d.call?.call
        // Title: the method, or what the SDK logged.
        if let c = d.call, let cc = call {
            out.append([Segment(cc.name, .sectionTitle), Segment("  SDK call · \(c.sdk.rawValue) · ", .textDim), Segment(c.location, .path)])
        } else if let t = d.trace {
            let what = t.eventType.map { "event " + PayloadTree.quote($0) } ?? "event"
            out.append([Segment(what, .sectionTitle), Segment("  as the \(t.sdk.rawValue) SDK logged it (no debug block for the call)", .textDim)])
        } else if !d.notes.isEmpty {
            out.append([Segment("What the SDK logged", .sectionTitle)])
        }
        if let cc = call {
            var when: [String] = []
            if let st = cc.start { when.append("started " + TimeFormat.dateTime(st, offsetSeconds: config.utcOffsetSeconds)) }
            else if let t = cc.startText { when.append("started " + t) }
            if let e = cc.end { when.append("ended " + TimeFormat.clock(e, offsetSeconds: config.utcOffsetSeconds)) }
            else if let t = cc.endText { when.append("ended " + t) }
            if let ms = cc.durationMs { when.append("took \(ms) ms") }
            if !when.isEmpty { text(when.joined(separator: " · "), .textDim, indent: "  ") }
        }

        // Fate and wire.
        if let t = d.trace {
            let (icon, role) = fateIcon(t.fate)
            out.append([Segment("Fate  ", .jsonKey), Segment(icon + " " + t.fate.label, role)])
            text(safe(t.fate.explanation), .text, indent: "      ")
            var wire: [Segment] = [Segment("Wire  ", .jsonKey)]
            if t.wire.isEmpty {
                wire.append(Segment(t.fate.neverSent ? "never sent" : "no wire event seen", t.fate.neverSent ? .severityError : .severityWarning))
            } else {
                let n = t.wire.count
                wire.append(Segment("\(n) attempt\(n == 1 ? "" : "s")", .text))
                wire.append(Segment(" · joined by " + (t.linkedBy == .heuristic ? "type, ids and time (no insert_id in the log)" : "insert_id"), .textDim))
            }
            out.append(wire)
            for (i, a) in d.attempts.enumerated() {
                var row: [Segment] = [Segment(a.ref == d.wire ? "    ▸ " : "      ", .text),
                                      Segment("capture \(a.ref.captureID) event \(a.ref.index)", .listID)]
                if let e = a.event {
                    row.append(Segment("  answered \(e.httpStatus)", (200..<300).contains(e.httpStatus) ? .httpSuccess : .httpError))
                    if e.sdkStatus != e.httpStatus { row.append(Segment(" (code \(e.sdkStatus))", .textDim)) }
                    if let err = e.answerError { row.append(Segment(" " + Sanitize.inline(safe(err), limit: 80), .textDim)) }
                }
                row.append(Segment("  attempt \(i + 1)", .textDim))
                out.append(row)
            }
            if let iid = t.insertID { out.append([Segment("      insert_id ", .textDim), Segment(iid, .listID)]) }
            if !d.reasons.isEmpty { out.append([Segment("      why: ", .textDim), Segment(d.reasons.joined(separator: ", "), .severityWarning)]) }
        } else if let cc = call {
            out.append([Segment("Fate  ", .jsonKey), Segment(cc.producesEvent ? "no event known yet" : "\(cc.name) sends no event of its own", .textDim)])
        }

        // What the SDK logged: warnings and errors first (they say why an event went missing).
        let logged = (d.notes + [d.result].compactMap { $0 }).sorted { $0.id < $1.id }
        let problems = logged.filter(\.isProblem)
        if !problems.isEmpty && (d.trace != nil || d.call != nil) {
            blank()
            out.append([Segment("SDK warnings and errors about it", .sectionTitle), Segment("  (\(problems.count))", .textDim)])
            logRecords(problems, d, safe, width: w, into: &out)
        } else if !problems.isEmpty {
            // A message row: the message itself.
            logRecords(problems, d, safe, width: w, into: &out)
        }

        // State before → after.
        if let cc = call, !cc.stateDiff.isEmpty {
            blank()
            let changes = cc.changes
            out.append([Segment("State before → after", .sectionTitle),
                        Segment(changes.isEmpty ? "  (nothing changed)" : "  (\(changes.count) changed)", .textDim)])
            let keyW = min(36, max(12, cc.stateDiff.map { DisplayWidth.of($0.key) }.max() ?? 12))
            for c in changes + cc.stateDiff.filter({ $0.kind == .unchanged }) {
                var row: [Segment] = [Segment("  " + TextLayout.pad(c.key, keyW) + "  ", .jsonKey)]
                switch c.kind {
                case .changed:
                    row += [Segment(value(c.before, redact), .jsonNumber), Segment(" → ", .jsonPunct), Segment(value(c.after, redact), .severityWarning)]
                case .added:
                    row += [Segment("(absent) → ", .textDim), Segment(value(c.after, redact), .severityWarning)]
                case .removed:
                    row += [Segment(value(c.before, redact), .jsonNumber), Segment(" → (absent)", .textDim)]
                case .unchanged:
                    row += [Segment(value(c.before, redact), .textDim), Segment("  (unchanged)", .textDim)]
                }
                out.append(row)
            }
        }

        // Arguments as a JSON tree.
        if let cc = call {
            blank()
            out.append([Segment("Arguments", .sectionTitle)])
            jsonTree(safe(cc.argsJSON), width: w, into: &out)
        }

        // Stack.
        if let cc = call, !cc.stack.isEmpty {
            blank()
            out.append([Segment("Stack", .sectionTitle), Segment("  ▸ marks the app's own code", .textDim)])
            for f in cc.stack.prefix(60) {
                let (mark, tag, role): (String, String, StyleRole)
                switch f.origin {
                case .app: (mark, tag, role) = ("▸ ", "app    ", .text)
                case .sdk: (mark, tag, role) = ("  ", "sdk    ", .textDim)
                case .runtime: (mark, tag, role) = ("  ", "runtime", .textDim)
                case .unknown: (mark, tag, role) = ("  ", "       ", .textDim)
                }
                var row: [Segment] = [Segment("  " + mark, .severityOK), Segment(tag + " ", .textDim)]
                if let fn = f.function { row.append(Segment(fn + "  ", role == .text ? .listType : role)) }
                row.append(Segment(f.location ?? f.raw, f.origin == .app ? .path : .textDim))
                out.append(row)
            }
            if cc.stack.count > 60 { out.append([Segment("  … \(cc.stack.count - 60) more frames", .textDim)]) }
        }

        // The rest of what the SDK logged about it.
        let others = logged.filter { !$0.isProblem }
        if !others.isEmpty {
            blank()
            out.append([Segment("Other SDK log lines about it", .sectionTitle)])
            logRecords(others, d, safe, width: w, into: &out)
        }

        // The event after the SDK's plugins.
        if let f = d.finalEvent, let e = f.event {
            blank()
            out.append([Segment(f.kind == .filteredOut ? "Event filtered out by a plugin" : "Final event (after the SDK's plugins)", .sectionTitle),
                        Segment("  " + f.location, .path)])
            jsonTree(safe(e.json), width: w, into: &out)
        } else if d.call == nil, let t = d.trace, let r = d.result, let e = r.event {
            _ = t
            blank()
            out.append([Segment("Event", .sectionTitle), Segment("  " + r.location, .path)])
            jsonTree(safe(e.json), width: w, into: &out)
        }
        return out
    }

    static func logRecords(_ records: [DebugRecord], _ d: DebugDetail, _ safe: (String) -> String, width: Int,
                           into out: inout [[Segment]]) {
        for r in records {
            let (icon, role) = levelIcon(r.level)
            let label = r.id == d.result?.id ? "result" : r.kind == .response ? "answer" : r.level.description
            out.append([Segment("  " + icon + " ", role), Segment(TextLayout.pad(label, 7) + " ", role), Segment(r.location, .path)])
            if let json = r.response?.json, !json.isEmpty {
                // An answer body: compact, wrapped.
                let status = r.response?.status.map { $0 + ": " } ?? ""
                logText(safe(status + json), width: width, into: &out)
            } else {
                logText(safe(r.text), width: width, into: &out)
            }
            for l in r.traceback.prefix(debugTextLimit) {
                for row in TextLayout.wrap(l, width: max(8, width - 6)) { out.append([Segment("      " + row, .textDim)]) }
            }
        }
    }

    static func fateIcon(_ f: SDKFate) -> (String, StyleRole) {
        switch f {
        case .delivered: return ("✓", .severityOK)
        case .rejected: return ("✖", .severityError)
        case .skipped: return ("✖", .severityError)
        case .sent: return ("●", .severityInfo)
        case .queued: return ("…", .severityWarning)
        case .unknown: return ("?", .textDim)
        }
    }

    static func levelIcon(_ l: DebugLevel) -> (String, StyleRole) {
        switch l {
        case .error, .critical: return ("✖", .severityError)
        case .warn: return ("▲", .severityWarning)
        case .info, .log: return ("●", .severityInfo)
        case .debug: return ("·", .textDim)
        }
    }

    /// A compact JSON state value, masked when it is an API key.
    static func value(_ v: String?, _ redact: Bool) -> String {
        guard let v else { return "(absent)" }
        return redact ? DebugRedaction.maskKeys(v) : v
    }

    /// A JSON text as a tree (or as text when it does not parse).
    static func jsonTree(_ json: String, width: Int, into out: inout [[Segment]]) {
        guard let doc = try? JSONDocument(parsing: Array(json.utf8)) else {
            logText(json, width: width, into: &out)
            return
        }
        let lines = PayloadTree.lines(doc, root: doc.root, basePointer: "", folded: [], foldKeysAreRelative: false)
        let style = PayloadTree.Style(width: max(10, width - 2), wrap: false)
        for l in lines.prefix(debugTreeLimit) {
            for row in PayloadTree.rows(l, doc, style) { out.append([Segment("  ", .text)] + row) }
        }
        if lines.count > debugTreeLimit { out.append([Segment("  … \(lines.count - debugTreeLimit) more lines", .textDim)]) }
    }

    /// Logged text, line by line (each wrapped), at most `debugTextLimit` lines.
    static func logText(_ s: String, width: Int, into out: inout [[Segment]]) {
        let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
        for l in lines.prefix(debugTextLimit) {
            for row in TextLayout.wrap(String(l), width: max(8, width - 6)) { out.append([Segment("      " + row, .text)]) }
        }
        if lines.count > debugTextLimit { out.append([Segment("      … \(lines.count - debugTextLimit) more lines", .textDim)]) }
    }
}

/// Masks Amplitude API keys (a JSON string of exactly 32 hex digits) in SDK-logged text:
/// `config.apiKey` is part of every TypeScript state dump.
public enum DebugRedaction {
    public static func maskKeys(_ s: String) -> String {
        var bytes = Array(s.utf8)
        guard bytes.count >= 34 else { return s }
        func hex(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66) }
        var changed = false
        var i = 0
        while i + 33 < bytes.count {
            if bytes[i] == 0x22, bytes[i + 33] == 0x22, (i + 1...i + 32).allSatisfy({ hex(bytes[$0]) }) {
                for k in (i + 5)...(i + 28) { bytes[k] = UInt8(ascii: "*") }
                changed = true
                i += 34
            } else {
                i += 1
            }
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : s
    }
}
