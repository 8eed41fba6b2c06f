/// A compiled filter over the event stream (the language is described in Docs/filter.md).
///
/// Most predicates read only `StreamRow` columns, so the store can run them over every row in
/// memory. `prop.`/`uprop.` predicates and full-text words that do not match a row's columns
/// need the event's JSON: `evaluate(_:)` answers `.needsPayload` for those rows, and the caller
/// loads the payload and asks `matches(_:payload:)`. `mayNeedPayload` says up front whether
/// that can happen at all.
public struct Filter: Sendable, Equatable {
    /// The text the filter was parsed from.
    public let text: String
    public let expression: FilterExpression
    /// False when every row can be decided from its columns alone.
    public let mayNeedPayload: Bool
    /// True when the filter has debug terms (`sdk:`, `fate:`, `has:`): they read the SDK side of
    /// each row through `debug`, so the result changes when the debug session does.
    public let usesDebug: Bool
    /// Where debug terms look rows up (nil: no row has an SDK side). See `bound(to:)`.
    public let debug: (any FilterDebugLookup)?
    /// The expression compiled for fast row-only evaluation.
    let program: FilterProgram

    /// `v` as a quoted filter value (`"…"` with `"` and `\` escaped), so `type=` + it matches `v` exactly.
    public static func quoted(_ v: String) -> String {
        var out = "\""
        for u in v.unicodeScalars {
            if u == "\"" || u == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(u)
        }
        return out + "\""
    }

    public init(_ text: String, debug: (any FilterDebugLookup)? = nil) throws(FilterError) {
        self.expression = try FilterParser.parse(text)
        var t = Substring(text)
        while let f = t.first, f == " " || f == "\t" { t.removeFirst() }
        while let l = t.last, l == " " || l == "\t" { t.removeLast() }
        self.text = String(t)
        self.mayNeedPayload = Filter.needsPayload(expression)
        self.usesDebug = FilterDebug.usesDebug(expression)
        self.debug = debug
        self.program = FilterProgram.compile(expression, debug: debug)
    }

    private init(copying f: Filter, debug: (any FilterDebugLookup)?) {
        text = f.text
        expression = f.expression
        mayNeedPayload = f.mayNeedPayload
        usesDebug = f.usesDebug
        self.debug = debug
        program = f.usesDebug ? FilterProgram.compile(f.expression, debug: debug) : f.program
    }

    /// The same filter reading debug terms from `lookup` (a snapshot: the filter does not see
    /// later changes; bind again to refresh). A filter without debug terms is returned as is.
    public func bound(to lookup: (any FilterDebugLookup)?) -> Filter {
        usesDebug ? Filter(copying: self, debug: lookup) : self
    }

    /// Filters are equal when their texts are.
    public static func == (a: Filter, b: Filter) -> Bool { a.text == b.text }

    /// The filter that keeps everything.
    public static let all: Filter = try! Filter("")

    /// True for the empty filter.
    public var isEmpty: Bool {
        if case .all = expression { return true }
        return false
    }

    static func needsPayload(_ e: FilterExpression) -> Bool {
        switch e {
        case .all: return false
        case .and(let p), .or(let p): return p.contains(where: needsPayload)
        case .not(let x): return needsPayload(x)
        case .predicate(let p): return p.field.needsPayload
        case .text: return true
        }
    }

    /// Decides a row from its columns: `.needsPayload` when only the event's JSON can tell.
    @inlinable public func evaluate(_ row: borrowing StreamRow) -> FilterVerdict {
        evaluateCompiled(row)
    }

    @usableFromInline func evaluateCompiled(_ row: borrowing StreamRow) -> FilterVerdict {
        let t = withUnsafePointer(to: row) { program.eval($0) }
        switch t {
        case .yes: return .match
        case .no: return .noMatch
        case .unknown: return .needsPayload
        }
    }

