import AmpscopeCore
import AmpscopeProxy
import AmpscopeStore
import Foundation

/// `ampscope proxy`'s output: one line per stored request, like mitmdump, or NDJSON (`--json`).
///
/// It reads what the store committed (its change stream), never what the handler is doing, so
/// a line appears only for a request that is on disk, and a slow terminal never slows the proxy:
/// the stream is coalesced and the printer catches up by row position.
actor HeadlessPrinter {
    enum Format { case text, json }

    let store: CaptureStore
    let format: Format
    let redact: Bool
    let color: Bool
    private let out: ProxyLineOutput
    private var cursor = StoreCursor()
    private(set) var printedCaptures = 0

    init(store: CaptureStore, format: Format, redact: Bool, color: Bool, out: ProxyLineOutput) {
        self.store = store
        self.format = format
        self.redact = redact
        self.color = color
        self.out = out
    }

    /// Prints every change until the store closes its stream.
    func run() async {
        let changes = await store.subscribe()
        for await change in changes {
            cursor.sync(change)
            catchUp(to: change.rowCount)
        }
    }

    /// Prints every row not printed yet (call once more before closing the store).
    func catchUp() async {
        catchUp(to: store.index.rowCount)
    }

    /// Reads through the store's thread-safe index and payload reader, never through the store
    /// actor, so printing does not queue behind (or delay) the commits of live captures.
    private func catchUp(to rowCount: Int) {
        while true {
            let (rows, captures) = cursor.next(in: store.index, upTo: rowCount, limit: 512)
            if rows.isEmpty { break }
            for id in captures {
                do {
                    let p = try store.payloads.processed(id)
                    out.write(format == .json ? jsonLine(p, id: id) : textLine(p))
                    printedCaptures += 1
                } catch {
                    out.write("ampscope: capture \(id) could not be read back: \(Sanitize.inline("\(error)", limit: 200))\n")
                }
            }
        }
        out.flush()
    }

    // MARK: Text

    func textLine(_ p: Processed) -> String {
        let c = p.capture
        let (red, yellow, green, dim, reset) = color
            ? ("\u{1B}[31m", "\u{1B}[33m", "\u{1B}[32m", "\u{1B}[2m", "\u{1B}[0m") : ("", "", "", "", "")
        var s = Self.localClock(c.receivedAt) + " "
        s += dim + Sanitize.inline(c.client ?? c.source.name, limit: 48) + reset + " "
        s += Sanitize.inline(c.method, limit: 10) + " " + Sanitize.inline(c.target, limit: 70)
        let n = p.request.records.count
        s += "  \(n) event\(n == 1 ? "" : "s")"
        let status = p.effectiveStatus
        let statusColor = (200..<300).contains(status) ? green : status == 0 || status >= 500 ? red : yellow
        s += "  → " + statusColor + answerLabel(p) + reset
        let counts = p.counts
        if counts.errors + counts.warnings + counts.infos == 0 {
            s += "  " + green + "✓" + reset
        } else {
            var parts: [String] = []
            if counts.errors > 0 { parts.append(red + "\(counts.errors) error\(counts.errors == 1 ? "" : "s")" + reset) }
            if counts.warnings > 0 { parts.append(yellow + "\(counts.warnings) warning\(counts.warnings == 1 ? "" : "s")" + reset) }
            if counts.infos > 0 { parts.append("\(counts.infos) info") }
            var rules: [String] = []
            for f in p.findings where !rules.contains(f.rule) { rules.append(f.rule) }
            let shown = rules.prefix(4).joined(separator: ", ") + (rules.count > 4 ? ", +\(rules.count - 4)" : "")
            s += "  " + parts.joined(separator: " ") + dim + " (" + shown + ")" + reset
        }
        return s + "\n"
    }

    /// `200`, `400 Invalid id length…`, `429 injected`, `200 upstream 42 ms (emulated 400)`.
    func answerLabel(_ p: Processed) -> String {
        guard let r = p.capture.recordedResponse else { return Self.shortLabel(status: p.answer.status, body: p.answer.body, redactKey: redactKey(p)) }
        switch r.origin {
        case .injected:
            if r.status == 0 { return "closed (injected)" }
            return "\(r.status) injected"
        case .fallback:
            return "\(r.status) " + Sanitize.inline(r.error ?? "proxy answer", limit: 90)
        case .upstream, .recorded:
            var s = Self.shortLabel(status: r.status, body: r.body, redactKey: redactKey(p)) + " " + r.origin.rawValue
            if let l = r.latencyMs { s += " \(Int(l.rounded())) ms" }
            if r.status != p.answer.status { s += " (emulated \(p.answer.status))" }
            return s
        }
    }

    static func shortLabel(status: Int, body: [UInt8], redactKey: String?) -> String {
        var text = ""
        if let doc = try? JSONDocument(parsing: body), doc.kind(doc.root) == .object,
           let e = doc.member(doc.root, "error").flatMap({ doc.stringValue($0) }) {
            text = e
        } else if status != 200, body.count < 200, UTF8Check.firstInvalidOffset(body) == nil {
            text = String(decoding: body, as: UTF8.self)
        }
        if let k = redactKey, !k.isEmpty { text = text.replacingOccurrences(of: k, with: Redactor.mask(k)) }
        return text.isEmpty ? "\(status)" : "\(status) " + Sanitize.inline(text, limit: 60)
    }

    private func redactKey(_ p: Processed) -> String? { redact ? p.request.apiKey : nil }

    /// `HH:MM:SS.mmm` in local time.
    static func localClock(_ ms: Int64) -> String {
        var t = time_t(ms / 1000)
        var parts = tm()
        localtime_r(&t, &parts)
        func pad(_ v: Int32, _ n: Int = 2) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        return pad(parts.tm_hour) + ":" + pad(parts.tm_min) + ":" + pad(parts.tm_sec) + "." + pad(Int32(ms % 1000), 3)
    }

    // MARK: JSON

    func jsonLine(_ p: Processed, id: Int64) -> String {
        // Terminal-safe: C1 and bidi characters from payloads as \u escapes (same JSON values).
        String(decoding: Report.terminalSafeJSON(ProxyJSONLine.write(p, id: id, redact: redact)), as: UTF8.self) + "\n"
    }
}

