import AmpscopeCore

/// A filter compiled against the index instead of against rows.
///
/// Rows of the index hold small integers (interned ids, a rule-set id, counts, times); building
/// a `StreamRow` for each (strings copied out of the interner, an `EventSummary` built) costs far
/// more than deciding a term. So each term of the filter's plan (`Filter.plan`) is decided once
/// per distinct value it reads: per interned string, rule set, source name and kind, endpoint or
/// combination of finding counts, by evaluating the term itself on a template row that holds the
/// value. Answers are remembered in byte tables indexed by id (lazily, per thread, kept across
/// scans of the same filter: interned ids and rule sets never change meaning). Numbers are
/// compared directly; insert ids are tested on their UTF-8 bytes when the bytes decide it.
/// Terms that read the SDK side of a row are asked per row with its capture id and event index;
/// a term whose column is not known here is evaluated on the whole row (`streamRow`), so
/// correctness never depends on this file knowing every term.
final class IndexFilter: Sendable {
    /// Verdicts as bytes; 0 in a memo table means "not decided yet".
    static let no: UInt8 = 1
    static let yes: UInt8 = 2
    static let unknown: UInt8 = 3

    enum Space: Sendable { case strings, sources, ruleSets }

    let plan: FilterProgram
    /// The plan flattened: `ops[0]` is the root. Plain values only, read through pointers while
    /// scanning, so threads share them without reference counting.
    let ops: [Op]
    /// Children of `.not`/`.and`/`.or` ops (indexes into `ops`).
    let kids: [Int32]
    /// Verdict tables of `.endpoint`, `.counts`, `.insert` and `.session` ops.
    let tables: [UInt8]
    /// The term of each op (nil for combinators), for the slow paths: a value seen for the first
    /// time, SDK-side terms, whole-row fallbacks, and each scan's byte tests.
    let terms: [FilterProgram?]
    /// For each memo slot, what its ids index.
    let spaces: [Space]
    /// Memo tables not in use by a scan right now, per index segment (interned ids mean
    /// something only within their segment), with when each segment's were last used.
    private let pool = Guarded(MemoPool())

    struct MemoPool {
        var sets: [Int: (used: Int, free: [MemoSet])] = [:]
        var clock = 0
        /// Segments whose tables are kept (the least recently used beyond that are dropped).
        static let segments = 48

        mutating func take(_ key: Int) -> MemoSet? {
            clock += 1
            sets[key, default: (clock, [])].used = clock
            return sets[key]!.free.popLast()
        }

        mutating func give(_ set: MemoSet, _ key: Int) {
            sets[key, default: (clock, [])].free.append(set)
            if sets.count > Self.segments, let oldest = sets.min(by: { $0.value.used < $1.value.used })?.key {
                sets[oldest] = nil
            }
        }
    }

    enum Kind: UInt8, Sendable {
        case yes, unknown, not, and, or
        /// An interned column (`column` says which), memo over strings.
        case interned
        case insert, status, session, capture, source, endpoint, rules, counts, text, debug, row
    }

    struct Op: Sendable {
        var kind: Kind
        var column: FilterProgram.Column
        /// Memo slot (`.interned`, `.text`, `.source`, `.rules`).
        var slot: Int32 = -1
        /// Children (`kids[first..<first+count]`) or table (`tables[first..<first+count]`):
        /// `.endpoint` a verdict per endpoint, `.counts` per (errors>0 | warnings>0<<1 | infos>0<<2),
        /// `.insert`/`.session` the verdict when the value is absent.
        var first: Int32 = 0
        var count: Int32 = 0
        /// `.status`, `.session`, `.capture`: the comparison, when the term is one.
        var number: FilterNumberTest?
    }

    init(_ filter: Filter) {
        plan = filter.plan
        var b = Builder()
        _ = b.add(filter.plan)
        ops = b.ops
        kids = b.kids
        tables = b.tables
        terms = b.terms
        spaces = b.spaces
    }

    private struct Builder {
        var ops: [Op] = []
        var kids: [Int32] = []
        var tables: [UInt8] = []
        var terms: [FilterProgram?] = []
        var spaces: [Space] = []

        mutating func add(_ p: FilterProgram) -> Int32 {
            let at = Int32(ops.count)
            ops.append(Op(kind: .yes, column: .row))
            terms.append(nil)
            var op = Op(kind: .yes, column: p.column)
            switch p.shape {
            case .all: op.kind = .yes
            case .payload: op.kind = .unknown
            case .not, .and, .or:
                op.kind = p.shape == .not ? .not : p.shape == .and ? .and : .or
                let children = p.terms.map { add($0) }
                op.first = Int32(kids.count)
                op.count = Int32(children.count)
                kids += children
            case .term:
                terms[Int(at)] = p
                term(p, &op)
            }
            ops[Int(at)] = op
            return at
        }

