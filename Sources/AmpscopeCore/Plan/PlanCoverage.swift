/// How much of a plan the traffic exercised: per planned event how often it was seen, how many
/// of those instances were valid (no plan finding of severity error), when last, and which of
/// its planned properties never appeared; unplanned events apart. Fold `add` over judged requests.
public struct PlanCoverage: Sendable {
    public struct EventRow: Sendable, Equatable {
        public var name: String
        public var status: PlanStatus
        public var seen = 0
        public var valid = 0
        public var lastSeen: Int64?
        /// Planned property names (in plan order) and whether each appeared.
        public var propertySeen: [Bool]
        public var propertyNames: [String]
        public var neverSeenProperties: [String] { zip(propertyNames, propertySeen).filter { !$0.1 }.map(\.0) }
        public var invalid: Int { seen - valid }
    }

    public struct Unplanned: Sendable, Equatable {
        public var name: String
        public var seen: Int
        public var lastSeen: Int64?
    }

    public private(set) var rows: [EventRow]
    private var unplannedIndex: [String: Int] = [:]
    public private(set) var unplanned: [Unplanned] = []
    private let checker: PlanChecker
    /// Per row, bit i set: `propertySeen[i]` is already true (i < 64), so counting from a tally
    /// writes only what is new.
    private var seenMasks: [UInt64]

    public init(_ checker: PlanChecker) {
        self.checker = checker
        rows = checker.plan.events.map { e in
            EventRow(name: e.name, status: e.status, propertySeen: Array(repeating: false, count: e.properties.properties.count),
                     propertyNames: e.properties.properties.map(\.name))
        }
        seenMasks = Array(repeating: 0, count: rows.count)
    }

    /// Planned events that count towards coverage (not blocked or deprecated).
    public var expected: [EventRow] { rows.filter { $0.status == .live || $0.status == .planned } }

    /// Seen expected events / expected events (1 when the plan expects none).
    public var ratio: Double {
        let e = expected
        guard !e.isEmpty else { return 1 }
        return Double(e.filter { $0.seen > 0 }.count) / Double(e.count)
    }

    public mutating func reset() {
        self = PlanCoverage(checker)
    }

    /// Counts the events of a judged request (whose findings include the plan's). A request
    /// judged with `Ingest.tallyPlanCoverage` and this plan carries what the plan's checks saw
    /// of each record (`Processed.planTally`): it is counted from that, without walking the
    /// records again; any other request is walked.
    public mutating func add(_ p: Processed) {
        if let tally = p.planTally, tally.checker === checker, tally.records.count == p.request.records.count {
            add(p.request, tally: tally.records, findings: p.findings, time: p.capture.receivedAt)
        } else {
            add(p.request, findings: p.findings, time: p.capture.receivedAt)
        }
        for o in p.segmentMapping?.outcomes ?? [] { add(o.processed.request, findings: o.findings, time: p.capture.receivedAt) }
    }

    /// Events of a request that had a plan error finding (they are not valid instances).
    static func badEvents(_ findings: [Finding]) -> Set<Int> {
        var bad = Set<Int>()
        for f in findings where f.severity == .error && PlanRules.isPlanRule(f.rule) {
            if let e = f.event { bad.insert(e) }
        }
        return bad
    }

    /// Counts by walking the records (the members read again, names looked up again).
    mutating func add(_ request: DecodedRequest, findings: [Finding], time: Int64) {
        guard let doc = request.document, request.recordKind == .event || request.recordKind == .legacyEvent else { return }
        let badEvents = Self.badEvents(findings)
        for (index, node) in request.records.enumerated() {
            addByWalking(doc, node, index: index, badEvents: badEvents, time: time)
        }
    }

