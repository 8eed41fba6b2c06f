/// `ampscope diff GOLDEN RUN`: compares the events of two captures of the same QA flow.
///
/// Events are aligned by type and order (a longest common subsequence of event types), so an
/// inserted or missing event does not shift the rest. What stays unmatched is then paired: the
/// same type on both sides is a *reordered* event; in the same gap between aligned events, a
/// golden and a run event with mostly the same property names (or the only two left) is a
/// *renamed* event; the rest are *missing* and *extra*. Paired events are compared field by
/// field, skipping volatile fields (time, ids generated per run; configurable).
public struct GoldenDiff: Sendable {
    /// One event flattened for comparison.
    public struct Event: Sendable, Equatable {
        public var type: String
        /// `source:line` or file name and request number, for the user.
        public var location: String
        /// Flattened fields: path (`event_properties/plan`) → (kind word, value as JSON text).
        public var fields: [String: Field]

        public struct Field: Sendable, Equatable {
            public var kind: String
            public var value: String
        }

        public init(type: String, location: String, fields: [String: Field]) {
            self.type = type
            self.location = location
            self.fields = fields
        }
    }

    public enum Kind: String, Sendable, CaseIterable {
        case missing, extra, reordered, renamed
        case propertyAdded = "property-added"
        case propertyRemoved = "property-removed"
        case typeChanged = "type-changed"
        case valueChanged = "value-changed"
    }

    public struct Difference: Sendable, Equatable {
        public var kind: Kind
        /// Position among the golden / run events (0-based), when the difference concerns one.
        public var golden: Int?
        public var run: Int?
        public var eventType: String
        public var path: String?
        public var before: String?
        public var after: String?
        public var message: String
    }

    /// Field names never compared (matched against the last path component and the whole path).
    public static let defaultVolatile: Set<String> = [
        "time", "insert_id", "event_id", "session_id", "device_id", "uuid", "sequence_number", "timestamp",
        "client_event_time", "client_upload_time", "server_upload_time", "upload_time", "$insert_id",
    ]

    public var volatile: Set<String>

    public init(volatile: Set<String> = GoldenDiff.defaultVolatile) { self.volatile = volatile }

    // MARK: Extraction

    /// The events of a judged request, flattened (identify and group identify records too).
    public static func events(_ p: Processed, location: String) -> [Event] {
        (0..<p.request.records.count).compactMap { event(p, record: $0, location: location) }
    }

    /// One record of a judged request, flattened (nil when it is not a JSON object).
    public static func event(_ p: Processed, record i: Int, location: String) -> Event? {
        guard let doc = p.request.document, i >= 0, i < p.request.records.count else { return nil }
        let node = p.request.records[i]
        guard doc.kind(node) == .object else { return nil }
        var type = doc.member(node, "event_type").flatMap { doc.stringValue($0) }
        if type == nil {
            switch p.request.recordKind {
            case .identification: type = "$identify"
            case .groupIdentification: type = "$groupidentify"
            case .mapping: type = "$usermap"
            default: type = "(no event_type)"
            }
        }
        var fields: [String: Event.Field] = [:]
        flatten(doc, node, prefix: "", depth: 0, into: &fields)
        fields["event_type"] = nil
        return Event(type: type!, location: p.request.records.count > 1 ? "\(location) #\(i)" : location, fields: fields)
    }

    static func flatten(_ doc: JSONDocument, _ node: Int, prefix: String, depth: Int, into f: inout [String: Event.Field]) {
        for (k, v) in doc.members(node) {
            let path = prefix.isEmpty ? doc.string(k) : prefix + "/" + doc.string(k)
            if doc.kind(v) == .object, depth < 6, f.count < 10_000 {
                if doc.count(v) == 0 { f[path] = Event.Field(kind: "object", value: "{}") }
                flatten(doc, v, prefix: path, depth: depth + 1, into: &f)
            } else {
                let kind = PlanInference.PropStats.kindWord(doc, v)
                var raw = doc.rawText(v)
                if raw.utf8.count > 2000 { raw = String(raw.prefix(2000)) + "…" }
                f[path] = Event.Field(kind: kind == "integer" ? "number" : kind, value: raw)
            }
        }
    }

