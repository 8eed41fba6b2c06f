import Synchronization

/// One `DebugSession` per ampscope run, shared between the threads that feed it (file and
/// stdin readers, the proxy's log endpoint, the store watcher that adds wire events, the idle
/// timer) and the UI thread that reads it.
///
/// Every call takes one short lock. Readers get values (`DebugDetail`, `SDKRow`,
/// `DebugRowInfo`, a `DebugRowTable` snapshot) and never hold the lock while drawing.
/// `version` changes after every change that can alter what is shown.
public final class SharedDebugSession: Sendable {
    private struct State: Sendable {
        var session: DebugSession
        var version = 0
        /// Rows of the SDK-calls list in the order they appeared.
        var anchors: [SDKRow.Kind] = []
        /// Row number of each listed trace.
        var traceRow: [Int: Int] = [:]
        /// Located problems of the logs (bounded), for problem rows.
        var problems: [InputProblem] = []
        var problemCount = 0
        /// Cached snapshots, rebuilt when `version` moved on.
        var table: DebugRowTable?
        var rows: (version: Int, rows: [SDKRow])?
        /// Wire events added (for the status line).
        var wireEvents = 0
    }

    private let state: Mutex<State>
    /// Problem rows kept at most (more are counted only).
    public let maxProblemRows: Int

    public init(limits: DebugLogLimits = DebugLogLimits(), options: DebugJoiner.Options = DebugJoiner.Options(),
                maxProblemRows: Int = 10_000) {
        state = Mutex(State(session: DebugSession(limits: limits, options: options)))
        self.maxProblemRows = maxProblemRows
    }

    // MARK: Feeding

    /// Raw bytes of a source (a pipe or file read); a partial last line waits for the next call.
    @discardableResult
    public func feed(source: String, bytes: some Collection<UInt8>, receivedAt: Int64? = nil) -> Int {
        change { st in st.session.feed(source: source, bytes: bytes, receivedAt: receivedAt) }
    }

    /// One line of a source (without its newline).
    @discardableResult
    public func feed(source: String, line: some Collection<UInt8>, receivedAt: Int64? = nil) -> Int {
        change { st in st.session.feed(source: source, line: line, receivedAt: receivedAt) }
    }

    /// Several lines of a source, under one lock.
    @discardableResult
    public func feed(source: String, lines: [String], receivedAt: Int64? = nil) -> Int {
        change { st in
            var ids: [Int] = []
            for l in lines { ids += st.session.feed(source: source, line: Array(l.utf8), receivedAt: receivedAt) }
            return ids
        }
    }

    /// The lines of a `POST /ampscope/log` request.
    @discardableResult
    public func ingest(_ request: LogIngestRequest, receivedAt: Int64? = nil) -> Int {
        change { st in st.session.ingest(request, receivedAt: receivedAt) }
    }

    /// Emits records held for a possible continuation (live sources, after an idle gap).
    @discardableResult
    public func flushIdle() -> Int {
        change { st in st.session.flushIdle() }
    }

    /// End of a source.
    @discardableResult
    public func finish(source: String) -> Int {
        change { st in st.session.finish(source: source) }
    }

    /// Wire events of one stored request (or several), in arrival order.
    public func add(wire events: [DebugWireEvent]) {
        guard !events.isEmpty else { return }
        state.withLock { st in
            st.session.add(wire: events)
            st.wireEvents += events.count
            st.version += 1
        }
    }

    /// Runs a mutation, lists the rows it created, bumps the version when anything happened.
    private func change(_ body: (inout State) -> [Int]) -> Int {
        state.withLock { st in
            let ids = body(&st)
            let newProblems = st.session.takeProblems()
            for id in ids { list(id, &st) }
            for p in newProblems {
                st.problemCount += 1
                if st.problems.count < maxProblemRows {
                    st.anchors.append(.problem(st.problems.count))
                    st.problems.append(p)
                }
            }
            if !ids.isEmpty || !newProblems.isEmpty { st.version += 1 }
            return ids.count
        }
    }

    /// Adds the SDK-calls row a new record starts, if it starts one.
    private func list(_ id: Int, _ st: inout State) {
        let j = st.session.joiner
        let r = j.records[id]
        if let t = j.trace(forRecord: id) {
            if st.traceRow[t.id] == nil {
                st.anchors.append(.trace(t.id))
                st.traceRow[t.id] = st.anchors.count
            }
            return
        }
        switch r.kind {
        case .call: st.anchors.append(.call(record: id))
        case .message where r.level >= .warn: st.anchors.append(.message(record: id))
        default: break
        }
    }

    // MARK: Reading

    /// Changes whenever records, wire events or problems were added.
    public var version: Int { state.withLock { $0.version } }

    /// True once any SDK record was read.
    public var hasRecords: Bool { state.withLock { $0.session.joiner.hasRecords } }