/// One NDJSON line of `ampscope proxy --json` (format documented in Docs/proxy.md).
enum ProxyJSONLine {
    static func write(_ p: Processed, id: Int64, redact: Bool) -> [UInt8] {
        let c = p.capture
        let r = p.request
        let keys = redact ? Redactor.secrets(p) : []
        func masked(_ bytes: [UInt8]) -> [UInt8] { Redactor.maskAll(bytes, keys) }
        func maskedText(_ s: String) -> String {
            keys.reduce(s) { $0.replacingOccurrences(of: $1, with: Redactor.mask($1)) }
        }
        var w = JSONWriter()
        w.beginObject()
        w.field("id", id)
        w.field("time", Timestamp.iso8601(ms: c.receivedAt))
        w.field("client", c.client)
        w.field("method", c.method)
        w.field("path", c.path)
        w.field("query", redact ? Redactor.redactQuery(c.query) : c.query)
        w.field("endpoint", r.endpoint.displayName)
        w.field("api_key", r.apiKey.map { redact ? Redactor.mask($0) : $0 })
        w.field("status", p.effectiveStatus)
        w.field("event_count", r.records.count)
        // amplitude-js uploads: what the checksum check found, also when it passed.
        if let verdict = LegacyChecksum.verdict(r) { w.field("checksum", verdict.word) }
        w.key("events")
        w.beginArray()
        if let doc = r.document {
            for node in r.records { w.raw(oneLine(masked(Array(doc.rawBytes(node))))) }
        }
        w.endArray()
        w.key("counts")
        w.beginObject()
        w.field("error", p.counts.errors)
        w.field("warning", p.counts.warnings)
        w.field("info", p.counts.infos)
        w.endObject()
        w.key("findings")
        w.beginArray()
        for f in p.findings {
            w.beginObject()
            w.field("rule", f.rule)
            w.field("severity", f.severity.rawValue)
            w.field("path", f.path)
            w.field("event", f.event)
            w.field("message", maskedText(f.message))
            w.endObject()
        }
        w.endArray()
        w.key("emulated")
        w.beginObject()
        w.field("status", p.answer.status)
        w.key("body")
        bodyValue(masked(p.answer.body), &w)
        w.endObject()
        w.key("response")
        if let rr = c.recordedResponse {
            w.beginObject()
            w.field("status", rr.status)
            w.field("origin", rr.origin.rawValue)
            w.key("body")
            bodyValue(masked(rr.body), &w)
            w.field("error", rr.error)
            w.key("latency_ms")
            if let l = rr.latencyMs { w.double((l * 10).rounded() / 10) } else { w.null() }
            w.endObject()
        } else {
            w.null()
        }
        w.endObject()
        return w.bytes
    }

