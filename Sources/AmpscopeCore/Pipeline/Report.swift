/// Running totals of a check (the report formatters stream; only this is kept).
public struct CheckSummary: Sendable {
    public var files: [String] = []
    public var requests = 0
    public var events = 0
    public var counts = FindingCounts()
    public var problems = 0
    /// Entries of HAR files that were not Amplitude requests.
    public var skipped = 0
    public var answerMismatches = 0
    public var byRule: [String: Int] = [:]

    public init() {}

    public mutating func add(_ p: Processed) {
        requests += 1
        events += p.request.records.count
        counts += p.counts
        for f in p.findings { byRule[f.rule, default: 0] += 1 }
        // Findings on the Amplitude requests a Segment request maps to count like any others.
        for o in p.segmentMapping?.outcomes ?? [] {
            counts += o.counts
            for f in o.findings { byRule[f.rule, default: 0] += 1 }
        }
        if Self.answerMismatch(p) != nil { answerMismatches += 1 }
    }

    /// Exit status of `ampscope check`: 0 clean, 1 error findings, 2 unreadable input.
    public var exitCode: Int32 {
        if problems > 0 { return 2 }
        return counts.errors > 0 ? 1 : 0
    }

    /// Where a recorded (not injected) answer disagrees with the emulated one.
    public static func answerMismatch(_ p: Processed) -> String? {
        guard let r = p.capture.recordedResponse, r.origin == .recorded || r.origin == .upstream else { return nil }
        return AnswerComparison.difference(emulated: p.answer, actual: r)
    }
}

/// Output of `ampscope check`, produced piece by piece as requests are processed.
public protocol ReportFormatter {
    mutating func begin() -> String
    mutating func item(_ p: Processed) -> String
    mutating func problem(_ pr: InputProblem) -> String
    /// Called after the last item of each input file.
    mutating func fileDone(_ name: String) -> String
    mutating func end(_ summary: CheckSummary) -> String
}

/// Shared pieces of the report formats.
public enum Report {
    public static let jsonFormatVersion = 1

    /// ANSI styles for text output; `plain` when colour is off.
    public struct Style: Sendable {
        public var error = "", warning = "", info = "", dim = "", bold = "", ok = "", reset = ""
        public static let plain = Style()
        public static let ansi = Style(error: "\u{1B}[31m", warning: "\u{1B}[33m", info: "\u{1B}[36m",
                                       dim: "\u{1B}[2m", bold: "\u{1B}[1m", ok: "\u{1B}[32m", reset: "\u{1B}[0m")
        func severity(_ s: Severity) -> String {
            switch s {
            case .error: return error
            case .warning: return warning
            case .info: return info
            }
        }
    }

    /// `200`, `400 Invalid id length for user_id or device_id`, `200 success`.
    public static func answerLabel(_ a: EmulatedAnswer) -> String {
        if let doc = try? JSONDocument(parsing: a.body), doc.kind(doc.root) == .object,
           let e = doc.member(doc.root, "error").flatMap({ doc.stringValue($0) }) {
            return "\(a.status) \(Sanitize.inline(e, limit: 80))"
        }
        if a.contentType.hasPrefix("text/") { return "\(a.status) \(Sanitize.inline(a.bodyText, limit: 80))" }
        return "\(a.status)"
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }

    public static func writeFinding(_ f: Finding, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("rule", f.rule)
        w.field("severity", f.severity.rawValue)
        w.field("path", f.path)
        w.field("event", f.event)
        w.field("message", f.message)
        w.endObject()
    }

    /// The body as JSON when it parses, else as a (sanitised) string.
    static func writeBodyValue(_ body: [UInt8], _ w: inout JSONWriter) {
        if (try? JSONDocument(parsing: body)) != nil {
            w.raw(body.trimmedJSONWhitespace)
        } else {
            w.string(Sanitize.bytes(body))
        }
    }

    /// `{"status": …, "body": …}`.
    static func writeAnswer(_ a: EmulatedAnswer, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("status", a.status)
        w.key("body")
        writeBodyValue(a.body, &w)
        w.endObject()
    }

    /// `"counts": {…}, "findings": […]` members.
    public static func writeCountsAndFindings(_ findings: [Finding], _ w: inout JSONWriter) {
        w.key("counts")
        writeCounts(FindingCounts(findings), &w)
        w.key("findings")
        w.beginArray()
        for f in findings { writeFinding(f, &w) }
        w.endArray()
    }

    static func writeCounts(_ c: FindingCounts, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("error", c.errors)
        w.field("warning", c.warnings)
        w.field("info", c.infos)
        w.endObject()
    }

