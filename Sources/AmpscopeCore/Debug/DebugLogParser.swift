/// Streaming reader of Amplitude SDK log output, line by line.
///
/// One parser reads one source (a file, stdin, the HTTP log endpoint) and recognises, line by
/// line and in any mix:
/// - TypeScript SDK console output: `Amplitude Logger [Debug|Log|Warn|Error]: message`, where a
///   message that opens a JSON value at the end of its line (`{`, `success: {`) continues on the
///   following lines until its brackets balance;
/// - Python SDK records in the `logging.basicConfig` format `LEVEL:amplitude:message` (with the
///   fixtures' appended ` | code=N event={json}`), and the traceback lines that follow them;
/// - Python structured records, one JSON object per line with `level` and `message`
///   (the fixtures' `.log.jsonl`);
/// - amplitude-js 8.x `[Amplitude] message` lines.
/// Text before the SDK prefix (a timestamp, `app_1  | `) is allowed; a timestamp there becomes
/// the record's `loggedAt`, and the same prefix is stripped from continuation lines.
///
/// Everything else is other program output: ignored but counted (`stats.otherLines`). Broken
/// SDK lines, binary junk, over-long lines and unterminated blocks are reported in `problems`
/// with their line number and counted in `stats.badLines`; they never stop the parser. Memory
/// is bounded by `DebugLogLimits` whatever the input.
///
/// Feed lines (`feed(line:)`) or raw chunks (`feed(bytes:)`); each call returns the records it
/// completed. A Python record is held until the next line shows whether a traceback follows:
/// on a live tail call `flush()` after a short idle gap, and `finish()` at end of input.
public struct DebugLogParser: Sendable {
    public let source: String
    public let limits: DebugLogLimits
    public internal(set) var stats = DebugLogStats()
    /// Located problems, oldest first (at most `limits.maxProblems`; `stats.problems` counts all).
    public internal(set) var problems: [InputProblem] = []

    var lineNumber = 0
    var nextID = 0
    var block: TSBlock?
    var held: HeldPython?
    // Chunked input: the incomplete last line.
    var partial: [UInt8] = []
    var partialDropped = 0
    var partialTime: Int64?
    var frameCache = StackFrameCache()

    public init(source: String, limits: DebugLogLimits = DebugLogLimits()) {
        self.source = source
        self.limits = limits
    }

    /// Which SDK's log a file's first bytes look like (for input detection): a TypeScript or
    /// amplitude-js prefix, a Python `LEVEL:amplitude:` line, or a Python JSON record (an object
    /// with `level`, `message` and an `amplitude` logger) among the first lines. nil otherwise.
    public static func sniff(_ prefix: some Collection<UInt8>) -> DebugSDK? {
        var p = DebugLogParser(source: "sniff", limits: DebugLogLimits(maxLineBytes: 64 * 1024, maxBlockBytes: 256 * 1024,
                                                                      maxBlockLines: 2000, maxProblems: 0))
        var records = p.feed(bytes: prefix.prefix(256 * 1024))
        if records.isEmpty { records = p.finish() }
        return records.first?.sdk
    }

    // MARK: Input

    /// Feeds one line (without its line terminator; a trailing CR is removed).
    /// `receivedAt` is when the line arrived (live sources), epoch ms.
    public mutating func feed(line: some Collection<UInt8>, receivedAt: Int64? = nil) -> [DebugRecord] {
        var out: [DebugRecord] = []
        let bytes = Array(line.prefix(limits.maxLineBytes + 1))
        if bytes.count > limits.maxLineBytes {
            let total = line.count
            process(Array(bytes.prefix(limits.maxLineBytes)), droppedBytes: total - limits.maxLineBytes, receivedAt: receivedAt, into: &out)
        } else {
            process(bytes, droppedBytes: 0, receivedAt: receivedAt, into: &out)
        }
        return out
    }

