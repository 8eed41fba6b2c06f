/// Revenue is counted only when the event carries an amount: `price` (with `quantity`,
/// default 1) or `revenue`, on the event or, for SDK revenue events, as `$price`/`$revenue`.
public struct RevenueIncompleteRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.revenueIncomplete, severity: .warning, scope: .event,
                               summary: "A revenue event or revenue field lacks the amount Amplitude needs to count it.") }
    public init() {}

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard e.isObject, e.kind == .event || e.kind == .legacyEvent else { return }
        let doc = e.doc
        let hasTop = e.value(.price) != nil || e.value(.revenue) != nil
        if e.eventTypeIs("revenue_amount") {
            let props = e[.eventProperties].flatMap { doc.kind($0) == .object ? $0 : nil }
            let price = props.flatMap { doc.member($0, "$price") }.flatMap { doc.kind($0) == .null ? nil : $0 }
            let revenue = props.flatMap { doc.member($0, "$revenue") }.flatMap { doc.kind($0) == .null ? nil : $0 }
            if price == nil && revenue == nil && !hasTop {
                out.add(info, e.path(.eventProperties), event: e.index,
                        "revenue_amount event without $price or $revenue in event_properties: Amplitude records no revenue for it")
            }
            if let p = price, doc.kind(p) != .number {
                out.add(info, e.pointer + "/event_properties/$price", event: e.index, "$price must be a number, but it is \(doc.kind(p))")
            }
            if let q = props.flatMap({ doc.member($0, "$quantity") }), !doc.isIntegerLiteral(q) {
                out.add(info, e.pointer + "/event_properties/$quantity", event: e.index, "$quantity must be an integer, but it is \(Sanitize.inline(doc.rawText(q), limit: 20))")
            }
            return
        }
        if (e.value(.productID) != nil || e.value(.revenueType) != nil || e.value(.quantity) != nil) && !hasTop {
            let which = [EventField.productID, .revenueType, .quantity].filter { e.value($0) != nil }.map(\.wireName).joined(separator: ", ")
            out.add(info, e.path(.price), event: e.index,
                    "the event has \(which) but no price or revenue: Amplitude counts revenue only with price (and quantity) or revenue")
        }
        if let q = e.value(.quantity), e.value(.price) == nil, e.value(.revenue) != nil, doc.kind(q) == .number {
            out.add(info, e.path(.quantity), event: e.index, severity: .info,
                    "quantity is ignored without price; revenue is taken as sent")
        }
    }
}
