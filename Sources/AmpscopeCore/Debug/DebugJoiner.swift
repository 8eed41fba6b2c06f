/// Joins SDK log records to the events seen on the wire, incrementally.
///
/// Feed records in log order (`add(_:)`, any number of sources, each in its own order) and wire
/// events in arrival order (`add(wire:)`), interleaved in any way; query at any time. Each
/// addition costs O(1) amortised plus a bounded candidate scan; queries cost O(answer).
///
/// How it decides (see Docs/debug.md):
/// 1. TypeScript: a call's debug block is printed when its promise settles, after the SDK logged
///    `Final event before destinations` (with the insert_id) and the call's result line. The
///    call takes the unclaimed final event of the same source with its event type, compatible
///    ids and properties, and a time inside the call's `[start, end]` (closest first); and the
///    oldest unclaimed result line (results are logged in the order the calls settle).
/// 2. The insert_id links the event to every wire event that carried it (retries included).
///    Python's per-event records carry the event, hence its insert_id, directly.
/// 3. Without `Final event` lines (verbose logging off) a call is matched to a wire event of
///    the same type with compatible ids and content, whose time falls in the call's window.
/// 4. `[Warn]` bodies logged while an event was in flight are matched, in order, to its
///    attempts whose answer they repeat (same `error`, or same status word).
public struct DebugJoiner: Sendable {
    public struct Options: Sendable {
        /// Tolerance around a call's `[start, end]` window, ms.
        public var timeSlackMs: Int64
        /// Wire events kept for linking (the oldest are forgotten first).
        public var wireRetention: Int
        /// Unclaimed final events / results kept per source.
        public var pendingLimit: Int

        public init(timeSlackMs: Int64 = 1000, wireRetention: Int = 200_000, pendingLimit: Int = 50_000) {
            self.timeSlackMs = timeSlackMs
            self.wireRetention = wireRetention
            self.pendingLimit = pendingLimit
        }
    }

    public let options: Options
    /// Every record added; a record's `id` is its index here.
    public internal(set) var records: [DebugRecord] = []
    public internal(set) var traces: [SDKTrace] = []

    var traceByInsertID: [String: Int] = [:]
    var traceOfRecord: [Int: Int] = [:]
    var wireTrace: [WireEventRef: Int] = [:]
    var wire: [WireEventRef: DebugWireEvent] = [:]
    var wireOrder: [WireEventRef] = []
    var wireOrderHead = 0
    var unlinkedByInsertID: [String: [WireEventRef]] = [:]
    var unlinkedByType: [String: RefQueue] = [:]
    var sources: [String: SourceState] = [:]
    var requestNotes: [Int64: [Int]] = [:]
    var pythonKeyRecords: [String: [Int]] = [:]
    var pythonKeyRequests: [String: [Int64]] = [:]
    var seenRequests: Set<Int64> = []

    struct SourceState: Sendable {
        var finals: [String: [Int]] = [:]      // event type → trace ids with a final event and no call
        var finalCount = 0
        var results: [Int] = []                // result record ids not yet given to a call
        var resultsHead = 0
        var warns: [Int] = []                  // `.response` record ids, ascending
        var optOut: [(time: Int64?, value: Bool)] = []
        var sawFinalEvents = false
        var heuristicCalls: [String: [Int]] = [:]  // event type → call traces waiting for a wire event
    }

    public init(options: Options = Options()) {
        self.options = options
    }

    // MARK: Adding

    /// Adds records in log order; returns their ids.
    @discardableResult
    public mutating func add(_ newRecords: [DebugRecord]) -> [Int] {
        newRecords.map { add($0) }
    }

