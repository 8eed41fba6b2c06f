/// Settings for validation that users can change.
public struct ValidationSettings: Sendable, Equatable {
    /// Minimum id length when a request has no `options.min_id_length` (`--min-id-length`).
    public var defaultMinIdLength: Int
    /// When set, requests with any other API key get `Invalid API key` (`--api-key`).
    public var expectedAPIKey: String?

    public init(defaultMinIdLength: Int = 5, expectedAPIKey: String? = nil) {
        self.defaultMinIdLength = defaultMinIdLength
        self.expectedAPIKey = expectedAPIKey
    }
}

/// State that spans requests within one input (a check run, a replay, a proxy session).
///
/// Today that is the set of `insert_id`s Amplitude would have ingested, so a resend after an
/// accepted request is flagged while an SDK's retry after a rejected one is not.
public struct ValidationContext: Sendable {
    public var settings: ValidationSettings
    /// Hash of (device_id, insert_id) → the request sequence number that first got it ingested
    /// (the most recent 2–4 million keys: `IngestedHistory`).
    var ingested = IngestedHistory()
    /// Sequence number of the request being validated (1-based).
    public private(set) var sequence = 0
    /// Insert keys of the request validated last, so `commit` need not compute them again.
    var pendingKeys: [UInt64?] = []
    var pendingRecords: [Int] = []
    var pendingBodyCount = -1
    var pendingBodyAddress: UInt = 0

    public init(settings: ValidationSettings = ValidationSettings()) { self.settings = settings }

    /// Effective minimum id length for a request.
    public func minIdLength(for request: DecodedRequest) -> Int {
        request.minIdLength ?? settings.defaultMinIdLength
    }

    /// Identity of an array's storage (the same parsed body shares it).
    static func address(of bytes: [UInt8]) -> UInt {
        bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    }

    func firstIngestion(of key: UInt64) -> Int? { ingested.lookup(key) }

    mutating func beginRequest() { sequence += 1 }

    /// Records what Amplitude ingested from a request, once its answer is known.
    public mutating func commit(_ request: DecodedRequest, accepted: Bool) {
        defer { pendingKeys.removeAll(keepingCapacity: true) }
        guard accepted, let doc = request.document else { return }
        let seq = sequence
        if pendingKeys.count == request.records.count, pendingBodyCount == doc.bytes.count,
           pendingBodyAddress == Self.address(of: doc.bytes), pendingRecords == request.records {
            for case let key? in pendingKeys { ingested.insertIfAbsent(key, seq) }
            return
        }
        for r in request.records where doc.kind(r) == .object {
            if let key = InsertKey.hash(doc, r) { ingested.insertIfAbsent(key, seq) }
        }
    }
}

/// Hashing of (device_id, insert_id), the key Amplitude deduplicates on. Hashes the string
/// bytes in place (no String is built for plain strings), eight bytes at a time.
enum InsertKey {
    static func hash(_ doc: JSONDocument, _ record: Int) -> UInt64? {
        guard let ins = doc.member(record, "insert_id"), doc.kind(ins) == .string else { return nil }
        return hash(doc, insert: ins, device: doc.member(record, "device_id"))
    }

    static func hash(_ doc: JSONDocument, insert: Int, device: Int?) -> UInt64 {
        var h = KeyHasher()
        if let d = device, doc.kind(d) == .string { doc.withStringBytes(d) { h.add($0) } } else { h.add(UnsafeBufferPointer(start: nil, count: 0)) }
        doc.withStringBytes(insert) { h.add($0) }
        return h.finish()
    }
}

/// A 64-bit hash for dedup keys: a multiply-xorshift round per 8-byte word, each part's length
/// mixed in (so "ab"+"c" and "a"+"bc" differ), and a SplitMix64 finalizer. Never returns 0
/// (the empty slot of `IngestedKeys`).
struct KeyHasher {
    var h: UInt64 = 0x243F_6A88_85A3_08D3

    @inline(__always) mutating func round(_ w: UInt64) {
        h = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
    }

