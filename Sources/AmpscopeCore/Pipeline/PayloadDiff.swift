/// A structural diff of two JSON values (two events, two requests): every path present in
/// either, with what happened to it. Objects are compared key by key (the first value's key
/// order, then keys only the second has), arrays index by index; scalars by their JSON text.
/// Pure: the UI's Diff tab and tests call it.
public struct PayloadDiff: Sendable {
    public enum Kind: Sendable, Equatable {
        case same, added, removed, changed
        /// Both are containers of the same kind: their members follow.
        case container
    }

    public struct Line: Sendable, Equatable {
        /// JSON Pointer relative to the compared values.
        public var path: String
        public var depth: Int
        /// The last token of the path (`""` for the root).
        public var key: String
        public var kind: Kind
        /// Compact JSON text (containers: `{…}` / `[…]` with their size) of each side.
        public var old: String?
        public var new: String?
        /// A field that differs from run to run (time, insert_id…), or inside one.
        public var volatile: Bool
    }

    /// Fields that differ between two sends of the same event.
    public static let defaultVolatile: Set<String> = ["time", "insert_id", "event_id", "session_id", "uuid", "timestamp", "messageId",
                                                      "sentAt", "receivedAt", "originalTimestamp", "upload_time", "client_upload_time"]

    public var lines: [Line]

    /// Lines that differ, volatile ones included.
    public var differences: Int { lines.filter { $0.kind != .same && $0.kind != .container }.count }
    /// Differences outside volatile fields.
    public var meaningfulDifferences: Int { lines.filter { $0.kind != .same && $0.kind != .container && !$0.volatile }.count }

    /// Caps keep a diff of two huge payloads bounded (the rest is summarised in one line).
    public static let maxLines = 20_000
    static let maxDepth = 64

    public init(_ a: JSONDocument, _ ai: JSONDocument.Index, _ b: JSONDocument, _ bi: JSONDocument.Index,
                volatile: Set<String> = PayloadDiff.defaultVolatile) {
        var out: [Line] = []
        Self.walk(a, ai, b, bi, path: "", key: "", depth: 0, volatile: volatile, inVolatile: false, into: &out)
        lines = out
    }

    static func summary(_ doc: JSONDocument, _ i: JSONDocument.Index) -> String {
        switch doc.kind(i) {
        case .object: return "{… \(doc.count(i)) keys}"
        case .array: return "[… \(doc.count(i)) items]"
        default: return Sanitize.inline(doc.rawText(i), limit: 200)
        }
    }

    static func walk(_ a: JSONDocument, _ ai: JSONDocument.Index?, _ b: JSONDocument, _ bi: JSONDocument.Index?,
                     path: String, key: String, depth: Int, volatile: Set<String>, inVolatile: Bool, into out: inout [Line]) {
        guard out.count < maxLines else { return }
        let vol = inVolatile || volatile.contains(key)
        func line(_ kind: Kind) {
            out.append(Line(path: path, depth: depth, key: key, kind: kind, old: ai.map { summary(a, $0) }, new: bi.map { summary(b, $0) },
                            volatile: vol))
        }
        guard let ai else { line(.added); return }
        guard let bi else { line(.removed); return }
        let ka = a.kind(ai), kb = b.kind(bi)
        if ka == .object && kb == .object && depth < maxDepth {
            line(.container)
            var seen = Set<String>()
            for (k, v) in a.members(ai) {
                let name = a.string(k)
                guard seen.insert(name).inserted else { continue }
                walk(a, v, b, b.member(bi, named: name), path: JSONPointer.join(path, name), key: name, depth: depth + 1,
                     volatile: volatile, inVolatile: vol, into: &out)
            }
            for (k, v) in b.members(bi) {
                let name = b.string(k)
                guard seen.insert(name).inserted else { continue }
                walk(a, nil, b, v, path: JSONPointer.join(path, name), key: name, depth: depth + 1,
                     volatile: volatile, inVolatile: vol, into: &out)
            }
            return
        }
        if ka == .array && kb == .array && depth < maxDepth {
            line(.container)
            let ea = Array(a.elements(ai)), eb = Array(b.elements(bi))
            for n in 0..<max(ea.count, eb.count) {
                walk(a, n < ea.count ? ea[n] : nil, b, n < eb.count ? eb[n] : nil, path: JSONPointer.join(path, n), key: String(n),
                     depth: depth + 1, volatile: volatile, inVolatile: vol, into: &out)
            }
            return
        }
        let same = ka == kb && (ka == .string ? a.string(ai) == b.string(bi) : a.rawText(ai) == b.rawText(bi))
        line(same ? .same : .changed)
    }
}