    private mutating func addByWalking(_ doc: JSONDocument, _ node: Int, index: Int, badEvents: Set<Int>, time: Int64) {
        guard let t = doc.member(node, "event_type"), doc.kind(t) == .string else { return }
        if doc.keyEquals(t, "$identify") || doc.keyEquals(t, "$groupidentify") { return }
        guard let ei = checker.eventIndex(doc, t) else {
            addUnplanned(doc.string(t), time: time)
            return
        }
        rows[ei].seen += 1
        if !badEvents.contains(index) { rows[ei].valid += 1 }
        rows[ei].lastSeen = time
        if let props = doc.member(node, "event_properties"), doc.kind(props) == .object {
            let set = checker.events[ei]
            for (k, _) in doc.members(props) {
                if let pi = set.table.lookup(doc, k) { rows[ei].propertySeen[pi] = true }
            }
        }
    }

    private mutating func addUnplanned(_ name: String, time: Int64) {
        if let u = unplannedIndex[name] {
            unplanned[u].seen += 1
            unplanned[u].lastSeen = time
        } else if unplanned.count < 10_000 {
            unplannedIndex[name] = unplanned.count
            unplanned.append(Unplanned(name: name, seen: 1, lastSeen: time))
        }
    }

    /// Counts from what the plan's checks saw in the validator's pass; the same counts as
    /// `add(_:findings:time:)` (a differential test holds them together).
    mutating func add(_ request: DecodedRequest, tally: [PlanTally.Record], findings: [Finding], time: Int64) {
        guard let doc = request.document, request.recordKind == .event || request.recordKind == .legacyEvent else { return }
        var badEvents: Set<Int>?  // only for a record the pass left to the walk
        for index in tally.indices {
            let r = tally[index]
            switch r.event {
            case PlanTally.notCounted: continue
            case PlanTally.unplanned: addUnplanned(doc.string(Int(r.typeNode)), time: time)
            case PlanTally.walk:
                if badEvents == nil { badEvents = Self.badEvents(findings) }
                addByWalking(doc, request.records[index], index: index, badEvents: badEvents!, time: time)
            default:
                let ei = Int(r.event)
                rows[ei].seen += 1
                if r.valid { rows[ei].valid += 1 }
                rows[ei].lastSeen = time
                var new = r.seen & ~seenMasks[ei]
                if new != 0 {
                    seenMasks[ei] |= new
                    while new != 0 {
                        rows[ei].propertySeen[new.trailingZeroBitCount] = true
                        new &= new &- 1
                    }
                }
            }
        }
    }

    // MARK: Output

    public func text() -> String {
        let exp = expected
        let seen = exp.filter { $0.seen > 0 }.count
        var out = "coverage: \(seen)/\(exp.count) planned events seen (\(Self.percent(ratio)))\n"
        for r in rows {
            // Blocked and deprecated events are not expected: unseen is fine, seen is a problem.
            let expectedRow = r.status == .live || r.status == .planned
            let mark = expectedRow ? (r.seen == 0 ? "✗" : r.invalid > 0 ? "!" : "✓") : (r.seen == 0 ? "·" : "!")
            var line = "  \(mark) \(Sanitize.inline(r.name, limit: 60))  [\(r.status.rawValue)]  seen \(r.seen), valid \(r.valid)"
            if let t = r.lastSeen, t > 0 { line += ", last \(Timestamp.iso8601(ms: t))" }
            let never = r.neverSeenProperties
            if r.seen > 0, !never.isEmpty {
                line += "\n      properties never seen: " + never.prefix(20).map { Sanitize.inline($0, limit: 40) }.joined(separator: ", ")
            }
            out += line + "\n"
        }
        if !unplanned.isEmpty {
            out += "unplanned events:\n"
            for u in unplanned.sorted(by: { $0.seen > $1.seen }) {
                out += "  ? \(Sanitize.inline(u.name, limit: 60))  seen \(u.seen)\n"
            }
        }
        return out
    }

    static func percent(_ r: Double) -> String {
        String(Int((r * 1000).rounded()) / 10) + "." + String(Int((r * 1000).rounded()) % 10) + "%"
    }