    /// Valid JSON text with every scalar that acts on a terminal (`Sanitize.isUnsafe`: C0 and C1
    /// controls, DEL, bidi controls, zero-width characters) written as a `\u` escape. JSONWriter
    /// already escapes C0 in the strings it writes, but C1 and bidi characters pass as UTF-8, and
    /// sub-documents copied from captures (`JSONWriter.raw`) pass untouched. In valid JSON such
    /// characters can only stand inside strings, where the escape means the same character, so a
    /// JSON reader sees the same values; a terminal showing the line sees only ASCII escapes.
    public static func terminalSafeJSON(_ json: [UInt8]) -> [UInt8] {
        guard let first = firstTerminalUnsafe(json) else { return json }
        var out = Array(json[..<first])
        out.reserveCapacity(json.count + 64)
        let n = json.count
        var i = first
        while i < n {
            let b = json[i]
            guard let (v, len) = unsafeScalar(json, at: i) else {
                out.append(b)
                i += 1
                continue
            }
            let h = String(v, radix: 16)
            out.append(contentsOf: ("\\u" + String(repeating: "0", count: max(0, 4 - h.count)) + h).utf8)
            i += len
        }
        return out
    }

    /// Offset of the first scalar `terminalSafeJSON` would escape, or nil when it leaves `json` as it is.
    public static func firstTerminalUnsafe(_ json: [UInt8]) -> Int? {
        var i = 0
        let n = json.count
        while i < n {
            if terminalSuspect(json[i]), unsafeScalar(json, at: i) != nil { return i }
            i += 1
        }
        return nil
    }

    @inline(__always) static func terminalSuspect(_ b: UInt8) -> Bool {
        b < 0x20 ? (b != 0x0A && b != 0x0D && b != 0x09) : (b == 0x7F || b == 0xC2 || b == 0xD8 || b == 0xE2 || b == 0xEF)
    }

    /// The scalar starting at `i` and its length when it is one that acts on a terminal.
    private static func unsafeScalar(_ json: [UInt8], at i: Int) -> (UInt32, Int)? {
        let b = json[i]
        guard terminalSuspect(b) else { return nil }
        let len = b < 0x80 ? 1 : b < 0xE0 ? 2 : 3
        guard i + len <= json.count else { return nil }
        var v = len == 1 ? UInt32(b) : UInt32(b & (len == 2 ? 0x1F : 0x0F))
        for k in 1..<max(1, len) { v = (v << 6) | UInt32(json[i + k] & 0x3F) }
        return Sanitize.isUnsafe(v) ? (v, len) : nil
    }