    /// Counters for the status line: records, traces, wire events added, log problems.
    public var counts: (records: Int, traces: Int, wireEvents: Int, problems: Int) {
        state.withLock { ($0.session.joiner.records.count, $0.session.joiner.traces.count, $0.wireEvents, $0.problemCount) }
    }

    /// Parser counters per source.
    public var stats: [(source: String, stats: DebugLogStats)] { state.withLock { $0.session.stats } }

    /// Reads the session under the lock (keep `body` short: it blocks the feeders).
    public func read<R>(_ body: (borrowing DebugSession) -> R) -> R { state.withLock { body($0.session) } }

    /// The SDK side of each wire event (nil: none), under one lock — for the visible rows.
    public func rowInfo(_ refs: [WireEventRef]) -> [DebugRowInfo?] {
        state.withLock { st in refs.map { st.session.joiner.rowInfo(forWire: $0) } }
    }

    /// A snapshot of the SDK side of every joined wire event, for filters over many rows
    /// (immutable, read without locks; rebuilt only when the session changed).
    public func rowTable() -> DebugRowTable {
        state.withLock { st in
            if let t = st.table, t.version == st.version { return t }
            let j = st.session.joiner
            var infos: [WireEventRef: DebugRowInfo] = [:]
            for tr in j.traces {
                for ref in tr.wire {
                    if let info = j.rowInfo(forWire: ref) { infos[ref] = info }
                }
            }
            let t = DebugRowTable(version: st.version, infos: infos)
            st.table = t
            return t
        }
    }

    /// The rows of the SDK-calls list, oldest first (cached per version).
    public func sdkRows() -> [SDKRow] {
        state.withLock { st in
            if let c = st.rows, c.version == st.version { return c.rows }
            var out: [SDKRow] = []
            out.reserveCapacity(st.anchors.count)
            for (i, a) in st.anchors.enumerated() {
                if let r = Self.row(number: i + 1, a, st) { out.append(r) }
            }
            st.rows = (st.version, out)
            return out
        }
    }

    /// The Debug tab's content for a wire event.
    public func detail(forWire ref: WireEventRef) -> DebugDetail {
        state.withLock { st in
            let j = st.session.joiner
            let tr = j.trace(forWire: ref)
            // What was logged about this attempt (its answer, request-level errors) and about
            // the event's other attempts; the call and the final event are shown on their own.
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
    }

    /// The Debug tab's content for a row of the SDK-calls list (by `SDKRow.number`).
    public func detail(forRow number: Int) -> DebugDetail? {
        state.withLock { st in
            guard number >= 1, number <= st.anchors.count else { return nil }
            let j = st.session.joiner
            switch st.anchors[number - 1] {
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
                return DebugDetail(problem: st.problems[i], hasRecords: true)
            }
        }
    }

    /// The row number of the trace a wire event belongs to (for jumping to its call).
    public func rowNumber(forWire ref: WireEventRef) -> Int? {
        state.withLock { st in
            guard let t = st.session.joiner.trace(forWire: ref)?.id else { return nil }
            return st.traceRow[t]
        }
    }

    private static func row(number: Int, _ a: SDKRow.Kind, _ st: State) -> SDKRow? {
        let j = st.session.joiner
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
            let p = st.problems[i]
            return SDKRow(number: number, kind: a, time: nil, source: p.source, location: "\(p.source):\(p.line)", sdk: nil,
                          method: nil, headline: p.reason, problems: 1, errors: 1, level: .error)
        }
    }
}

/// The SDK side of every joined wire event at one moment (see `SharedDebugSession.rowTable`):
/// what filters read for `sdk:`, `fate:` and `has:` over the stream's rows.
public final class DebugRowTable: FilterDebugLookup {
    public let version: Int
    public let infos: [WireEventRef: DebugRowInfo]

    public init(version: Int, infos: [WireEventRef: DebugRowInfo]) {
        self.version = version
        self.infos = infos
    }

    public func debugInfo(captureID: Int64, index: Int) -> DebugRowInfo? {
        infos[WireEventRef(captureID: captureID, index: index)]
    }

    public var rowsAreWireEvents: Bool { true }
}

/// The same for a list of SDK rows, keyed by row number (`SDKRow.streamRow.captureID`).
public final class SDKRowTable: FilterDebugLookup {
    public let infos: [Int64: DebugRowInfo]

    public init(_ rows: [SDKRow]) {
        var d: [Int64: DebugRowInfo] = [:]
        d.reserveCapacity(rows.count)
        for r in rows { d[Int64(r.number)] = r.filterInfo }
        infos = d
    }

    public func debugInfo(captureID: Int64, index: Int) -> DebugRowInfo? { infos[captureID] }

    public var rowsAreWireEvents: Bool { false }
}
