/// The TypeScript SDKs' debug output: `Amplitude Logger [Level]: ` lines whose JSON blocks may
/// continue over the following lines, and amplitude-js's `[Amplitude] ` lines.
extension DebugLogParser {
    static let tsPrefix = Array("Amplitude Logger [".utf8)
    static let ajsPrefix = Array("[Amplitude] ".utf8)

    mutating func startTS(_ line: [UInt8], prefixAt p: Int, receivedAt: Int64?, into out: inout [DebugRecord]) {
        stats.sdkLines += 1
        let afterPrefix = p + Self.tsPrefix.count
        guard let close = line[afterPrefix...].prefix(24).firstIndex(of: UInt8(ascii: "]")) else {
            stats.badLines += 1
            problem(lineNumber, "an 'Amplitude Logger [' line without its level tag")
            emit(newRecord(sdk: .typescript, level: .log, kind: .message, text: String(decoding: line[afterPrefix...], as: UTF8.self),
                           line: lineNumber, receivedAt: receivedAt), into: &out)
            return
        }
        let tag = String(decoding: line[afterPrefix..<close], as: UTF8.self)
        var level = DebugLevel(word: tag) ?? .log
        if DebugLevel(word: tag) == nil {
            stats.badLines += 1
            problem(lineNumber, "unknown SDK log level '\(Sanitize.inline(tag, limit: 24))'")
            level = .log
        }
        var m = close + 1
        if m < line.count, line[m] == UInt8(ascii: ":") { m += 1 }
        if m < line.count, line[m] == 0x20 { m += 1 }
        let message = line[m...]
        let (leadTime, leadBytes) = readLead(line[..<p])

        var b = TSBlock(level: level, lead: leadBytes, startLine: lineNumber, endLine: lineNumber, loggedAt: leadTime,
                        receivedAt: receivedAt)
        b.text = Array(message)
        b.stored = message.count
        // A value opened at the end of the line continues on the next lines (JSON.stringify(x, null, 2)).
        if let start = message.firstIndex(where: { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") }) {
            b.scanner.scan(message[start...])
            b.scanner.endLine()
            let last = message.last(where: { $0 != 0x20 && $0 != 0x09 })
            if b.scanner.depth > 0, last == UInt8(ascii: "{") || last == UInt8(ascii: "[") {
                block = b
                return
            }
        }
        emit(buildTS(b), into: &out)
    }

    /// Reads text before an SDK prefix: a timestamp (→ time) and the exact bytes (→ stripped
    /// from continuation lines).
    func readLead(_ lead: ArraySlice<UInt8>) -> (Int64?, [UInt8]) {
        guard !lead.isEmpty else { return (nil, []) }
        var text = String(decoding: Self.stripANSI(Array(lead)), as: UTF8.self).trimmingASCIISpaces
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var time = Timestamp.parseISO8601(text)
        if time == nil, let firstSpace = text.firstIndex(of: " ") {
            time = Timestamp.parseISO8601(String(text[..<firstSpace]))
        }
        return (time, Array(lead))
    }

    mutating func closeBroken(_ b: TSBlock, reason: String, into out: inout [DebugRecord]) {
        stats.badLines += 1
        problem(b.startLine, reason)
        var r = newRecord(sdk: .typescript, level: b.level, kind: .message, text: String(decoding: b.text, as: UTF8.self),
                          line: b.startLine, receivedAt: b.receivedAt)
        r.endLine = b.endLine
        r.loggedAt = b.loggedAt
        r.truncated = true
        emit(r, into: &out)
    }

    mutating func buildTS(_ b: TSBlock) -> DebugRecord {
        let text = String(decoding: b.text, as: UTF8.self)
        var r = newRecord(sdk: .typescript, level: b.level, kind: .message, text: text, line: b.startLine, receivedAt: b.receivedAt)
        r.endLine = b.endLine
        r.loggedAt = b.loggedAt
        let bytes = b.text[...]
        switch b.level {
        case .debug:
            if bytes.first == UInt8(ascii: "{") {
                if let doc = try? JSONDocument(parsing: Array(bytes)), let call = DebugCall.from(doc, doc.root, frames: &frameCache) {
                    r.kind = .call
                    r.call = call
                } else {
                    stats.badLines += 1
                    problem(b.startLine, "the debug block is not a readable method call (invalid JSON or no 'name')")
                }
            }
        case .log:
            readLogMessage(&r, bytes)
        case .warn:
            if bytes.first == UInt8(ascii: "{") {
                if let doc = DebugJSON.parseLenient(bytes), let info = DebugResponseInfo.from(doc, doc.root) {
                    r.kind = .response
                    r.response = info
                } else {
                    stats.badLines += 1
                    problem(b.startLine, "the warning's JSON body could not be read")
                }
            } else if let (word, info) = statusBody(bytes) {
                r.kind = .result
                r.response = info
                r.code = DebugResponseInfo.code(forStatusWord: word)
            }
        case .error, .critical:
            readErrorMessage(&r, text, bytes)
        case .info:
            break
        }
        return r
    }

    mutating func readLogMessage(_ r: inout DebugRecord, _ bytes: ArraySlice<UInt8>) {
        let text = r.text
        if text.hasPrefix("Timeline.apply: ") {
            r.kind = .pipeline
            // Only the final (or filtered) event is read; the intermediate plugin steps keep
            // their text (the UI can parse it when it shows one).
            let final = text.hasPrefix("Timeline.apply: Final event before destinations")
            let filtered = text.hasPrefix("Timeline.apply: Event filtered out by ")
            guard final || filtered else { return }
            if let range = find(Array("event: ".utf8), in: bytes),
               let doc = try? JSONDocument(parsing: Array(bytes[(range + 7)...])), let e = DebugEventInfo.from(doc, doc.root) {
                r.event = e
                r.kind = final ? .finalEvent : .filteredOut
            } else {
                stats.badLines += 1
                problem(r.line, "the event JSON of '\(Sanitize.inline(String(text.prefix(60)), limit: 60))' could not be read")
            }
            return
        }
        if text == TSMessages.success {
            r.kind = .result
            r.code = 200
            return
        }
        if let (word, info) = statusBody(bytes) {
            r.kind = .result
            r.response = info
            r.code = DebugResponseInfo.code(forStatusWord: word) ?? info.code
        }
    }

    mutating func readErrorMessage(_ r: inout DebugRecord, _ text: String, _ bytes: ArraySlice<UInt8>) {
        if let (word, info) = statusBody(bytes) {
            r.kind = .result
            r.response = info
            r.code = DebugResponseInfo.code(forStatusWord: word) ?? 0
            return
        }
        if DebugResponseInfo.statusWords.contains(text) {
            // flush() with a response that had no body: the message is the status alone.
            r.kind = .result
            r.code = DebugResponseInfo.code(forStatusWord: text) ?? 0
            return
        }
        if let code = TSMessages.resultCode(text) {
            r.kind = .result
            r.code = code
        }
    }

    /// `word: {json}` where word is a TypeScript status (`success: {…}`, `invalid: {…}`).
    func statusBody(_ bytes: ArraySlice<UInt8>) -> (String, DebugResponseInfo)? {
        guard let colon = bytes.prefix(24).firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let word = String(decoding: bytes[..<colon], as: UTF8.self)
        guard DebugResponseInfo.statusWords.contains(word) else { return nil }
        let body = bytes[(colon + 1)...].drop { $0 == 0x20 }
        guard let doc = DebugJSON.parseLenient(body), let info = DebugResponseInfo.from(doc, doc.root, status: word) else {
            return nil
        }
        return (word, info)
    }
}