    /// Decides the row at `row` in place. Prefer this (or `scan`) in loops over stored rows:
    /// passing a `StreamRow` by value from another module copies it (and retains its strings).
    public func evaluate(at row: UnsafePointer<StreamRow>) -> FilterVerdict {
        switch program.eval(row) {
        case .yes: return .match
        case .no: return .noMatch
        case .unknown: return .needsPayload
        }
    }

    /// Decides every row of a buffer from its columns: appends the positions (plus `offset`) of
    /// matching rows to `matches`, and of rows that need their payload to `needsPayload`.
    public func scan(_ rows: UnsafeBufferPointer<StreamRow>, offset: Int = 0, matches: inout [Int], needsPayload: inout [Int]) {
        guard let base = rows.baseAddress else { return }
        for i in 0..<rows.count {
            switch program.eval(base + i) {
            case .yes: matches.append(offset + i)
            case .no: break
            case .unknown: needsPayload.append(offset + i)
            }
        }
    }

    /// The same verdict by walking the expression tree (the reference the compiled form is tested against).
    func evaluateTree(_ row: StreamRow) -> FilterVerdict {
        Filter.eval(expression, row, nil, debug).verdict
    }

    /// Decides a row with its payload at hand (pass nil when there is none: payload terms then fail).
    public func matches(_ row: StreamRow, payload: FilterPayload?) -> Bool {
        switch Filter.eval(expression, row, payload ?? .absent, debug) {
        case .yes: return true
        case .no, .unknown: return false
        }
    }

    /// Row-only matching for searches: a row that would need its payload does not match.
    public func matchesColumns(_ row: borrowing StreamRow) -> Bool { evaluate(row) == .match }

    // MARK: Evaluation (three-valued: unknown = needs the payload)

    enum Tri {
        case yes, no, unknown
        var verdict: FilterVerdict {
            switch self {
            case .yes: return .match
            case .no: return .noMatch
            case .unknown: return .needsPayload
            }
        }
    }

    static func eval(_ e: FilterExpression, _ row: StreamRow, _ payload: FilterPayload?, _ debug: (any FilterDebugLookup)?) -> Tri {
        switch e {
        case .all:
            return .yes
        case .and(let parts):
            var unknown = false
            for p in parts {
                switch eval(p, row, payload, debug) {
                case .no: return .no
                case .unknown: unknown = true
                case .yes: break
                }
            }
            return unknown ? .unknown : .yes
        case .or(let parts):
            var unknown = false
            for p in parts {
                switch eval(p, row, payload, debug) {
                case .yes: return .yes
                case .unknown: unknown = true
                case .no: break
                }
            }
            return unknown ? .unknown : .no
        case .not(let x):
            switch eval(x, row, payload, debug) {
            case .yes: return .no
            case .no: return .yes
            case .unknown: return .unknown
            }
        case .predicate(let p):
            if p.field.needsDebug {
                return tri(FilterDebug.evaluate(p, captureID: row.captureID, index: row.event.index, debug))
            }
            return predicate(p, row, payload)
        case .text(let t):
            if textInColumns(t.needle, row) { return .yes }
            guard let payload else { return .unknown }
            return payload.containsText(t.needle) ? .yes : .no
        }
    }

    static func textInColumns(_ n: FoldedNeedle, _ row: StreamRow) -> Bool {
        let e = row.event
        if n.matches(e.eventType) { return true }
        if let u = e.userID, n.matches(u) { return true }
        if let d = e.deviceID, n.matches(d) { return true }
        if let i = e.insertID, n.matches(i) { return true }
        if n.matches(row.sourceName) { return true }
        return false
    }

    @inline(__always) static func tri(_ b: Bool) -> Tri { b ? .yes : .no }