    mutating func add(_ p: UnsafeBufferPointer<UInt8>) {
        let n = p.count
        var i = 0
        if let base = p.baseAddress {
            while i + 8 <= n {
                round(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(base[i]) << shift
                shift += 8
                i += 1
            }
            round(tail)
        }
        round(UInt64(n) | 0xA5 << 56)
    }

    func finish() -> UInt64 {
        var z = h
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return z == 0 ? 1 : z
    }
}

/// Open-addressing map from dedup key to the request that got it ingested. The keys are
/// already well mixed, so they index the table directly (no SipHash, unlike `Dictionary`).
struct IngestedKeys: Sendable {
    private var keys: [UInt64] = []  // 0 = empty slot
    private var seqs: [Int32] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    func lookup(_ key: UInt64) -> Int? {
        guard count > 0 else { return nil }
        return keys.withUnsafeBufferPointer { k in
            let mask = k.count - 1
            var i = Int(truncatingIfNeeded: key) & mask
            while true {
                let found = k[i]
                if found == key { return Int(seqs[i]) }
                if found == 0 { return nil }
                i = (i + 1) & mask
            }
        }
    }

    /// Records `key` as ingested by request `seq`, unless an earlier request already did.
    mutating func insertIfAbsent(_ key: UInt64, _ seq: Int) {
        if (count + 1) * 2 > keys.count { grow() }
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: key) & mask
        while true {
            let found = keys[i]
            if found == key { return }
            if found == 0 {
                keys[i] = key
                seqs[i] = Int32(truncatingIfNeeded: seq)
                count += 1
                return
            }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldSeqs = seqs
        let size = max(1024, keys.count * 2)
        keys = [UInt64](repeating: 0, count: size)
        seqs = [Int32](repeating: 0, count: size)
        count = 0
        for (k, s) in zip(oldKeys, oldSeqs) where k != 0 { insertIfAbsent(k, Int(s)) }
    }
}

/// The dedup keys Amplitude would remember, bounded: two generations of `IngestedKeys`. New keys
/// go to the current one; when it holds `generationLimit` keys it becomes the previous one and
/// the one before is forgotten. So at least the last `generationLimit` distinct keys (and at most
/// twice that) are remembered, in at most about 2 × 24 bytes per key, however long a proxy runs.
/// Amplitude's own window is 7 days; a resend more than 2 million events later is not flagged
/// (Docs/DECISIONS.md, "Bounded duplicate history").
struct IngestedHistory: Sendable {
    private var current = IngestedKeys()
    private var previous = IngestedKeys()
    let generationLimit: Int

    init(generationLimit: Int = 1 << 21) { self.generationLimit = max(1, generationLimit) }

    var isEmpty: Bool { current.isEmpty && previous.isEmpty }
    /// Keys remembered now.
    var count: Int { current.count + previous.count }

    func lookup(_ key: UInt64) -> Int? { current.lookup(key) ?? previous.lookup(key) }

    /// Records `key` as ingested by request `seq`, unless it is remembered already.
    mutating func insertIfAbsent(_ key: UInt64, _ seq: Int) {
        // Looked up in both before a rotation, which would move a key of `current` to `previous`
        // and let it be recorded again with a later request.
        if lookup(key) != nil { return }
        if current.count >= generationLimit {
            previous = current
            current = IngestedKeys()
        }
        current.insertIfAbsent(key, seq)
    }
}

/// Runs every rule over a decoded request.
public struct Validator: Sendable {
    public let rules: RuleRegistry

    public init(rules: RuleRegistry = .standard) { self.rules = rules }

    /// Findings for one request: decode problems first, then request rules, then record rules
    /// in record order. Call `context.commit` after the answer is known.
    public func validate(_ request: DecodedRequest, context: inout ValidationContext) -> [Finding] {
        var none = PlanPass()
        return validate(request, context: &context, plan: nil, planPass: &none)
    }

