
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
        /// The last snapshot taken (reused while `version` has not moved on).
        var snapshot: DebugSnapshot?
        /// Wire events added (for the status line).
        var wireEvents = 0
    }

    private let state: Guarded<State>
    /// Problem rows kept at most (more are counted only).
    public let maxProblemRows: Int

    public init(limits: DebugLogLimits = DebugLogLimits(), options: DebugJoiner.Options = DebugJoiner.Options(),
                maxProblemRows: Int = 10_000) {
        state = Guarded(State(session: DebugSession(limits: limits, options: options)))
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

    /// The session as it is now, as an immutable value (taken under the lock, cached per
    /// version). Everything that shows or filters debug data reads a snapshot, never the live
    /// session: the UI keeps the one it was last sent in its state.
    public func snapshot() -> DebugSnapshot {
        state.withLock { st in
            if let s = st.snapshot, s.version == st.version { return s }
            let s = DebugSnapshot(version: st.version, session: st.session, anchors: st.anchors, traceRow: st.traceRow,
                                  problems: st.problems, problemCount: st.problemCount, wireEvents: st.wireEvents)
            st.snapshot = s
            return s
        }
    }

    /// True once any SDK record was read.
    public var hasRecords: Bool { state.withLock { $0.session.joiner.hasRecords } }

    /// Counters for the status line: records, traces, wire events added, log problems.
    public var counts: (records: Int, traces: Int, wireEvents: Int, problems: Int) { snapshot().counts }

    /// Parser counters per source.
    public var stats: [(source: String, stats: DebugLogStats)] { state.withLock { $0.session.stats } }

    /// The SDK side of each wire event (nil: none).
    public func rowInfo(_ refs: [WireEventRef]) -> [DebugRowInfo?] { refs.map(snapshot().rowInfo(forWire:)) }

    /// A snapshot of the SDK side of every joined wire event, for filters over many rows.
    public func rowTable() -> DebugRowTable { snapshot().rowTable }

    /// The rows of the SDK-calls list, oldest first.
    public func sdkRows() -> [SDKRow] { snapshot().sdkRows }

    /// The Debug tab's content for a wire event.
    public func detail(forWire ref: WireEventRef) -> DebugDetail { snapshot().detail(forWire: ref) }

    /// The Debug tab's content for a row of the SDK-calls list (by `SDKRow.number`).
    public func detail(forRow number: Int) -> DebugDetail? { snapshot().detail(forRow: number) }

    /// The row number of the trace a wire event belongs to (for jumping to its call).
    public func rowNumber(forWire ref: WireEventRef) -> Int? { snapshot().rowNumber(forWire: ref) }
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

extension DebugRowTable: Equatable {
    /// Tables are compared by the snapshot they were made from.
    public static func == (a: DebugRowTable, b: DebugRowTable) -> Bool { a === b || a.version == b.version }
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
