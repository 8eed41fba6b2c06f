
/// The SDK debug side of one run at one moment: an immutable value taken from the
/// `SharedDebugSession` (`snapshot()`), read without locks by whoever holds it.
///
/// The UI keeps the last snapshot it was sent in its state, so rendering and reducing are
/// functions of the state alone: a log line read while a frame is drawn cannot change that frame.
/// The SDK-calls rows and the wire-event table for filters are derived on first use and kept
/// (the `Guarded` values below guard only those caches; what they cache is a function of the
/// immutable fields, so every reader sees the same values).
public final class DebugSnapshot: Sendable {
    /// `SharedDebugSession.version` when it was taken.
    public let version: Int
    let session: DebugSession
    /// Rows of the SDK-calls list in the order they appeared.
    let anchors: [SDKRow.Kind]
    /// Row number of each listed trace.
    let traceRow: [Int: Int]
    /// Located problems of the logs (bounded), for problem rows.
    let problems: [InputProblem]
    let problemCount: Int
    let wireEvents: Int
    private let rowsCache = Guarded<[SDKRow]?>(nil)
    private let tableCache = Guarded<DebugRowTable?>(nil)

    init(version: Int, session: DebugSession, anchors: [SDKRow.Kind], traceRow: [Int: Int], problems: [InputProblem],
         problemCount: Int, wireEvents: Int) {
        self.version = version
        self.session = session
        self.anchors = anchors
        self.traceRow = traceRow
        self.problems = problems
        self.problemCount = problemCount
        self.wireEvents = wireEvents
    }

    /// A snapshot of a session nothing was fed to.
    public static let empty = DebugSnapshot(version: -1, session: DebugSession(), anchors: [], traceRow: [:], problems: [],
                                            problemCount: 0, wireEvents: 0)

    private var joiner: DebugJoiner { session.joiner }

    /// True once any SDK record was read.
    public var hasRecords: Bool { joiner.hasRecords }

    /// Counters for the status line: records, traces, wire events added, log problems.
    public var counts: (records: Int, traces: Int, wireEvents: Int, problems: Int) {
        (joiner.records.count, joiner.traces.count, wireEvents, problemCount)
    }

    /// The SDK side of a wire event (nil: none).
    public func rowInfo(forWire ref: WireEventRef) -> DebugRowInfo? { joiner.rowInfo(forWire: ref) }

    /// The SDK side of every joined wire event, for filters over many rows.
    public var rowTable: DebugRowTable {
        tableCache.withLock { cache in
            if let t = cache { return t }
            var infos: [WireEventRef: DebugRowInfo] = [:]
            for tr in joiner.traces {
                for ref in tr.wire {
                    if let info = joiner.rowInfo(forWire: ref) { infos[ref] = info }
                }
            }
            let t = DebugRowTable(version: version, infos: infos)
            cache = t
            return t
        }
    }

    /// The rows of the SDK-calls list, oldest first.
    public var sdkRows: [SDKRow] {
        rowsCache.withLock { cache in
            if let r = cache { return r }
            var out: [SDKRow] = []
            out.reserveCapacity(anchors.count)
            for (i, a) in anchors.enumerated() {
                if let r = row(number: i + 1, a) { out.append(r) }
            }
            cache = out
            return out
        }
    }

    /// The Debug tab's content for a wire event.
    public func detail(forWire ref: WireEventRef) -> DebugDetail {
        let j = joiner
        let tr = j.trace(forWire: ref)
        // What was logged about this attempt (its answer, request-level errors) and about the
        // event's other attempts; the call and the final event are shown on their own.
        var ids = Set(j.notes(forWire: ref))
        if let tr { ids.formUnion(j.notes(forTrace: tr.id)) }
        let notes = ids.sorted().filter { id in id != tr?.resultRecord && id != tr?.callRecord }.map { j.records[$0] }
        var d = DebugDetail(trace: tr, call: tr?.callRecord.map { j.records[$0] },
                            finalEvent: tr?.finalEventRecord.map { j.records[$0] },
                            result: tr?.resultRecord.map { j.records[$0] }, notes: notes, wire: ref,
                            attempts: [], reasons: j.reasons(forWire: ref), hasRecords: j.hasRecords)
        if let tr { d.attempts = tr.wire.map { DebugDetail.Attempt(ref: $0, event: j.wireEvent($0)) } }
        return d
    }

