/// Everything the Debug tab shows about one subject (a wire event, or a row of the SDK-calls
/// list), copied out of the joiner so the UI can draw it without holding any lock.
///
/// Record texts are the SDK's own, unescaped: draw them through `Sanitize`/`SafeText`.
public struct DebugDetail: Sendable, Equatable {
    /// The event as the SDK saw it (nil: no trace — a wire event no SDK record explains, a
    /// call that produces no event such as `flush`, or a log message).
    public var trace: SDKTrace?
    /// The SDK method call (a TypeScript debug block).
    public var call: DebugRecord?
    /// TS `Final event before destinations` (or `Event filtered out by … plugin`).
    public var finalEvent: DebugRecord?
    /// The SDK's final word on the event.
    public var result: DebugRecord?
    /// What the SDK logged about this subject besides the call (warnings, errors, answers
    /// before retries, request-level errors), in log order. For a log-message row: the message.
    public var notes: [DebugRecord]
    /// The wire event the detail was asked for (nil for SDK rows).
    public var wire: WireEventRef?
    /// Every attempt that carried the event, in arrival order (what ampscope still remembers of
    /// each; an attempt forgotten by the joiner's retention has only its reference).
    public var attempts: [Attempt]
    /// Why the SDK-logged answers single out the event (`throttled`, `invalid id length: user_id`).
    public var reasons: [String]
    /// A located problem of the log itself (an unreadable line), for problem rows.
    public var problem: InputProblem?
    /// True once any SDK record was read (else the tab explains how to feed a log).
    public var hasRecords: Bool

    public struct Attempt: Sendable, Equatable {
        public var ref: WireEventRef
        public var event: DebugWireEvent?
        public init(ref: WireEventRef, event: DebugWireEvent?) {
            self.ref = ref
            self.event = event
        }
    }

    public init(trace: SDKTrace? = nil, call: DebugRecord? = nil, finalEvent: DebugRecord? = nil, result: DebugRecord? = nil,
                notes: [DebugRecord] = [], wire: WireEventRef? = nil, attempts: [Attempt] = [], reasons: [String] = [],
                problem: InputProblem? = nil, hasRecords: Bool = true) {
        self.trace = trace
        self.call = call
        self.finalEvent = finalEvent
        self.result = result
        self.notes = notes
        self.wire = wire
        self.attempts = attempts
        self.reasons = reasons
        self.problem = problem
        self.hasRecords = hasRecords
    }

    /// True when nothing SDK-side is known about the subject.
    public var isEmpty: Bool { trace == nil && call == nil && notes.isEmpty && problem == nil }

    /// The fate, when the subject is an event the SDK handled.
    public var fate: SDKFate? { trace?.fate }

    /// Warnings and errors among the notes and the result.
    public var problems: [DebugRecord] { (notes + [result].compactMap { $0 }).filter(\.isProblem) }
}

/// One row of the SDK-calls list: an event as the SDK saw it (its call, or only its log lines),
/// a call that produces no event (`flush`, `setOptOut`, `init`), a warning or error the SDK
/// logged about nothing in particular, or an unreadable log line.
public struct SDKRow: Sendable, Equatable {
    public enum Kind: Sendable, Equatable, Hashable {
        /// Index into `DebugJoiner.traces`.
        case trace(Int)
        /// A call record with no trace.
        case call(record: Int)
        /// A warning or error record with no trace.
        case message(record: Int)
        /// An unreadable line of a log (index into `SharedDebugSession`'s problem list).
        case problem(Int)
    }

    /// Stable number (1-based, in the order rows appeared; numbers of rows that were folded
    /// into a trace later are skipped, never reused).
    public var number: Int
    public var kind: Kind
    /// Best known time, epoch ms (call start, event time, logged or received time).
    public var time: Int64?
    /// The log source (file name, `stdin`, `http:web`).
    public var source: String
    /// `file:line` of the row's first record.
    public var location: String
    public var sdk: DebugSDK?
    /// The SDK method (`track`, `flush`, …), nil when no call was logged.
    public var method: String?
    /// `track("Button Clicked", {…})`, or the message's first line (unescaped).
    public var headline: String
    public var eventType: String?
    public var userID: String?
    public var deviceID: String?
    public var insertID: String?
    /// For events only.
    public var fate: SDKFate?
    /// The wire events that carried the event, in arrival order.
    public var wire: [WireEventRef]
    /// Warnings and errors logged about the row.
    public var problems: Int
    /// Of those, errors (and worse).
    public var errors: Int
    /// The worst level among the row's records.
    public var level: DebugLevel
    /// The SDK's result code, when it logged one.
    public var resultCode: Int?
    /// JSON that payload filter terms read: the SDK's final event, else the call's arguments.
    public var payloadJSON: String?

    public init(number: Int, kind: Kind, time: Int64?, source: String, location: String, sdk: DebugSDK?, method: String?,
                headline: String, eventType: String? = nil, userID: String? = nil, deviceID: String? = nil,
                insertID: String? = nil, fate: SDKFate? = nil, wire: [WireEventRef] = [], problems: Int = 0,
                errors: Int = 0, level: DebugLevel = .debug, resultCode: Int? = nil, payloadJSON: String? = nil) {
        self.number = number
        self.kind = kind
        self.time = time
        self.source = source
        self.location = location
        self.sdk = sdk
        self.method = method
        self.headline = headline
        self.eventType = eventType
        self.userID = userID
        self.deviceID = deviceID
        self.insertID = insertID
        self.fate = fate
        self.wire = wire
        self.problems = problems
        self.errors = errors
        self.level = level
        self.resultCode = resultCode
        self.payloadJSON = payloadJSON
    }

    /// What filter predicates read about the row (`sdk:`, `fate:`, `has:`).
    public var filterInfo: DebugRowInfo {
        DebugRowInfo(traceID: { if case .trace(let t) = kind { return t } else { return -1 } }(), method: method,
                     fate: fate?.keyword ?? "", sdkProblems: problems, wireEvents: wire.count)
    }

    /// The row as a stream row, so the stream's selection, search and filter machinery works on
    /// SDK rows too: `captureID` is the row number, `index` is `SDKRow.streamIndex`, the event
    /// columns are the SDK's event, `status` is the SDK's result code (0 when none),
    /// `sourceName` is the log source, and the counts are the SDK's warnings and errors.
    public var streamRow: StreamRow {
        var counts = FindingCounts()
        counts.errors = errors
        counts.warnings = max(0, problems - errors)
        let type: String
        var rules: [String] = []
        switch kind {
        case .trace: type = eventType ?? method ?? "(event)"
        case .call: type = method.map { $0 + "()" } ?? "(call)"
        case .message: type = "(" + (level >= .error ? "error" : "warning") + ")"
        case .problem:
            type = "(unreadable log line)"
            rules = [RuleID.unreadableInput]
        }
        return StreamRow(captureID: Int64(number), receivedAt: time ?? 0, sourceKind: .replay, sourceName: source,
                         method: "", endpoint: .unknown, status: resultCode ?? 0, emulatedStatus: 0, answerOrigin: nil,
                         requestEvents: 0, apiKeyMasked: nil,
                         event: EventSummary(index: SDKRow.streamIndex, eventType: type, userID: userID, deviceID: deviceID,
                                             insertID: insertID, time: time, counts: counts, rules: rules))
    }

    /// `StreamRow.event.index` of SDK rows (wire rows use 0… and -1).
    public static let streamIndex = -7
}