    /// JSON bodies embedded as JSON, anything else as a string (base64 when not UTF-8).
    static func bodyValue(_ body: [UInt8], _ w: inout JSONWriter) {
        if body.isEmpty { w.string(""); return }
        if let doc = try? JSONDocument(parsing: body), doc.kind(doc.root).isContainer {
            w.raw(oneLine(Array(body.trimmedForJSON)))
        } else if UTF8Check.firstInvalidOffset(body) == nil {
            w.string(String(decoding: body, as: UTF8.self))
        } else {
            w.string("base64:" + Data(body).base64EncodedString())
        }
    }

    /// Valid JSON never holds a raw CR or LF inside a string, so dropping them keeps the value and
    /// the NDJSON line intact (SDKs and servers may pretty-print).
    static func oneLine(_ json: [UInt8]) -> [UInt8] {
        guard json.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return json }
        return json.filter { $0 != 0x0A && $0 != 0x0D }
    }
}

extension Array where Element == UInt8 {
    /// Without leading/trailing JSON whitespace (so an embedded body stays on one line).
    var trimmedForJSON: ArraySlice<UInt8> {
        var lo = startIndex
        var hi = endIndex
        func ws(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
        while lo < hi && ws(self[lo]) { lo += 1 }
        while hi > lo && ws(self[hi - 1]) { hi -= 1 }
        return self[lo..<hi]
    }
}

/// `ampscope proxy --show-preflights`: one line per CORS preflight, in the format of the
/// request lines (text) or as an NDJSON object with `"preflight": true` (`--json`).
enum PreflightLine {
    static func text(_ s: PreflightSeen, color: Bool) -> String {
        let (dim, reset) = color ? ("\u{1B}[2m", "\u{1B}[0m") : ("", "")
        let client: String = Sanitize.inline(s.client ?? "proxy", limit: 48)
        var line: String = HeadlessPrinter.localClock(s.receivedAt)
        line += " \(dim)\(client)\(reset)"
        line += " OPTIONS " + Sanitize.inline(s.target, limit: 70)
        line += "  preflight → \(s.status)"
        var asked: [String] = []
        if let o = s.origin { asked.append("origin " + Sanitize.inline(o, limit: 60)) }
        if let m = s.requestMethod { asked.append("for " + Sanitize.inline(m, limit: 10)) }
        if let h = s.requestHeaders { asked.append("headers " + Sanitize.inline(h, limit: 120)) }
        if !asked.isEmpty { line += "  \(dim)(\(asked.joined(separator: ", ")))\(reset)" }
        return line + "\n"
    }

    static func json(_ s: PreflightSeen) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("preflight", true)
        w.field("time", Timestamp.iso8601(ms: s.receivedAt))
        w.field("client", s.client)
        w.field("method", "OPTIONS")
        w.field("target", s.target)
        w.field("origin", s.origin)
        w.field("request_method", s.requestMethod)
        w.field("request_headers", s.requestHeaders)
        w.field("status", s.status)
        w.endObject()
        return String(decoding: Report.terminalSafeJSON(w.bytes), as: UTF8.self) + "\n"
    }
}

/// Line-oriented output to a file descriptor (stdout), flushed per batch so `tail -f` and pipes
/// see lines promptly.
final class ProxyLineOutput: Sendable {
    private let fd: Int32
    private let buffer = Guarded<[UInt8]>([])

    init(fd: Int32) { self.fd = fd }

    func write(_ s: String) {
        let full = buffer.withLock { b in
            b.append(contentsOf: s.utf8)
            return b.count >= 64 * 1024
        }
        if full { flush() }
    }

    /// Writes what is buffered; the lock is held during the write so lines never interleave.
    func flush() {
        buffer.withLock { buffer in
            guard !buffer.isEmpty else { return }
            buffer.withUnsafeBytes { p in
                var off = 0
                while off < p.count {
                    let n = Foundation.write(fd, p.baseAddress! + off, p.count - off)
                    if n <= 0 { break }
                    off += n
                }
            }
            buffer.removeAll(keepingCapacity: true)
        }
    }
}
