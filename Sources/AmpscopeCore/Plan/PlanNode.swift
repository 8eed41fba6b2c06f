/// A parsed document tree with ordered mappings: what a YAML or JSON plan file reads as, before
/// it becomes a `Plan`. The YAML parser (Yams) lives in AmpscopeApp and builds these; the core
/// builds them from JSON itself, so the plan format is checked in one place.
public indirect enum PlanNode: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case list([PlanNode])
    case map([(String, PlanNode)])

    public static func == (a: PlanNode, b: PlanNode) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.list(let x), .list(let y)): return x == y
        case (.map(let x), .map(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public subscript(_ key: String) -> PlanNode? {
        if case .map(let m) = self { return m.first { $0.0 == key }?.1 }
        return nil
    }

    public var string: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return PlanScalar.format(d)
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    public var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s.trimmingASCIISpaces)
        default: return nil
        }
    }

    public var bool: Bool? {
        switch self {
        case .bool(let b): return b
        case .string(let s):
            switch s.trimmingASCIISpaces.asciiLowercased {
            case "true", "yes", "1": return true
            case "false", "no", "0", "": return false
            default: return nil
            }
        case .int(let i): return i != 0
        default: return nil
        }
    }

    public var list: [PlanNode]? { if case .list(let l) = self { return l } else { return nil } }
    public var map: [(String, PlanNode)]? { if case .map(let m) = self { return m } else { return nil } }

    var scalar: PlanScalar? {
        switch self {
        case .string(let s): return .string(s)
        case .int(let i): return .number(Double(i))
        case .double(let d): return .number(d)
        case .bool(let b): return .bool(b)
        default: return nil
        }
    }

    /// The tree of a JSON value.
    public init(json doc: JSONDocument, _ i: Int) {
        switch doc.kind(i) {
        case .null: self = .null
        case .true: self = .bool(true)
        case .false: self = .bool(false)
        case .string: self = .string(doc.string(i))
        case .number:
            if doc.isIntegerLiteral(i), let v = doc.int64(i) { self = .int(v) } else { self = .double(doc.double(i) ?? 0) }
        case .array: self = .list(doc.elements(i).map { PlanNode(json: doc, $0) })
        case .object:
            self = .map(doc.members(i).map { (doc.string($0.key), PlanNode(json: doc, $0.value)) })
        }
    }
}

/// Why a plan could not be read. `location` names the place (`events."Song Played".properties.x`).
public struct PlanError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Limits that keep a hostile plan file from exhausting memory or time.
public enum PlanLimits {
    public static let maxFileBytes = 64 << 20
    public static let maxEvents = 100_000
    public static let maxPropertiesPerSet = 10_000
    public static let maxEnumValues = 10_000
    public static let maxRegexLength = 2_000
    public static let maxNameLength = 1_024
}

/// ampscope's own plan format (Docs/plan.md) as a `PlanNode` tree, both ways.
public enum PlanFormat {
    public static let formatKey = "ampscope_plan"
    public static let formatVersion: Int64 = 1

    // MARK: Reading

    public static func plan(from root: PlanNode) throws(PlanError) -> Plan {
        guard case .map(let top) = root else { throw PlanError("a plan must be a mapping with an `events:` key (Docs/plan.md)") }
        let known: Set<String> = [formatKey, "name", "version", "events", "user", "groups"]
        for (k, _) in top where !known.contains(k) {
            throw PlanError("unknown key `\(Sanitize.inline(k, limit: 60))` at the top of the plan; expected \(known.sorted().joined(separator: ", "))")
        }
        if let v = root[formatKey], v.number != Double(formatVersion) {
            throw PlanError("`\(formatKey): \(Sanitize.inline(v.string ?? "?", limit: 20))` is not a version this ampscope reads (1)")
        }
        var plan = Plan(name: root["name"]?.string, version: root["version"]?.string)
        switch root["events"] {
        case nil, .null?: break
        case .map(let events)?:
            guard events.count <= PlanLimits.maxEvents else { throw PlanError("more than \(PlanLimits.maxEvents) events") }
            var seen = Set<String>()
            for (name, node) in events {
                try checkName(name, "event")
                guard seen.insert(name).inserted else { throw PlanError("event `\(Sanitize.inline(name, limit: 80))` is listed twice") }
                plan.events.append(try event(name, node))
            }
        default: throw PlanError("`events:` must map event names to their definitions")
        }
        if let u = root["user"], u != .null { plan.user = try propertySet(u, at: "user") }
        switch root["groups"] {
        case nil, .null?: break
        case .map(let groups)?:
            for (name, node) in groups {
                try checkName(name, "group type")
                let at = "groups.\(quoted(name))"
                try allowOnly(node, ["description", "properties", "additional_properties"], at: at)
                plan.groups.append(PlanGroupType(name: name, description: node["description"]?.string,
                                                 properties: try propertySet(node, at: at)))
            }
        default: throw PlanError("`groups:` must map group types to their definitions")
        }
        return plan
    }

