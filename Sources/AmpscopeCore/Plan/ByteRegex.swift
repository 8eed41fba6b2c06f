/// A matcher for the regular expressions tracking plans usually hold — anchors, literals,
/// `.`, classes (`[a-z0-9_-]`, `[^…]`, `\d \w \s` and their negations) and greedy quantifiers
/// (`* + ? {n} {n,} {n,m}`), no groups or alternation — run on bytes, for subjects of printable
/// ASCII only. On those, Swift's `Regex` sees one character per byte and no line ends, so both
/// agree (a differential test checks it); anything else goes to `Regex`.
///
/// Matching is a breadth-first pass over positions (no backtracking): for each item, the set of
/// positions a match of the items so far can end at.
struct ByteRegex: Sendable {
    struct Item: Sendable {
        /// Bytes 0x20...0x7E the item accepts, as a bitmap over 0...127.
        var lo: UInt64 = 0
        var hi: UInt64 = 0
        var min = 1
        var max = 1

        @inline(__always) func accepts(_ b: UInt8) -> Bool {
            b < 64 ? (lo >> UInt64(b)) & 1 == 1 : (hi >> UInt64(b - 64)) & 1 == 1
        }
        mutating func add(_ b: UInt8) { if b < 64 { lo |= 1 << UInt64(b) } else if b < 128 { hi |= 1 << UInt64(b - 64) } }
        mutating func add(_ r: ClosedRange<UInt8>) { for b in r { add(b) } }
        mutating func add(_ other: Item) { lo |= other.lo; hi |= other.hi }
        /// The printable bytes not in the set.
        var negated: Item {
            var n = Item()
            n.add(Item.printable)
            n.lo &= ~lo
            n.hi &= ~hi
            return n
        }
        static let printable: Item = { var i = Item(); i.add(0x20...0x7E); return i }()
    }

    let items: [Item]
    let anchoredStart: Bool
    let anchoredEnd: Bool

    /// True when every byte is printable ASCII, the subjects this matcher answers for.
    static func canMatch(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in p where b < 0x20 || b > 0x7E { return false }
        return true
    }

