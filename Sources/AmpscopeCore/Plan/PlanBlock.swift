/// The plan's property sets compiled into one allocation (`PlanBlocks`), for checking a
/// record's properties in one walk over its members with nothing but loads from that
/// allocation and the document: no object per property, no retain or release, no array header.
///
/// Layout, every part 8-byte aligned, offsets (`UInt32`) from the allocation's start:
///
///     ByteRegex.Item × …       the items of every distinct byte-regex pattern (stored once)
///     EnumString × …           the string values of every distinct enum (stored once)
///     (min, max) × …           every distinct pair of bounds
///     bytes                    names past their first eight bytes, enum strings
///     per property set:        a block: Header, then one 32-byte Check per property
///
/// A set's block is all that is particular to an event: a header and two checks per cache line.
/// Enums, patterns and bounds are usually shared by many events (a `currency` enum, an id
/// pattern), so they are stored once and stay in the cache.
///
/// The blocks only ever prove a value clean: a value they cannot prove clean (any finding, an
/// array, an escaped string, a non-string enum value, a pattern or subject `ByteRegex` does not
/// take, a number it cannot convert exactly) is checked by `PlanChecker.checkValue`, which words
/// the findings. So the findings are those of `checkValue` by construction; `PlanBlockTests`
/// compares the two paths on random plans and values.
final class PlanBlocks: @unchecked Sendable {  // immutable after init
    let base: UnsafeMutableRawPointer
    let size: Int
    /// One per property set given to `init`, in order.
    let blocks: [PlanBlock]

