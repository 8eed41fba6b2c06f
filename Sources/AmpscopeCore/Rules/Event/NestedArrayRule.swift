/// Arrays inside arrays in properties: the Python SDK silently drops the whole
/// `event_properties` when it sees one, amplitude-js skips the value, and Amplitude's property
/// model has no nested lists. Arrays of objects are fine.
public struct NestedArrayRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.nestedArray, severity: .warning, scope: .event,
                               summary: "A property value is an array that directly contains another array.") }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        // The parser flags containers whose subtree nests an array in an array: most events have none.
        guard e.isObject, e.doc.subtreeHasNestedArray(e.node) else { return }
        let doc = e.doc
        let end = doc.next(e.node)
        // Fast scan for the first array that directly holds an array; most events have none.
        let first: Int? = doc.tape.withUnsafeBufferPointer { tape in
            var i = e.node + 1
            while i < end {
                let t = tape[i]
                if t.kind == .array {
                    var el = i + 1
                    let stop = Int(t.c)
                    while el < stop {
                        let k = tape[el].kind
                        if k == .array { return i }
                        el = k.isContainer ? Int(tape[el].c) : el + 1
                    }
                }
                i += 1
            }
            return nil
        }
        guard let start = first else { return }
        var i = start
        while i < end {
            if doc.kind(i) == .array {
                var inner: Int?
                for el in doc.elements(i) where doc.kind(el) == .array { inner = el; break }
                if let inner {
                    let path = doc.pointer(to: i, within: e.node, base: e.pointer)
                    out.add(info, path, event: e.index,
                            "'\(Sanitize.inline(JSONPointer.tokens(path).last ?? "", limit: 40))' holds an array inside an array (\(Sanitize.inline(doc.rawText(inner), limit: 30))): nested lists are not a property type Amplitude supports, and the Python SDK drops the whole property map")
                    i = doc.next(i)  // one finding per outer array
                    continue
                }
            }
            i += 1
        }
    }
}
