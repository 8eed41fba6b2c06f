/// User/group property operations and where they live in a record.
public enum IdentifyOperation: String, CaseIterable, Sendable {
    case clearAll = "$clearAll", unset = "$unset", set = "$set", setOnce = "$setOnce", add = "$add"
    case append = "$append", prepend = "$prepend", preInsert = "$preInsert", postInsert = "$postInsert"
    case remove = "$remove"

    /// The order Amplitude applies operations in (per the TypeScript SDK's citation of its
    /// server's UserPropertyUtils), whatever their order in the payload.
    public static let serverOrder: [IdentifyOperation] = [.clearAll, .unset, .set, .setOnce, .add, .append, .prepend, .preInsert, .postInsert, .remove]

    public static let byName: [String: IdentifyOperation] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    static let nameBytes: [(IdentifyOperation, [UInt8])] = allCases.map { ($0, Array($0.rawValue.utf8)) }

    /// The operation a key (tape index of a string) names, without building a String.
    public static func classify(_ doc: JSONDocument, _ key: Int) -> IdentifyOperation? {
        guard doc.stringStarts(key, with: UInt8(ascii: "$")) else { return nil }
        return doc.withStringBytes(key) { p in
            for (op, name) in nameBytes where name.count == p.count {
                var equal = true
                for j in 0..<p.count where p[j] != name[j] { equal = false; break }
                if equal { return op }
            }
            return nil
        }
    }
}

enum IdentifyTargets {
    /// Calls `body` for each property map of a record that may hold operations:
    /// (`user_properties` or `group_properties`, tape index of the object). Allocates nothing.
    @inline(__always)
    static func forEachMap(_ e: RecordFacts, _ body: (EventField, Int) -> Void) {
        guard e.isObject else { return }
        if let i = e[.userProperties], e.doc.kind(i) == .object { body(.userProperties, i) }
        if let i = e[.groupProperties], e.doc.kind(i) == .object { body(.groupProperties, i) }
    }

    /// True when the object has at least one known operation key.
    static func hasOperations(_ doc: JSONDocument, _ obj: Int) -> Bool {
        for (k, _) in doc.members(obj) where IdentifyOperation.classify(doc, k) != nil { return true }
        return false
    }
}