    /// Escapes XML text and attributes; control characters (illegal in XML 1.0) become visible
    /// escapes, and so do U+FFFE and U+FFFF (valid UTF-8, but not XML 1.0 characters either).
    static func xml(_ s: String) -> String {
        var out = ""
        for u in Sanitize.visible(s).unicodeScalars {
            switch u {
            case "\u{FFFE}", "\u{FFFF}": out += Sanitize.escape(u.value)
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}

/// Human-readable report: one block per request, grouped findings, a summary line.
public struct TextReport: ReportFormatter {
    public var style: Report.Style
    public var redactKeys: Bool
    /// Findings of one rule beyond this many per request are summarised in one line.
    public var perRuleLimit = 5

    public init(style: Report.Style = .plain, redactKeys: Bool = true) {
        self.style = style
        self.redactKeys = redactKeys
    }

    public mutating func begin() -> String { "" }
    public mutating func fileDone(_ name: String) -> String { "" }

    public mutating func item(_ p: Processed) -> String {
        let c = p.capture
        let n = p.request.records.count
        let counts = p.counts
        let mark = counts.errors > 0 ? style.error + "✗" + style.reset
            : counts.warnings > 0 ? style.warning + "!" + style.reset : style.ok + "✓" + style.reset
        var out = "\(mark) \(style.bold)\(Sanitize.inlineTail(c.source.location, limit: 60))\(style.reset)  \(Sanitize.inline(c.method, limit: 10)) \(Sanitize.inline(c.target, limit: 60))  \(n) event\(n == 1 ? "" : "s")  → \(Report.answerLabel(p.answer))"
        if let key = p.request.apiKey, !key.isEmpty {
            out += style.dim + "  key " + Sanitize.inline(redactKeys ? Redactor.mask(key) : key, limit: 40) + style.reset
        }
        out += "\n"
        if let mismatch = CheckSummary.answerMismatch(p) {
            out += "    \(style.warning)the recorded answer differs: \(mismatch)\(style.reset)\n"
        }
        out += findingLines(p.findings, indent: "    ")
        if let m = p.segmentMapping { out += SegmentReport.text(m, self) }
        return out
    }

    /// Findings grouped under a request; more than `perRuleLimit` of one rule are summarised.
    func findingLines(_ findings: [Finding], indent: String) -> String {
        var out = ""
        var perRule: [String: Int] = [:]
        for f in findings {
            let k = perRule[f.rule, default: 0]
            perRule[f.rule] = k + 1
            if k >= perRuleLimit { continue }
            let sev = style.severity(f.severity) + Report.pad(f.severity.rawValue, 7) + style.reset
            let path = f.path.isEmpty ? "" : " " + style.dim + Sanitize.inline(f.path, limit: 60) + style.reset
            out += "\(indent)\(sev) \(f.rule)\(path)\n\(indent)  \(Sanitize.inline(f.message, limit: 400))\n"
        }
        for (rule, k) in perRule.sorted(by: { $0.key < $1.key }) where k > perRuleLimit {
            out += "\(indent)\(style.dim)… and \(k - perRuleLimit) more \(rule)\(style.reset)\n"
        }
        return out
    }

    public mutating func problem(_ pr: InputProblem) -> String {
        "\(style.error)✗ unreadable \(Sanitize.inline(pr.description, limit: 300))\(style.reset)\n"
    }

    public mutating func end(_ s: CheckSummary) -> String {
        let c = s.counts
        var out = "\n\(s.requests) request\(s.requests == 1 ? "" : "s"), \(s.events) event\(s.events == 1 ? "" : "s") in \(s.files.count) file\(s.files.count == 1 ? "" : "s"): "
        out += "\(style.severity(.error))\(c.errors) error\(c.errors == 1 ? "" : "s")\(style.reset), "
        out += "\(style.severity(.warning))\(c.warnings) warning\(c.warnings == 1 ? "" : "s")\(style.reset), "
        out += "\(c.infos) info"
        if s.problems > 0 { out += ", \(style.error)\(s.problems) unreadable\(style.reset)" }
        if s.skipped > 0 { out += ", \(s.skipped) non-Amplitude HAR entr\(s.skipped == 1 ? "y" : "ies") skipped" }
        if s.answerMismatches > 0 { out += ", \(style.warning)\(s.answerMismatches) recorded answer\(s.answerMismatches == 1 ? "" : "s") differ\(s.answerMismatches == 1 ? "s" : "")\(style.reset)" }
        return out + "\n"
    }
}

/// Stable machine-readable report (schema in Docs/cli.md): one object with `requests`,
/// `problems` and `summary`, written incrementally.
public struct JSONReport: ReportFormatter {
    public var version: String
    public var redactKeys: Bool
    /// Members added to the report object after `summary` (`coverage` with `--plan`): name and JSON.
    public var extraMembers: [(String, [UInt8])] = []
    private var wroteItem = false
    private var problems: [InputProblem] = []

    public init(version: String, redactKeys: Bool = true) {
        self.version = version
        self.redactKeys = redactKeys
    }

    public mutating func begin() -> String {
        "{\"ampscope\":\(JSONWriter.quoted(version)),\"format\":\(Report.jsonFormatVersion),\"requests\":[\n"
    }

    public mutating func fileDone(_ name: String) -> String { "" }

    public mutating func item(_ p: Processed) -> String {
        let c = p.capture
        var w = JSONWriter()
        w.beginObject()
        w.field("source", c.source.location)
        w.field("received", c.receivedAt > 0 ? Timestamp.iso8601(ms: c.receivedAt) : nil)
        w.field("method", c.method)
        w.field("path", c.path)
        w.field("endpoint", p.request.endpoint.displayName)
        w.field("decoder", p.request.decoder)
        w.field("api_key", p.request.apiKey.map { redactKeys ? Redactor.mask($0) : $0 })
        w.field("events", p.request.records.count)
        // amplitude-js uploads: what the checksum check found, also when it passed.
        if let verdict = LegacyChecksum.verdict(p.request) { w.field("checksum", verdict.word) }
        w.key("emulated_answer")
        var answer = p.answer
        if redactKeys { answer.body = Redactor.redactAnswer(answer.body, of: p) }
        Report.writeAnswer(answer, &w)
        if let r = c.recordedResponse {
            w.key("recorded_answer")
            w.beginObject()
            w.field("status", r.status)
            w.field("origin", r.origin.rawValue)
            w.key("body")
            Report.writeBodyValue(redactKeys ? Redactor.redactAnswer(r.body, of: p) : r.body, &w)
            w.endObject()
            if r.origin == .recorded || r.origin == .upstream {
                let d = CheckSummary.answerMismatch(p)
                w.field("answer_matches", d == nil)
                if let d { w.field("answer_difference", d) }
            }
        }
        Report.writeCountsAndFindings(p.findings, &w)
        if let m = p.segmentMapping { SegmentReport.writeMapped(m, &w) }
        w.endObject()
        let prefix = wroteItem ? ",\n" : ""
        wroteItem = true
        return prefix + String(decoding: Report.terminalSafeJSON(w.bytes), as: UTF8.self)
    }

    public mutating func problem(_ pr: InputProblem) -> String {
        problems.append(pr)
        return ""
    }

    public mutating func end(_ s: CheckSummary) -> String {
        var w = JSONWriter()
        w.beginArray()
        for pr in problems {
            w.beginObject()
            w.field("source", pr.source)
            w.field("line", pr.line)
            w.field("reason", pr.reason)
            w.endObject()
        }
        w.endArray()
        var sw = JSONWriter()
        sw.beginObject()
        sw.field("files", s.files.count)
        sw.field("requests", s.requests)
        sw.field("events", s.events)
        sw.field("errors", s.counts.errors)
        sw.field("warnings", s.counts.warnings)
        sw.field("infos", s.counts.infos)
        sw.field("unreadable", s.problems)
        sw.field("skipped", s.skipped)
        sw.field("answer_mismatches", s.answerMismatches)
        sw.key("by_rule")
        sw.beginObject()
        for (rule, n) in s.byRule.sorted(by: { $0.key < $1.key }) { sw.field(rule, n) }
        sw.endObject()
        sw.field("exit_code", Int(s.exitCode))
        sw.endObject()
        var extra = ""
        for (k, v) in extraMembers { extra += "," + JSONWriter.quoted(k) + ":" + String(decoding: Report.terminalSafeJSON(v), as: UTF8.self) }
        return "\n],\"problems\":" + String(decoding: Report.terminalSafeJSON(w.bytes), as: UTF8.self) + ",\"summary\":" + sw.text + extra + "}\n"
    }
}

/// JUnit XML: one test suite per input file, one test case per request. Error findings fail
/// the case; unreadable lines are test errors; warnings and infos go to system-out.
public struct JUnitReport: ReportFormatter {
    private var cases = ""
    private var tests = 0
    private var failures = 0
    private var errors = 0
    private var suites = ""
    private var totals = (tests: 0, failures: 0, errors: 0)
    /// A further test suite (the plan's coverage with `--plan`): its XML and its counts.
    public var extraSuite: (xml: String, tests: Int, failures: Int)?

    public init() {}

    public mutating func begin() -> String { "" }

    public mutating func item(_ p: Processed) -> String {
        let c = p.capture
        let suite = c.source.name
        let caseName = "\(c.source.location) \(c.method) \(c.target) (\(p.request.records.count) events) → \(p.answer.status)"
        cases += "    <testcase classname=\"\(Report.xml(suite))\" name=\"\(Report.xml(caseName))\" time=\"0\">\n"
        let errs = p.findings.filter { $0.severity == .error }
        if let first = errs.first {
            failures += 1
            let body = errs.map { "\($0.rule) \($0.path): \($0.message)" }.joined(separator: "\n")
            cases += "      <failure type=\"\(Report.xml(first.rule))\" message=\"\(Report.xml("\(errs.count) error(s): \(first.rule) \(first.path)"))\">\(Report.xml(body))</failure>\n"
        }
        let others = p.findings.filter { $0.severity != .error }
        if !others.isEmpty {
            cases += "      <system-out>\(Report.xml(others.map { "\($0.severity.rawValue) \($0.rule) \($0.path): \($0.message)" }.joined(separator: "\n")))</system-out>\n"
        }
        cases += "    </testcase>\n"
        tests += 1
        return ""
    }

    public mutating func problem(_ pr: InputProblem) -> String {
        cases += "    <testcase classname=\"\(Report.xml(pr.source))\" name=\"\(Report.xml("\(pr.source):\(pr.line) unreadable"))\" time=\"0\">\n"
        cases += "      <error type=\"unreadable\" message=\"\(Report.xml(pr.reason))\"/>\n    </testcase>\n"
        tests += 1
        errors += 1
        return ""
    }

    public mutating func fileDone(_ name: String) -> String {
        suites += "  <testsuite name=\"\(Report.xml(name))\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\">\n" + cases + "  </testsuite>\n"
        totals = (totals.tests + tests, totals.failures + failures, totals.errors + errors)
        cases = ""
        (tests, failures, errors) = (0, 0, 0)
        return ""
    }

    public mutating func end(_ s: CheckSummary) -> String {
        if tests > 0 { _ = fileDone("input") }
        if let x = extraSuite {
            suites += x.xml
            totals = (totals.tests + x.tests, totals.failures + x.failures, totals.errors)
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ampscope check\" tests=\"\(totals.tests)\" failures=\"\(totals.failures)\" errors=\"\(totals.errors)\">\n" + suites + "</testsuites>\n"
    }
}