        mutating func slot(_ s: Space) -> Int32 {
            spaces.append(s)
            return Int32(spaces.count - 1)
        }

        mutating func table(_ t: [UInt8], _ op: inout Op) {
            op.first = Int32(tables.count)
            op.count = Int32(t.count)
            tables += t
        }

        mutating func term(_ p: FilterProgram, _ op: inout Op) {
            var t = Template()
            switch p.column {
            case .eventType, .user, .device, .method, .apiKey:
                op.kind = .interned
                op.slot = slot(.strings)
            case .text:
                op.kind = .text
                op.slot = slot(.strings)
            case .insert:
                op.kind = .insert
                t.row.event.insertID = nil
                table([t.verdict(p)], &op)
            case .status:
                op.kind = .status
                op.number = p.numberComparison
            case .capture:
                op.kind = .capture
                op.number = p.numberComparison
            case .session:
                op.kind = .session
                op.number = p.numberComparison
                t.row.event.sessionID = nil
                table([t.verdict(p)], &op)
            case .source:
                op.kind = .source
                op.slot = slot(.sources)
            case .rules:
                op.kind = .rules
                op.slot = slot(.ruleSets)
            case .endpoint:
                op.kind = .endpoint
                table(Endpoint.allCases.sorted { $0.slot < $1.slot }.map { e -> UInt8 in
                    t.row.endpoint = e
                    return t.verdict(p)
                }, &op)
            case .counts:
                op.kind = .counts
                table((0..<8).map { bits -> UInt8 in
                    var counts = FindingCounts()
                    counts.errors = bits & 1
                    counts.warnings = bits >> 1 & 1
                    counts.infos = bits >> 2 & 1
                    t.row.event.counts = counts
                    return t.verdict(p)
                }, &op)
            case .debug:
                op.kind = .debug
            case .row:
                op.kind = .row
            }
        }
    }

    @inline(__always) static func kindIndex(_ k: CaptureSource.Kind) -> Int {
        switch k {
        case .proxy: return 0
        case .replay: return 1
        case .demo: return 2
        case .stdin: return 3
        case .http: return 4
        }
    }

    static let kindCount = CaptureSource.Kind.allCases.count

    @inline(__always) static func endpointIndex(_ e: Endpoint) -> Int { e.slot }

    /// The verdict of op `i` on row `j` (`r` and `e` point at its row and entry).
    static func eval(_ i: Int, _ j: Int, _ r: UnsafePointer<CaptureIndex.Row>, _ e: UnsafePointer<CaptureIndex.Entry>,
                     _ x: Context) -> UInt8 {
        let op = x.ops[i]
        switch op.kind {
        case .yes:
            return yes
        case .unknown:
            return unknown
        case .not:
            let v = eval(Int(x.kids[Int(op.first)]), j, r, e, x)
            return v == yes ? no : v == no ? yes : v
        case .and:
            var u = false
            for k in Int(op.first)..<Int(op.first + op.count) {
                let v = eval(Int(x.kids[k]), j, r, e, x)
                if v == no { return no }
                if v == unknown { u = true }
            }
            return u ? unknown : yes
        case .or:
            var u = false
            for k in Int(op.first)..<Int(op.first + op.count) {
                let v = eval(Int(x.kids[k]), j, r, e, x)
                if v == yes { return yes }
                if v == unknown { u = true }
            }
            return u ? unknown : no
        case .interned:
            let id: Int32
            switch op.column {
            case .eventType: id = r.pointee.eventType
            case .user: id = r.pointee.user
            case .device: id = r.pointee.device
            case .method: id = e.pointee.method
            default: id = e.pointee.apiKey
            }
            let m = x.memo[Int(op.slot)]
            let v = m[Int(id)]
            if v != 0 { return v }
            let d = x.local.interned(i, op.column, id)
            m[Int(id)] = d
            return d
        case .text:
            let m = x.memo[Int(op.slot)]
            if textIn(i, r.pointee.eventType, m, x) { return yes }
            if r.pointee.user != 0 && textIn(i, r.pointee.user, m, x) { return yes }
            if r.pointee.device != 0 && textIn(i, r.pointee.device, m, x) { return yes }
            let o = r.pointee.insert
            if o != .max && x.local.insertText(i, x.insertBytes(o)) { return yes }
            if textIn(i, e.pointee.sourceName, m, x) { return yes }
            return unknown
        case .insert:
            let o = r.pointee.insert
            guard o != .max else { return x.tables[Int(op.first)] }
            return x.local.insert(i, x.insertBytes(o))
        case .status:
            // A mapped row's status is what Amplitude would answer its destination.
            let v = Int64(r.pointee.mappedSub > 0 ? r.pointee.mappedStatus : e.pointee.status)
            if let t = op.number { return t.test(v) ? yes : no }
            return x.local.number(i, .status, v)
        case .capture:
            let v = x.firstID + Int64(r.pointee.capture)
            if let t = op.number { return t.test(v) ? yes : no }
            return x.local.number(i, .capture, v)
        case .session:
            let v = r.pointee.session
            if v == .min { return x.tables[Int(op.first)] }
            if let t = op.number { return t.test(v) ? yes : no }
            return x.local.number(i, .session, v)
        case .source:
            let k = Int(e.pointee.sourceName) &* kindCount &+ kindIndex(e.pointee.sourceKind)
            let m = x.memo[Int(op.slot)]
            let v = m[k]
            if v != 0 { return v }
            let d = x.local.source(i, e.pointee.sourceName, e.pointee.sourceKind)
            m[k] = d
            return d
        case .endpoint:
            let slot = r.pointee.mappedSub > 0 ? Int(r.pointee.mappedEndpoint) : endpointIndex(e.pointee.endpoint)
            return x.tables[Int(op.first) + slot]
        case .rules:
            let id = Int(r.pointee.rules)
            let m = x.memo[Int(op.slot)]
            let v = m[id]
            if v != 0 { return v }
            let d = x.local.rules(i, r.pointee.rules)
            m[id] = d
            return d
        case .counts:
            let p = r.pointee
            let bits = (p.errors > 0 ? 1 : 0) | (p.warnings > 0 ? 2 : 0) | (p.infos > 0 ? 4 : 0)
            return x.tables[Int(op.first) + bits]
        case .debug:
            return x.local.debug(i, x.firstID + Int64(r.pointee.capture), Int(r.pointee.eventIndex))
        case .row:
            return x.local.row(i, j)
        }
    }

