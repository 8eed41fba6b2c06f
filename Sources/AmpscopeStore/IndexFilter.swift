import AmpscopeCore
import Synchronization

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
    let root: Node
    /// For each memo slot, what its ids index.
    let spaces: [Space]
    /// Memo tables not in use by a scan right now.
    private let pool = Mutex<[MemoSet]>([])

    static let kinds: [CaptureSource.Kind] = CaptureSource.Kind.allCases
    static let endpoints: [Endpoint] = Endpoint.allCases

    init(_ filter: Filter) {
        plan = filter.plan
        var spaces: [Space] = []
        root = Node.compile(filter.plan, &spaces)
        self.spaces = spaces
    }

    final class Node: Sendable {
        enum Kind: UInt8, Sendable {
            case yes, unknown, not, and, or
            /// An interned column (`column` says which), memo over strings.
            case interned
            case insert, status, session, capture, source, endpoint, rules, counts, text, debug, row
        }

        let kind: Kind
        let children: [Node]
        let term: FilterProgram?
        let column: FilterProgram.Column
        let slot: Int
        /// `.endpoint`: verdict per `IndexFilter.endpoints`; `.counts`: per (errors>0, warnings>0<<1, infos>0<<2);
        /// `.insert`, `.session`: [verdict when absent].
        let table: [UInt8]
        /// `.status`, `.session`, `.capture`: the term compares numbers directly.
        let numeric: Bool

        private init(kind: Kind, children: [Node] = [], term: FilterProgram? = nil, column: FilterProgram.Column = .row,
                     slot: Int = -1, table: [UInt8] = [], numeric: Bool = false) {
            self.kind = kind
            self.children = children
            self.term = term
            self.column = column
            self.slot = slot
            self.table = table
            self.numeric = numeric
        }

        static func compile(_ p: FilterProgram, _ spaces: inout [Space]) -> Node {
            switch p.shape {
            case .all: return Node(kind: .yes)
            case .payload: return Node(kind: .unknown)
            case .not: return Node(kind: .not, children: p.terms.map { compile($0, &spaces) })
            case .and: return Node(kind: .and, children: p.terms.map { compile($0, &spaces) })
            case .or: return Node(kind: .or, children: p.terms.map { compile($0, &spaces) })
            case .term: break
            }
            func slot(_ s: Space) -> Int {
                spaces.append(s)
                return spaces.count - 1
            }
            let c = p.column
            var t = Template()
            switch c {
            case .eventType, .user, .device, .method, .apiKey:
                return Node(kind: .interned, term: p, column: c, slot: slot(.strings))
            case .text:
                return Node(kind: .text, term: p, column: c, slot: slot(.strings))
            case .insert:
                t.row.event.insertID = nil
                return Node(kind: .insert, term: p, column: c, table: [t.verdict(p)])
            case .status:
                return Node(kind: .status, term: p, column: c, numeric: p.numberTest(0) != nil)
            case .capture:
                return Node(kind: .capture, term: p, column: c, numeric: p.numberTest(0) != nil)
            case .session:
                t.row.event.sessionID = nil
                return Node(kind: .session, term: p, column: c, table: [t.verdict(p)], numeric: p.numberTest(0) != nil)
            case .source:
                return Node(kind: .source, term: p, column: c, slot: slot(.sources))
            case .rules:
                return Node(kind: .rules, term: p, column: c, slot: slot(.ruleSets))
            case .endpoint:
                let table = IndexFilter.endpoints.map { e -> UInt8 in
                    t.row.endpoint = e
                    return t.verdict(p)
                }
                return Node(kind: .endpoint, term: p, column: c, table: table)
            case .counts:
                let table = (0..<8).map { bits -> UInt8 in
                    var counts = FindingCounts()
                    counts.errors = bits & 1
                    counts.warnings = bits >> 1 & 1
                    counts.infos = bits >> 2 & 1
                    t.row.event.counts = counts
                    return t.verdict(p)
                }
                return Node(kind: .counts, term: p, column: c, table: table)
            case .debug:
                return Node(kind: .debug, term: p, column: c)
            case .row:
                return Node(kind: .row, term: p, column: c)
            }
        }

        /// The verdict of this node on row `j` (`r` and `e` point at its row and entry).
        func eval(_ j: Int, _ r: UnsafePointer<CaptureIndex.Row>, _ e: UnsafePointer<CaptureIndex.Entry>, _ x: Context) -> UInt8 {
            switch kind {
            case .yes:
                return IndexFilter.yes
            case .unknown:
                return IndexFilter.unknown
            case .not:
                let v = children[0].eval(j, r, e, x)
                return v == IndexFilter.yes ? IndexFilter.no : v == IndexFilter.no ? IndexFilter.yes : v
            case .and:
                var unknown = false
                for c in children {
                    let v = c.eval(j, r, e, x)
                    if v == IndexFilter.no { return IndexFilter.no }
                    if v == IndexFilter.unknown { unknown = true }
                }
                return unknown ? IndexFilter.unknown : IndexFilter.yes
            case .or:
                var unknown = false
                for c in children {
                    let v = c.eval(j, r, e, x)
                    if v == IndexFilter.yes { return IndexFilter.yes }
                    if v == IndexFilter.unknown { unknown = true }
                }
                return unknown ? IndexFilter.unknown : IndexFilter.no
            case .interned:
                let id: Int32
                switch column {
                case .eventType: id = r.pointee.eventType
                case .user: id = r.pointee.user
                case .device: id = r.pointee.device
                case .method: id = e.pointee.method
                default: id = e.pointee.apiKey
                }
                let m = x.memo[slot]
                let v = m[Int(id)]
                if v != 0 { return v }
                let d = x.slow.interned(term!, column, id)
                m[Int(id)] = d
                return d
            case .text:
                let m = x.memo[slot]
                if textIn(r.pointee.eventType, m, x) { return IndexFilter.yes }
                if r.pointee.user != 0 && textIn(r.pointee.user, m, x) { return IndexFilter.yes }
                if r.pointee.device != 0 && textIn(r.pointee.device, m, x) { return IndexFilter.yes }
                let o = r.pointee.insert
                if o != .max {
                    let b = x.insertBytes(o)
                    if term!.textMatches(utf8: b) ?? term!.textMatches(String(decoding: b, as: UTF8.self)) { return IndexFilter.yes }
                }
                if textIn(e.pointee.sourceName, m, x) { return IndexFilter.yes }
                return IndexFilter.unknown
            case .insert:
                let o = r.pointee.insert
                guard o != .max else { return table[0] }
                let b = x.insertBytes(o)
                if let v = term!.stringTest(utf8: b) { return v ? IndexFilter.yes : IndexFilter.no }
                return x.slow.insert(term!, String(decoding: b, as: UTF8.self))
            case .status:
                let v = Int64(e.pointee.status)
                if numeric { return term!.numberTest(v)! ? IndexFilter.yes : IndexFilter.no }
                return x.slow.number(term!, .status, v)
            case .capture:
                let v = x.firstID + Int64(r.pointee.capture)
                if numeric { return term!.numberTest(v)! ? IndexFilter.yes : IndexFilter.no }
                return x.slow.number(term!, .capture, v)
            case .session:
                let v = r.pointee.session
                if v == .min { return table[0] }
                if numeric { return term!.numberTest(v)! ? IndexFilter.yes : IndexFilter.no }
                return x.slow.number(term!, .session, v)
            case .source:
                let kinds = IndexFilter.kinds
                let k = kinds.firstIndex(of: e.pointee.sourceKind) ?? 0
                let i = Int(e.pointee.sourceName) &* kinds.count &+ k
                let m = x.memo[slot]
                let v = m[i]
                if v != 0 { return v }
                let d = x.slow.source(term!, e.pointee.sourceName, e.pointee.sourceKind)
                m[i] = d
                return d
            case .endpoint:
                let ep = e.pointee.endpoint
                for (i, c) in IndexFilter.endpoints.enumerated() where c == ep { return table[i] }
                return x.slow.endpoint(term!, ep)
            case .rules:
                let id = Int(r.pointee.rules)
                let m = x.memo[slot]
                let v = m[id]
                if v != 0 { return v }
                let d = x.slow.rules(term!, r.pointee.rules)
                m[id] = d
                return d
            case .counts:
                let p = r.pointee
                let bits = (p.errors > 0 ? 1 : 0) | (p.warnings > 0 ? 2 : 0) | (p.infos > 0 ? 4 : 0)
                return table[bits]
            case .debug:
                return x.slow.debug(term!, x.firstID + Int64(r.pointee.capture), Int(r.pointee.eventIndex))
            case .row:
                return x.slow.row(term!, j)
            }
        }

        @inline(__always) private func textIn(_ id: Int32, _ m: UnsafeMutablePointer<UInt8>, _ x: Context) -> Bool {
            var v = m[Int(id)]
            if v == 0 {
                v = term!.textMatches(x.slow.strings[Int(id)]) ? IndexFilter.yes : IndexFilter.no
                m[Int(id)] = v
            }
            return v == IndexFilter.yes
        }
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

    /// What a scan reads, as raw pointers (valid while the snapshot is held), plus the slow paths.
    struct Context {
        let memo: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>>
        let insert: UnsafeBufferPointer<UInt8>
        let firstID: Int64
        let slow: Slow

        @inline(__always) func insertBytes(_ o: UInt32) -> UnsafeBufferPointer<UInt8> {
            let at = Int(o)
            let n = Int(insert[at]) | Int(insert[at + 1]) << 8
            return UnsafeBufferPointer(start: insert.baseAddress! + at + 2, count: n)
        }
    }

    /// Deciding a term on one value the first time it is seen: through the template row.
    final class Slow {
        let index: CaptureIndex
        let strings: [String]
        var template = Template()

        init(_ index: CaptureIndex) {
            self.index = index
            strings = index.strings.strings
        }

        func interned(_ p: FilterProgram, _ c: FilterProgram.Column, _ id: Int32) -> UInt8 {
            let s = strings[Int(id)]
            switch c {
            case .eventType: template.row.event.eventType = s
            case .user: template.row.event.userID = id == 0 ? nil : s
            case .device: template.row.event.deviceID = id == 0 ? nil : s
            case .method: template.row.method = s
            default: template.row.apiKeyMasked = id == 0 ? nil : s
            }
            return template.verdict(p)
        }

        func insert(_ p: FilterProgram, _ s: String) -> UInt8 {
            template.row.event.insertID = s
            return template.verdict(p)
        }

        func number(_ p: FilterProgram, _ c: FilterProgram.Column, _ v: Int64) -> UInt8 {
            switch c {
            case .status: template.row.status = Int(v)
            case .capture: template.row.captureID = v
            default: template.row.event.sessionID = v
            }
            return template.verdict(p)
        }

        func source(_ p: FilterProgram, _ name: Int32, _ kind: CaptureSource.Kind) -> UInt8 {
            template.row.sourceName = strings[Int(name)]
            template.row.sourceKind = kind
            return template.verdict(p)
        }

        func endpoint(_ p: FilterProgram, _ e: Endpoint) -> UInt8 {
            template.row.endpoint = e
            return template.verdict(p)
        }

        func rules(_ p: FilterProgram, _ id: Int32) -> UInt8 {
            template.row.event.rules = index.ruleSets[Int(id)]
            return template.verdict(p)
        }

        func debug(_ p: FilterProgram, _ captureID: Int64, _ eventIndex: Int) -> UInt8 {
            template.row.captureID = captureID
            template.row.event.index = eventIndex
            return template.verdict(p)
        }

        func row(_ p: FilterProgram, _ j: Int) -> UInt8 {
            var r = index.streamRow(j)
            switch withUnsafePointer(to: &r, { p.verdict($0) }) {
            case .match: return IndexFilter.yes
            case .noMatch: return IndexFilter.no
            case .needsPayload: return IndexFilter.unknown
            }
        }
    }

    /// One scan's memo tables (one per slot), grown to the snapshot's id counts.
    final class MemoSet: @unchecked Sendable {
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
                case .sources: need = strings * IndexFilter.kinds.count
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

    /// Decides rows `range` of `index`: appends matching positions to `matches` and undecided ones
    /// (they need their payload) to `needsPayload`, in order.
    func scan(_ index: CaptureIndex, _ range: Range<Int>, matches: inout [Int], needsPayload: inout [Int]) {
        guard !range.isEmpty else { return }
        let memo = pool.withLock { $0.popLast() } ?? MemoSet(spaces)
        defer { pool.withLock { $0.append(memo) } }
        memo.ensure(strings: index.strings.count, ruleSets: index.ruleSets.count)
        let slow = Slow(index)
        index.rows.withUnsafeBufferPointer { rows in
            index.entries.withUnsafeBufferPointer { entries in
                index.insertBytes.withUnsafeBufferPointer { insert in
                    let x = Context(memo: memo.tables, insert: insert,
                                    firstID: index.firstID, slow: slow)
                    let rb = rows.baseAddress!
                    let eb = entries.baseAddress!
                    let root = self.root
                    for j in range {
                        let r = rb + j
                        switch root.eval(j, r, eb + Int(r.pointee.capture), x) {
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