    /// Adds one record (its `id` becomes its index in `records`).
    @discardableResult
    public mutating func add(_ record: DebugRecord) -> Int {
        var r = record
        r.id = records.count
        records.append(r)
        let id = r.id
        // Taken out while it is changed, so its arrays are appended to in place.
        var s = sources.removeValue(forKey: r.source) ?? SourceState()
        defer { sources[r.source] = s }
        switch (r.sdk, r.kind) {
        case (.typescript, .finalEvent), (.typescript, .filteredOut):
            guard let e = r.event else { return id }
            s.sawFinalEvents = true
            let t = newTrace(sdk: .typescript, source: r.source)
            traces[t].finalEventRecord = id
            traces[t].openedAt = id
            fill(t, e)
            traceOfRecord[id] = t
            s.finals[e.eventType ?? "", default: []].append(t)
            s.finalCount += 1
            if s.finalCount > options.pendingLimit { dropOldestFinal(&s) }
            if let iid = e.insertID { bind(t, insertID: iid, by: .insertID) }
            refresh(t)
        case (.typescript, .result):
            s.results.append(id)
            if s.results.count - s.resultsHead > options.pendingLimit { s.resultsHead += 1 }
            compact(&s)
        case (.typescript, .response):
            s.warns.append(id)
        case (.typescript, .call):
            guard let call = r.call else { return id }
            if call.name == "setOptOut", let doc = try? JSONDocument(parsing: call.argsJSON), doc.kind(doc.root) == .array,
               let first = Array(doc.elements(doc.root)).first, let v = doc.bool(first) {
                s.optOut.append((call.start, v))
                if s.optOut.count > 64 { s.optOut.removeFirst() }
            }
            guard call.producesEvent, let expected = call.expected else { return id }
            addCall(id, call, expected, &s)
        case (.python, .result), (.python, .invalidEvent):
            guard let e = r.event else {
                pythonRequestLevel(id, r)
                return id
            }
            var t: Int
            if let iid = e.insertID, let existing = traceByInsertID[iid] {
                t = existing
            } else {
                t = newTrace(sdk: .python, source: r.source)
                fill(t, e)
                if let iid = e.insertID { bind(t, insertID: iid, by: .insertID) }
            }
            if let old = traces[t].resultRecord { traces[t].noteRecords.append(old) }
            traces[t].resultRecord = id
            traceOfRecord[id] = t
            // The SDK explains an invalid event on the line before (`Event property user_id expected …`).
            if r.kind == .invalidEvent, id > 0 {
                let prev = records[id - 1]
                if prev.source == r.source, prev.sdk == .python, prev.kind == .message, prev.level >= .warn, traceOfRecord[id - 1] == nil {
                    traces[t].noteRecords.append(id - 1)
                    traceOfRecord[id - 1] = t
                }
            }
            refresh(t)
        case (.python, .message):
            pythonRequestLevel(id, r)
        default:
            break
        }
        return id
    }

    /// Adds the wire events of one request (or several), in arrival order.
    public mutating func add(wire events: [DebugWireEvent]) {
        for e in events { add(wire: e) }
    }

    public mutating func add(wire e: DebugWireEvent) {
        if wire[e.ref] != nil { return }
        wire[e.ref] = e
        wireOrder.append(e.ref)
        if !seenRequests.contains(e.ref.captureID) {
            seenRequests.insert(e.ref.captureID)
            if let key = Self.pythonKey(forAnswer: e) { pairPython(key: key, request: e.ref.captureID) }
        }
        var linked = false
        if let iid = e.insertID, let t = traceByInsertID[iid] {
            link(t, e.ref)
            linked = true
        } else if let iid = e.insertID {
            unlinkedByInsertID[iid, default: []].append(e.ref)
        }
        if !linked {
            unlinkedByType[e.eventType, default: RefQueue()].append(e.ref)
            matchWaitingCall(for: e)
        }
        evictWire()
    }

    // MARK: Queries

    /// The trace of a wire event, if it is joined.
    public func trace(forWire ref: WireEventRef) -> SDKTrace? { wireTrace[ref].map { traces[$0] } }

    /// What filters and stream columns need about a wire event's SDK side (nil: no SDK record
    /// explains it). O(notes of the event).
    public func rowInfo(forWire ref: WireEventRef) -> DebugRowInfo? {
        guard let t = wireTrace[ref] else { return nil }
        let tr = traces[t]
        let problems = notes(forWire: ref).filter { records[$0].level >= .warn }.count
        return DebugRowInfo(traceID: t, method: tr.method, fate: tr.fate.keyword, sdkProblems: problems, wireEvents: tr.wire.count)
    }

    /// The trace of an insert_id (from the log, or linked to the log by the heuristic).
    public func trace(forInsertID id: String) -> SDKTrace? { traceByInsertID[id].map { traces[$0] } }

    /// The trace a record belongs to (call, final event, result or note).
    public func trace(forRecord id: Int) -> SDKTrace? { traceOfRecord[id].map { traces[$0] } }

    /// The SDK call record behind a wire event (the Debug tab's subject).
    public func call(forWire ref: WireEventRef) -> DebugRecord? {
        trace(forWire: ref)?.callRecord.map { records[$0] }
    }

