/// Keys starting with `$` in user_properties are operations; misspelled or invented ones
/// (`$setAlways`, `$SET`, `$increment`) are ignored by Amplitude.
public struct UnknownOperationRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.unknownOperation, severity: .error, scope: .identify,
                               summary: "A $-key in user_properties is not an Amplitude operation (e.g. $setAlways); its properties are dropped.") }
    public init() {}

    static let aliases: [String: String] = [
        "$setAlways": "$set", "$set_once": "$setOnce", "$setonce": "$setOnce", "$increment": "$add",
        "$inc": "$add", "$delete": "$unset", "$clear": "$clearAll", "$clearall": "$clearAll", "$push": "$append",
        "$pre_insert": "$preInsert", "$post_insert": "$postInsert",
    ]

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        let doc = e.doc
        IdentifyTargets.forEachMap(e) { field, obj in
            for (k, v) in doc.members(obj) where doc.stringStarts(k, with: UInt8(ascii: "$")) {
                if let op = IdentifyOperation.classify(doc, k) {
                    if op != .clearAll && doc.kind(v) != .object {
                        let name = doc.string(k)
                        out.add(info, e.path(field.wireName) + "/" + JSONPointer.escape(name), event: e.index,
                                "\(name) must map property names to values, like {\"\(name)\": {\"plan\": \"pro\"}}, but it is \(doc.kind(v))")
                    }
                    continue
                }
                let name = doc.string(k)
                let guess = Self.aliases[name] ?? IdentifyOperation.allCases.first { $0.rawValue.asciiLowercased == name.asciiLowercased }?.rawValue
                let hint = guess.map { "; did you mean \($0)?" } ?? "; the operations are \(IdentifyOperation.allCases.map(\.rawValue).joined(separator: ", "))"
                out.add(info, e.path(field.wireName) + "/" + JSONPointer.escape(name), event: e.index,
                        "'\(Sanitize.inline(name, limit: 30))' is not an Amplitude operation, so its properties are dropped\(hint)")
            }
        }
    }
}