    init(_ sets: [(properties: [PlanProperty], additionalProperties: Bool, regexes: [PlanRegex?])]) {
        // Distinct patterns, enums, bounds and byte strings, in order of first use.
        var itemLists: [[ByteRegex.Item]] = [], itemIndex: [String: Int] = [:]
        var enumLists: [[String]] = [], enumIndex: [[String]: Int] = [:]
        var bounds: [[Double]] = [], boundsIndex: [[Double]: Int] = [:]
        var strings: [[UInt8]] = [], stringIndex: [[UInt8]: Int] = [:]
        func string(_ s: String) -> Int {
            let b = Array(s.utf8)
            if let i = stringIndex[b] { return i }
            strings.append(b)
            stringIndex[b] = strings.count - 1
            return strings.count - 1
        }
        struct Pending { var name: Int; var items: Int?; var enumList: Int?; var bounds: Int? }
        var pending: [[Pending]] = []
        for set in sets {
            var list: [Pending] = []
            for (i, p) in set.properties.enumerated() {
                var e = Pending(name: string(p.name), items: nil, enumList: nil, bounds: nil)
                if let r = set.regexes[i], let b = r.bytePattern {
                    if let j = itemIndex[r.pattern] { e.items = j } else {
                        itemLists.append(b.items)
                        itemIndex[r.pattern] = itemLists.count - 1
                        e.items = itemLists.count - 1
                    }
                }
                if let values = p.enumValues {
                    let s = values.compactMap { v -> String? in if case .string(let s) = v { return s } else { return nil } }
                    if s.count > 0xFFFF {
                        // Not compiled (a count past 16 bits): found nowhere in the block, so checkValue decides.
                    } else if let j = enumIndex[s] { e.enumList = j } else {
                        enumLists.append(s)
                        enumIndex[s] = enumLists.count - 1
                        e.enumList = enumLists.count - 1
                    }
                    for x in s { _ = string(x) }
                }
                if p.min != nil || p.max != nil {
                    let pair = [p.min ?? 0, p.max ?? 0]
                    if let j = boundsIndex[pair] { e.bounds = j } else {
                        bounds.append(pair)
                        boundsIndex[pair] = bounds.count - 1
                        e.bounds = bounds.count - 1
                    }
                }
                list.append(e)
            }
            pending.append(list)
        }

        func align(_ n: Int) -> Int { (n + 7) & ~7 }
        var at = 0
        var itemsAt: [Int] = []
        for l in itemLists { itemsAt.append(at); at += l.count * MemoryLayout<ByteRegex.Item>.stride }
        var enumsAt: [Int] = []
        for l in enumLists { enumsAt.append(at); at += l.count * MemoryLayout<PlanBlock.EnumString>.stride }
        let boundsStart = at
        at += bounds.count * 16
        var stringsAt: [Int] = []
        for s in strings { stringsAt.append(at); at += s.count }
        // Eight spare bytes: a string's first eight bytes are read with one load.
        at = align(at + 8)
        var blocksAt: [Int] = []
        for set in sets {
            blocksAt.append(at)
            at += MemoryLayout<PlanBlock.Header>.stride + set.properties.count * MemoryLayout<PlanBlock.Check>.stride
        }
        size = max(at, 8)
        let base = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        self.base = base

        for (l, list) in itemLists.enumerated() {
            let p = (base + itemsAt[l]).bindMemory(to: ByteRegex.Item.self, capacity: list.count)
            for (j, item) in list.enumerated() { (p + j).initialize(to: item) }
        }
        for (i, pair) in bounds.enumerated() {
            (base + boundsStart + 16 * i).bindMemory(to: Double.self, capacity: 2).initialize(from: pair, count: 2)
        }
        for (i, s) in strings.enumerated() {
            let p = (base + stringsAt[i]).bindMemory(to: UInt8.self, capacity: s.count)
            p.initialize(from: s, count: s.count)
        }
        func prefix(_ i: Int) -> UInt64 {
            PlanNameTable.prefix(UnsafeRawPointer(base + stringsAt[i]).assumingMemoryBound(to: UInt8.self), strings[i].count)
        }
        for (l, list) in enumLists.enumerated() {
            let p = (base + enumsAt[l]).bindMemory(to: PlanBlock.EnumString.self, capacity: list.count)
            for (j, s) in list.enumerated() {
                let si = stringIndex[Array(s.utf8)]!
                (p + j).initialize(to: PlanBlock.EnumString(prefix: prefix(si), offset: UInt32(stringsAt[si]), length: UInt32(strings[si].count)))
            }
        }
        var blocks: [PlanBlock] = []
        for (n, set) in sets.enumerated() {
            let names = set.properties.map(\.name)
            var flags: UInt16 = 0
            if set.properties.isEmpty && set.additionalProperties { flags |= PlanBlock.open }
            if !set.additionalProperties { flags |= PlanBlock.closed }
            if Set(names).count == names.count { flags |= PlanBlock.unique }
            if names.count <= PlanNameTable.linearLimit { flags |= PlanBlock.linear }
            // Counts and lengths past 16 bits (only a plan built in code has them): the set's own path.
            if names.count > 0xFFFF || names.contains(where: { $0.utf8.count > 0xFFFF }) { flags = PlanBlock.notCompiled }
            let start = base + blocksAt[n]
            start.bindMemory(to: PlanBlock.Header.self, capacity: 1)
                .initialize(to: PlanBlock.Header(count: UInt16(clamping: names.count), requiredCount: UInt16(clamping: set.properties.filter(\.required).count),
                                                 flags: flags))
            let checks = (start + MemoryLayout<PlanBlock.Header>.stride).bindMemory(to: PlanBlock.Check.self, capacity: names.count)
            for (i, p) in set.properties.enumerated() {
                let e = pending[n][i]
                var f: UInt8 = 0
                var type = PlanBlock.code(p.type)
                if p.required { f |= PlanBlock.required }
                if p.enumValues != nil {
                    f |= PlanBlock.hasEnum
                    if e.enumList == nil { type |= PlanBlock.enumIncomplete }
                }
                if p.min != nil { f |= PlanBlock.hasMin }
                if p.max != nil { f |= PlanBlock.hasMax }
                if let r = set.regexes[i] {
                    f |= PlanBlock.hasRegex
                    if let b = r.bytePattern, b.items.count <= 0xFFFF {
                        f |= PlanBlock.byteRegex
                        if b.anchoredStart { f |= PlanBlock.anchoredStart }
                        if b.anchoredEnd { f |= PlanBlock.anchoredEnd }
                        if ByteRegex.isGreedy(b.items, anchoredStart: b.anchoredStart) { type |= PlanBlock.greedyRegex }
                    }
                }
                let check = PlanBlock.Check(prefix: prefix(e.name), nameOffset: UInt32(stringsAt[e.name]), nameLength: UInt16(clamping: strings[e.name].count),
                                            type: type, flags: f,
                                            enumOffset: UInt32(e.enumList.map { enumsAt[$0] } ?? 0), enumCount: UInt16(clamping: e.enumList.map { enumLists[$0].count } ?? 0),
                                            regexCount: UInt16(clamping: e.items.map { itemLists[$0].count } ?? 0),
                                            regexOffset: UInt32(e.items.map { itemsAt[$0] } ?? 0),
                                            boundsOffset: UInt32(e.bounds.map { boundsStart + 16 * $0 } ?? 0))
                (checks + i).initialize(to: check)
            }
            blocks.append(PlanBlock(base: UnsafeRawPointer(base), block: UnsafeRawPointer(start)))
        }
        self.blocks = blocks
    }