    /// The Debug tab's content for a row of the SDK-calls list (by `SDKRow.number`).
    public func detail(forRow number: Int) -> DebugDetail? {
        guard number >= 1, number <= anchors.count else { return nil }
        let j = joiner
        switch anchors[number - 1] {
        case .trace(let t):
            let tr = j.traces[t]
            let notes = j.notes(forTrace: t).filter { $0 != tr.resultRecord && $0 != tr.callRecord }.map { j.records[$0] }
            var reasons: [String] = []
            for ref in tr.wire { for r in j.reasons(forWire: ref) where !reasons.contains(r) { reasons.append(r) } }
            return DebugDetail(trace: tr, call: tr.callRecord.map { j.records[$0] }, finalEvent: tr.finalEventRecord.map { j.records[$0] },
                               result: tr.resultRecord.map { j.records[$0] }, notes: notes, wire: nil,
                               attempts: tr.wire.map { DebugDetail.Attempt(ref: $0, event: j.wireEvent($0)) },
                               reasons: reasons, hasRecords: true)
        case .call(let id):
            return DebugDetail(call: j.records[id], hasRecords: true)
        case .message(let id):
            if let tr = j.trace(forRecord: id) {
                // Folded into a trace since it was listed.
                return DebugDetail(trace: tr, call: tr.callRecord.map { j.records[$0] }, notes: [j.records[id]], hasRecords: true)
            }
            return DebugDetail(notes: [j.records[id]], hasRecords: true)
        case .problem(let i):
            return DebugDetail(problem: problems[i], hasRecords: true)
        }
    }

    /// The row number of the trace a wire event belongs to (for jumping to its call).
    public func rowNumber(forWire ref: WireEventRef) -> Int? {
        guard let t = joiner.trace(forWire: ref)?.id else { return nil }
        return traceRow[t]
    }

    private func row(number: Int, _ a: SDKRow.Kind) -> SDKRow? {
        let j = joiner
        switch a {
        case .trace(let t):
            let tr = j.traces[t]
            let ids = tr.records
            let first = ids.min().map { j.records[$0] }
            let call = tr.callRecord.map { j.records[$0] }
            let noteIDs = j.notes(forTrace: t)
            var problems = 0
            var errors = 0
            var level = DebugLevel.debug
            for id in Set(ids + noteIDs) {
                let r = j.records[id]
                if r.level > level { level = r.level }
                if r.isProblem { problems += 1 }
                if r.level >= .error { errors += 1 }
            }
            let result = tr.resultRecord.map { j.records[$0] }
            let headline = call?.headline ?? tr.eventType.map { "(" + $0 + ")" } ?? first?.headline ?? ""
            return SDKRow(number: number, kind: a, time: call?.call?.start ?? tr.time ?? first?.time, source: tr.source,
                          location: (call ?? first)?.location ?? tr.source, sdk: tr.sdk, method: tr.method,
                          headline: headline, eventType: tr.eventType, userID: tr.userID, deviceID: tr.deviceID,
                          insertID: tr.insertID, fate: tr.fate, wire: tr.wire, problems: problems, errors: errors,
                          level: level, resultCode: result?.code,
                          payloadJSON: tr.finalEventRecord.flatMap { j.records[$0].event?.json } ?? result?.event?.json ?? call?.call?.argsJSON)
        case .call(let id):
            let r = j.records[id]
            return SDKRow(number: number, kind: a, time: r.time, source: r.source, location: r.location, sdk: r.sdk,
                          method: r.methodName, headline: r.headline, level: r.level, payloadJSON: r.call?.argsJSON)
        case .message(let id):
            if j.trace(forRecord: id) != nil { return nil }
            let r = j.records[id]
            return SDKRow(number: number, kind: a, time: r.time, source: r.source, location: r.location, sdk: r.sdk,
                          method: nil, headline: r.headline, problems: 1, errors: r.level >= .error ? 1 : 0,
                          level: r.level, resultCode: r.code)
        case .problem(let i):
            let p = problems[i]
            return SDKRow(number: number, kind: a, time: nil, source: p.source, location: "\(p.source):\(p.line)", sdk: nil,
                          method: nil, headline: p.reason, problems: 1, errors: 1, level: .error)
        }
    }
}
