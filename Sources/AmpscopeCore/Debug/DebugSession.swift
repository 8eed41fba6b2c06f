/// Everything the debug pane needs in one value: one `DebugLogParser` per log source and the
/// `DebugJoiner` that links their records to the wire.
///
/// The app owns one session; its file/stdin/HTTP readers call `feed`, the ingestion path calls
/// `add(wire:)`, a timer calls `flushIdle()` on live sources, and the UI reads `joiner`.
/// Pure: bytes in, values out.
public struct DebugSession: Sendable {
    public private(set) var joiner: DebugJoiner
    private var parsers: [String: DebugLogParser] = [:]
    private var order: [String] = []
    public let limits: DebugLogLimits

    public init(limits: DebugLogLimits = DebugLogLimits(), options: DebugJoiner.Options = DebugJoiner.Options()) {
        self.limits = limits
        self.joiner = DebugJoiner(options: options)
    }

    /// Feeds raw bytes of a source (a file chunk, a pipe read); returns the new record ids.
    @discardableResult
    public mutating func feed(source: String, bytes: some Collection<UInt8>, receivedAt: Int64? = nil) -> [Int] {
        let records = withParser(source) { $0.feed(bytes: bytes, receivedAt: receivedAt) }
        return joiner.add(records)
    }

    /// Feeds one line of a source.
    @discardableResult
    public mutating func feed(source: String, line: some Collection<UInt8>, receivedAt: Int64? = nil) -> [Int] {
        let records = withParser(source) { $0.feed(line: line, receivedAt: receivedAt) }
        return joiner.add(records)
    }

    /// Feeds the lines of a `POST /ampscope/log` request (each line gets the client's time as
    /// `loggedAt` when it sent one, and `receivedAt`).
    @discardableResult
    public mutating func ingest(_ request: LogIngestRequest, receivedAt: Int64? = nil) -> [Int] {
        let records = withParser(request.source) { p in
            var records: [DebugRecord] = []
            for l in request.lines {
                var got = p.feed(line: l.text, receivedAt: receivedAt)
                if let t = l.time { for i in got.indices where got[i].loggedAt == nil { got[i].loggedAt = t } }
                records += got
            }
            return records
        }
        return joiner.add(records)
    }

    /// Emits records held for a possible continuation (call after ~100 ms without input).
    @discardableResult
    public mutating func flushIdle() -> [Int] {
        var ids: [Int] = []
        for s in order {
            let r = withParser(s) { $0.flush() }
            ids += joiner.add(r)
        }
        return ids
    }

    /// End of a source (file read to its end, pipe closed).
    @discardableResult
    public mutating func finish(source: String) -> [Int] {
        guard parsers[source] != nil else { return [] }
        let r = withParser(source) { $0.finish() }
        return joiner.add(r)
    }

    public mutating func add(wire events: [DebugWireEvent]) { joiner.add(wire: events) }

    /// Parser counters per source, in the order sources appeared.
    public var stats: [(source: String, stats: DebugLogStats)] { order.compactMap { s in parsers[s].map { (s, $0.stats) } } }

    /// Located problems of every source (each source keeps at most `limits.maxProblems`).
    public var problems: [InputProblem] { order.flatMap { parsers[$0]?.problems ?? [] } }

    public var sources: [String] { order }

    /// Returns the located problems of every source reported since the last call, and forgets
    /// them (live sources: each problem is handed out once).
    public mutating func takeProblems() -> [InputProblem] {
        var out: [InputProblem] = []
        for s in order { out += withParser(s) { $0.takeProblems() } }
        return out
    }

    /// Runs `body` on the source's parser, taken out of the dictionary meanwhile so that its
    /// buffers are mutated in place (no copy-on-write of an open block).
    private mutating func withParser<R>(_ source: String, _ body: (inout DebugLogParser) -> R) -> R {
        var p: DebugLogParser
        if let existing = parsers.removeValue(forKey: source) {
            p = existing
        } else {
            order.append(source)
            p = DebugLogParser(source: source, limits: limits)
        }
        let r = body(&p)
        parsers[source] = p
        return r
    }
}
