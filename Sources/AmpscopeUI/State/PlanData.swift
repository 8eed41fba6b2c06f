import AmpscopeCore

/// The tracking plan's coverage as the host last computed it (`--plan FILE`), for the Plan view
/// and the header's figure: a value the host posts (`Action.planChanged`) as captures arrive.
public struct PlanCoverageList: Sendable, Equatable {
    /// One line of the Plan view: a planned event (in plan order) or an unplanned one (after them,
    /// most seen first).
    public struct Row: Sendable, Equatable {
        public var name: String
        /// nil for an event the plan does not name.
        public var status: PlanStatus?
        public var seen: Int
        public var valid: Int
        public var lastSeen: Int64?
        public var neverSeenProperties: [String]
        public var plannedProperties: Int

        public var invalid: Int { seen - valid }
        /// Counts towards coverage: planned or live.
        public var expected: Bool { status == .live || status == .planned }

        public init(name: String, status: PlanStatus?, seen: Int, valid: Int, lastSeen: Int64?, neverSeenProperties: [String], plannedProperties: Int) {
            self.name = name
            self.status = status
            self.seen = seen
            self.valid = valid
            self.lastSeen = lastSeen
            self.neverSeenProperties = neverSeenProperties
            self.plannedProperties = plannedProperties
        }
    }

    /// Bumped by the host on every change.
    public var version: Int
    /// The plan file as given (shown in the view's title); nil when ampscope runs without a plan.
    public var source: String?
    public var rows: [Row]

    public init(version: Int, source: String?, rows: [Row]) {
        self.version = version
        self.source = source
        self.rows = rows
    }

    /// From the core's fold over judged requests.
    public init(version: Int, source: String, coverage c: PlanCoverage) {
        var rows = c.rows.map { r in
            Row(name: r.name, status: r.status, seen: r.seen, valid: r.valid, lastSeen: r.lastSeen,
                neverSeenProperties: r.seen > 0 ? r.neverSeenProperties : [], plannedProperties: r.propertyNames.count)
        }
        rows += c.unplanned.sorted { $0.seen != $1.seen ? $0.seen > $1.seen : $0.name < $1.name }.map {
            Row(name: $0.name, status: nil, seen: $0.seen, valid: 0, lastSeen: $0.lastSeen, neverSeenProperties: [], plannedProperties: 0)
        }
        self.init(version: version, source: source, rows: rows)
    }

    public static let none = PlanCoverageList(version: -1, source: nil, rows: [])

    public var hasPlan: Bool { source != nil }
    /// Planned or live events, and how many of them were seen.
    public var expectedCount: Int { rows.filter(\.expected).count }
    public var expectedSeen: Int { rows.filter { $0.expected && $0.seen > 0 }.count }
    public var unplannedCount: Int { rows.filter { $0.status == nil }.count }
    /// Planned events marked `!`: instances that break the plan, or blocked or deprecated events seen.
    public var problemCount: Int { rows.filter { $0.status != nil && Self.mark($0) == "!" }.count }

    /// "7/9 events seen (77.8%)": the header's and the title's figure.
    public var figure: String {
        let n = expectedCount
        let seen = expectedSeen
        let tenths = n == 0 ? 1000 : (seen * 1000 + n / 2) / n
        return "\(seen)/\(n) seen (\(tenths / 10).\(tenths % 10)%)"
    }

    /// The mark at the start of a row: ✓ seen and valid, ! seen with instances that break the
    /// plan (or a blocked or deprecated event seen, as `check --coverage` marks them), ✗ expected but never seen, · blocked or deprecated and not
    /// seen, ? not in the plan.
    public static func mark(_ r: Row) -> String {
        guard let status = r.status else { return "?" }
        switch status {
        case .blocked, .deprecated: return r.seen > 0 ? "!" : "·"
        case .live, .planned: return r.seen == 0 ? "✗" : r.invalid > 0 ? "!" : "✓"
        }
    }
}

/// Live events measured against a golden run (`--golden FILE`), as the host last posted them:
/// which rows differ from their golden counterpart and which have none (`GoldenMatcher`).
public struct GoldenMarks: Sendable {
    /// The golden event a row is paired with.
    public struct Link: Sendable, Equatable {
        /// Index among the golden run's events, the record inside its request, and where it was read.
        public var golden: Int
        public var record: Int
        public var location: String
        /// Differences outside the volatile fields.
        public var differences: Int

        public init(golden: Int, record: Int, location: String, differences: Int) {
            self.golden = golden
            self.record = record
            self.location = location
            self.differences = differences
        }
    }

    public var version: Int
    /// The golden file as given; nil without `--golden`.
    public var source: String?
    public var links: [RowID: Link]
    public var extra: Set<RowID>
    public var goldenCount: Int
    /// Golden events not paired with a live one yet.
    public var unpaired: Int
    public var differing: Int

    public init(version: Int, source: String?, links: [RowID: Link] = [:], extra: Set<RowID> = [], goldenCount: Int = 0, unpaired: Int = 0) {
        self.version = version
        self.source = source
        self.links = links
        self.extra = extra
        self.goldenCount = goldenCount
        self.unpaired = unpaired
        self.differing = links.values.reduce(0) { $0 + ($1.differences > 0 ? 1 : 0) }
    }

    public static let none = GoldenMarks(version: -1, source: nil)

    public var hasGolden: Bool { source != nil }

    /// "2 differ · 1 extra · 3 golden not seen": the header's figure.
    public var figure: String {
        "\(differing) differ · \(extra.count) extra · \(unpaired) not seen"
    }
}