    /// Traces whose event was not seen on the wire (skipped, rejected before sending, queued,
    /// or sent somewhere ampscope does not see), with their fate. O(traces).
    public var tracesWithoutWire: [SDKTrace] { traces.filter { $0.wire.isEmpty } }

    /// Traces that have a call record but no wire event. O(traces).
    public var callsWithoutWire: [SDKTrace] { traces.filter { $0.wire.isEmpty && $0.callRecord != nil } }

    /// Retained wire events no SDK record explains, in arrival order. O(retained).
    public var wireWithoutTrace: [WireEventRef] {
        wireOrder[wireOrderHead...].filter { wireTrace[$0] == nil }
    }

    public func wireEvent(_ ref: WireEventRef) -> DebugWireEvent? { wire[ref] }

    /// True once any record has been added (the UI shows "no SDK call" only then).
    public var hasRecords: Bool { !records.isEmpty }

    /// What the SDK logged about one wire event: the `[Warn]` bodies that answer this attempt,
    /// the final result when this is the event's last attempt, request-level errors (Python
    /// `Invalid API Key`). Record ids in log order.
    public func notes(forWire ref: WireEventRef) -> [Int] {
        var out: [Int] = requestNotes[ref.captureID] ?? []
        if let t = wireTrace[ref] {
            let tr = traces[t]
            for (w, attempt) in assignedWarns(tr) where attempt == ref { out.append(w) }
            if let r = tr.resultRecord, tr.wire.last == ref { out.append(r) }
            if tr.wire.last == ref { out.append(contentsOf: tr.noteRecords) }
        }
        return out.sorted()
    }

    /// The warnings and errors logged about a trace (all attempts), record ids in log order.
    public func notes(forTrace id: Int) -> [Int] {
        let tr = traces[id]
        var out = assignedWarns(tr).map(\.0) + tr.noteRecords
        if let r = tr.resultRecord { out.append(r) }
        return out.sorted()
    }

    /// Why the SDK-logged bodies single out this event (`throttled`, `invalid id length: user_id`).
    public func reasons(forWire ref: WireEventRef) -> [String] {
        var out: [String] = []
        let e = wire[ref]
        for id in notes(forWire: ref) {
            if let info = records[id].response {
                for r in info.reasons(forIndex: ref.index, userID: e?.userID, deviceID: e?.deviceID) where !out.contains(r) {
                    out.append(r)
                }
            }
        }
        return out
    }

    // MARK: Calls

    mutating func addCall(_ id: Int, _ call: DebugCall, _ x: ExpectedEvent, _ s: inout SourceState) {
        var t: Int?
        if !x.hasBlankType, let bucket = s.finals[x.eventType], !bucket.isEmpty {
            var best: (score: Int, distance: Int64, pos: Int)?
            for (pos, cand) in bucket.enumerated() {
                guard let score = score(call, x, traces[cand]) else { continue }
                let distance = traces[cand].time.flatMap { tt in call.start.map { abs(tt - $0) } } ?? 0
                if best == nil || score > best!.score || (score == best!.score && distance < best!.distance) {
                    best = (score, distance, pos)
                }
            }
            if let b = best {
                t = bucket[b.pos]
                s.finals[x.eventType]!.remove(at: b.pos)
                s.finalCount -= 1
            }
        }
        let trace: Int
        if let t {
            trace = t
        } else {
            trace = newTrace(sdk: .typescript, source: records[id].source)
            traces[trace].eventType = x.eventType
            traces[trace].userID = x.userID
            traces[trace].deviceID = x.deviceID
            traces[trace].time = x.time ?? call.start
        }
        traces[trace].method = call.name
        traces[trace].callRecord = id
        traces[trace].settledAt = id
        traces[trace].callStart = call.start
        traces[trace].callEnd = call.end
        traces[trace].expected = x
        traces[trace].optedOut = optedOut(at: call.start, s)
        traceOfRecord[id] = trace

        // The result line logged just before the promise settled.
        let wentThroughPipeline = traces[trace].finalEventRecord != nil
        var i = s.resultsHead
        while i < s.results.count {
            let rid = s.results[i]
            if rid >= 0, !s.sawFinalEvents || TSMessages.prePipeline.contains(records[rid].text) != wentThroughPipeline {
                traces[trace].resultRecord = rid
                traceOfRecord[rid] = trace
                s.results[i] = -1
                break
            }
            i += 1
        }
        compact(&s)

        if t == nil, let iid = x.insertID {
            bind(trace, insertID: iid, by: .insertID)
        } else if t == nil, !s.sawFinalEvents, !x.hasBlankType, !optedOut(at: call.start, s) {
            if !matchWire(forCall: trace) {
                s.heuristicCalls[x.eventType, default: []].append(trace)
            }
        }
        refresh(trace)
    }