    /// nil when the pattern uses anything outside the subset.
    init?(_ pattern: String) {
        let p = Array(pattern.utf8)
        guard p.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else { return nil }
        var i = 0
        var items: [Item] = []
        anchoredStart = p.first == UInt8(ascii: "^")
        if anchoredStart { i = 1 }
        var end = p.count
        // A final `$` that is not escaped (an odd run of backslashes before it escapes it).
        var anchoredEnd = false
        if end > i, p[end - 1] == UInt8(ascii: "$") {
            var slashes = 0
            var j = end - 2
            while j >= i, p[j] == UInt8(ascii: "\\") { slashes += 1; j -= 1 }
            if slashes % 2 == 0 { anchoredEnd = true; end -= 1 }
        }
        self.anchoredEnd = anchoredEnd

        func shorthand(_ c: UInt8) -> Item? {
            var it = Item()
            switch c {
            case UInt8(ascii: "d"): it.add(0x30...0x39)
            case UInt8(ascii: "w"): it.add(0x30...0x39); it.add(0x41...0x5A); it.add(0x61...0x7A); it.add(UInt8(ascii: "_"))
            case UInt8(ascii: "s"): it.add(0x20)
            case UInt8(ascii: "D"): return shorthand(UInt8(ascii: "d"))?.negated
            case UInt8(ascii: "W"): return shorthand(UInt8(ascii: "w"))?.negated
            case UInt8(ascii: "S"): return shorthand(UInt8(ascii: "s"))?.negated
            default: return nil
            }
            return it
        }
        /// An escaped character that stands for itself: ASCII punctuation only.
        func escapedLiteral(_ c: UInt8) -> Bool {
            (0x21...0x2F).contains(c) || (0x3A...0x40).contains(c) || (0x5B...0x60).contains(c) || (0x7B...0x7E).contains(c)
        }
        func number(_ j: inout Int) -> Int? {
            var n = 0, digits = 0
            while j < end, p[j] >= 0x30, p[j] <= 0x39, digits < 4 { n = n * 10 + Int(p[j] - 0x30); j += 1; digits += 1 }
            return digits == 0 || (j < end && p[j] >= 0x30 && p[j] <= 0x39) ? nil : n
        }

        while i < end {
            var item = Item()
            let c = p[i]
            switch c {
            case UInt8(ascii: "."):
                item = Item.printable
                i += 1
            case UInt8(ascii: "\\"):
                guard i + 1 < end else { return nil }
                let e = p[i + 1]
                if let s = shorthand(e) { item = s } else if escapedLiteral(e) { item.add(e) } else { return nil }
                i += 2
            case UInt8(ascii: "["):
                i += 1
                var negate = false
                if i < end, p[i] == UInt8(ascii: "^") { negate = true; i += 1 }
                var set = Item()
                var first = true
                while true {
                    guard i < end else { return nil }
                    var b = p[i]
                    if b == UInt8(ascii: "]") {
                        guard !first else { return nil }  // `[]…]`: engines differ
                        i += 1
                        break
                    }
                    if b == UInt8(ascii: "[") { return nil }  // POSIX classes, nested sets, set operations
                    first = false
                    if b == UInt8(ascii: "\\") {
                        guard i + 1 < end else { return nil }
                        let e = p[i + 1]
                        if let s = shorthand(e) { set.add(s); i += 2; continue }
                        guard escapedLiteral(e) else { return nil }
                        b = e
                        i += 2
                    } else {
                        if b == UInt8(ascii: "&") || b == UInt8(ascii: "~") || b == UInt8(ascii: "-") && i + 1 < end && p[i + 1] == UInt8(ascii: "-") { return nil }
                        i += 1
                    }
                    // A range `b-c` (a `-` first or last stands for itself).
                    if i + 1 < end, p[i] == UInt8(ascii: "-"), p[i + 1] != UInt8(ascii: "]") {
                        var hiByte = p[i + 1]
                        if hiByte == UInt8(ascii: "\\") {
                            guard i + 2 < end, escapedLiteral(p[i + 2]) else { return nil }
                            hiByte = p[i + 2]
                            i += 3
                        } else {
                            if hiByte == UInt8(ascii: "[") { return nil }
                            i += 2
                        }
                        guard b <= hiByte else { return nil }
                        set.add(b...hiByte)
                    } else {
                        set.add(b)
                    }
                }
                item = negate ? set.negated : set
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "|"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"),
                 UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: "^"), UInt8(ascii: "$"):
                return nil
            default:
                item.add(c)
                i += 1
            }
            // A quantifier.
            if i < end {
                switch p[i] {
                case UInt8(ascii: "*"): item.min = 0; item.max = Int.max; i += 1
                case UInt8(ascii: "+"): item.min = 1; item.max = Int.max; i += 1
                case UInt8(ascii: "?"): item.min = 0; item.max = 1; i += 1
                case UInt8(ascii: "{"):
                    var j = i + 1
                    guard let lo = number(&j) else { return nil }
                    var hi = lo
                    if j < end, p[j] == UInt8(ascii: ",") {
                        j += 1
                        if j < end, p[j] == UInt8(ascii: "}") { hi = Int.max } else {
                            guard let h = number(&j) else { return nil }
                            hi = h
                        }
                    }
                    guard j < end, p[j] == UInt8(ascii: "}"), lo <= hi else { return nil }
                    item.min = lo
                    item.max = hi
                    i = j + 1
                default: break
                }
                // Lazy and possessive forms, and a quantifier on a quantifier: left to Regex.
                if i < end, [UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{")].contains(p[i]) { return nil }
            }
            items.append(item)
        }
        self.items = items
    }

    /// True when `matchesGreedy` decides the pattern: anchored at the start, every item taken
    /// at least once, and no byte accepted by both an item and the next. Then an item's match is
    /// forced: it takes the whole run of bytes its class accepts (the next item cannot start
    /// inside the run), and the match fails when that run is shorter than its `min` or, unless
    /// it is the last item, longer than its `max`. `^[a-z]+-[0-9]+$`, `^\d{4}-\d{2}$` and most
    /// id patterns are such.
    static func isGreedy(_ items: [Item], anchoredStart: Bool) -> Bool {
        guard anchoredStart, !items.isEmpty else { return false }
        for (i, item) in items.enumerated() {
            guard item.min >= 1, item.min <= item.max else { return false }
            if i + 1 < items.count, item.lo & items[i + 1].lo != 0 || item.hi & items[i + 1].hi != 0 { return false }
        }
        return true
    }

    /// `matchesShort`'s verdict for items `isGreedy` accepts, in one pass over the subject.
    @inline(__always)
    static func matchesGreedy(_ items: UnsafeBufferPointer<Item>, anchoredEnd: Bool, _ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = s.count
        var p = 0
        for i in 0..<items.count {
            let item = items[i]
            var k = 0
            while p + k < n, k < item.max, item.accepts(s[p + k]) { k += 1 }
            if k < item.min { return false }
            if i == items.count - 1 { return !anchoredEnd || p + k == n }
            // The run goes on past `max`: the next item cannot start on a byte of it.
            if p + k < n, item.accepts(s[p + k]) { return false }
            p += k
        }
        return true
    }

    /// Whether the pattern matches somewhere in `s` (printable ASCII: see `canMatch`).
    func matches(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        s.count < 63 ? matchesShort(s) : matchesWide(s)
    }

    /// `matches` on any length, with the sets of positions as arrays of flags.
    func matchesWide(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = s.count
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: 2 * (n + 1)) { buf in
            var cur = UnsafeMutableBufferPointer(rebasing: buf[0...n])
            var next = UnsafeMutableBufferPointer(rebasing: buf[(n + 1)...])
            // Positions a match can start at.
            for p in 0...n { cur[p] = !anchoredStart || p == 0 }
            for item in items {
                for p in 0...n { next[p] = false }
                var any = false
                for p in 0...n where cur[p] {
                    var k = 0
                    // Extend as far as the item allows; every length from min on ends a match.
                    while true {
                        if k >= item.min { next[p + k] = true; any = true }
                        if k == item.max || p + k == n || !item.accepts(s[p + k]) { break }
                        k += 1
                    }
                }
                guard any else { return false }
                swap(&cur, &next)
            }
            if anchoredEnd { return cur[n] }
            for p in 0...n where cur[p] { return true }
            return false
        }
    }