    @inline(__always) private static func textIn(_ i: Int, _ id: Int32, _ m: UnsafeMutablePointer<UInt8>, _ x: Context) -> Bool {
        var v = m[Int(id)]
        if v == 0 {
            v = x.local.text(i, id)
            m[Int(id)] = v
        }
        return v == yes
    }

    /// A row whose columns are set one at a time to decide a term on one value.
    struct Template {
        var row = StreamRow(captureID: 0, receivedAt: 0, sourceKind: .proxy, sourceName: "", method: "", endpoint: .unknown,
                            status: 0, emulatedStatus: 0, answerOrigin: nil, requestEvents: 0, apiKeyMasked: nil,
                            event: EventSummary(index: -1, eventType: ""))

        mutating func verdict(_ p: FilterProgram) -> UInt8 {
            switch withUnsafePointer(to: &row, { p.verdict($0) }) {
            case .match: return IndexFilter.yes
            case .noMatch: return IndexFilter.no
            case .needsPayload: return IndexFilter.unknown
            }
        }
    }

    /// What a scan reads, as raw pointers (valid while the snapshot and the filter are held), plus
    /// this thread's slow paths.
    struct Context {
        let ops: UnsafePointer<Op>
        let kids: UnsafePointer<Int32>
        let tables: UnsafePointer<UInt8>
        let memo: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>>
        let insert: UnsafeBufferPointer<UInt8>
        let firstID: Int64
        let local: Local

        @inline(__always) func insertBytes(_ o: UInt32) -> UnsafeBufferPointer<UInt8> {
            let at = Int(o)
            let n = Int(insert[at]) | Int(insert[at + 1]) << 8
            return UnsafeBufferPointer(start: insert.baseAddress! + at + 2, count: n)
        }
    }

    /// One thread's means of deciding a term on one value: its own byte tests, and the template
    /// row for the first time a value is seen.
    final class Local {
        let index: CaptureIndex
        let strings: [String]
        let terms: [FilterProgram?]
        let bytes: [FilterBytesTest?]
        var template = Template()

        init(_ index: CaptureIndex, _ terms: [FilterProgram?]) {
            self.index = index
            strings = index.strings.strings
            self.terms = terms
            bytes = terms.map { $0?.makeBytesTest() }
        }

        func verdict(_ i: Int) -> UInt8 { template.verdict(terms[i]!) }

        func interned(_ i: Int, _ c: FilterProgram.Column, _ id: Int32) -> UInt8 {
            let s = strings[Int(id)]
            switch c {
            case .eventType: template.row.event.eventType = s
            case .user: template.row.event.userID = id == 0 ? nil : s
            case .device: template.row.event.deviceID = id == 0 ? nil : s
            case .method: template.row.method = s
            default: template.row.apiKeyMasked = id == 0 ? nil : s
            }
            return verdict(i)
        }

        func text(_ i: Int, _ id: Int32) -> UInt8 {
            terms[i]!.textMatches(strings[Int(id)]) ? IndexFilter.yes : IndexFilter.no
        }