    static func quoted(_ s: String) -> String { "\"" + Sanitize.inline(s, limit: 80) + "\"" }

    static func checkName(_ name: String, _ what: String) throws(PlanError) {
        guard !name.isEmpty else { throw PlanError("an empty \(what) name") }
        guard name.utf8.count <= PlanLimits.maxNameLength else { throw PlanError("a \(what) name longer than \(PlanLimits.maxNameLength) bytes") }
    }

    static func allowOnly(_ node: PlanNode, _ keys: Set<String>, at: String) throws(PlanError) {
        guard case .map(let m) = node else {
            if node == .null { return }
            throw PlanError("\(at) must be a mapping")
        }
        for (k, _) in m where !keys.contains(k) {
            throw PlanError("unknown key `\(Sanitize.inline(k, limit: 60))` in \(at); expected \(keys.sorted().joined(separator: ", "))")
        }
    }

    static func event(_ name: String, _ node: PlanNode) throws(PlanError) -> PlanEvent {
        let at = "events.\(quoted(name))"
        try allowOnly(node, ["status", "description", "properties", "additional_properties"], at: at)
        var e = PlanEvent(name: name, description: node["description"]?.string)
        if let s = node["status"]?.string {
            guard let st = PlanStatus(rawValue: s.asciiLowercased) else {
                throw PlanError("\(at).status: `\(Sanitize.inline(s, limit: 40))` is not one of planned, live, deprecated, blocked")
            }
            e.status = st
        }
        e.properties = try propertySet(node, at: at)
        return e
    }

    /// `properties:` and `additional_properties:` of an event, of `user:` or of a group type.
    static func propertySet(_ node: PlanNode, at: String) throws(PlanError) -> PlanPropertySet {
        if at == "user" { try allowOnly(node, ["properties", "additional_properties"], at: at) }
        var set = PlanPropertySet()
        if let a = node["additional_properties"] {
            guard let b = a.bool else { throw PlanError("\(at).additional_properties must be true or false") }
            set.additionalProperties = b
        }
        switch node["properties"] {
        case nil, .null?: break
        case .map(let props)?:
            guard props.count <= PlanLimits.maxPropertiesPerSet else { throw PlanError("\(at): more than \(PlanLimits.maxPropertiesPerSet) properties") }
            var seen = Set<String>()
            for (name, p) in props {
                try checkName(name, "property")
                guard seen.insert(name).inserted else { throw PlanError("\(at): property `\(Sanitize.inline(name, limit: 80))` is listed twice") }
                set.properties.append(try property(name, p, at: "\(at).properties.\(quoted(name))"))
            }
        default: throw PlanError("\(at).properties must map property names to their definitions")
        }
        return set
    }