    /// nil when the final event cannot be this call's; else a preference score.
    func score(_ call: DebugCall, _ x: ExpectedEvent, _ f: SDKTrace) -> Int? {
        var score = 0
        func cmp(_ a: String?, _ b: String?, _ w: Int) -> Bool {
            guard let a, let b else { return true }
            if a == b { score += w; return true }
            return false
        }
        guard cmp(x.userID, f.userID, 2), cmp(x.deviceID, f.deviceID, 2), cmp(x.insertID, f.insertID, 8) else { return nil }
        if let a = x.propertiesFingerprint, let fr = f.finalEventRecord, let b = records[fr].event?.propertiesFingerprint {
            score += a == b ? 4 : -4
        }
        if x.time == nil, let et = f.time, let start = call.start {
            let end = call.end ?? start
            if et < start - options.timeSlackMs || et > end + options.timeSlackMs { return nil }
        }
        return score
    }

    func optedOut(at time: Int64?, _ s: SourceState) -> Bool {
        var v = false
        for (t, value) in s.optOut {
            if let time, let t, t > time { break }
            v = value
        }
        return v
    }

    // MARK: Warn bodies ↔ attempts

    /// Pairs the `[Warn]` bodies logged while the trace was in flight with its attempts, in
    /// order: each body goes to the earliest attempt not yet paired whose answer it repeats.
    func assignedWarns(_ tr: SDKTrace) -> [(Int, WireEventRef?)] {
        guard tr.sdk == .typescript, let opened = tr.openedAt, let s = sources[tr.source] else { return [] }
        let upper = tr.settledAt ?? Int.max
        var lo = 0
        var hi = s.warns.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if s.warns[mid] <= opened { lo = mid + 1 } else { hi = mid }
        }
        var used = Set<WireEventRef>()
        var out: [(Int, WireEventRef?)] = []
        var i = lo
        while i < s.warns.count, s.warns[i] < upper {
            let w = s.warns[i]
            i += 1
            guard let info = records[w].response else { continue }
            let attempts = tr.wire.compactMap { wire[$0] }
            if attempts.isEmpty {
                out.append((w, nil))
                continue
            }
            if let a = attempts.first(where: { !used.contains($0.ref) && !$0.accepted && Self.warn(info, matches: $0) }) {
                used.insert(a.ref)
                out.append((w, a.ref))
            }
        }
        return out
    }

    static func warn(_ info: DebugResponseInfo, matches e: DebugWireEvent) -> Bool {
        if let err = info.error, let answer = e.answerError, err == answer { return true }
        if let st = info.status {
            if st != e.statusWord { return false }
            if let n = info.eventCount, n != e.requestEventCount { return false }
            return true
        }
        // A body without a status word: the request's answer had no `error` either, or we do
        // not know the answer (stream rows carry no body).
        return e.answerError == nil && info.error != nil && DebugResponseInfo.statusWord(code: e.sdkStatus) != "success"
    }

    // MARK: Linking

    mutating func newTrace(sdk: DebugSDK, source: String) -> Int {
        let t = SDKTrace(id: traces.count, sdk: sdk, source: source, method: nil, callRecord: nil, finalEventRecord: nil,
                         resultRecord: nil, noteRecords: [], insertID: nil, eventType: nil, userID: nil, deviceID: nil,
                         time: nil, wire: [], linkedBy: .none, fate: .unknown)
        traces.append(t)
        return t.id
    }

    mutating func fill(_ t: Int, _ e: DebugEventInfo) {
        traces[t].insertID = e.insertID
        traces[t].eventType = e.eventType
        traces[t].userID = e.userID
        traces[t].deviceID = e.deviceID
        traces[t].time = e.time
    }

    mutating func bind(_ t: Int, insertID iid: String, by method: SDKTrace.LinkMethod) {
        traces[t].insertID = iid
        if traceByInsertID[iid] == nil { traceByInsertID[iid] = t }
        if let refs = unlinkedByInsertID.removeValue(forKey: iid) {
            for r in refs where wire[r] != nil { link(t, r) }
        }
        if traces[t].linkedBy == .none && !traces[t].wire.isEmpty { traces[t].linkedBy = method }
        if method == .heuristic { traces[t].linkedBy = .heuristic }
    }

    mutating func link(_ t: Int, _ ref: WireEventRef) {
        guard wireTrace[ref] == nil else { return }
        wireTrace[ref] = t
        traces[t].wire.append(ref)
        if traces[t].linkedBy == .none { traces[t].linkedBy = .insertID }
        refresh(t)
    }

    /// Recomputes a trace's fate from what is known.
    mutating func refresh(_ t: Int) {
        let tr = traces[t]
        traces[t].fate = fate(of: tr)
    }

    func fate(of tr: SDKTrace) -> SDKFate {
        if let rid = tr.resultRecord {
            let r = records[rid]
            if r.kind == .invalidEvent {
                let why = tr.noteRecords.last.map { records[$0].text } ?? "the SDK refused the event (no user_id or device_id)"
                return .skipped(reason: "invalid event — " + why)
            }
            let code = r.code
            if let c = code, (200..<300).contains(c) { return .delivered(code: c) }
            switch r.text {
            case TSMessages.emptyEventType: return .skipped(reason: "empty event type")
            case TSMessages.optOut: return .skipped(reason: "opted out (setOptOut)")
            case TSMessages.missingAPIKey: return .skipped(reason: "missing API key")
            case "": return .skipped(reason: "filtered out by a plugin")
            default: return .rejected(code: code, message: r.text)
            }
        }
        if let f = tr.finalEventRecord, records[f].kind == .filteredOut {
            return .skipped(reason: "filtered out by a plugin (" + records[f].text.dropFirst("Timeline.apply: Event filtered out by ".count).prefix { $0 != "," } + ")")
        }
        if let x = tr.expected, x.hasBlankType { return .skipped(reason: "empty event type") }
        if let last = tr.wire.last, let e = wire[last] { return .sent(status: e.sdkStatus) }
        if !tr.wire.isEmpty { return .sent(status: 0) }
        if tr.callRecord != nil, tr.finalEventRecord == nil, tr.optedOut { return .skipped(reason: "opted out (setOptOut)") }
        if tr.callRecord == nil && tr.finalEventRecord != nil { return .queued }
        return .unknown
    }

    // MARK: Bounds

    mutating func dropOldestFinal(_ s: inout SourceState) {
        var oldest: (String, Int)?
        for (k, v) in s.finals {
            if let f = v.first, oldest == nil || f < oldest!.1 { oldest = (k, f) }
        }
        if let (k, _) = oldest {
            s.finals[k]!.removeFirst()
            s.finalCount -= 1
        }
    }

    func compact(_ s: inout SourceState) {
        while s.resultsHead < s.results.count, s.results[s.resultsHead] < 0 { s.resultsHead += 1 }
        if s.resultsHead > 1024, s.resultsHead * 2 > s.results.count {
            s.results.removeFirst(s.resultsHead)
            s.resultsHead = 0
        }
    }

    mutating func evictWire() {
        while wireOrder.count - wireOrderHead > options.wireRetention {
            let ref = wireOrder[wireOrderHead]
            wireOrderHead += 1
            guard let e = wire.removeValue(forKey: ref) else { continue }
            unlinkedByType[e.eventType]?.dropHead(ifEqual: ref)
            if unlinkedByType[e.eventType]?.isEmpty == true { unlinkedByType[e.eventType] = nil }
            if wireTrace[ref] == nil, let iid = e.insertID, var refs = unlinkedByInsertID[iid] {
                refs.removeAll { $0 == ref }
                unlinkedByInsertID[iid] = refs.isEmpty ? nil : refs
            }
        }
        if wireOrderHead > 4096, wireOrderHead * 2 > wireOrder.count {
            wireOrder.removeFirst(wireOrderHead)
            wireOrderHead = 0
        }
    }
}

/// Wire refs in arrival order with O(1) removal at the head (eviction is oldest first).
struct RefQueue: Sendable {
    private var items: [WireEventRef] = []
    private var head = 0

    var isEmpty: Bool { head >= items.count }

    mutating func append(_ r: WireEventRef) { items.append(r) }

    mutating func dropHead(ifEqual r: WireEventRef) {
        guard head < items.count, items[head] == r else { return }
        head += 1
        if head > 1024, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }

    /// The newest `n` refs, oldest first.
    func recent(_ n: Int) -> ArraySlice<WireEventRef> { items[max(head, items.count - n)...] }
}