    /// Feeds a chunk of bytes split anywhere; complete lines are read, the tail waits for more.
    public mutating func feed(bytes chunk: some Collection<UInt8>, receivedAt: Int64? = nil) -> [DebugRecord] {
        var out: [DebugRecord] = []
        let buf = Array(chunk)
        if partial.isEmpty && partialDropped == 0 { partialTime = receivedAt }
        var i = 0
        while i < buf.count {
            guard let nl = buf[i...].firstIndex(of: 0x0A) else {
                keepPartial(buf[i...])
                break
            }
            let t = partialTime ?? receivedAt
            if partial.isEmpty && partialDropped == 0 && nl - i <= limits.maxLineBytes {
                process(Array(buf[i..<nl]), droppedBytes: 0, receivedAt: t, into: &out)
            } else {
                keepPartial(buf[i..<nl])
                let line = partial
                let dropped = partialDropped
                partial = []
                partialDropped = 0
                process(line, droppedBytes: dropped, receivedAt: t, into: &out)
            }
            partialTime = receivedAt
            i = nl + 1
        }
        return out
    }

    /// Buffers the start of an incomplete line, up to the line limit (the rest is counted).
    mutating func keepPartial(_ bytes: ArraySlice<UInt8>) {
        let room = max(0, limits.maxLineBytes - partial.count)
        partial.append(contentsOf: bytes.prefix(room))
        partialDropped += max(0, bytes.count - room)
    }

    /// Emits a held Python record without waiting for a traceback (call after an idle gap on a
    /// live tail). An open TypeScript block stays open: its end has not been written yet.
    public mutating func flush() -> [DebugRecord] {
        var out: [DebugRecord] = []
        emitHeld(into: &out)
        return out
    }

    /// End of input: reads a last line without newline, closes what is open (an unterminated
    /// block is reported).
    public mutating func finish() -> [DebugRecord] {
        var out: [DebugRecord] = []
        if !partial.isEmpty || partialDropped > 0 {
            let line = partial
            let dropped = partialDropped
            partial = []
            partialDropped = 0
            process(line, droppedBytes: dropped, receivedAt: partialTime, into: &out)
        }
        if let b = block {
            block = nil
            closeBroken(b, reason: "the JSON block that starts here never ends (input ended after line \(lineNumber))", into: &out)
        }
        emitHeld(into: &out)
        return out
    }

    /// Returns the problems reported so far and forgets them (for live sources).
    public mutating func takeProblems() -> [InputProblem] {
        defer { problems = [] }
        return problems
    }

    // MARK: Lines

    mutating func process(_ raw: [UInt8], droppedBytes: Int, receivedAt: Int64?, into out: inout [DebugRecord]) {
        lineNumber += 1
        stats.lines += 1
        var line = raw
        if line.last == 0x0D { line.removeLast() }
        if droppedBytes > 0 {
            stats.droppedBytes += droppedBytes
            problem(lineNumber, "line is \(line.count + droppedBytes) bytes, over the \(limits.maxLineBytes)-byte limit; only its start was read")
            stats.badLines += 1
        }

        if var b = block {
            block = nil  // b is now the only owner: its text grows in place
            if let content = continuation(of: b, line) {
                b.lineCount += 1
                b.endLine = lineNumber
                stats.sdkLines += 1
                b.scanner.scan(content)
                b.scanner.endLine()
                if b.stored + content.count + 1 <= limits.maxBlockBytes {
                    b.text.append(0x0A)
                    b.text.append(contentsOf: content)
                    b.stored += content.count + 1
                } else {
                    b.overflow = true
                    stats.droppedBytes += content.count + 1
                }
                if b.scanner.depth == 0 {
                    if b.overflow {
                        closeBroken(b, reason: "the JSON block is \(b.lineCount) lines, over the \(limits.maxBlockBytes)-byte limit; only its start was kept", into: &out)
                    } else {
                        emit(buildTS(b), into: &out)
                    }
                } else if b.lineCount >= limits.maxBlockLines {
                    closeBroken(b, reason: "the JSON block reached \(b.lineCount) lines (limit \(limits.maxBlockLines)) without closing", into: &out)
                } else {
                    block = b
                }
                return
            }
            closeBroken(b, reason: "the JSON block that starts here is cut off at line \(lineNumber) by a line that does not continue it", into: &out)
        }

        if var h = held {
            held = nil
            if h.acceptsTraceback(line) {
                if h.stored + line.count + 1 <= limits.maxBlockBytes, h.record.traceback.count < limits.maxBlockLines {
                    let text = String(decoding: line, as: UTF8.self)
                    h.record.traceback.append(text)
                    if let f = StackFrame.parsePython(text) { h.record.tracebackFrames.append(f) }
                    h.stored += line.count + 1
                } else {
                    h.record.truncated = true
                    stats.droppedBytes += line.count
                }
                h.record.endLine = lineNumber
                stats.sdkLines += 1
                held = h
                return
            }
            held = h
            emitHeld(into: &out)
        }

        readFreshLine(line, receivedAt: receivedAt, into: &out)
    }

