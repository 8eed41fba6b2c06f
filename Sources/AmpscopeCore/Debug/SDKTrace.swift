/// One event as the SDK saw it: the call that made it, what the SDK logged about it, its fate,
/// and the wire events (one per attempt) that carried it.
public struct SDKTrace: Sendable, Equatable {
    public let id: Int
    public var sdk: DebugSDK
    /// The log source (file, `stdin`, `http`).
    public var source: String
    /// `track`, `identify`, … when the call's debug block was seen.
    public var method: String?
    /// Record ids (indices into `DebugJoiner.records`).
    public var callRecord: Int?
    /// TS `Final event before destinations` (or `Event filtered out by … plugin`).
    public var finalEventRecord: Int?
    /// The SDK's final word on the event (TS result line, Python per-event record,
    /// Python `Invalid event body`).
    public var resultRecord: Int?
    /// Other records about this event (e.g. a Python error logged just before `Invalid event body`).
    public var noteRecords: [Int]
    public var insertID: String?
    public var eventType: String?
    public var userID: String?
    public var deviceID: String?
    /// Event `time` (from the final event) or the call's start, epoch ms.
    public var time: Int64?
    /// The wire events that carried it, in arrival order (retries send the same insert_id again).
    public var wire: [WireEventRef]
    public var linkedBy: LinkMethod
    public var fate: SDKFate

    public enum LinkMethod: String, Sendable, Codable {
        /// Not linked to the wire.
        case none
        /// The same insert_id in the log and on the wire.
        case insertID
        /// No insert_id in the log: event type, ids, content and time window.
        case heuristic
    }

    /// Record ids that belong to this trace (call, final event, result, notes).
    public var records: [Int] { [callRecord, finalEventRecord, resultRecord].compactMap { $0 } + noteRecords }

    // Join bookkeeping: the final event and the call (by record id) bound the window in which
    // the SDK's `[Warn]` lines about this event's requests were logged.
    var openedAt: Int?
    var settledAt: Int?
    var callStart: Int64?
    var callEnd: Int64?
    var expected: ExpectedEvent?
    var optedOut = false
}

/// What became of an event, as far as the SDK's log and the wire tell.
public enum SDKFate: Sendable, Equatable {
    /// The SDK reported success (`code` 2xx).
    case delivered(code: Int)
    /// The SDK gave up on it: the server refused it, retries ran out, the network failed.
    case rejected(code: Int?, message: String)
    /// Never sent: empty event type, opted out, filtered by a plugin, invalid event (Python),
    /// missing API key.
    case skipped(reason: String)
    /// Seen on the wire; the SDK's result is not logged (yet).
    case sent(status: Int)
    /// In the SDK and not sent yet (its final event is logged, no request and no result).
    case queued
    /// The call settled with no result and no wire event ampscope could link.
    case unknown

    /// Short label for lists: `delivered 200`, `rejected 400`, `skipped`, `queued`.
    public var label: String {
        switch self {
        case .delivered(let c): return "delivered \(c)"
        case .rejected(let c, _): return c.map { "rejected \($0)" } ?? "rejected"
        case .skipped: return "skipped"
        case .sent(let s): return "sent \(s)"
        case .queued: return "queued"
        case .unknown: return "unknown"
        }
    }

    /// The one-sentence explanation (unescaped SDK text inside: sanitize before showing).
    public var explanation: String {
        switch self {
        case .delivered(let c): return "the SDK reports success (\(c))"
        case .rejected(let c, let m): return "the SDK dropped it" + (c.map { " with code \($0)" } ?? "") + ": " + m
        case .skipped(let r): return "never sent: " + r
        case .sent(let s): return "on the wire (answered \(s)); the SDK's result is not logged"
        case .queued: return "still in the SDK's queue (not sent yet)"
        case .unknown: return "the call finished but neither a result nor a request is known"
        }
    }

    /// One word for filters (`fate:rejected`): delivered, rejected, skipped, sent, queued, unknown.
    public var keyword: String {
        switch self {
        case .delivered: return "delivered"
        case .rejected: return "rejected"
        case .skipped: return "skipped"
        case .sent: return "sent"
        case .queued: return "queued"
        case .unknown: return "unknown"
        }
    }

    /// True for skipped events (the SDK never sends them).
    public var neverSent: Bool { if case .skipped = self { return true } else { return false } }
}

/// The SDK side of one wire event, for filter predicates (`sdk:track`, `has:debug`,
/// `fate:rejected`) and list columns.
public struct DebugRowInfo: Sendable, Equatable {
    /// Index into `DebugJoiner.traces`.
    public var traceID: Int
    /// The SDK method whose call produced the event (`track`, `identify`, …); nil when only log
    /// lines (Python, TS without debug blocks) tell about it.
    public var method: String?
    /// `SDKFate.keyword` of the trace.
    public var fate: String
    /// Warnings and errors the SDK logged about this wire event.
    public var sdkProblems: Int
    /// Wire events (attempts) that carried the trace's event; 0 when it never reached the wire.
    public var wireEvents: Int

    public init(traceID: Int, method: String?, fate: String, sdkProblems: Int, wireEvents: Int = 1) {
        self.traceID = traceID
        self.method = method
        self.fate = fate
        self.sdkProblems = sdkProblems
        self.wireEvents = wireEvents
    }
}
