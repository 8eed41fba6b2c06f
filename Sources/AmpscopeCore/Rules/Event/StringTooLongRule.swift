/// Amplitude's limit for string values (ids, event types, property values) is 1024 characters.
/// The Python SDK truncates values to 1024; the TypeScript SDKs send them whole. Keys are
/// reported too: nothing truncates them (the recorded 2000-character key went through).
public struct StringTooLongRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.stringTooLong, severity: .warning, scope: .event,
                               summary: "A string value or property key is longer than 1024 characters.") }
    public init() {}

    public static let limit = 1024
    /// Revenue receipts are long by nature and verified separately.
    static let exempt: Set<String> = ["$receipt", "$receiptSig", "receipt", "receiptSig", "receipt_sig", "user_agent"]

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        // The parser flags containers holding a string over 1024 source bytes: most events have none.
        guard e.isObject, e.doc.subtreeHasLongString(e.node) else { return }
        let doc = e.doc
        let end = doc.next(e.node)
        // Fast scan: only strings whose source is longer than the limit can be too long.
        let first: Int? = doc.tape.withUnsafeBufferPointer { tape in
            var i = e.node + 1
            while i < end {
                let t = tape[i]
                if t.kind == .string && Int(t.b &- t.a) > Self.limit { return i }
                i += 1
            }
            return nil
        }
        guard let start = first else { return }
        var i = start
        var reported = 0
        while i < end {
            if doc.kind(i) == .string && doc.stringSourceLength(i) > Self.limit {
                let n = doc.stringScalarCount(i)
                if n > Self.limit {
                    let path = doc.pointer(to: i, within: e.node, base: e.pointer)
                    let isKey = doc.isKey(i, within: e.node)
                    let name = JSONPointer.tokens(path).last ?? ""
                    if !Self.exempt.contains(name) || isKey {
                        if reported < 20 {
                            out.add(info, path, event: e.index, isKey
                                ? "a property key is \(n) characters long (limit \(Self.limit)); nothing shortens keys, and Amplitude's charts cannot show it"
                                : "value of '\(Sanitize.inline(name, limit: 40))' is \(n) characters long; Amplitude's limit is \(Self.limit) (the Python SDK cuts it to \(Self.limit), the TypeScript SDKs send it whole)")
                        }
                        reported += 1
                    }
                }
            }
            i += 1
        }
        if reported > 20 {
            out.add(info, e.pointer, event: e.index, "\(reported - 20) more strings over \(Self.limit) characters in this event")
        }
    }
}
