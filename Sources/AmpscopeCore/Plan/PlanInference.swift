/// A plan made from observed traffic (`ampscope plan infer`): each event type seen, its
/// properties with their type (integer when every value was whole, number when mixed, any when
/// the kinds differ), required when present on every instance, and an enum when a string
/// property took few distinct values, each seen more than once. User properties and group
/// types likewise (never required: a profile accumulates them). Other properties stay allowed.
public struct PlanInference: Sendable {
    public static let maxEnumValues = 8

    struct PropStats {
        var name: String
        var present = 0
        var kinds: Set<String> = []
        var values: [String: Int] = [:]
        var tooManyValues = false
        var itemKinds: Set<String> = []

        mutating func observe(_ doc: JSONDocument, _ v: Int) {
            present += 1
            let k = PropStats.kindWord(doc, v)
            kinds.insert(k)
            if k == "string", !tooManyValues {
                let s = doc.string(v)
                values[s, default: 0] += 1
                if values.count > PlanInference.maxEnumValues { tooManyValues = true; values = [:] }
            }
            if k == "array" {
                for e in doc.elements(v) { itemKinds.insert(PropStats.kindWord(doc, e)) }
            }
        }

        static func kindWord(_ doc: JSONDocument, _ v: Int) -> String {
            switch doc.kind(v) {
            case .string: return "string"
            case .number: return PlanChecker.isIntegral(doc, v) ? "integer" : "number"
            case .true, .false: return "boolean"
            case .array: return "array"
            case .object: return "object"
            case .null: return "null"
            }
        }

        static func type(_ kinds: Set<String>) -> PlanType {
            // A null among the values leaves the type open (`any`): the plan has no nullable types.
            let k = kinds
            if k.count == 1, let only = k.first { return PlanType(rawValue: only) ?? .any }
            if k == ["integer", "number"] { return .number }
            return .any
        }

        func property(required: Bool) -> PlanProperty {
            var p = PlanProperty(name: name, type: PropStats.type(kinds), required: required && !kinds.contains("null"))
            if p.type == .string, !tooManyValues, !values.isEmpty, values.values.allSatisfy({ $0 >= 2 }) {
                p.enumValues = values.keys.sorted().map { .string($0) }
            }
            if p.type == .array, !itemKinds.isEmpty {
                let t = PropStats.type(itemKinds)
                if t != .any { p.itemType = t }
            }
            return p
        }
    }

    struct SetStats {
        var order: [String] = []
        var props: [String: PropStats] = [:]
        mutating func observe(_ doc: JSONDocument, _ key: String, _ v: Int) {
            // A name a plan cannot hold (empty, over the length limit) stays unplanned: allowed.
            guard !key.isEmpty, key.utf8.count <= PlanLimits.maxNameLength else { return }
            if props[key] == nil {
                guard order.count < PlanLimits.maxPropertiesPerSet else { return }
                order.append(key)
                props[key] = PropStats(name: key)
            }
            props[key]!.observe(doc, v)
        }
        func set(instances: Int?) -> PlanPropertySet {
            PlanPropertySet(properties: order.map { name in
                let stats = props[name]!
                return stats.property(required: instances.map { stats.present == $0 } ?? false)
            })
        }
    }

    var eventOrder: [String] = []
    var events: [String: (count: Int, props: SetStats)] = [:]
    var user = SetStats()
    var groupOrder: [String] = []
    var groups: [String: SetStats] = [:]

    public init() {}

    public mutating func add(_ p: Processed) {
        add(p.request)
        for o in p.segmentMapping?.outcomes ?? [] { add(o.processed.request) }
    }

    mutating func add(_ request: DecodedRequest) {
        guard let doc = request.document else { return }
        for node in request.records where doc.kind(node) == .object {
            switch request.recordKind {
            case .event, .legacyEvent, .identification, .groupIdentification: break
            case .mapping, .segmentCall: continue
            }
            var type: String?
            if let t = doc.member(node, "event_type"), doc.kind(t) == .string { type = doc.string(t) }
            if let up = doc.member(node, "user_properties"), doc.kind(up) == .object { Self.observeOps(doc, up) { user.observe(doc, $0, $1) } }
            let isGroupIdentify = request.recordKind == .groupIdentification || type == "$groupidentify"
            if isGroupIdentify, let gp = doc.member(node, "group_properties"), doc.kind(gp) == .object {
                var types: [String] = []
                if let g = doc.member(node, "groups"), doc.kind(g) == .object { types = doc.members(g).map { doc.string($0.key) } }
                else if let t = doc.member(node, "group_type"), doc.kind(t) == .string { types = [doc.string(t)] }
                for gt in types where !gt.isEmpty && gt.utf8.count <= PlanLimits.maxNameLength {
                    if groups[gt] == nil { groupOrder.append(gt); groups[gt] = SetStats() }
                    Self.observeOps(doc, gp) { groups[gt]!.observe(doc, $0, $1) }
                }
            } else if let g = doc.member(node, "groups"), doc.kind(g) == .object {
                for (k, _) in doc.members(g) {
                    let gt = doc.string(k)
                    guard !gt.isEmpty, gt.utf8.count <= PlanLimits.maxNameLength else { continue }
                    if groups[gt] == nil { groupOrder.append(gt); groups[gt] = SetStats() }
                }
            }
            guard request.recordKind == .event || request.recordKind == .legacyEvent, let name = type,
                  name != "$identify", name != "$groupidentify", !name.isEmpty, name.utf8.count <= PlanLimits.maxNameLength else { continue }
            if events[name] == nil {
                guard eventOrder.count < PlanLimits.maxEvents else { continue }
                eventOrder.append(name)
                events[name] = (0, SetStats())
            }
            events[name]!.count += 1
            if let ep = doc.member(node, "event_properties"), doc.kind(ep) == .object {
                for (k, v) in doc.members(ep) { events[name]!.props.observe(doc, doc.string(k), v) }
            }
        }
    }

    /// Plain keys, and keys of `$set`/`$setOnce` (values), `$add`/`$append`/… (names only: no value).
    private static func observeOps(_ doc: JSONDocument, _ obj: Int, _ f: (String, Int) -> Void) {
        for (k, v) in doc.members(obj) {
            let key = doc.string(k)
            if key.hasPrefix("$") {
                guard doc.kind(v) == .object, key == "$set" || key == "$setOnce" else { continue }
                for (ik, iv) in doc.members(v) { f(doc.string(ik), iv) }
            } else {
                f(key, v)
            }
        }
    }

    public func plan(name: String? = nil) -> Plan {
        Plan(name: name,
             events: eventOrder.map { n in
                 let e = events[n]!
                 return PlanEvent(name: n, status: .live, properties: e.props.set(instances: e.count))
             },
             user: user.set(instances: nil),
             groups: groupOrder.map { PlanGroupType(name: $0, properties: groups[$0]!.set(instances: nil)) })
    }
}
