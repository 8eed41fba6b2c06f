/// Event, user and group properties may nest at most 40 levels of objects and arrays.
public struct TooDeepRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.tooDeep, severity: .error, scope: .event,
                               summary: "Properties nest deeper than 40 levels; Amplitude does not keep the deeper levels.") }
    public init() {}

    public static let limit = 40

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject else { return }
        let doc = e.doc
        for field in PropertyContainers.fields where e.has(field) {
            guard let node = e[field], doc.kind(node).isContainer else { continue }
            let end = doc.next(node)
            // The parser recorded each container's height: most subtrees are skipped right here.
            guard doc.height(node) > Self.limit else { continue }
            if let deep = Self.firstTooDeep(doc, node, end) {
                let path = doc.pointer(to: deep, within: e.node, base: e.pointer)
                out.add(info, path, event: e.index,
                        "\(field.wireName) nests deeper than \(Self.limit) levels here; Amplitude keeps at most \(Self.limit)")
            }
        }
    }

    /// Tape index of the first container at depth `limit + 1` (the subtree root is depth 1).
    /// One linear pass with a stack of open containers' ends, kept on the machine stack.
    static func firstTooDeep(_ doc: JSONDocument, _ node: Int, _ end: Int) -> Int? {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: limit + 1) { ends in
            doc.tape.withUnsafeBufferPointer { tape in
                var depth = 0
                var i = node
                while i < end {
                    while depth > 0 && i >= ends[depth - 1] { depth -= 1 }
                    let t = tape[i]
                    if t.kind.isContainer {
                        if depth == limit { return i }
                        ends[depth] = Int(t.c)
                        depth += 1
                    }
                    i += 1
                }
                return nil
            }
        }
    }
}