    deinit { base.deallocate() }
}

/// One property set's block in a `PlanBlocks` allocation (`base`: the allocation's start, where
/// the offsets count from).
struct PlanBlock: @unchecked Sendable {
    struct Header {
        var count: UInt16
        var requiredCount: UInt16
        var flags: UInt16
        var pad: UInt16 = 0
    }
    static let open: UInt16 = 1
    static let closed: UInt16 = 2
    /// No name listed twice: a guessed index holding the key is the one a scan finds.
    static let unique: UInt16 = 4
    /// At most `PlanNameTable.linearLimit` properties: names are scanned here (else: `PropSet.table`).
    static let linear: UInt16 = 8
    /// The set is checked by its `PropSet` alone (counts or lengths past what a block holds).
    static let notCompiled: UInt16 = 16

    /// One property's check data: 32 bytes, two per cache line.
    struct Check {
        var prefix: UInt64
        var nameOffset: UInt32
        var nameLength: UInt16
        var type: UInt8
        var flags: UInt8
        var enumOffset: UInt32
        var enumCount: UInt16
        var regexCount: UInt16
        var regexOffset: UInt32
        var boundsOffset: UInt32
    }
    static let required: UInt8 = 1
    static let hasEnum: UInt8 = 2
    static let hasMin: UInt8 = 4
    static let hasMax: UInt8 = 8
    /// The property has a regex, which `ByteRegex` may not take (then `byteRegex` is clear).
    static let hasRegex: UInt8 = 16
    static let byteRegex: UInt8 = 32
    static let anchoredStart: UInt8 = 64
    static let anchoredEnd: UInt8 = 128

    struct EnumString {
        var prefix: UInt64
        var offset: UInt32
        var length: UInt32
    }

    /// In `Check.type` beside the type code: the byte regex is decided by `ByteRegex.matchesGreedy`.
    static let greedyRegex: UInt8 = 0x80
    /// In `Check.type` beside the type code: the enum has strings the block does not hold (more
    /// than 16 bits count), so a string found in none of the block's is not known to be outside.
    static let enumIncomplete: UInt8 = 0x40
    /// The type code's bits of `Check.type`.
    static let typeMask: UInt8 = 0x3F
    /// Type codes in `Check.type` (its low six bits).
    static let typeAny: UInt8 = 0, typeString: UInt8 = 1, typeNumber: UInt8 = 2, typeInteger: UInt8 = 3,
               typeBoolean: UInt8 = 4, typeArray: UInt8 = 5, typeObject: UInt8 = 6
    static func code(_ t: PlanType) -> UInt8 {
        switch t {
        case .any: return typeAny
        case .string: return typeString
        case .number: return typeNumber
        case .integer: return typeInteger
        case .boolean: return typeBoolean
        case .array: return typeArray
        case .object: return typeObject
        }
    }

    let base: UnsafeRawPointer
    let block: UnsafeRawPointer
    /// The set's `Hot` entries (`PlanChecker.PropSet.hot`, set by the checker for every block),
    /// for a value the block leaves to `checkValue`: reached from here, not through the set's
    /// object (one cold line fewer).
    var hot: UnsafeMutablePointer<PlanChecker.Hot>?

    init(base: UnsafeRawPointer, block: UnsafeRawPointer) {
        self.base = base
        self.block = block
    }

    @inline(__always) var header: Header { block.assumingMemoryBound(to: Header.self).pointee }
    @inline(__always) var checks: UnsafePointer<Check> {
        (block + MemoryLayout<Header>.stride).assumingMemoryBound(to: Check.self)
    }