    static func predicate(_ p: FilterPredicate, _ row: StreamRow, _ payload: FilterPayload?) -> Tri {
        let t = p.test
        switch p.field {
        case .type: return tri(t.matchString(row.event.eventType))
        case .user: return tri(t.matchString(row.event.userID))
        case .device: return tri(t.matchString(row.event.deviceID))
        case .insert: return tri(t.matchString(row.event.insertID))
        case .session: return tri(t.matchNumber(row.event.sessionID))
        case .method: return tri(t.matchString(row.method))
        case .key: return tri(t.matchString(row.apiKeyMasked))
        case .status: return tri(t.matchNumber(Int64(row.status)))
        case .capture: return tri(t.matchNumber(row.captureID))
        case .source:
            if case .equals(let v) = t { return tri(row.sourceName == v || row.sourceKind.rawValue == v) }
            if case .notEquals(let v) = t { return tri(row.sourceName != v && row.sourceKind.rawValue != v) }
            return tri(t.matchString(row.sourceName) || t.matchString(row.sourceKind.rawValue))
        case .endpoint:
            switch t {
            case .endpoint(let e): return tri(row.endpoint == e)
            case .notEquals(let raw): return tri(row.endpoint.rawValue != raw)
            default: return tri(t.matchString(row.endpoint.displayName) || t.matchString(row.endpoint.shortName))
            }
        case .rule:
            switch t {
            case .notEquals(let v): return tri(!row.event.rules.contains(v))
            case .exists: return tri(!row.event.rules.isEmpty)
            default: return tri(row.event.rules.contains { t.matchString($0) })
            }
        case .severity:
            return tri(severity(t, row.event.counts))
        case .segment:
            return tri(t.matchString(row.event.segmentCallType(endpoint: row.endpoint)?.rawValue))
        case .dest:
            return tri(t.matchString(row.event.mapped?.destination.rawValue))
        case .prop, .uprop:
            guard let payload else { return .unknown }
            return tri(payload.property(p.field == .uprop, p.name ?? "", t))
        case .sdk, .fate, .has, .profile, .changed:
            // Read through a lookup (see `eval` and the compiled `.debug` node); none here.
            return tri(FilterDebug.evaluate(p, captureID: row.captureID, index: row.event.index, nil))
        }
    }

    static func severity(_ t: ValueTest, _ c: FindingCounts) -> Bool {
        guard case .severity(let op, let sev) = t else {
            if case .exists = t { return true }
            return false
        }
        func rank(_ s: Severity?) -> Int {
            switch s {
            case nil: return 0
            case .info: return 1
            case .warning: return 2
            case .error: return 3
            }
        }
        let worst = rank(c.worst)
        let v = rank(sev)
        switch op {
        case .contains, .equals:
            switch sev {
            case nil: return c.worst == nil
            case .error: return c.errors > 0
            case .warning: return c.warnings > 0
            case .info: return c.infos > 0
            }
        case .notEquals:
            switch sev {
            case nil: return c.worst != nil
            case .error: return c.errors == 0
            case .warning: return c.warnings == 0
            case .info: return c.infos == 0
            }
        case .less: return worst < v
        case .lessOrEqual: return worst <= v
        case .greater: return worst > v
        case .greaterOrEqual: return worst >= v
        case .regex, .exists: return true
        }
    }
}

/// What a filter decides about a row from its columns alone.
public enum FilterVerdict: Sendable, Equatable {
    case match
    case noMatch
    /// Only the event's JSON can decide (a `prop.`/`uprop.` term, or full text not found in the columns).
    case needsPayload
}

/// The event's JSON for the predicates that read it.
public struct FilterPayload: Sendable {
    public var document: JSONDocument?
    /// Tape index of the event (record) in `document`; nil = the whole document (requests without records).
    public var record: JSONDocument.Index?

    public init(document: JSONDocument?, record: JSONDocument.Index?) {
        self.document = document
        self.record = record
    }

    /// The payload of event `eventIndex` (the row's `event.index`; -1 for a request without records).
    public init(_ p: Processed, eventIndex: Int) {
        document = p.request.document
        record = eventIndex >= 0 && eventIndex < p.request.records.count ? p.request.records[eventIndex] : nil
    }

