/// One record read from an Amplitude SDK's log output: a TypeScript debug block (an SDK
/// method call), a `[Log]`/`[Warn]`/`[Error]` line, a Python `amplitude` logger record, or a
/// legacy amplitude-js `[Amplitude]` line.
///
/// Records are plain values built by `DebugLogParser` from lines; `DebugJoiner` links them to
/// the events seen on the wire. All text comes from an untrusted program: show it through
/// `Sanitize` (the parser never escapes it, so a copy/export stays byte-faithful).
public struct DebugRecord: Sendable, Equatable {
    /// Sequence number. The parser numbers its records from 0; `DebugJoiner.add` renumbers
    /// them to their index in the joiner's `records`.
    public var id: Int
    /// Where the record came from: a file name, `stdin`, `http`.
    public var source: String
    /// First and last line (1-based) of the record in its source.
    public var line: Int
    public var endLine: Int
    public var sdk: DebugSDK
    public var level: DebugLevel
    public var kind: DebugRecordKind
    /// The message after the SDK prefix, with continuation lines joined by `\n` (a TypeScript
    /// JSON block is kept whole). Capped by `DebugLogLimits.maxBlockBytes`.
    public var text: String
    /// When the line reached ampscope (live tail, HTTP endpoint), epoch ms; nil for files.
    public var receivedAt: Int64?
    /// A time printed before the SDK prefix (`2026-11-22T18:06:05.921Z Amplitude Logger …`),
    /// or the record's own time (`time` of the HTTP log endpoint), epoch ms.
    public var loggedAt: Int64?

    /// The SDK method call of a TypeScript `[Debug]` block.
    public var call: DebugCall?
    /// The event the record carries: a TS "Final event before destinations", a Python
    /// per-event outcome or an "Invalid event body".
    public var event: DebugEventInfo?
    /// A response body the SDK logged (`success: {…}`, `invalid: {…}`, a `[Warn]` before a
    /// retry, `{code: 0, error: "Status 'failed' provided for 2 events"}`).
    public var response: DebugResponseInfo?
    /// The result code the record states or implies (Python `code=`, TS result messages).
    public var code: Int?
    /// Python traceback lines that followed the record (`Traceback …`, frames, exception line).
    public var traceback: [String]
    /// Frames of the traceback (Python) — TS call frames are in `call.stack`.
    public var tracebackFrames: [StackFrame]
    /// The record's text was cut at a limit, or its JSON block never closed.
    public var truncated: Bool

    public init(id: Int = 0, source: String, line: Int, endLine: Int? = nil, sdk: DebugSDK, level: DebugLevel,
                kind: DebugRecordKind, text: String, receivedAt: Int64? = nil, loggedAt: Int64? = nil,
                call: DebugCall? = nil, event: DebugEventInfo? = nil, response: DebugResponseInfo? = nil,
                code: Int? = nil, traceback: [String] = [], tracebackFrames: [StackFrame] = [], truncated: Bool = false) {
        self.id = id
        self.source = source
        self.line = line
        self.endLine = endLine ?? line
        self.sdk = sdk
        self.level = level
        self.kind = kind
        self.text = text
        self.receivedAt = receivedAt
        self.loggedAt = loggedAt
        self.call = call
        self.event = event
        self.response = response
        self.code = code
        self.traceback = traceback
        self.tracebackFrames = tracebackFrames
        self.truncated = truncated
    }

    /// `file.log:12` or `file.log:12-40`.
    public var location: String { endLine > line ? "\(source):\(line)-\(endLine)" : "\(source):\(line)" }

    /// Best known time of the record (epoch ms): the call's start, the logged time, the arrival.
    public var time: Int64? { call?.start ?? loggedAt ?? receivedAt }

    /// The first line of `text`, for one-line lists (still unescaped: pass it through `Sanitize`).
    public var headline: String {
        if let c = call { return c.name + "(" + c.argsSummary + ")" }
        if let nl = text.utf8.firstIndex(of: 0x0A) { return String(text[..<nl]) }
        return text
    }

    /// Warnings and errors (what the Debug tab lists next to an event).
    public var isProblem: Bool { level >= .warn }

    /// The SDK method name for filters (`sdk:track`): the call's name, nil for log lines.
    public var methodName: String? { call?.name }
}

public enum DebugSDK: String, Sendable, Codable, CaseIterable {
    /// `@amplitude/analytics-browser` / `-node` / `-core` (and the old `@amplitude/node`).
    case typescript
    /// `amplitude-analytics` (PyPI).
    case python
    /// amplitude-js 8.x and older: `[Amplitude] message`.
    case amplitudeJS = "amplitude-js"
}

/// Log levels of all SDKs on one scale (ordered by severity).
public enum DebugLevel: Int, Sendable, Codable, Comparable, CaseIterable, CustomStringConvertible {
    case debug = 0, log, info, warn, error, critical