    @inline(__always) func bytes(_ offset: UInt32) -> UnsafePointer<UInt8> {
        (base + Int(offset)).assumingMemoryBound(to: UInt8.self)
    }

    /// Index of the property whose name is the `n` bytes at `p` (`first`: their first eight,
    /// zero-filled), trying `guess` first; -1 when no property has it, -2 when this block does
    /// not scan (more than `linearLimit` properties: ask `PropSet.table`).
    @inline(__always) func find(_ p: UnsafePointer<UInt8>, _ n: Int, first: UInt64, guess: Int, _ h: Header) -> Int {
        let checks = self.checks
        let count = Int(h.count)
        if h.flags & Self.unique != 0, guess >= 0, guess < count {
            let c = checks + guess
            if Int(c.pointee.nameLength) == n, c.pointee.prefix == first,
               n <= 8 || memcmpEqual(bytes(c.pointee.nameOffset) + 8, p + 8, n - 8) {
                return guess
            }
        }
        guard h.flags & Self.linear != 0 else { return -2 }
        for i in 0..<count {
            let c = checks + i
            if Int(c.pointee.nameLength) == n, c.pointee.prefix == first,
               n <= 8 || memcmpEqual(bytes(c.pointee.nameOffset) + 8, p + 8, n - 8) {
                return i
            }
        }
        return -1
    }

    /// True when `checkValue` would find nothing wrong with the value `e` (its tape entry) for
    /// property `c`; false when it might (then `checkValue` decides). `bytes` is the document's
    /// bytes, `byteCount` their count.
    @inline(__always) func isClean(_ c: UnsafePointer<Check>, _ e: JSONTapeEntry, _ bytes: UnsafePointer<UInt8>, _ byteCount: Int) -> Bool {
        verdict(c, e, bytes, byteCount) == Self.clean
    }

    /// What `verdict` says of a value.
    static let clean: UInt8 = 0, unsure: UInt8 = 1
    /// The value is a string without escapes, of the property's type, and none of the enum's
    /// strings has its bytes (the enum is complete in the block): `checkValue` need not look it
    /// up again (`enumMissed`).
    static let enumMissed: UInt8 = 2

