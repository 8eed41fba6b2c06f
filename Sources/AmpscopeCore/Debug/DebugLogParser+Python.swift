/// The Python SDK's `logging` output: `LEVEL:amplitude:message` text lines (with tracebacks) and
/// the structured JSON-lines form.
extension DebugLogParser {
    func readPythonText(_ line: [UInt8], window: ArraySlice<UInt8>, receivedAt: Int64?) -> DebugRecord? {
        guard let at = find(Array(":amplitude".utf8), in: window) else { return nil }
        // LEVEL just before, bounded by the start of the line or a separator.
        var s = at
        while s > 0, (line[s - 1] >= 0x41 && line[s - 1] <= 0x5A) { s -= 1 }
        guard s < at, let level = DebugLevel(word: String(decoding: line[s..<at], as: UTF8.self)) else { return nil }
        if s > 0, line[s - 1] != 0x20 && line[s - 1] != 0x09 && line[s - 1] != UInt8(ascii: "]") { return nil }
        var m = at + ":amplitude".utf8.count
        // Child loggers: `amplitude.worker`.
        if m < line.count, line[m] == UInt8(ascii: ".") {
            while m < line.count, line[m] != UInt8(ascii: ":"), line[m] != 0x20 { m += 1 }
        }
        guard m < line.count, line[m] == UInt8(ascii: ":") else { return nil }
        m += 1
        let (leadTime, _) = readLead(line[..<s])
        var r = newRecordPeek(sdk: .python, level: level, text: String(decoding: line[m...], as: UTF8.self), receivedAt: receivedAt)
        r.loggedAt = leadTime
        Self.interpretPython(&r)
        return r
    }

    /// Reads the fixtures' appended ` | code=N event={json}` and known messages.
    static func interpretPython(_ r: inout DebugRecord) {
        let text = r.text
        let marker = " | code="
        if let at = StackFrame.lastIndex(of: marker, in: Substring(text)) {
            let rest = text[text.utf8.index(at, offsetBy: marker.utf8.count)...]
            let digits = rest.prefix { $0 == "-" || ($0.isASCII && $0.isNumber) }
            if let code = Int(digits) {
                r.code = code
                r.kind = .result
                let after = rest.dropFirst(digits.count)
                if after.hasPrefix(" event=") {
                    let json = after.dropFirst(7)
                    if let doc = try? JSONDocument(parsing: String(json)) { r.event = DebugEventInfo.from(doc, doc.root) }
                }
                r.text = String(text[..<at])
                return
            }
        }
        let invalid = "Invalid event body "
        if text.hasPrefix(invalid), let doc = try? JSONDocument(parsing: String(text.dropFirst(invalid.count))),
           let e = DebugEventInfo.from(doc, doc.root) {
            r.kind = .invalidEvent
            r.event = e
        }
    }

    func readPythonJSON(_ line: [UInt8], receivedAt: Int64?) -> DebugRecord? {
        guard let doc = try? JSONDocument(parsing: line), doc.kind(doc.root) == .object else { return nil }
        let root = doc.root
        guard let lv = doc.member(root, "level").flatMap({ doc.stringValue($0) }) ?? doc.member(root, "levelname").flatMap({ doc.stringValue($0) }),
              let level = DebugLevel(word: lv),
              let message = doc.member(root, "message").flatMap({ doc.stringValue($0) }) ?? doc.member(root, "msg").flatMap({ doc.stringValue($0) })
        else { return nil }
        if let logger = doc.member(root, "logger").flatMap({ doc.stringValue($0) }) ?? doc.member(root, "name").flatMap({ doc.stringValue($0) }),
           !(logger == "amplitude" || logger.hasPrefix("amplitude.")) {
            return nil
        }
        var r = newRecordPeek(sdk: .python, level: level, text: message, receivedAt: receivedAt)
        if let c = doc.member(root, "code"), let v = doc.int64(c) { r.code = Int(truncatingIfNeeded: v) }
        if let e = doc.member(root, "event"), doc.kind(e) == .object { r.event = DebugEventInfo.from(doc, e) }
        if r.code != nil { r.kind = .result } else { Self.interpretPython(&r) }
        if let x = doc.member(root, "exc_text").flatMap({ doc.stringValue($0) }) ?? doc.member(root, "exc_info").flatMap({ doc.stringValue($0) }) {
            r.traceback = x.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            r.tracebackFrames = r.traceback.compactMap { StackFrame.parsePython($0) }
        }
        if let c = doc.member(root, "created"), let secs = doc.double(c), secs.isFinite, abs(secs) < 1e11 {
            r.loggedAt = Int64((secs * 1000).rounded())
        } else if let t = doc.member(root, "time") ?? doc.member(root, "timestamp") ?? doc.member(root, "asctime") {
            if let s = doc.stringValue(t) { r.loggedAt = Timestamp.parseISO8601(s) } else if let v = doc.int64(t) { r.loggedAt = v }
        }
        return r
    }

    mutating func emitHeld(into out: inout [DebugRecord]) {
        guard let h = held else { return }
        held = nil
        var r = h.record
        while r.traceback.last?.isEmpty == true { r.traceback.removeLast() }
        emit(r, into: &out)
    }
}