        func insertText(_ i: Int, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
            if let v = bytes[i]?.test(b) { return v }
            return terms[i]!.textMatches(String(decoding: b, as: UTF8.self))
        }

        func insert(_ i: Int, _ b: UnsafeBufferPointer<UInt8>) -> UInt8 {
            if let v = bytes[i]?.test(b) { return v ? IndexFilter.yes : IndexFilter.no }
            template.row.event.insertID = String(decoding: b, as: UTF8.self)
            return verdict(i)
        }

        func number(_ i: Int, _ c: FilterProgram.Column, _ v: Int64) -> UInt8 {
            switch c {
            case .status: template.row.status = Int(v)
            case .capture: template.row.captureID = v
            default: template.row.event.sessionID = v
            }
            return verdict(i)
        }

        func source(_ i: Int, _ name: Int32, _ kind: CaptureSource.Kind) -> UInt8 {
            template.row.sourceName = strings[Int(name)]
            template.row.sourceKind = kind
            return verdict(i)
        }

        func rules(_ i: Int, _ id: Int32) -> UInt8 {
            template.row.event.rules = index.ruleSets[Int(id)]
            return verdict(i)
        }

        func debug(_ i: Int, _ captureID: Int64, _ eventIndex: Int) -> UInt8 {
            template.row.captureID = captureID
            template.row.event.index = eventIndex
            return verdict(i)
        }

        func row(_ i: Int, _ j: Int) -> UInt8 {
            var r = index.streamRow(j)
            switch withUnsafePointer(to: &r, { terms[i]!.verdict($0) }) {
            case .match: return IndexFilter.yes
            case .noMatch: return IndexFilter.no
            case .needsPayload: return IndexFilter.unknown
            }
        }
    }

    /// One scan's memo tables (one per slot), grown to the snapshot's id counts.
    final class MemoSet: @unchecked Sendable {  // one scan thread owns a MemoSet; it is never shared between threads
        let tables: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>>
        var sizes: [Int]
        let spaces: [Space]

        init(_ spaces: [Space]) {
            self.spaces = spaces
            tables = .allocate(capacity: max(1, spaces.count))
            sizes = Array(repeating: 0, count: spaces.count)
            for i in 0..<spaces.count { tables[i] = .allocate(capacity: 1) }
        }

        deinit {
            for i in 0..<spaces.count { tables[i].deallocate() }
            tables.deallocate()
        }

        func ensure(strings: Int, ruleSets: Int) {
            for i in 0..<spaces.count {
                let need: Int
                switch spaces[i] {
                case .strings: need = strings
                case .sources: need = strings * IndexFilter.kindCount
                case .ruleSets: need = ruleSets
                }
                guard need > sizes[i] else { continue }
                let grown = max(need, sizes[i] * 2)
                let t = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
                t.update(from: tables[i], count: sizes[i])
                (t + sizes[i]).initialize(repeating: 0, count: grown - sizes[i])
                tables[i].deallocate()
                tables[i] = t
                sizes[i] = grown
            }
        }
    }

    /// Decides rows `range` of segment `index`: appends matching positions to `matches` and
    /// undecided ones (they need their payload) to `needsPayload`, in order. `key` names the
    /// segment for the memo tables (the same key must always mean the same interned ids).
    func scan(_ index: CaptureIndex, key: Int, _ range: Range<Int>, matches: inout [Int], needsPayload: inout [Int]) {
        guard !range.isEmpty else { return }
        let memo = pool.withLock { $0.take(key) } ?? MemoSet(spaces)
        defer { pool.withLock { $0.give(memo, key) } }
        memo.ensure(strings: index.strings.count, ruleSets: index.ruleSets.count)
        let local = Local(index, terms)
        ops.withUnsafeBufferPointer { ops in
            kids.withUnsafeBufferPointer { kids in
                tables.withUnsafeBufferPointer { tables in
                    index.rows.withUnsafeBufferPointer { rows in
                        index.entries.withUnsafeBufferPointer { entries in
                            index.insertBytes.withUnsafeBufferPointer { insert in
                                let x = Context(ops: ops.baseAddress!, kids: kids.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                                tables: tables.baseAddress ?? UnsafePointer(bitPattern: 8)!, memo: memo.tables,
                                                insert: insert, firstID: index.firstID, local: local)
                                let rb = rows.baseAddress!
                                let eb = entries.baseAddress!
                                for j in range {
                                    let r = rb + j
                                    switch IndexFilter.eval(0, j, r, eb + Int(r.pointee.capture), x) {
                                    case IndexFilter.yes: matches.append(j)
                                    case IndexFilter.no: break
                                    default: needsPayload.append(j)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