    func isVolatile(_ path: String) -> Bool {
        if volatile.contains(path) { return true }
        let last = path.split(separator: "/").last.map(String.init) ?? path
        return volatile.contains(last)
    }

    // MARK: Alignment

    /// Pairs of (golden index, run index) in a longest common subsequence of event types.
    static func align(_ a: [String], _ b: [String]) -> [(Int, Int)] {
        let n = a.count, m = b.count
        if n == 0 || m == 0 { return [] }
        // Common prefix and suffix first (the usual case: runs that mostly agree).
        var pre = 0
        while pre < n, pre < m, a[pre] == b[pre] { pre += 1 }
        var suf = 0
        while suf < n - pre, suf < m - pre, a[n - 1 - suf] == b[m - 1 - suf] { suf += 1 }
        var pairs = (0..<pre).map { ($0, $0) }
        let a2 = Array(a[pre..<(n - suf)]), b2 = Array(b[pre..<(m - suf)])
        if !a2.isEmpty, !b2.isEmpty {
            if a2.count * b2.count <= 16_000_000 {
                // Classic dynamic programme over the middle.
                let w = b2.count + 1
                var t = [Int32](repeating: 0, count: (a2.count + 1) * w)
                for i in stride(from: a2.count - 1, through: 0, by: -1) {
                    for j in stride(from: b2.count - 1, through: 0, by: -1) {
                        t[i * w + j] = a2[i] == b2[j] ? t[(i + 1) * w + j + 1] + 1 : max(t[(i + 1) * w + j], t[i * w + j + 1])
                    }
                }
                var i = 0, j = 0
                while i < a2.count, j < b2.count {
                    if a2[i] == b2[j] { pairs.append((pre + i, pre + j)); i += 1; j += 1 }
                    else if t[(i + 1) * w + j] >= t[i * w + j + 1] { i += 1 } else { j += 1 }
                }
            } else {
                // Very long runs: greedy, looking ahead for the next event of the same type.
                var j = 0
                for i in a2.indices {
                    var k = j
                    while k < b2.count, k - j < 1000, b2[k] != a2[i] { k += 1 }
                    if k < b2.count, b2[k] == a2[i] { pairs.append((pre + i, pre + k)); j = k + 1 }
                }
            }
        }
        for s in 0..<suf { pairs.append((n - suf + s, m - suf + s)) }
        return pairs
    }

    // MARK: Comparison