    public static func < (a: DebugLevel, b: DebugLevel) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .debug: return "debug"
        case .log: return "log"
        case .info: return "info"
        case .warn: return "warn"
        case .error: return "error"
        case .critical: return "critical"
        }
    }

    /// Parses `Debug`, `WARNING`, `warn`, `Log`, `INFO`, `CRITICAL`, `FATAL`, `Verbose`...
    public init?(word: some StringProtocol) {
        switch String(word).asciiLowercased {
        case "debug", "trace": self = .debug
        case "log", "verbose": self = .log
        case "info", "information", "notice": self = .info
        case "warn", "warning": self = .warn
        case "error", "err": self = .error
        case "critical", "fatal": self = .critical
        default: return nil
        }
    }
}

/// What a record is, as far as the join is concerned.
public enum DebugRecordKind: String, Sendable, Codable, CaseIterable {
    /// A TypeScript `[Debug]` block: one public SDK method call (`call` is set).
    case call
    /// TS `Timeline.apply: Initial event` / `Event after … plugin` (pipeline progress; the
    /// event stays in `text`, `event` is not set).
    case pipeline
    /// TS `Timeline.apply: Final event before destinations, event: {…}` (`event` is set).
    case finalEvent
    /// TS `Timeline.apply: Event filtered out by … plugin '…'` (`event` is set): never sent.
    case filteredOut
    /// An SDK's final word on one event: TS `Event tracked successfully`, `success: {…}`,
    /// `[Error]` results; Python per-event records with `code=` (`event` set for Python).
    case result
    /// A response body logged before a retry (TS `[Warn]: {…}`), not final.
    case response
    /// Python `Invalid event body {…}`: the SDK refused the event; it is never sent.
    case invalidEvent
    /// Anything else the SDK logged.
    case message
}

/// The event a log record carries (a subset: what the join and the lists need).
public struct DebugEventInfo: Sendable, Equatable {
    public var insertID: String?
    public var eventType: String?
    public var userID: String?
    public var deviceID: String?
    /// Event `time` (epoch ms).
    public var time: Int64?
    /// TS `event_id` (0, 1, 2, … per process).
    public var eventID: Int64?
    /// Compact JSON of `event_properties` / `user_properties` / `group_properties`, keys sorted
    /// (comparable with the same fingerprint of a call's arguments).
    public var propertiesFingerprint: String?
    /// The whole event as compact JSON.
    public var json: String

    public init(insertID: String? = nil, eventType: String? = nil, userID: String? = nil, deviceID: String? = nil,
                time: Int64? = nil, eventID: Int64? = nil, propertiesFingerprint: String? = nil, json: String) {
        self.insertID = insertID
        self.eventType = eventType
        self.userID = userID
        self.deviceID = deviceID
        self.time = time
        self.eventID = eventID
        self.propertiesFingerprint = propertiesFingerprint
        self.json = json
    }

    /// Reads an event object (snake_case wire names).
    public static func from(_ doc: JSONDocument, _ node: Int) -> DebugEventInfo? {
        guard doc.kind(node) == .object else { return nil }
        func str(_ k: StaticString) -> String? {
            guard let v = doc.member(node, k) else { return nil }
            switch doc.kind(v) {
            case .string: return doc.string(v)
            case .number: return doc.rawText(v)
            default: return nil
            }
        }
        func int(_ k: StaticString) -> Int64? {
            guard let v = doc.member(node, k) else { return nil }
            return doc.int64(v) ?? doc.double(v).flatMap { $0.isFinite && abs($0) < 9e18 ? Int64($0) : nil }
        }
        return DebugEventInfo(insertID: str("insert_id"), eventType: str("event_type"), userID: str("user_id"),
                              deviceID: str("device_id"), time: int("time"), eventID: int("event_id"),
                              propertiesFingerprint: DebugJSON.eventFingerprint(doc, node),
                              json: DebugJSON.compact(doc, node))
    }
}

/// Counters of one parser (what was read, what was skipped, what was wrong).
public struct DebugLogStats: Sendable, Equatable {
    /// Lines read (including continuation lines and other output).
    public var lines = 0
    /// Lines that belong to SDK records.
    public var sdkLines = 0
    /// Lines of other program output (ignored, counted).
    public var otherLines = 0
    /// Lines that were bad: unreadable SDK lines, binary junk, over-long lines, broken blocks.
    public var badLines = 0
    /// Records produced.
    public var records = 0
    /// Problems reported (also those beyond `DebugLogLimits.maxProblems`, which are counted only).
    public var problems = 0
    /// Bytes that were not kept because a line or block exceeded its limit.
    public var droppedBytes = 0

    public init() {}
}

/// Bounds that keep memory flat on hostile or endless input.
public struct DebugLogLimits: Sendable, Equatable {
    /// Longest line kept; the rest of a longer line is skipped and reported.
    public var maxLineBytes: Int
    /// Largest multi-line block (TS JSON, Python traceback) kept whole.
    public var maxBlockBytes: Int
    /// Most lines in one block.
    public var maxBlockLines: Int
    /// Problems kept in `problems` (more are only counted).
    public var maxProblems: Int

    public init(maxLineBytes: Int = 1 << 20, maxBlockBytes: Int = 4 << 20, maxBlockLines: Int = 100_000,
                maxProblems: Int = 1000) {
        self.maxLineBytes = maxLineBytes
        self.maxBlockBytes = maxBlockBytes
        self.maxBlockLines = maxBlockLines
        self.maxProblems = maxProblems
    }
}