    static func type(_ s: String, at: String) throws(PlanError) -> PlanType {
        guard let t = PlanType(rawValue: s.asciiLowercased) else {
            throw PlanError("\(at): type `\(Sanitize.inline(s, limit: 40))` is not one of \(PlanType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return t
    }

    static func property(_ name: String, _ node: PlanNode, at: String) throws(PlanError) -> PlanProperty {
        var p = PlanProperty(name: name)
        // `name: string` is short for `name: {type: string}`.
        if let s = node.string, case .string = node {
            p.type = try type(s, at: at)
            return p
        }
        if node == .null { return p }
        try allowOnly(node, ["type", "required", "description", "enum", "regex", "min", "max", "items"], at: at)
        if let t = node["type"] {
            guard let s = t.string else { throw PlanError("\(at).type must be a word") }
            p.type = try type(s, at: at)
        }
        if let r = node["required"] {
            guard let b = r.bool else { throw PlanError("\(at).required must be true or false") }
            p.required = b
        }
        p.description = node["description"]?.string
        if let e = node["enum"] {
            guard let l = e.list else { throw PlanError("\(at).enum must be a list of values") }
            guard l.count <= PlanLimits.maxEnumValues else { throw PlanError("\(at).enum has more than \(PlanLimits.maxEnumValues) values") }
            var values: [PlanScalar] = []
            for v in l {
                guard let s = v.scalar else { throw PlanError("\(at).enum may hold only strings, numbers and booleans") }
                values.append(s)
            }
            p.enumValues = values
        }
        if let r = node["regex"] {
            guard let s = r.string else { throw PlanError("\(at).regex must be a string") }
            guard s.utf8.count <= PlanLimits.maxRegexLength else { throw PlanError("\(at).regex is longer than \(PlanLimits.maxRegexLength) bytes") }
            guard PlanRegex.isValid(s) else { throw PlanError("\(at).regex `\(Sanitize.inline(s, limit: 80))` is not a valid regular expression") }
            p.regex = s
        }
        if let m = node["min"] {
            guard let d = m.number else { throw PlanError("\(at).min must be a number") }
            p.min = d
        }
        if let m = node["max"] {
            guard let d = m.number else { throw PlanError("\(at).max must be a number") }
            p.max = d
        }
        if let i = node["items"] {
            guard let s = i.string ?? i["type"]?.string else { throw PlanError("\(at).items must name a type") }
            p.itemType = try type(s, at: at + ".items")
        }
        return p
    }

    // MARK: Writing

    public static func node(_ plan: Plan) -> PlanNode {
        var top: [(String, PlanNode)] = [(formatKey, .int(formatVersion))]
        if let n = plan.name { top.append(("name", .string(n))) }
        if let v = plan.version { top.append(("version", .string(v))) }
        top.append(("events", .map(plan.events.map { e in
            var m: [(String, PlanNode)] = [("status", .string(e.status.rawValue))]
            if let d = e.description, !d.isEmpty { m.append(("description", .string(d))) }
            m += setNodes(e.properties)
            return (e.name, .map(m))
        })))
        if !plan.user.isEmpty { top.append(("user", .map(setNodes(plan.user)))) }
        if !plan.groups.isEmpty {
            top.append(("groups", .map(plan.groups.map { g in
                var m: [(String, PlanNode)] = []
                if let d = g.description, !d.isEmpty { m.append(("description", .string(d))) }
                m += setNodes(g.properties)
                return (g.name, .map(m))
            })))
        }
        return .map(top)
    }

    static func setNodes(_ s: PlanPropertySet) -> [(String, PlanNode)] {
        var m: [(String, PlanNode)] = []
        if !s.additionalProperties { m.append(("additional_properties", .bool(false))) }
        if !s.properties.isEmpty { m.append(("properties", .map(s.properties.map { ($0.name, node($0)) }))) }
        return m
    }

    static func node(_ p: PlanProperty) -> PlanNode {
        var m: [(String, PlanNode)] = [("type", .string(p.type.rawValue))]
        if p.required { m.append(("required", .bool(true))) }
        if let d = p.description, !d.isEmpty { m.append(("description", .string(d))) }
        if let e = p.enumValues {
            m.append(("enum", .list(e.map { v in
                switch v {
                case .string(let s): return .string(s)
                case .number(let d): return d.rounded() == d && abs(d) < 1e15 ? .int(Int64(d)) : .double(d)
                case .bool(let b): return .bool(b)
                }
            })))
        }
        if let r = p.regex { m.append(("regex", .string(r))) }
        if let v = p.min { m.append(("min", v.rounded() == v && abs(v) < 1e15 ? .int(Int64(v)) : .double(v))) }
        if let v = p.max { m.append(("max", v.rounded() == v && abs(v) < 1e15 ? .int(Int64(v)) : .double(v))) }
        if let i = p.itemType { m.append(("items", .string(i.rawValue))) }
        return .map(m)
    }
}
