import AmpscopeCore

/// The rows of the Findings, Request and Debug tabs, built from a processed capture.
/// Pure and shared by the reducer (scroll bounds, clicks) and the renderer.
public enum InspectorContent {
    /// The event's own findings, then the request-level ones (worst first in each group).
    public static func findings(_ p: Processed, index: Int) -> [Finding] {
        if index < 0 { return p.findings.sorted { $0.severity > $1.severity } }
        let own = p.findings.filter { $0.event == index }.sorted { $0.severity > $1.severity }
        let req = p.findings.filter { $0.event == nil }.sorted { $0.severity > $1.severity }
        return own + req
    }

    /// A row of the Findings tab; `finding` is the index in `findings(...)`, nil for headings.
    public struct FindingRow: Sendable {
        public var finding: Int?
        public var segments: [Segment]
    }

    public static func severityIcon(_ s: Severity) -> (String, StyleRole) {
        switch s {
        case .error: return ("✖ error  ", .severityError)
        case .warning: return ("▲ warning", .severityWarning)
        case .info: return ("● info   ", .severityInfo)
        }
    }

    public static func findingRows(_ p: Processed, index: Int, width: Int, cursor: Int) -> [FindingRow] {
        let items = findings(p, index: index)
        var rows: [FindingRow] = []
        if items.isEmpty {
            rows.append(FindingRow(finding: nil, segments: [Segment("✓ No findings: Amplitude would accept this as sent.", .severityOK)]))
            return rows
        }
        var heading: Bool?
        for (i, f) in items.enumerated() {
            let isRequest = f.event == nil && index >= 0
            if heading != isRequest {
                if heading != nil { rows.append(FindingRow(finding: nil, segments: [])) }
                heading = isRequest
                let title = index < 0 ? "Request (\(items.count))"
                    : isRequest ? "Request-level (they apply to every event of the request)" : "This event"
                rows.append(FindingRow(finding: nil, segments: [Segment(title, .sectionTitle)]))
            }
            let (icon, role) = severityIcon(f.severity)
            rows.append(FindingRow(finding: i, segments: [
                Segment(i == cursor ? "▸ " : "  ", .text), Segment(icon, role), Segment(" ", .text),
                Segment(f.rule, .listType), Segment("  ", .text), Segment(f.path.isEmpty ? "/" : f.path, .path),
            ]))
            for line in TextLayout.wrap(f.message, width: max(10, width - 6)) {
                rows.append(FindingRow(finding: i, segments: [Segment("      " + line, .text)]))
            }
        }
        rows.append(FindingRow(finding: nil, segments: []))
        rows.append(FindingRow(finding: nil, segments: [Segment("enter: show the path in the Payload tab", .textDim)]))
        return rows
    }

    // MARK: Request tab