    public func writeJSON(_ w: inout JSONWriter) {
        let exp = expected
        w.beginObject()
        w.field("planned", exp.count)
        w.field("seen", exp.filter { $0.seen > 0 }.count)
        w.key("ratio")
        w.double((ratio * 10000).rounded() / 10000)
        w.key("events")
        w.beginArray()
        for r in rows {
            w.beginObject()
            w.field("name", r.name)
            w.field("status", r.status.rawValue)
            w.field("seen", r.seen)
            w.field("valid", r.valid)
            w.field("invalid", r.invalid)
            w.field("last_seen", r.lastSeen.flatMap { $0 > 0 ? Timestamp.iso8601(ms: $0) : nil })
            w.key("properties_never_seen")
            w.beginArray()
            for n in r.neverSeenProperties { w.string(n) }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.key("unplanned")
        w.beginArray()
        for u in unplanned {
            w.beginObject()
            w.field("name", u.name)
            w.field("seen", u.seen)
            w.field("last_seen", u.lastSeen.flatMap { $0 > 0 ? Timestamp.iso8601(ms: $0) : nil })
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    /// JUnit: one test case per planned event; it fails when any instance was invalid, or when
    /// it was never seen and `requireAll` is set; a blocked event fails when seen, a deprecated one never.
    public func junit(requireAll: Bool) -> (xml: String, tests: Int, failures: Int) {
        var cases = ""
        var failures = 0
        for r in rows {
            cases += "    <testcase classname=\"plan\" name=\"\(Report.xml(r.name))\" time=\"0\">\n"
            var failure: String?
            switch r.status {
            case .blocked:
                if r.seen > 0 { failure = "blocked event seen \(r.seen) time(s)" }
            case .deprecated:
                break
            case .live, .planned:
                if r.invalid > 0 { failure = "\(r.invalid) of \(r.seen) instance(s) break the plan" }
                else if r.seen == 0 && requireAll { failure = "never seen" }
            }
            if let f = failure {
                failures += 1
                cases += "      <failure type=\"plan\" message=\"\(Report.xml(f))\"/>\n"
            } else if r.seen == 0 {
                cases += "      <system-out>never seen</system-out>\n"
            }
            cases += "    </testcase>\n"
        }
        return ("  <testsuite name=\"plan coverage\" tests=\"\(rows.count)\" failures=\"\(failures)\" errors=\"0\">\n" + cases + "  </testsuite>\n",
                rows.count, failures)
    }

    /// Planned (live or planned) events never seen, for `--require-all`.
    public var neverSeen: [String] { expected.filter { $0.seen == 0 }.map(\.name) }
    /// Planned events with invalid instances.
    public var withInvalid: [String] { rows.filter { $0.invalid > 0 }.map(\.name) }
}

/// What the plan's checks saw of each record of one request, in record order: enough for
/// `PlanCoverage` to count the request without walking its records again. Made in the
/// validator's pass when `Ingest.tallyPlanCoverage` is set; carried by `Processed.planTally`.
public struct PlanTally: Sendable {
    struct Record: Sendable {
        /// Index of the planned event, or `unplanned`, `notCounted`, `walk`.
        var event: Int32 = PlanTally.notCounted
        /// Tape index of the record's `event_type` (an unplanned event's name).
        var typeNode: Int32 = -1
        /// Some planned property past the 64th was seen (`seen` cannot hold it): walk the record.
        var overflow = false
        /// No plan finding of severity error for the record.
        var valid = true
        /// Bit i: planned property i appeared in `event_properties`.
        var seen: UInt64 = 0
    }
    /// An event type the plan does not list.
    static let unplanned: Int32 = -1
    /// Not an event coverage counts (an identification, `$identify`, no string `event_type`, not an object).
    static let notCounted: Int32 = -2
    /// Counted by walking the record (it repeats a key, or has more planned properties than `seen` holds).
    static let walk: Int32 = -3

    /// The plan the records were checked against.
    let checker: PlanChecker
    var records: [Record]
}

/// What the plan's checks give in the validator's pass over a request: their findings, and the
/// tally of each record when one is asked for (nil: none).
struct PlanPass {
    var findings = FindingSink()
    var tally: [PlanTally.Record]?

    init(tally: Bool = false) { self.tally = tally ? [] : nil }
}
