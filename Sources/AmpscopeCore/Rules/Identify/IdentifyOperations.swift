/// User/group property operations and where they live in a record.
public enum IdentifyOperation: String, CaseIterable, Sendable {
    case clearAll = "$clearAll", unset = "$unset", set = "$set", setOnce = "$setOnce", add = "$add"
    case append = "$append", prepend = "$prepend", preInsert = "$preInsert", postInsert = "$postInsert"
    case remove = "$remove"

    /// The order Amplitude applies operations in (per the TypeScript SDK's citation of its
    /// server's UserPropertyUtils), whatever their order in the payload.
    public static let serverOrder: [IdentifyOperation] = [.clearAll, .unset, .set, .setOnce, .add, .append, .prepend, .preInsert, .postInsert, .remove]

    public static let byName: [String: IdentifyOperation] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })
}

enum IdentifyTargets {
    /// The property maps of a record that may hold operations: (field, tape index of the object).
    static func maps(_ e: RecordFacts) -> [(EventField, Int)] {
        guard e.isObject else { return [] }
        var out: [(EventField, Int)] = []
        for f in [EventField.userProperties, .groupProperties] {
            if let i = e[f], e.doc.kind(i) == .object { out.append((f, i)) }
        }
        return out
    }

    /// True when the object has at least one known operation key.
    static func hasOperations(_ doc: JSONDocument, _ obj: Int) -> Bool {
        for (k, _) in doc.members(obj) where IdentifyOperation.byName[doc.string(k)] != nil { return true }
        return false
    }
}
