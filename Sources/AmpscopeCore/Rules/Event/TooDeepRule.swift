/// Event, user and group properties may nest at most 40 levels of objects and arrays.
public struct TooDeepRule: RecordRule {
    public let info = RuleInfo(id: RuleID.tooDeep, severity: .error, scope: .event,
                               summary: "Properties nest deeper than 40 levels; Amplitude does not keep the deeper levels.")
    public init() {}

    public static let limit = 40

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject else { return }
        let doc = e.doc
        for (field, node) in PropertyContainers.present(in: e) where doc.kind(node).isContainer {
            // Linear pass over the subtree with a stack of open containers' ends.
            var ends: [Int] = []
            var i = node
            let end = doc.next(node)
            while i < end {
                while let last = ends.last, i >= last { ends.removeLast() }
                if doc.kind(i).isContainer {
                    ends.append(doc.next(i))
                    if ends.count > Self.limit {
                        let path = doc.pointer(to: i, within: e.node, base: e.pointer)
                        out.add(info, path, event: e.index,
                                "\(field.wireName) nests deeper than \(Self.limit) levels here; Amplitude keeps at most \(Self.limit)")
                        break
                    }
                }
                i += 1
            }
        }
    }
}
