/// Pure decisions of the replayer: merge order, pacing and following growing files.
/// The IO (reading files, sleeping, polling) lives in AmpscopeApp and asks these.

/// Merges several time-ordered sources into one: always takes the earliest head, and between
/// equal times the source given first, so the result is stable and deterministic.
public struct TimeMerge: Sendable {
    /// Head time of each source, nil when the source has nothing (yet).
    public private(set) var heads: [Int64?]

    public init(sources: Int) { heads = Array(repeating: nil, count: sources) }

    public mutating func setHead(_ source: Int, time: Int64?) { heads[source] = time }

    /// The source whose head comes next, or nil when every source is empty.
    public func next() -> Int? {
        var best: Int?
        for (i, t) in heads.enumerated() {
            guard let t else { continue }
            if let b = best, let bt = heads[b], bt <= t { continue }
            best = i
        }
        return best
    }

    /// Merges finished lists (tests and small inputs).
    public static func merge<T>(_ lists: [[T]], time: (T) -> Int64) -> [(source: Int, item: T)] {
        var m = TimeMerge(sources: lists.count)
        var pos = Array(repeating: 0, count: lists.count)
        for (i, l) in lists.enumerated() { m.setHead(i, time: l.first.map(time)) }
        var out: [(Int, T)] = []
        while let s = m.next() {
            out.append((s, lists[s][pos[s]]))
            pos[s] += 1
            m.setHead(s, time: pos[s] < lists[s].count ? time(lists[s][pos[s]]) : nil)
        }
        return out
    }
}

/// When each replayed request is due: as fast as possible, or the original gaps divided by
/// `speed`. Times are milliseconds; the clock is the caller's, so tests need no sleeping.
public struct ReplayPacer: Sendable, Equatable {
    /// nil = as fast as possible.
    public let speed: Double?
    private var anchor: (recorded: Int64, wall: Int64)?
    /// Recorded gaps longer than this are shortened to it (a log with an overnight pause does not stall the replay).
    public var maxGapMs: Int64 = 60_000
    private var lastRecorded: Int64?
    private var skipped: Int64 = 0

    public init(speed: Double?) { self.speed = speed.flatMap { $0 > 0 ? $0 : nil } }

    public static func == (a: ReplayPacer, b: ReplayPacer) -> Bool { a.speed == b.speed }

    /// Milliseconds to wait before delivering a request recorded at `recorded` when the wall
    /// clock reads `now`. The first request is due at once and anchors the schedule.
    public mutating func delay(recorded: Int64, now: Int64) -> Int64 {
        guard let speed else { return 0 }
        guard let a = anchor else {
            anchor = (recorded, now)
            lastRecorded = recorded
            return 0
        }
        // Recorded times come from input files: saturate rather than trap on extreme values.
        if let last = lastRecorded {
            let gap = Self.minus(recorded, last)
            if gap > maxGapMs { skipped = Self.plus(skipped, gap - maxGapMs) }
        }
        lastRecorded = max(lastRecorded ?? recorded, recorded)
        let scaled = (Double(Self.minus(Self.minus(recorded, a.recorded), skipped)) / speed).rounded()
        let step = Int64(exactly: scaled) ?? (scaled > 0 ? .max : .min)
        return max(0, Self.minus(Self.plus(a.wall, step), now))
    }

    static func plus(_ a: Int64, _ b: Int64) -> Int64 {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? (b > 0 ? .max : .min) : r
    }

    static func minus(_ a: Int64, _ b: Int64) -> Int64 {
        let (r, o) = a.subtractingReportingOverflow(b)
        return o ? (b < 0 ? .max : .min) : r
    }
}

/// What to do with a followed file after looking at it again (`tail -F` semantics).
public enum FollowDecision: Sendable, Equatable {
    /// Nothing new.
    case wait
    /// Read the bytes from `offset` to the end.
    case read(from: Int64)
    /// The file shrank (truncated): start again from the beginning.
    case restartTruncated
    /// A different file now has the name (rotated): reopen it and read from the start.
    case reopenRotated
    /// The file is gone: keep the position and look again later.
    case missing
}

/// Tracks one followed file by identity (device + inode) and size.
public struct FollowState: Sendable, Equatable {
    public var identity: UInt64?
    public var offset: Int64

    public init(identity: UInt64? = nil, offset: Int64 = 0) {
        self.identity = identity
        self.offset = offset
    }

    /// Decides from what `stat` says now (nil when the file does not exist).
    public func decide(identity now: UInt64?, size: Int64?) -> FollowDecision {
        guard let now, let size else { return .missing }
        if let id = identity, id != now { return .reopenRotated }
        if size < offset { return .restartTruncated }
        if size > offset { return .read(from: offset) }
        return .wait
    }
}