    public func compare(golden: [Event], run: [Event]) -> [Difference] {
        let pairs = Self.align(golden.map(\.type), run.map(\.type))
        var out: [Difference] = []
        var matchedG = Set<Int>(), matchedR = Set<Int>()
        for (g, r) in pairs { matchedG.insert(g); matchedR.insert(r) }
        var missing = golden.indices.filter { !matchedG.contains($0) }
        var extra = run.indices.filter { !matchedR.contains($0) }
        // The gap (between aligned pairs) each unmatched event falls in.
        func gap(_ i: Int, golden isGolden: Bool) -> Int {
            var k = 0
            for (g, r) in pairs { if (isGolden ? g : r) < i { k += 1 } else { break } }
            return k
        }
        var moved: [(Int, Int)] = []
        for g in missing {
            if let idx = extra.firstIndex(where: { run[$0].type == golden[g].type }) {
                moved.append((g, extra[idx]))
                extra.remove(at: idx)
            }
        }
        missing.removeAll { g in moved.contains { $0.0 == g } }
        var renamed: [(Int, Int)] = []
        for g in missing {
            let gg = gap(g, golden: true)
            let candidates = extra.filter { gap($0, golden: false) == gg }
            let onlyPair = candidates.count == 1 && missing.filter { gap($0, golden: true) == gg }.count == 1
            let best = candidates.max { Self.similarity(golden[g], run[$0]) < Self.similarity(golden[g], run[$1]) }
            if let b = best, onlyPair || Self.similarity(golden[g], run[b]) >= 0.5 {
                renamed.append((g, b))
                extra.removeAll { $0 == b }
            }
        }
        missing.removeAll { g in renamed.contains { $0.0 == g } }

        var entries: [(order: Int, diffs: [Difference])] = []
        for (g, r) in pairs { entries.append((g * 2, fieldDiffs(golden[g], run[r], g, r))) }
        for (g, r) in moved {
            let d = Difference(kind: .reordered, golden: g, run: r, eventType: golden[g].type, path: nil, before: "#\(g)", after: "#\(r)",
                               message: "\"\(Sanitize.inline(golden[g].type, limit: 60))\" moved: golden event #\(g) is run event #\(r)")
            entries.append((g * 2, [d] + fieldDiffs(golden[g], run[r], g, r)))
        }
        for (g, r) in renamed {
            let d = Difference(kind: .renamed, golden: g, run: r, eventType: golden[g].type, path: "event_type",
                               before: golden[g].type, after: run[r].type,
                               message: "\"\(Sanitize.inline(golden[g].type, limit: 60))\" is sent as \"\(Sanitize.inline(run[r].type, limit: 60))\" (run event #\(r))")
            entries.append((g * 2, [d] + fieldDiffs(golden[g], run[r], g, r)))
        }
        for g in missing {
            entries.append((g * 2, [Difference(kind: .missing, golden: g, run: nil, eventType: golden[g].type, path: nil, before: nil, after: nil,
                                               message: "\"\(Sanitize.inline(golden[g].type, limit: 60))\" (golden event #\(g), \(Sanitize.inline(golden[g].location, limit: 60))) was not sent")]))
        }
        for r in extra {
            // After the golden event it follows.
            let after = pairs.last { $0.1 < r }?.0 ?? -1
            entries.append((after * 2 + 1, [Difference(kind: .extra, golden: nil, run: r, eventType: run[r].type, path: nil, before: nil, after: nil,
                                                       message: "\"\(Sanitize.inline(run[r].type, limit: 60))\" (run event #\(r), \(Sanitize.inline(run[r].location, limit: 60))) is not in the golden run")]))
        }
        for e in entries.sorted(by: { $0.order < $1.order }) { out += e.diffs }
        return out
    }

    static func similarity(_ a: Event, _ b: Event) -> Double {
        let ka = Set(a.fields.keys.filter { $0.hasPrefix("event_properties/") })
        let kb = Set(b.fields.keys.filter { $0.hasPrefix("event_properties/") })
        if ka.isEmpty && kb.isEmpty { return 0 }
        return Double(ka.intersection(kb).count) / Double(ka.union(kb).count)
    }

    func fieldDiffs(_ a: Event, _ b: Event, _ g: Int, _ r: Int) -> [Difference] {
        var out: [Difference] = []
        let label = "\"\(Sanitize.inline(a.type, limit: 60))\" #\(g)"
        for path in Set(a.fields.keys).union(b.fields.keys).sorted() where !isVolatile(path) {
            let x = a.fields[path], y = b.fields[path]
            let shown = Sanitize.inline(path, limit: 80)
            switch (x, y) {
            case (nil, let y?):
                out.append(Difference(kind: .propertyAdded, golden: g, run: r, eventType: a.type, path: path, before: nil, after: y.value,
                                      message: "\(label): \(shown) added (\(Sanitize.inline(y.value, limit: 60)))"))
            case (let x?, nil):
                out.append(Difference(kind: .propertyRemoved, golden: g, run: r, eventType: a.type, path: path, before: x.value, after: nil,
                                      message: "\(label): \(shown) removed (was \(Sanitize.inline(x.value, limit: 60)))"))
            case (let x?, let y?) where x.kind != y.kind:
                out.append(Difference(kind: .typeChanged, golden: g, run: r, eventType: a.type, path: path, before: x.value, after: y.value,
                                      message: "\(label): \(shown) was \(x.kind) \(Sanitize.inline(x.value, limit: 40)), is \(y.kind) \(Sanitize.inline(y.value, limit: 40))"))
            case (let x?, let y?) where x.value != y.value:
                out.append(Difference(kind: .valueChanged, golden: g, run: r, eventType: a.type, path: path, before: x.value, after: y.value,
                                      message: "\(label): \(shown) was \(Sanitize.inline(x.value, limit: 60)), is \(Sanitize.inline(y.value, limit: 60))"))
            default: break
            }
        }
        return out
    }