    /// The Request tab's rows. Without `wrap`, rows outside `window` are left empty (their count
    /// is exact), so the reducer can ask for the count and the renderer for the visible rows only.
    public static func request(_ p: Processed, config: UIConfig, raw: Bool, wrap: Bool, width: Int,
                               window: Range<Int>? = nil) -> [[Segment]] {
        var out: [[Segment]] = []
        let c = p.capture
        let r = p.request
        let w = max(20, width)
        func text(_ s: String, _ role: StyleRole = .text) { out.append([Segment(s, role)]) }
        func wrapped(_ s: String, _ role: StyleRole = .text, indent: String = "  ") {
            for l in TextLayout.wrap(s, width: max(8, w - indent.count)) { out.append([Segment(indent + l, role)]) }
        }
        out.append([Segment("Request", .sectionTitle)])
        let shown = config.redact ? Redactor.redactedCapture(p) : c
        wrapped("\(c.method) \(shown.target) \(c.httpVersion)", .listType)
        var origin = "source \(c.source.kind.rawValue) (\(c.source.location))"
        if let cl = c.client { origin = "from \(cl) · " + origin }
        wrapped(origin, .textDim)
        wrapped("received \(TimeFormat.dateTime(c.receivedAt, offsetSeconds: config.utcOffsetSeconds)) \(TimeFormat.zone(config.utcOffsetSeconds)) · capture \(c.id)", .textDim)
        var dec = "endpoint \(r.endpoint.displayName)"
        if !r.pathPrefix.isEmpty { dec += " (prefix \(r.pathPrefix))" }
        dec += " · \(r.records.count) record\(r.records.count == 1 ? "" : "s") · decoder \(r.decoder)"
        if let k = r.apiKey { dec += " · key \(config.redact ? Redactor.mask(k) : k)" }
        wrapped(dec, .textDim)
        if let checksum = LegacyChecksum.verdict(r) { wrapped(checksum.label, checksum.word == "verified" ? .textDim : .text) }
        out.append([])
        out.append([Segment("Headers (\(shown.headers.count))", .sectionTitle)])
        if shown.headers.isEmpty { text("  (none)", .textDim) }
        for h in shown.headers {
            let segs = [Segment("  " + h.name, .jsonKey), Segment(": ", .jsonPunct), Segment(h.value, .text)]
            if wrap { for l in TextLayout.wrap(h.name + ": " + h.value, width: w - 2) { out.append([Segment("  " + l, .text)]) } } else { out.append(segs) }
        }
        out.append([])
        // Body.
        let decoded = r.body.isEmpty ? c.body : r.body
        let encoding = c.header("Content-Encoding")
        var title = "Body · \(TextLayout.grouped(decoded.count)) bytes"
        if let e = encoding, decoded.count != c.body.count { title += " (\(e), \(TextLayout.grouped(c.body.count)) on the wire)" }
        title += raw ? " · raw (r: pretty)" : " · pretty (r: raw)"
        out.append([Segment(title, .sectionTitle)])
        if raw || r.document == nil {
            if !raw { text("  not JSON: shown raw", .textDim) }
            let bytes = config.redact ? Redactor.redactBody(p) : decoded
            rawLines(bytes, wrap: wrap, width: w, into: &out, window: window)
        } else if let doc = r.document {
            if !r.formFields.isEmpty { text("  form fields, shown as JSON (r: the form as sent)", .textDim) }
            let lines = PayloadTree.lines(doc, root: doc.root, basePointer: "", folded: [], foldKeysAreRelative: false)
            let style = PayloadTree.Style(width: w - 2, wrap: wrap, maskPointer: config.redact && r.apiKey != nil ? r.apiKeyPointer : nil)
            for l in lines.prefix(20_000) {
                if !wrap, let win = window, !win.contains(out.count) {
                    out.append([])
                    continue
                }
                for row in PayloadTree.rows(l, doc, style) { out.append([Segment("  ", .text)] + row) }
            }
            if lines.count > 20_000 { text("  … \(TextLayout.grouped(lines.count - 20_000)) more lines (r: raw)", .textDim) }
        }
        out.append([])
        // Answers.
        out.append([Segment("Answer", .sectionTitle)])
        let left = answerColumn(title: "ampscope's emulated answer", status: p.answer.status, contentType: p.answer.contentType,
                                body: p.answer.body, note: nil, width: w)
        var right: [[Segment]]
        if let rec = c.recordedResponse {
            let label: String
            switch rec.origin {
            case .upstream: label = "real answer (upstream)"
            case .recorded: label = "recorded answer (from the file)"
            case .injected: label = "injected fault (--inject)"
            case .fallback: label = "fallback: the upstream failed"
            }
            var note: String?
            if let l = rec.latencyMs { note = "\(Int(l.rounded())) ms" }
            if let e = rec.error { note = (note.map { $0 + " · " } ?? "") + e }
            right = answerColumn(title: label, status: rec.status,
                                 contentType: rec.headers.first { $0.name.caseInsensitiveEquals("content-type") }?.value ?? "",
                                 body: rec.body, note: note, width: w)
        } else {
            right = [[Segment("real answer", .sectionTitle)],
                     [Segment("none: ampscope answered (sink mode);", .textDim)],
                     [Segment("forward to Amplitude to compare", .textDim)]]
        }
        if w >= 70 {
            let colW = (w - 3) / 2
            func fit(_ rows: [[Segment]]) -> [[Segment]] { rows.flatMap { wrapSegments($0, width: colW) } }
            let l = fit(left), rr = fit(right)
            for i in 0..<max(l.count, rr.count) {
                var row = l[safe: i] ?? []
                let used = row.reduce(0) { $0 + DisplayWidth.of($1.text) }
                row.append(Segment(String(repeating: " ", count: max(0, colW - used)), .text))
                row.append(Segment(" │ ", .border))
                row += rr[safe: i] ?? []
                out.append(row)
            }
        } else {
            out += left.flatMap { wrapSegments($0, width: w) }
            out.append([])
            out += right.flatMap { wrapSegments($0, width: w) }
        }
        return out
    }

