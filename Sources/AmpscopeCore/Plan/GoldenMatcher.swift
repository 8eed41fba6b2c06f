/// Live events against a golden run, one at a time (`--golden` in the terminal UI): the n-th event
/// of a type in the live stream is paired with the n-th event of that type in the golden run, so
/// events inserted, missing or of other types in between do not shift the pairing. A paired event
/// is compared field by field outside the volatile fields (`GoldenDiff.volatile`); an event with
/// no n-th counterpart in the golden run is *extra*. `ampscope diff` aligns whole runs afterwards
/// (a longest common subsequence); this online pairing is what a stream that is still arriving allows.
public struct GoldenMatcher: Sendable {
    /// One golden event: the judged request it came from, its record, and its flattened fields.
    public struct Reference: Sendable {
        public var processed: Processed
        public var record: Int
        public var event: GoldenDiff.Event
    }

    /// What a live record is, measured against the golden run.
    public enum Verdict: Sendable, Equatable {
        /// Paired with golden event `golden` (an index into `golden`), with these differences.
        case paired(golden: Int, differences: [GoldenDiff.Difference])
        /// The golden run has no counterpart for it.
        case extra
    }

    public let golden: [Reference]
    public let diff: GoldenDiff
    private let byType: [String: [Int]]
    private var taken: [String: Int] = [:]
    /// Golden events paired so far.
    public private(set) var pairedCount = 0

    public init(golden: [Processed], locations: [String], diff: GoldenDiff = GoldenDiff()) {
        var refs: [Reference] = []
        for (p, location) in zip(golden, locations) {
            for r in 0..<p.request.records.count {
                if let e = GoldenDiff.event(p, record: r, location: location) { refs.append(Reference(processed: p, record: r, event: e)) }
            }
        }
        self.golden = refs
        self.diff = diff
        var byType: [String: [Int]] = [:]
        for (i, r) in refs.enumerated() { byType[r.event.type, default: []].append(i) }
        self.byType = byType
    }

    /// The verdict for each record of a live request (nil for a record that is not a JSON object).
    public mutating func match(_ p: Processed) -> [Verdict?] {
        (0..<p.request.records.count).map { i in
            guard let e = GoldenDiff.event(p, record: i, location: "") else { return nil }
            let n = taken[e.type, default: 0]
            taken[e.type] = n + 1
            guard let candidates = byType[e.type], n < candidates.count else { return .extra }
            let g = candidates[n]
            pairedCount += 1
            return .paired(golden: g, differences: diff.fieldDiffs(golden[g].event, e, g, n))
        }
    }

    /// Golden events not paired yet: still to come, or missing from the live run.
    public var unpairedCount: Int { golden.count - pairedCount }

    /// Starts over (the store was cleared).
    public mutating func reset() {
        taken = [:]
        pairedCount = 0
    }
}