    /// `validate`, with the plan's findings for each record gathered in the same pass over the
    /// records (from the same `RecordFacts`) into `planPass.findings`, in record order: the
    /// findings `plan.check(request)` gives. When `planPass.tally` is non-nil, what the plan's
    /// checks saw of each record is appended to it (`PlanTally`, for coverage).
    func validate(_ request: DecodedRequest, context: inout ValidationContext, plan: PlanChecker?,
                  planPass: inout PlanPass) -> [Finding] {
        context.beginRequest()
        if request.endpoint == .segment {
            if let plan { planPass.findings.append(contentsOf: plan.check(request)) }
            planPass.tally = nil
            return validateSegment(request, context: &context)
        }
        var sink = FindingSink()
        sink.append(contentsOf: request.problems)
        // Rules are empty structs called through the arrays' storage: `for rule in rules` copied
        // each existential. (Closures per rule were slower: their thunks copy RecordFacts.)
        rules.requestRules.withUnsafeBufferPointer { rs in
            for i in rs.indices { rs[i].check(request, context, &sink) }
        }
        context.pendingKeys.removeAll(keepingCapacity: true)
        if let doc = request.document {
            var table: [Int32] = []
            let count = request.records.count
            // First record index per insert key: a scan of the keys so far for ordinary batches,
            // a dictionary for big ones.
            var firstIndexOfKey: [UInt64: Int] = [:]
            let useDictionary = count > 64
            planPass.tally?.reserveCapacity(count)
            rules.recordRules.withUnsafeBufferPointer { rs in
                for i in 0..<count {
                    var facts = RecordFacts(request: request, doc: doc, index: i, table: &table)
                    if let key = facts.insertKey {
                        if useDictionary {
                            if let earlier = firstIndexOfKey[key] { facts.earlierRecordWithSameInsertKey = earlier } else { firstIndexOfKey[key] = i }
                        } else {
                            facts.earlierRecordWithSameInsertKey = context.pendingKeys.firstIndex(of: key)
                        }
                    }
                    context.pendingKeys.append(facts.insertKey)
                    for r in rs.indices { rs[r].check(facts, request, context, &sink) }
                    plan?.check(facts, &planPass)
                    facts.reclaimTable(into: &table)
                }
            }
            context.pendingRecords = request.records
            context.pendingBodyCount = doc.bytes.count
            context.pendingBodyAddress = ValidationContext.address(of: doc.bytes)
        }
        return sink.findings
    }
}

// MARK: Validation split for parallel callers

/// A request validated with everything except what depends on earlier requests, so it can run
/// on any thread; `Validator.finish` completes it in arrival order.
///
/// Only the duplicate-insert_id rule reads the context's history, and only through
/// `firstIngestion(of:)` of the record's own insert key. Its findings (an in-request duplicate,
/// or none) are noted by position; `finish` looks each key up in the real history and, for the
/// few records with a hit, runs the rule again with the real context and puts its findings in
/// their place. The result is the same list, in the same order, as `validate` would give.
public struct Prevalidated: Sendable {
    var findings: [Finding]
    /// The plan findings, when a plan was given (`plan`), gathered in the same pass.
    var planFindings: [Finding] = []
    var plan: PlanChecker?
    /// What the plan's checks saw of each record, when a tally was asked for (`PlanTally`).
    var planTally: [PlanTally.Record]?
    /// Insert key of each record (nil without one), as `validate` leaves in `pendingKeys`.
    var keys: [UInt64?]
    var hasDocument: Bool
    /// Where the history-dependent rules wrote for each record that has an insert key.
    var slots: [Slot]

    struct Slot: Sendable {
        var record: Int32
        var rule: Int32
        var start: Int32
        var count: Int32
    }
}

extension Validator {
    /// Validates without the request history (any thread). `settings` must be the ones `finish`'s context has.
    public func prevalidate(_ request: DecodedRequest, settings: ValidationSettings) -> Prevalidated {
        prevalidate(request, settings: settings, plan: nil)
    }

    /// `prevalidate`, with the plan's findings gathered in the same pass (as `validate(_:context:plan:planPass:)`),
    /// and with `tally`, what the plan's checks saw of each record.
    func prevalidate(_ request: DecodedRequest, settings: ValidationSettings, plan: PlanChecker?, tally: Bool = false) -> Prevalidated {
        var planPass = PlanPass(tally: tally && plan != nil)
        var pre = prevalidateRecords(request, settings: settings, plan: plan, planPass: &planPass)
        pre.planFindings = planPass.findings.findings
        pre.planTally = planPass.tally
        pre.plan = plan
        return pre
    }

