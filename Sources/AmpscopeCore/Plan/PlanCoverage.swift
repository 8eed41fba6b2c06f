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

    public init(_ checker: PlanChecker) {
        self.checker = checker
        rows = checker.plan.events.map { e in
            EventRow(name: e.name, status: e.status, propertySeen: Array(repeating: false, count: e.properties.properties.count),
                     propertyNames: e.properties.properties.map(\.name))
        }
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

    /// Counts the events of a judged request (whose findings include the plan's).
    public mutating func add(_ p: Processed) {
        add(p.request, findings: p.findings, time: p.capture.receivedAt)
        for o in p.segmentMapping?.outcomes ?? [] { add(o.processed.request, findings: o.findings, time: p.capture.receivedAt) }
    }

    mutating func add(_ request: DecodedRequest, findings: [Finding], time: Int64) {
        guard let doc = request.document, request.recordKind == .event || request.recordKind == .legacyEvent else { return }
        var badEvents = Set<Int>()
        for f in findings where f.severity == .error && PlanRules.isPlanRule(f.rule) {
            if let e = f.event { badEvents.insert(e) }
        }
        for (index, node) in request.records.enumerated() {
            guard let t = doc.member(node, "event_type"), doc.kind(t) == .string else { continue }
            if doc.keyEquals(t, "$identify") || doc.keyEquals(t, "$groupidentify") { continue }
            guard let ei = checker.eventIndex(doc, t) else {
                let name = doc.string(t)
                if let u = unplannedIndex[name] {
                    unplanned[u].seen += 1
                    unplanned[u].lastSeen = time
                } else if unplanned.count < 10_000 {
                    unplannedIndex[name] = unplanned.count
                    unplanned.append(Unplanned(name: name, seen: 1, lastSeen: time))
                }
                continue
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