    // MARK: Output

    public static func text(_ diffs: [Difference], goldenCount: Int, runCount: Int) -> String {
        var out = ""
        for d in diffs {
            let mark: String
            switch d.kind {
            case .missing: mark = "-"
            case .extra: mark = "+"
            case .reordered: mark = "~"
            case .renamed: mark = "≠"
            default: mark = " "
            }
            out += "\(mark) \(d.kind.rawValue): \(d.message)\n"
        }
        out += diffs.isEmpty ? "no differences (\(goldenCount) golden events, \(runCount) run events)\n"
            : "\(diffs.count) difference\(diffs.count == 1 ? "" : "s") (\(goldenCount) golden events, \(runCount) run events)\n"
        return out
    }

    public static func json(_ diffs: [Difference], goldenCount: Int, runCount: Int) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("golden_events", goldenCount)
        w.field("run_events", runCount)
        w.field("differences", diffs.count)
        w.key("by_kind")
        w.beginObject()
        for k in Kind.allCases { w.field(k.rawValue, diffs.filter { $0.kind == k }.count) }
        w.endObject()
        w.key("items")
        w.beginArray()
        for d in diffs {
            w.beginObject()
            w.field("kind", d.kind.rawValue)
            w.field("event_type", d.eventType)
            w.field("golden_index", d.golden)
            w.field("run_index", d.run)
            w.field("path", d.path)
            w.field("golden", d.before)
            w.field("run", d.after)
            w.field("message", d.message)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.text + "\n"
    }

    /// One test case per golden event (failing when it differs or is missing), one failing case per extra event.
    public static func junit(_ diffs: [Difference], golden: [Event]) -> String {
        var byGolden: [Int: [Difference]] = [:]
        var extras: [Difference] = []
        for d in diffs {
            if let g = d.golden { byGolden[g, default: []].append(d) } else { extras.append(d) }
        }
        var cases = ""
        var failures = 0
        for (i, e) in golden.enumerated() {
            cases += "    <testcase classname=\"golden\" name=\"\(Report.xml("#\(i) \(e.type)"))\" time=\"0\">\n"
            if let ds = byGolden[i], !ds.isEmpty {
                failures += 1
                cases += "      <failure type=\"\(ds[0].kind.rawValue)\" message=\"\(Report.xml(ds[0].message))\">\(Report.xml(ds.map(\.message).joined(separator: "\n")))</failure>\n"
            }
            cases += "    </testcase>\n"
        }
        for d in extras {
            failures += 1
            cases += "    <testcase classname=\"golden\" name=\"\(Report.xml("extra #\(d.run ?? 0) \(d.eventType)"))\" time=\"0\">\n"
            cases += "      <failure type=\"extra\" message=\"\(Report.xml(d.message))\"/>\n    </testcase>\n"
        }
        let tests = golden.count + extras.count
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ampscope diff\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"0\">\n"
            + "  <testsuite name=\"golden run\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"0\">\n" + cases + "  </testsuite>\n</testsuites>\n"
    }
}
