/// Known fields with the wrong JSON type: `event_properties` as a string, `price` as text,
/// `quantity` as a float, `groups` as an array...
public struct FieldTypeRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.fieldType, severity: .error, scope: .event,
                               summary: "A known field has the wrong JSON type (e.g. event_properties not an object, price as a string).",
                               effect: .eventInvalidField) }
    public init() {}

    enum Want { case object, number, integer, string, boolean, objectOrString }

    static let expected: [(EventField, Want, Severity)] = [
        (.eventProperties, .object, .error), (.userProperties, .object, .error), (.groupProperties, .object, .error),
        (.groups, .object, .error), (.plan, .object, .warning), (.ingestionMetadata, .object, .warning),
        (.apiProperties, .object, .warning),
        (.eventType, .string, .error), (.insertID, .string, .warning),
        (.price, .number, .error), (.revenue, .number, .error), (.quantity, .integer, .error),
        (.locationLat, .number, .error), (.locationLng, .number, .error), (.eventID, .integer, .warning),
        (.sequenceNumber, .integer, .warning),
        (.appVersion, .string, .warning), (.platform, .string, .warning), (.osName, .string, .warning),
        (.osVersion, .string, .warning), (.deviceBrand, .string, .warning), (.deviceManufacturer, .string, .warning),
        (.deviceModel, .string, .warning), (.carrier, .string, .warning), (.country, .string, .warning),
        (.region, .string, .warning), (.city, .string, .warning), (.dma, .string, .warning), (.language, .string, .warning),
        (.productID, .string, .warning), (.revenueType, .string, .warning), (.ip, .string, .warning),
        (.partnerID, .string, .warning), (.userAgent, .string, .warning), (.versionName, .string, .warning),
        (.idfa, .string, .warning), (.idfv, .string, .warning), (.adid, .string, .warning), (.androidID, .string, .warning),
        (.skipUserPropertiesSync, .boolean, .warning), (.groupType, .string, .error), (.groupValue, .string, .error),
        (.unmap, .boolean, .warning), (.library, .objectOrString, .warning), (.uuid, .string, .warning),
    ]

    static let expectedMask: UInt64 = expected.reduce(0) { $0 | 1 << UInt64($1.0.rawValue) }
    /// `expected` indexed by field raw value.
    static let byField: [(EventField, Want, Severity)?] = {
        var t = [(EventField, Want, Severity)?](repeating: nil, count: EventField.allCases.count)
        for (f, w, s) in expected { t[f.rawValue] = (f, w, s) }
        return t
    }()

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject else { return }
        let doc = e.doc
        // Only the fields present and type-checked, in field order, one bit at a time.
        var bits = e.presentMask & Self.expectedMask
        while bits != 0 {
            let raw = bits.trailingZeroBitCount
            bits &= bits &- 1
            guard let spec = Self.byField[raw], let i = e[spec.0] else { continue }
            let (field, want, severity) = spec
            let k = doc.kind(i)
            if k == .null { continue }
            let ok: Bool
            let wanted: String
            switch want {
            case .object: ok = k == .object; wanted = "an object"
            case .number: ok = k == .number; wanted = "a number"
            case .integer: ok = doc.isIntegerLiteral(i); wanted = "an integer"
            case .string: ok = k == .string; wanted = "a string"
            case .boolean: ok = k == .true || k == .false; wanted = "true or false"
            case .objectOrString: ok = k == .object || k == .string; wanted = "a string"
            }
            if ok { continue }
            // event_type is judged by missing-event-type when it is absent/empty; here only its type.
            var detail = ""
            if k == .string && (want == .number || want == .integer) {
                detail = " (\"\(Sanitize.inline(doc.string(i), limit: 20))\" in quotes: send the number itself)"
            } else if k == .number && want == .integer {
                detail = " (\(Sanitize.inline(doc.rawText(i), limit: 20)))"
            } else if k == .string && want == .object {
                detail = " (a JSON text inside a string? send the object itself)"
            }
            // Identifications: groups may be a string map; /identify allows strings for group values.
            out.add(info, e.path(field), event: e.index, severity: severity,
                    "\(field.wireName) must be \(wanted), but it is \(k)\(detail)")
        }
    }
}