    static func answerColumn(title: String, status: Int, contentType: String, body: [UInt8], note: String?, width: Int) -> [[Segment]] {
        var rows: [[Segment]] = [[Segment(title, .sectionTitle)]]
        var head = [Segment(String(status), (200..<300).contains(status) ? .httpSuccess : .httpError)]
        if !contentType.isEmpty { head.append(Segment(" " + contentType, .textDim)) }
        if let n = note { head.append(Segment(" · " + n, .textDim)) }
        rows.append(head)
        if let doc = try? JSONDocument(parsing: body), body.count < 64 * 1024 {
            for line in JSONPretty.text(doc, doc.root).split(separator: "\n", omittingEmptySubsequences: false) {
                rows.append([Segment(String(line), .jsonString)])
            }
        } else if body.isEmpty {
            rows.append([Segment("(empty body)", .textDim)])
        } else {
            for line in Sanitize.bytes(body.prefix(4096)).split(separator: "\\n", omittingEmptySubsequences: false) {
                rows.append([Segment(String(line), .text)])
            }
        }
        return rows
    }

    /// Raw bytes as lines: split at newlines, each line sanitised (invalid bytes as `\xNN`).
    static func rawLines(_ bytes: [UInt8], wrap: Bool, width: Int, into out: inout [[Segment]], window: Range<Int>? = nil) {
        var start = 0
        var n = 0
        let limit = 20_000
        while start <= bytes.count && n < limit {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            if !wrap, let win = window, !win.contains(out.count) {
                out.append([])
                n += 1
                start = end + 1
                if end == bytes.count { break }
                continue
            }
            var line = Sanitize.bytes(bytes[start..<end])
            if line.hasSuffix("\\r") { line.removeLast(2) }
            if wrap {
                for l in TextLayout.wrap(line, width: max(8, width - 2)) { out.append([Segment("  " + l, .text)]) }
            } else {
                out.append([Segment("  " + line, .text)])
            }
            n += 1
            start = end + 1
            if end == bytes.count { break }
        }
        if n >= limit { out.append([Segment("  … more lines not shown", .textDim)]) }
    }

    /// Splits a row of segments into rows of at most `width` columns, breaking after spaces when it can.
    public static func wrapSegments(_ segs: [Segment], width: Int) -> [[Segment]] {
        let w = max(1, width)
        var glyphs: [(Glyph, StyleRole)] = []
        for s in segs { SafeText.forEachGlyph(s.text) { glyphs.append(($0, s.role)) } }
        var rows: [[(Glyph, StyleRole)]] = [[]]
        var used = 0
        for item in glyphs {
            if used + item.0.width > w {
                var carry: [(Glyph, StyleRole)] = []
                if let sp = rows[rows.count - 1].lastIndex(where: { $0.0.text == " " && !$0.0.escaped }), sp > 0 {
                    carry = Array(rows[rows.count - 1][(sp + 1)...])
                    rows[rows.count - 1].removeSubrange(sp...)
                }
                rows.append(carry)
                used = carry.reduce(0) { $0 + $1.0.width }
            }
            rows[rows.count - 1].append(item)
            used += item.0.width
        }
        return rows.map { row in
            var out: [Segment] = []
            for (g, role) in row {
                if let last = out.last, last.role == role { out[out.count - 1].text += g.text } else { out.append(Segment(g.text, role)) }
            }
            return out
        }
    }
}
