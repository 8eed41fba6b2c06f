import AmpscopeCore
import Foundation

/// What the test-suite API (`/ampscope/events`, `/coverage`, `/reset`, `/wait`; Docs/api.md)
/// answers from: the requests judged since start or the last reset, in arrival order, bounded
/// in memory (the oldest are dropped first and counted), the plan's coverage, and the clients
/// waiting for events. Fed after each capture is committed, so what the API shows is stored.
final class APIJournal: Sendable {
    struct Entry: Sendable {
        let seq: Int64
        let processed: Processed
        let cost: Int
    }

    /// A `GET /ampscope/wait` in progress.
    struct Waiter: Sendable {
        let id: Int
        let filter: Filter
        let count: Int
        var matched: [EventRef]
        let done: @Sendable (_ matched: [EventRef], _ complete: Bool) -> Void
    }

    /// One event of a journal entry.
    struct EventRef: Sendable {
        let seq: Int64
        let processed: Processed
        let row: StreamRow
    }

    private struct State {
        var entries: [Entry] = []
        var head = 0  // entries before head are dropped (compacted now and then)
        var bytes = 0
        var nextSeq: Int64 = 1
        var dropped = 0
        var coverage: PlanCoverage?
        var waiters: [Waiter] = []
        var nextWaiter = 0
        var resets = 0
    }

    private let state: Guarded<State>
    let memoryLimit: Int
    let hasPlan: Bool

    init(plan: PlanChecker?, memoryLimit: Int) {
        self.memoryLimit = memoryLimit
        hasPlan = plan != nil
        state = Guarded(State(coverage: plan.map(PlanCoverage.init)))
    }

    static func cost(_ p: Processed) -> Int { p.capture.body.count + (p.request.document?.valueCount ?? 0) * 24 + 256 }

    /// The rows (events) of a request that a filter may match; requests without events have none.
    static func events(_ e: Entry) -> [EventRef] {
        StreamRow.rows(e.processed, id: e.seq).filter { $0.event.index >= 0 }.map { EventRef(seq: e.seq, processed: e.processed, row: $0) }
    }

    static func matches(_ f: Filter, _ r: EventRef) -> Bool {
        f.isEmpty || f.matches(r.row, payload: FilterPayload(r.processed, eventIndex: r.row.event.index))
    }

    func add(_ p: Processed) {
        var fire: [Waiter] = []
        state.withLock { s in
            let entry = Entry(seq: s.nextSeq, processed: p, cost: Self.cost(p))
            s.nextSeq += 1
            s.entries.append(entry)
            s.bytes += entry.cost
            while s.bytes > memoryLimit, s.head < s.entries.count - 1 {
                s.bytes -= s.entries[s.head].cost
                s.dropped += s.entries[s.head].processed.request.records.count
                s.head += 1
            }
            if s.head > 1024, s.head * 2 > s.entries.count {
                s.entries.removeFirst(s.head)
                s.head = 0
            }
            s.coverage?.add(p)
            guard !s.waiters.isEmpty else { return }
            let refs = Self.events(entry)
            var keep: [Waiter] = []
            for var w in s.waiters {
                for r in refs where w.matched.count < w.count && Self.matches(w.filter, r) { w.matched.append(r) }
                if w.matched.count >= w.count { fire.append(w) } else { keep.append(w) }
            }
            s.waiters = keep
        }
        for w in fire { w.done(w.matched, true) }
    }

    /// Forgets every request, the coverage counts, and answers waiting clients with what they have.
    func reset() -> Int {
        var fire: [Waiter] = []
        let n = state.withLock { s in
            let n = s.entries.count - s.head
            s.entries = []
            s.head = 0
            s.bytes = 0
            s.dropped = 0
            s.coverage?.reset()
            s.resets += 1
            fire = s.waiters
            s.waiters = []
            return n
        }
        for w in fire { w.done(w.matched, false) }
        return n
    }

    /// Matching events, oldest first: (total matching, the page, events dropped for memory).
    func page(filter: Filter, offset: Int, limit: Int) -> (total: Int, items: [EventRef], dropped: Int) {
        let (entries, dropped) = state.withLock { s in (Array(s.entries[s.head...]), s.dropped) }
        var total = 0
        var items: [EventRef] = []
        for e in entries {
            for r in Self.events(e) where Self.matches(filter, r) {
                if total >= offset && items.count < limit { items.append(r) }
                total += 1
            }
        }
        return (total, items, dropped)
    }

    func coverageJSON() -> [UInt8]? {
        state.withLock { s in
            guard let c = s.coverage else { return nil }
            var w = JSONWriter()
            c.writeJSON(&w)
            return w.bytes
        }
    }

    /// Registers a waiter; `done` is called once (now, on arrival of the N-th match, on reset, or
    /// on timeout) on whichever thread decides it. Returns without blocking.
    func wait(filter: Filter, count: Int, timeout: Double, done: @escaping @Sendable ([EventRef], Bool) -> Void) {
        let (entries, id) = state.withLock { s in (Array(s.entries[s.head...]), s.nextWaiter) }
        var matched: [EventRef] = []
        for e in entries {
            for r in Self.events(e) where matched.count < count && Self.matches(filter, r) { matched.append(r) }
        }
        if matched.count >= count {
            done(matched, true)
            return
        }
        // Register, then catch what arrived between the scan and now (entries after the last seen seq).
        let lastSeen = entries.last?.seq ?? 0
        var fireNow: [EventRef]?
        state.withLock { s in
            s.nextWaiter += 1
            for e in s.entries[s.head...] where e.seq > lastSeen {
                for r in Self.events(e) where matched.count < count && Self.matches(filter, r) { matched.append(r) }
            }
            if matched.count >= count { fireNow = matched; return }
            s.waiters.append(Waiter(id: id, filter: filter, count: count, matched: matched, done: done))
        }
        if let m = fireNow {
            done(m, true)
            return
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in
            let w: Waiter? = state.withLock { s in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i)
            }
            if let w { w.done(w.matched, false) }
        }
    }

    var waiting: Int { state.withLock { $0.waiters.count } }

    // MARK: JSON

    static func writeEvent(_ r: EventRef, _ w: inout JSONWriter) {
        let p = r.processed
        let i = r.row.event.index
        w.beginObject()
        w.field("seq", Int(r.seq))
        w.field("event_index", i)
        w.field("received", p.capture.receivedAt > 0 ? Timestamp.iso8601(ms: p.capture.receivedAt) : nil)
        w.field("endpoint", p.request.endpoint.displayName)
        w.field("event_type", r.row.event.eventType)
        if let doc = p.request.document, i < p.request.records.count {
            w.key("event")
            w.raw(doc.rawBytes(p.request.records[i]))
        }
        let findings = p.findings.filter { $0.event == i || $0.event == nil }
        Report.writeCountsAndFindings(findings, &w)
        w.key("answer")
        w.beginObject()
        w.field("status", p.effectiveStatus)
        w.key("body")
        let body = Redactor.redactAnswer(p.capture.recordedResponse?.body ?? p.answer.body, of: p)
        if let doc = try? JSONDocument(parsing: body) { w.raw(doc.rawBytes(doc.root)) } else { w.string(Sanitize.bytes(body)) }
        w.endObject()
        w.endObject()
    }
}