    /// The content of a continuation line of an open block, nil when the line is not one.
    func continuation(of b: TSBlock, _ line: [UInt8]) -> ArraySlice<UInt8>? {
        var content = line[...]
        // `app_1  | ` repeats on every line; a devtools copy (`logger.js:48 `) shows it once.
        if !b.lead.isEmpty, content.starts(with: b.lead) { content = content.dropFirst(b.lead.count) }
        guard let first = content.first else { return nil }
        if first == 0x20 || first == 0x09 { return content }
        if first == UInt8(ascii: "}") || first == UInt8(ascii: "]") { return content }
        return nil
    }

    mutating func readFreshLine(_ line: [UInt8], receivedAt: Int64?, into out: inout [DebugRecord]) {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            stats.otherLines += 1
            return
        }
        let window = line.prefix(512)
        if let p = find(Self.tsPrefix, in: window) {
            startTS(line, prefixAt: p, receivedAt: receivedAt, into: &out)
            return
        }
        if let p = find(Self.ajsPrefix, in: window) {
            stats.sdkLines += 1
            let (leadTime, _) = readLead(line[..<p])
            let text = String(decoding: line[(p + Self.ajsPrefix.count)...], as: UTF8.self)
            var r = newRecord(sdk: .amplitudeJS, level: Self.ajsLevel(text), kind: .message, text: text, line: lineNumber, receivedAt: receivedAt)
            r.loggedAt = leadTime
            emit(r, into: &out)
            return
        }
        if let r = readPythonText(line, window: window, receivedAt: receivedAt) {
            stats.sdkLines += 1
            held = HeldPython(record: r, stored: line.count)
            return
        }
        if let first = line.first(where: { $0 != 0x20 && $0 != 0x09 }), first == UInt8(ascii: "{") {
            if let r = readPythonJSON(line, receivedAt: receivedAt) {
                stats.sdkLines += 1
                emit(r, into: &out)
                return
            }
        }
        if looksBinary(line) {
            stats.badLines += 1
            problem(lineNumber, "binary data (\(line.count) bytes), not log text")
            return
        }
        stats.otherLines += 1
    }

    // MARK: Helpers

    static func ajsLevel(_ text: String) -> DebugLevel {
        let lower = String(text.prefix(16)).asciiLowercased
        if lower.hasPrefix("error") || lower.hasPrefix("invalid") { return .error }
        if lower.hasPrefix("warn") { return .warn }
        return .info
    }

    func newRecordPeek(sdk: DebugSDK, level: DebugLevel, text: String, receivedAt: Int64?) -> DebugRecord {
        DebugRecord(id: -1, source: source, line: lineNumber, sdk: sdk, level: level, kind: .message, text: text, receivedAt: receivedAt)
    }

    func newRecord(sdk: DebugSDK, level: DebugLevel, kind: DebugRecordKind, text: String, line: Int, receivedAt: Int64?) -> DebugRecord {
        DebugRecord(id: -1, source: source, line: line, sdk: sdk, level: level, kind: kind, text: text, receivedAt: receivedAt)
    }

    mutating func emit(_ r: DebugRecord, into out: inout [DebugRecord]) {
        var r = r
        r.id = nextID
        nextID += 1
        stats.records += 1
        out.append(r)
    }

    mutating func problem(_ line: Int, _ reason: String) {
        stats.problems += 1
        if problems.count < limits.maxProblems { problems.append(InputProblem(source: source, line: line, reason: reason)) }
    }

    func looksBinary(_ line: [UInt8]) -> Bool {
        var controls = 0
        for c in line {
            if c == 0 { return true }
            if c < 0x20 && c != 0x09 && c != 0x1B { controls += 1 }
        }
        if controls > 0 && controls * 8 >= line.count { return true }
        return UTF8Check.firstInvalidOffset(line) != nil
    }

    /// Removes ANSI CSI/OSC escape sequences (colour codes before a prefix).
    static func stripANSI(_ b: [UInt8]) -> [UInt8] {
        guard b.contains(0x1B) else { return b }
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            if b[i] == 0x1B, i + 1 < b.count {
                if b[i + 1] == UInt8(ascii: "[") {
                    i += 2
                    while i < b.count, !(b[i] >= 0x40 && b[i] <= 0x7E) { i += 1 }
                    i += 1
                    continue
                }
                if b[i + 1] == UInt8(ascii: "]") {
                    i += 2
                    while i < b.count, b[i] != 0x07, b[i] != 0x1B { i += 1 }
                    i += 1
                    continue
                }
            }
            out.append(b[i])
            i += 1
        }
        return out
    }

    func find(_ needle: [UInt8], in hay: ArraySlice<UInt8>) -> Int? {
        guard let first = needle.first, hay.count >= needle.count else { return nil }
        var i = hay.startIndex
        let last = hay.endIndex - needle.count
        while i <= last {
            if hay[i] == first {
                var j = 1
                while j < needle.count && hay[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}

/// An open TypeScript multi-line block.
struct TSBlock: Sendable {
    var level: DebugLevel
    var lead: [UInt8]
    var startLine: Int
    var endLine: Int
    var loggedAt: Int64?
    var receivedAt: Int64?
    var text: [UInt8] = []
    var stored = 0
    var lineCount = 1
    var overflow = false
    var scanner = JSONDepthScanner()
}

/// A Python record waiting to see whether a traceback follows.
struct HeldPython: Sendable {
    var record: DebugRecord
    var stored: Int
    var state: State = .none

    enum State: Sendable { case none, frames, afterException }

    init(record: DebugRecord, stored: Int) {
        self.record = record
        self.stored = stored
    }

    /// True when `line` continues this record's traceback (and updates the state).
    mutating func acceptsTraceback(_ line: [UInt8]) -> Bool {
        let text = String(decoding: line.prefix(80), as: UTF8.self)
        switch state {
        case .none:
            if text.hasPrefix("Traceback (most recent call last):") { state = .frames; return true }
            return false
        case .frames:
            if line.first == 0x20 || line.first == 0x09 { return true }
            if line.isEmpty { return true }
            state = .afterException  // the exception line ends the frames
            return true
        case .afterException:
            if line.isEmpty || text.hasPrefix("During handling of the above exception")
                || text.hasPrefix("The above exception was the direct cause") {
                return true
            }
            if text.hasPrefix("Traceback (most recent call last):") { state = .frames; return true }
            // Continuation of a multi-line exception message is indistinguishable from other
            // output; stop here.
            return false
        }
    }
}

/// Result messages of the TypeScript SDKs (analytics-core types/messages.ts) and the error
/// texts of Amplitude's answers, which become per-event results when the SDK drops events.
public enum TSMessages {
    public static let success = "Event tracked successfully"
    public static let unexpectedError = "Unexpected error occurred"
    public static let maxRetries = "Event rejected due to exceeded retry count"
    public static let optOut = "Event skipped due to optOut config"
    public static let emptyEventType = "Event skipped due to empty event type"
    public static let missingAPIKey = "Event rejected due to missing API key"

    /// Messages a call gets before its event enters the pipeline (no final event is logged).
    public static let prePipeline: Set<String> = [optOut, emptyEventType]

    static let known: [(String, Int)] = [
        (success, 200), (unexpectedError, 0), (maxRetries, 500), (optOut, 0), (emptyEventType, 0), (missingAPIKey, 400),
        ("Invalid API key", 400), ("Request missing required field", 400), ("Invalid id length for user_id or device_id", 400),
        ("Invalid field values on some events", 400), ("Invalid event JSON", 400), ("Invalid JSON request body", 400),
        ("Missing request body", 400), ("Invalid request path", 400), ("Events silenced for device_id", 400),
        ("Method not allowed", 405), ("Payload too large", 413), ("Too many requests for some devices and users", 429),
    ]

    /// The code of a known result message (prefix match for `Invalid API key: <key>`).
    public static func resultCode(_ text: String) -> Int? {
        for (m, c) in known where text == m || (text.hasPrefix(m) && text.dropFirst(m.count).first == ":") { return c }
        // `Timeline` resolves a plugin-filtered event with an empty message, logged as `[Error]: `.
        if text.isEmpty { return 0 }
        return nil
    }
}
