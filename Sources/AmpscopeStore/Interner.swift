/// Stores each distinct string once and hands out small integer ids.
///
/// Event types, sources, methods and rule sets repeat across millions of rows; ids keep the
/// in-memory index compact and let filters decide once per distinct value instead of once per row.
struct Interner: Sendable {
    private(set) var strings: [String] = [""]
    private var ids: [String: Int32] = ["": 0]

    /// Id 0 is the empty string, used for "absent".
    mutating func id(_ s: String?) -> Int32 {
        guard let s, !s.isEmpty else { return 0 }
        if let i = ids[s] { return i }
        let i = Int32(strings.count)
        strings.append(s)
        ids[s] = i
        return i
    }

    func string(_ id: Int32) -> String { strings[Int(id)] }
    func optional(_ id: Int32) -> String? { id == 0 ? nil : strings[Int(id)] }
    var count: Int { strings.count }
}