    private func prevalidateRecords(_ request: DecodedRequest, settings: ValidationSettings, plan: PlanChecker?,
                                    planPass: inout PlanPass) -> Prevalidated {
        var context = ValidationContext(settings: settings)
        context.beginRequest()
        if request.endpoint == .segment {
            if let plan { planPass.findings.append(contentsOf: plan.check(request)) }
            planPass.tally = nil
            return Prevalidated(findings: validateSegment(request, context: &context), keys: [], hasDocument: false, slots: [])
        }
        var sink = FindingSink()
        sink.append(contentsOf: request.problems)
        rules.requestRules.withUnsafeBufferPointer { rs in
            for i in rs.indices { rs[i].check(request, context, &sink) }
        }
        var slots: [Prevalidated.Slot] = []
        guard let doc = request.document else {
            return Prevalidated(findings: sink.findings, keys: [], hasDocument: false, slots: [])
        }
        var table: [Int32] = []
        let count = request.records.count
        var keys: [UInt64?] = []
        keys.reserveCapacity(count)
        var firstIndexOfKey: [UInt64: Int] = [:]
        let useDictionary = count > 64
        let historic = rules.recordRuleDependsOnHistory
        planPass.tally?.reserveCapacity(count)
        rules.recordRules.withUnsafeBufferPointer { rs in
            for i in 0..<count {
                var facts = RecordFacts(request: request, doc: doc, index: i, table: &table)
                if let key = facts.insertKey {
                    if useDictionary {
                        if let earlier = firstIndexOfKey[key] { facts.earlierRecordWithSameInsertKey = earlier } else { firstIndexOfKey[key] = i }
                    } else {
                        facts.earlierRecordWithSameInsertKey = keys.firstIndex(of: key)
                    }
                }
                keys.append(facts.insertKey)
                for r in rs.indices {
                    let before = sink.findings.count
                    rs[r].check(facts, request, context, &sink)
                    if historic[r] && facts.insertKey != nil {
                        slots.append(Prevalidated.Slot(record: Int32(i), rule: Int32(r), start: Int32(before),
                                                       count: Int32(sink.findings.count - before)))
                    }
                }
                plan?.check(facts, &planPass)
                facts.reclaimTable(into: &table)
            }
        }
        return Prevalidated(findings: sink.findings, keys: keys, hasDocument: true, slots: slots)
    }

    /// Completes a prevalidated request in arrival order: the same findings `validate` gives
    /// with this context, and the same context state for `commit`.
    public func finish(_ pre: Prevalidated, _ request: DecodedRequest, context: inout ValidationContext) -> [Finding] {
        context.beginRequest()
        context.pendingKeys.removeAll(keepingCapacity: true)
        guard pre.hasDocument, let doc = request.document else { return pre.findings }
        var findings = pre.findings
        if !context.ingested.isEmpty {
            var hits: [Prevalidated.Slot] = []
            for s in pre.slots {
                if let key = pre.keys[Int(s.record)], context.firstIngestion(of: key) != nil { hits.append(s) }
            }
            if !hits.isEmpty {
                findings = rerun(hits, pre, request, doc, context)
            }
        }
        context.pendingKeys.append(contentsOf: pre.keys)
        context.pendingRecords = request.records
        context.pendingBodyCount = doc.bytes.count
        context.pendingBodyAddress = ValidationContext.address(of: doc.bytes)
        return findings
    }

    /// Runs the history-dependent rules again for `hits` with the real context and splices
    /// their findings in place of what they wrote without the history.
    private func rerun(_ hits: [Prevalidated.Slot], _ pre: Prevalidated, _ request: DecodedRequest,
                       _ doc: JSONDocument, _ context: ValidationContext) -> [Finding] {
        var out: [Finding] = []
        out.reserveCapacity(pre.findings.count + hits.count)
        var copied = 0
        var table: [Int32] = []
        for s in hits {
            let i = Int(s.record)
            out.append(contentsOf: pre.findings[copied..<Int(s.start)])
            var facts = RecordFacts(request: request, doc: doc, index: i, table: &table)
            if let key = facts.insertKey {
                facts.earlierRecordWithSameInsertKey = pre.keys[..<i].firstIndex(of: key)
            }
            var sink = FindingSink()
            rules.recordRules[Int(s.rule)].check(facts, request, context, &sink)
            facts.reclaimTable(into: &table)
            out.append(contentsOf: sink.findings)
            copied = Int(s.start + s.count)
        }
        out.append(contentsOf: pre.findings[copied...])
        return out
    }
}

extension Validator {
    /// A Segment request is judged by the Segment rules only (none depends on earlier requests).
    func validateSegment(_ request: DecodedRequest, context: inout ValidationContext) -> [Finding] {
        context.pendingKeys.removeAll(keepingCapacity: true)
        var sink = FindingSink()
        sink.append(contentsOf: request.problems)
        for rule in rules.segmentRules { rule.check(request, context, &sink) }
        return sink.findings
    }
}