    /// `matches` for subjects of fewer than 63 bytes: the same pass, with the sets of positions
    /// as bits of one word (nothing to clear or scan per item).
    func matchesShort(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        items.withUnsafeBufferPointer { Self.matchesShort(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count), anchoredStart: anchoredStart,
                                                          anchoredEnd: anchoredEnd, s) }
    }

    /// `matchesShort` on items kept elsewhere (a compiled plan keeps them in its block per event).
    @inline(__always)
    static func matchesShort(_ items: UnsafeBufferPointer<Item>, anchoredStart: Bool, anchoredEnd: Bool, _ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = s.count
        var cur: UInt64 = anchoredStart ? 1 : (1 << UInt64(n + 1)) &- 1
        for item in items {
            var next: UInt64 = 0
            var from = cur
            while from != 0 {
                let p = from.trailingZeroBitCount
                from &= from &- 1
                var k = 0
                // Extend as far as the item allows; every length from min on ends a match.
                while true {
                    if k >= item.min { next |= 1 << UInt64(p + k) }
                    if k == item.max || p + k == n || !item.accepts(s[p + k]) { break }
                    k += 1
                }
            }
            guard next != 0 else { return false }
            cur = next
        }
        return anchoredEnd ? (cur >> UInt64(n)) & 1 == 1 : cur != 0
    }
}