    /// The payload of a row: its event, or for a mapped row the Amplitude record the destination
    /// sends (nil when the capture carries no mapping for it).
    public init?(_ p: Processed, row: StreamRow) {
        guard let tag = row.event.mapped else {
            self.init(p, eventIndex: row.event.index)
            return
        }
        guard let r = p.segmentMapping?.record(call: row.event.index, sub: tag.sub) else { return nil }
        self.init(r.outcome.processed, eventIndex: r.record)
    }

    static let absent = FilterPayload(document: nil, record: nil)

    var node: JSONDocument.Index? {
        guard let d = document else { return nil }
        return record ?? d.root
    }

    /// Identify operations that carry user properties.
    static let userPropertyOps: [String] = ["$set", "$setOnce", "$add", "$append", "$prepend", "$unset",
                                            "$preInsert", "$postInsert", "$remove"]

    func property(_ user: Bool, _ name: String, _ test: ValueTest) -> Bool {
        guard let doc = document, let node = node, doc.kind(node) == .object else { return false }
        var containers: [JSONDocument.Index] = []
        if user {
            if let up = doc.member(node, "user_properties"), doc.kind(up) == .object {
                containers.append(up)
                for op in FilterPayload.userPropertyOps {
                    if let o = doc.member(up, named: op), doc.kind(o) == .object { containers.append(o) }
                }
            }
        } else {
            for key: StaticString in ["event_properties", "group_properties"] {
                if let ep = doc.member(node, key), doc.kind(ep) == .object { containers.append(ep) }
            }
        }
        for c in containers {
            if let v = FilterPayload.resolve(doc, c, name), FilterPayload.valueMatches(doc, v, test) { return true }
        }
        return false
    }

    /// The exact key first, then a dotted path into nested objects (`address.city`).
    static func resolve(_ doc: JSONDocument, _ object: JSONDocument.Index, _ name: String) -> JSONDocument.Index? {
        if let v = doc.member(object, named: name) { return v }
        guard name.contains(".") else { return nil }
        var cur = object
        for part in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard doc.kind(cur) == .object, let v = doc.member(cur, named: String(part)) else { return nil }
            cur = v
        }
        return cur
    }

    static func valueMatches(_ doc: JSONDocument, _ v: JSONDocument.Index, _ test: ValueTest, depth: Int = 0) -> Bool {
        switch doc.kind(v) {
        case .string:
            return test.matchString(doc.string(v))
        case .number:
            switch test {
            case .number(let op, let x):
                guard let d = doc.double(v) else { return false }
                return ValueTest.compare(d, op, x)
            case .equals(let s):
                if let x = Double(s), let d = doc.double(v) { return d == x }
                return doc.rawText(v) == s
            case .notEquals(let s):
                if let x = Double(s), let d = doc.double(v) { return d != x }
                return doc.rawText(v) != s
            default:
                return test.matchString(doc.rawText(v))
            }
        case .true, .false, .null:
            return test.matchString(doc.rawText(v))
        case .array:
            if case .exists = test { return true }
            guard depth == 0 else { return false }
            if case .notEquals = test {
                return !doc.elements(v).contains { !valueMatches(doc, $0, test, depth: 1) }
            }
            return doc.elements(v).contains { valueMatches(doc, $0, test, depth: 1) }
        case .object:
            switch test {
            case .exists: return true
            case .contains, .regex: return test.matchString(doc.rawText(v))
            default: return false
            }
        }
    }

    /// Full text: keys, string values and numbers of the event.
    func containsText(_ n: FoldedNeedle) -> Bool {
        guard let doc = document, let node = node else { return false }
        var i = node
        let end = doc.next(node)
        while i < end {
            switch doc.kind(i) {
            case .string:
                if n.matches(doc.string(i)) { return true }
            case .number, .true, .false, .null:
                if n.matches(doc.rawText(i)) { return true }
            case .object, .array:
                break
            }
            i += 1
        }
        return false
    }
}