    /// `isClean`, and when the value is not proved clean, whether it missed the enum (`enumMissed`).
    /// Transparent: with `@inline(__always)` the compiler still called it, once per property, and
    /// the call with its saved registers was some 7 % of the plan's samples (Docs/plan.md).
    @_transparent func verdict(_ c: UnsafePointer<Check>, _ e: JSONTapeEntry, _ bytes: UnsafePointer<UInt8>, _ byteCount: Int) -> UInt8 {
        let kind = e.kind
        // Arrays: item types and the enum apply per element.
        if kind == .array { return Self.unsure }
        let flags = c.pointee.flags
        let type = c.pointee.type
        switch type & Self.typeMask {
        case Self.typeAny: break
        case Self.typeString: if kind != .string { return Self.unsure }
        case Self.typeNumber: if kind != .number { return Self.unsure }
        case Self.typeInteger: if kind != .number || e.flags & JSONTapeEntry.isInteger == 0 { return Self.unsure }
        case Self.typeBoolean: if kind != .true && kind != .false { return Self.unsure }
        case Self.typeObject: if kind != .object { return Self.unsure }
        default: return Self.unsure
        }
        if flags & (Self.hasEnum | Self.hasRegex) != 0 {
            guard kind == .string || flags & Self.hasEnum == 0 else { return Self.unsure }
            if kind == .string {
                if e.flags & JSONTapeEntry.hasEscapes != 0 { return Self.unsure }
                let start = Int(e.a), n = Int(e.b &- e.a)
                let p = bytes + start
                if flags & Self.hasEnum != 0 {
                    let first = PlanNameTable.firstWord(p, n, readable: byteCount - start)
                    let strings = (base + Int(c.pointee.enumOffset)).assumingMemoryBound(to: EnumString.self)
                    var found = false
                    for j in 0..<Int(c.pointee.enumCount) {
                        let s = strings[j]
                        if Int(s.length) == n, s.prefix == first, n <= 8 || memcmpEqual(self.bytes(s.offset) + 8, p + 8, n - 8) {
                            found = true
                            break
                        }
                    }
                    if !found { return type & Self.enumIncomplete == 0 ? Self.enumMissed : Self.unsure }
                }
                if flags & Self.hasRegex != 0 {
                    // Short printable subjects only (as `PlanRegex.matches`; longer ones: `matchesWide` there).
                    guard flags & Self.byteRegex != 0, n < 63, n <= GuardedRegex.subjectLimit else { return Self.unsure }
                    let s = UnsafeBufferPointer(start: p, count: n)
                    let greedy = type & Self.greedyRegex != 0
                    // A greedy match anchored at the end has taken every byte with an item, and
                    // items take printable bytes only: the subject is then printable, as asked.
                    guard greedy && flags & Self.anchoredEnd != 0 || ByteRegex.canMatch(s) else { return Self.unsure }
                    let items = UnsafeBufferPointer(start: (base + Int(c.pointee.regexOffset)).assumingMemoryBound(to: ByteRegex.Item.self),
                                                    count: Int(c.pointee.regexCount))
                    if greedy {
                        if !ByteRegex.matchesGreedy(items, anchoredEnd: flags & Self.anchoredEnd != 0, s) { return Self.unsure }
                    } else if !ByteRegex.matchesShort(items, anchoredStart: flags & Self.anchoredStart != 0, anchoredEnd: flags & Self.anchoredEnd != 0, s) {
                        return Self.unsure
                    }
                }
            }
        }
        if flags & (Self.hasMin | Self.hasMax) != 0, kind == .number {
            let b = (base + Int(c.pointee.boundsOffset)).assumingMemoryBound(to: Double.self)
            // A decimal lies between its whole part and the next whole number: when both are
            // within the bounds, so is the value, with no exact conversion.
            if e.flags & JSONTapeEntry.isInteger == 0, let (lo, hi) = Self.wholeBracket(e, bytes),
               flags & Self.hasMin == 0 || lo >= b[0], flags & Self.hasMax == 0 || hi <= b[1] {
                return Self.clean
            }
            guard let d = Self.double(e, bytes) else { return Self.unsure }
            if flags & Self.hasMin != 0, d < b[0] { return Self.unsure }
            if flags & Self.hasMax != 0, d > b[1] { return Self.unsure }
        }
        return Self.clean
    }

    /// For a decimal written without an exponent (`-12.5`), the whole numbers at or below and
    /// above it (-13, -12), both exact as Doubles; nil for any other number. The Double the
    /// literal rounds to lies between them too (both are representable, rounding is monotone).
    @inline(__always) static func wholeBracket(_ e: JSONTapeEntry, _ bytes: UnsafePointer<UInt8>) -> (Double, Double)? {
        let p = bytes + Int(e.a)
        let n = Int(e.b &- e.a)
        var j = 0
        var negative = false
        if n > 0, p[0] == UInt8(ascii: "-") { negative = true; j = 1 }
        var whole: Int64 = 0
        let digitsStart = j
        while j < n, p[j] &- 48 < 10 { whole = whole &* 10 &+ Int64(p[j] &- 48); j += 1 }
        // Up to 15 digits: the whole part and the next are exact as Doubles.
        guard j > digitsStart, j - digitsStart <= 15, j < n, p[j] == UInt8(ascii: ".") else { return nil }
        j += 1
        while j < n { guard p[j] &- 48 < 10 else { return nil }; j += 1 }
        let lo = Double(whole), hi = Double(whole + 1)
        return negative ? (-hi, -lo) : (lo, hi)
    }

    /// `JSONDocument.double` for the numbers it converts without a String (nil: the others).
    @inline(__always) static func double(_ e: JSONTapeEntry, _ bytes: UnsafePointer<UInt8>) -> Double? {
        let p = bytes + Int(e.a)
        let n = Int(e.b &- e.a)
        if e.flags & JSONTapeEntry.isInteger != 0 {
            var j = 0
            var negative = false
            if n > 0, p[0] == UInt8(ascii: "-") { negative = true; j = 1 }
            // Up to 18 digits cannot overflow; longer ones go the slow way.
            guard n - j <= 18 else { return nil }
            var v: Int64 = 0
            while j < n { v = v &* 10 &+ Int64(p[j] &- 48); j += 1 }
            return Double(negative ? -v : v)
        }
        return JSONDocument.exactDouble(p, n)
    }
}
