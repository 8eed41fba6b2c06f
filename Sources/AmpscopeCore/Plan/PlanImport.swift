/// Plans other tools export, read into a `Plan` (`ampscope plan convert`; Docs/plan.md):
///
/// * Amplitude Data CSV export (events + event properties, or user properties);
/// * Amplitude Taxonomy API JSON saved to a file (`/event`, `/event-property`, `/user-property`,
///   `/group-property` answers, alone, in a list, or in an object under those names);
/// * Iteratively / Ampli JSON Schemas (one draft-07 schema per event, a list, or an object of them);
/// * Segment Protocols plans: the Config API shape (`rules.events[]`, Typewriter's plan.json)
///   and the Public API shape (`rules[]` of `{key, type, jsonSchema}`);
/// * Avo's JSON Schema export (`events[]` of `{name, rules}`).
///
/// Every reader bounds what it accepts (`PlanLimits`) and fails with a sentence, never a crash.
public enum PlanImport {
    public enum Source: String, Sendable, CaseIterable {
        case ampscope
        case amplitudeCSV = "amplitude-csv"
        case taxonomy
        case ampliSchema = "ampli-schema"
        case segmentConfig = "segment-config"
        case segmentPublic = "segment-public"
        case avo
    }

    /// Detects the format and reads it. `yaml` parses YAML text into a tree (given by the app,
    /// which links the YAML library); nil means only JSON and CSV are tried.
    public static func read(_ bytes: [UInt8], yaml: ((String) throws -> PlanNode)? = nil) throws(PlanError) -> (Plan, Source) {
        guard bytes.count <= PlanLimits.maxFileBytes else { throw PlanError("the plan file is larger than \(PlanLimits.maxFileBytes >> 20) MiB") }
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        let first = body.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            let doc: JSONDocument
            do { doc = try JSONDocument(parsing: Array(body)) } catch {
                throw PlanError("the plan file looks like JSON but does not parse: \(error)")
            }
            let root = PlanNode(json: doc, doc.root)
            return try fromJSON(root)
        }
        let text = String(decoding: body, as: UTF8.self)
        guard text.utf8.count == body.count else { throw PlanError("the plan file is not UTF-8 text") }
        let firstLine = text.prefix { $0 != "\n" && $0 != "\r" }
        if firstLine.contains(",") && (firstLine.contains("Object Name") || firstLine.contains("Object name")
            || firstLine.contains("Property Name") || firstLine.contains("Property name") || firstLine.contains("Event Property Name")) {
            return (try fromAmplitudeCSV(text), .amplitudeCSV)
        }
        guard let yaml else { throw PlanError("the plan file is neither JSON nor an Amplitude Data CSV export") }
        let node: PlanNode
        do { node = try yaml(text) } catch let e as PlanError { throw e } catch {
            throw PlanError("the plan file does not parse as YAML: \(error)")
        }
        return (try PlanFormat.plan(from: node), .ampscope)
    }

    /// JSON: ampscope's own format spelled in JSON, or one of the tools' shapes.
    public static func fromJSON(_ root: PlanNode) throws(PlanError) -> (Plan, Source) {
        if root[PlanFormat.formatKey] != nil { return (try PlanFormat.plan(from: root), .ampscope) }
        if let rules = root["rules"] {
            if rules["events"] != nil || rules["identify"] != nil || rules["identify_traits"] != nil { return (try segmentConfig(root), .segmentConfig) }
            if rules.list != nil { return (try segmentPublic(rules.list!), .segmentPublic) }
        }
        if let data = root["data"], let rules = data["rules"]?.list ?? data["trackingPlan"]?["rules"]?.list { return (try segmentPublic(rules), .segmentPublic) }
        if let events = root["events"]?.list, events.contains(where: { $0["rules"] != nil && $0["name"] != nil }) {
            return (try avo(events), .avo)
        }
        if isTaxonomy(root) { return (try taxonomy(root), .taxonomy) }
        if isSchema(root) || (root.list?.contains(where: isSchema) ?? false) || (root.map?.contains { isSchema($0.1) } ?? false) {
            return (try ampliSchemas(root), .ampliSchema)
        }
        throw PlanError("this JSON is not a plan ampscope knows (ampscope, Taxonomy API, Ampli/Iteratively JSON Schema, Segment Protocols, Avo); see Docs/plan.md")
    }

    // MARK: JSON Schema → properties

    static func isSchema(_ n: PlanNode) -> Bool {
        n["$schema"] != nil || (n["type"]?.string == "object" && n["properties"] != nil && (n["title"] != nil || n["$id"] != nil))
    }

    /// Properties of an object schema (`properties`, `required`, `additionalProperties`).
    static func propertySet(schema: PlanNode?, at: String) throws(PlanError) -> PlanPropertySet {
        guard let schema, schema != .null else { return PlanPropertySet() }
        guard schema.map != nil else { throw PlanError("\(at): a JSON Schema must be an object") }
        let required = Set((schema["required"]?.list ?? []).compactMap(\.string))
        var set = PlanPropertySet(additionalProperties: schema["additionalProperties"]?.bool ?? true)
        if case .map? = schema["additionalProperties"] { set.additionalProperties = true }
        if let props = schema["properties"] {
            guard let m = props.map else { throw PlanError("\(at).properties must be an object") }
            guard m.count <= PlanLimits.maxPropertiesPerSet else { throw PlanError("\(at): more than \(PlanLimits.maxPropertiesPerSet) properties") }
            for (name, s) in m {
                try PlanFormat.checkName(name, "property")
                set.properties.append(try property(name, schema: s, required: required.contains(name), at: at + ".properties." + PlanFormat.quoted(name)))
            }
        }
        return set
    }

    static func jsonType(_ s: String) -> PlanType? {
        switch s.asciiLowercased {
        case "string", "date time", "datetime": return .string
        case "number", "float", "double": return .number
        case "integer", "int": return .integer
        case "boolean", "bool": return .boolean
        case "array", "list": return .array
        case "object": return .object
        case "any", "null": return .any
        default: return nil
        }
    }

    static func property(_ name: String, schema s: PlanNode, required: Bool, at: String) throws(PlanError) -> PlanProperty {
        var p = PlanProperty(name: name, required: required)
        guard s.map != nil else { return p }  // `{}` or `true`: anything
        p.description = s["description"]?.string
        switch s["type"] {
        case .string(let t)?: p.type = jsonType(t) ?? .any
        case .list(let l)?:
            // ["string", "null"] and the like: the one non-null type, else any.
            let ts = l.compactMap(\.string).filter { $0 != "null" }
            p.type = ts.count == 1 ? (jsonType(ts[0]) ?? .any) : .any
            if l.contains(where: { $0.string == "null" }) { p.type = .any }
        default: break
        }
        if let e = s["enum"]?.list {
            guard e.count <= PlanLimits.maxEnumValues else { throw PlanError("\(at).enum has more than \(PlanLimits.maxEnumValues) values") }
            p.enumValues = e.compactMap(\.scalar)
            if e.contains(.null) { p.enumValues = nil }
        }
        if let c = s["const"]?.scalar { p.enumValues = [c] }
        if let r = s["pattern"]?.string {
            // A pattern the checker cannot run safely is dropped with the rest of the property kept.
            if PlanRegex.isValid(r) { p.regex = r }
        }
        p.min = s["minimum"]?.number ?? s["exclusiveMinimum"]?.number
        p.max = s["maximum"]?.number ?? s["exclusiveMaximum"]?.number
        if p.type == .array, let items = s["items"] {
            if let t = items["type"]?.string { p.itemType = jsonType(t) }
            if p.enumValues == nil, let e = items["enum"]?.list { p.enumValues = e.compactMap(\.scalar) }
        }
        return p
    }

    // MARK: Ampli / Iteratively

    static func ampliSchemas(_ root: PlanNode) throws(PlanError) -> Plan {
        var schemas: [(String?, PlanNode)] = []
        if let l = root.list { schemas = l.map { (nil, $0) } }
        else if isSchema(root) { schemas = [(nil, root)] }
        else if let m = root.map { schemas = m.filter { isSchema($0.1) }.map { (Optional($0.0), $0.1) } }
        guard schemas.count <= PlanLimits.maxEvents else { throw PlanError("more than \(PlanLimits.maxEvents) schemas") }
        var plan = Plan()
        var seen = Set<String>()
        for (key, s) in schemas {
            let id = s["$id"]?.string ?? ""
            let title = s["title"]?.string ?? key ?? ""
            let at = "schema \(PlanFormat.quoted(title.isEmpty ? id : title))"
            if id.hasSuffix("/identify") || title.asciiLowercased == "identify" {
                plan.user = try propertySet(schema: s, at: at)
                continue
            }
            if id.hasSuffix("/group") || title.asciiLowercased == "group" {
                plan.groups.append(PlanGroupType(name: "group", properties: try propertySet(schema: s, at: at)))
                continue
            }
            if id.hasSuffix("/context") || id.hasSuffix("/page") || title.isEmpty { continue }
            try PlanFormat.checkName(title, "event")
            guard seen.insert(title).inserted else { continue }
            var e = PlanEvent(name: title, status: .live, description: s["description"]?.string)
            e.properties = try propertySet(schema: s, at: at)
            plan.events.append(e)
        }
        guard !plan.events.isEmpty || !plan.user.properties.isEmpty else { throw PlanError("no event schema found (each needs a \"title\")") }
        return plan
    }

    // MARK: Segment Protocols

    /// `{"display_name", "rules": {"events": [{name, description, rules: schema}], "identify": schema, "group": schema}}`.
    static func segmentConfig(_ root: PlanNode) throws(PlanError) -> Plan {
        guard let rules = root["rules"] else { throw PlanError("no rules") }
        var plan = Plan(name: root["display_name"]?.string ?? root["name"]?.string)
        let events = rules["events"]?.list ?? []
        guard events.count <= PlanLimits.maxEvents else { throw PlanError("more than \(PlanLimits.maxEvents) events") }
        for e in events {
            guard let name = e["name"]?.string else { throw PlanError("a Segment plan event has no name") }
            try PlanFormat.checkName(name, "event")
            if plan.events.contains(where: { $0.name == name }) { continue }
            var pe = PlanEvent(name: name, status: .live, description: e["description"]?.string)
            pe.properties = try propertySet(schema: e["rules"]?["properties"]?["properties"], at: "event \(PlanFormat.quoted(name))")
            plan.events.append(pe)
        }
        if let id = rules["identify"], id != .null {
            plan.user = try propertySet(schema: id["properties"]?["traits"], at: "identify")
        }
        if let g = rules["group"], g != .null {
            let set = try propertySet(schema: g["properties"]?["traits"], at: "group")
            if !set.properties.isEmpty { plan.groups.append(PlanGroupType(name: "group", properties: set)) }
        }
        return plan
    }

    /// Public API: `[{key, type: TRACK|IDENTIFY|GROUP|…, version, jsonSchema}]`.
    static func segmentPublic(_ rules: [PlanNode]) throws(PlanError) -> Plan {
        guard rules.count <= PlanLimits.maxEvents else { throw PlanError("more than \(PlanLimits.maxEvents) rules") }
        var plan = Plan()
        for r in rules {
            let type = r["type"]?.string?.asciiLowercased.uppercased() ?? "TRACK"
            let schema = r["jsonSchema"] ?? r["json_schema"]
            switch type {
            case "TRACK":
                guard let name = r["key"]?.string else { throw PlanError("a Segment TRACK rule has no key") }
                try PlanFormat.checkName(name, "event")
                if plan.events.contains(where: { $0.name == name }) { continue }
                var e = PlanEvent(name: name, status: .live, description: schema?["description"]?.string)
                e.properties = try propertySet(schema: schema?["properties"]?["properties"], at: "rule \(PlanFormat.quoted(name))")
                plan.events.append(e)
            case "IDENTIFY":
                plan.user = try propertySet(schema: schema?["properties"]?["traits"], at: "IDENTIFY rule")
            case "GROUP":
                let set = try propertySet(schema: schema?["properties"]?["traits"], at: "GROUP rule")
                if !set.properties.isEmpty { plan.groups.append(PlanGroupType(name: "group", properties: set)) }
            default: continue  // COMMON, PAGE, SCREEN: nothing Amplitude events carry
            }
        }
        return plan
    }

    // MARK: Avo

    static func avo(_ events: [PlanNode]) throws(PlanError) -> Plan {
        guard events.count <= PlanLimits.maxEvents else { throw PlanError("more than \(PlanLimits.maxEvents) events") }
        var plan = Plan()
        for e in events {
            guard let name = e["name"]?.string else { throw PlanError("an Avo event has no name") }
            try PlanFormat.checkName(name, "event")
            if plan.events.contains(where: { $0.name == name }) { continue }
            var pe = PlanEvent(name: name, status: .live, description: e["description"]?.string)
            var set = try propertySet(schema: e["rules"]?["properties"]?["properties"], at: "event \(PlanFormat.quoted(name))")
            // Avo marks its own bookkeeping properties; they are not sent by the app.
            set.properties.removeAll { p in
                e["rules"]?["properties"]?["properties"]?["properties"]?[p.name]?["isSystemProperty"]?.bool == true
            }
            pe.properties = set
            plan.events.append(pe)
        }
        return plan
    }

    // MARK: Amplitude Taxonomy API

    static func isTaxonomy(_ n: PlanNode) -> Bool {
        func isAnswer(_ x: PlanNode) -> Bool { x["success"] != nil && x["data"]?.list != nil }
        if isAnswer(n) { return true }
        if let l = n.list, !l.isEmpty, l.allSatisfy(isAnswer) { return true }
        if let m = n.map, !m.isEmpty, m.allSatisfy({ isAnswer($0.1) || $0.1.list != nil }),
           m.contains(where: { ["event", "events", "event-property", "event_properties", "user-property", "user_properties", "group-property"].contains($0.0) }) {
            return true
        }
        return false
    }

    static func taxonomy(_ root: PlanNode) throws(PlanError) -> Plan {
        var items: [PlanNode] = []
        func collect(_ x: PlanNode) {
            if let d = x["data"]?.list { items += d } else if let l = x.list { for e in l { collect(e) } } else if let m = x.map { for (_, v) in m { collect(v) } }
        }
        if root["success"]?.bool == false {
            let msg = root["errors"]?.list?.first?["message"]?.string ?? "unknown error"
            throw PlanError("the saved Taxonomy API answer is an error: \(Sanitize.inline(msg, limit: 120))")
        }
        collect(root)
        guard items.count <= PlanLimits.maxEvents * 10 else { throw PlanError("too many Taxonomy API items") }
        var plan = Plan()
        var groupIndex: [String: Int] = [:]
        var shared: [PlanProperty] = []
        for it in items {
            if let name = it["event_property"]?.string {
                let p = try taxonomyProperty(name, it)
                if let et = it["event_type"]?.string, !et.isEmpty {
                    let ei = try eventIndex(&plan, et)
                    if !plan.events[ei].properties.properties.contains(where: { $0.name == name }) { plan.events[ei].properties.properties.append(p) }
                } else {
                    // A shared property without an event: add it to every event that has none of that name (below).
                    shared.append(p)
                }
            } else if let name = it["user_property"]?.string {
                if it["deleted"]?.bool == true { continue }
                let clean = name.hasPrefix("gp:") ? String(name.dropFirst(3)) : name
                if !plan.user.properties.contains(where: { $0.name == clean }) { plan.user.properties.append(try taxonomyProperty(clean, it)) }
            } else if let name = it["group_property"]?.string {
                let gt = it["group_type"]?.string ?? "group"
                if groupIndex[gt] == nil { groupIndex[gt] = plan.groups.count; plan.groups.append(PlanGroupType(name: gt)) }
                plan.groups[groupIndex[gt]!].properties.properties.append(try taxonomyProperty(name, it))
            } else if let et = it["event_type"]?.string {
                let ei = try eventIndex(&plan, et)
                plan.events[ei].description = it["description"]?.string
                if it["is_active"]?.bool == false { plan.events[ei].status = .blocked }
            }
        }
        for s in shared {
            for i in plan.events.indices where !plan.events[i].properties.properties.contains(where: { $0.name == s.name }) {
                plan.events[i].properties.properties.append(s)
            }
        }
        return plan
    }

    static func eventIndex(_ plan: inout Plan, _ name: String) throws(PlanError) -> Int {
        if let i = plan.events.firstIndex(where: { $0.name == name }) { return i }
        try PlanFormat.checkName(name, "event")
        guard plan.events.count < PlanLimits.maxEvents else { throw PlanError("more than \(PlanLimits.maxEvents) events") }
        plan.events.append(PlanEvent(name: name, status: .live))
        return plan.events.count - 1
    }

    static func taxonomyProperty(_ name: String, _ it: PlanNode) throws(PlanError) -> PlanProperty {
        try PlanFormat.checkName(name, "property")
        var p = PlanProperty(name: name, required: it["is_required"]?.bool ?? false, description: it["description"]?.string)
        let isArray = it["is_array_type"]?.bool ?? false
        let t = it["type"]?.string?.asciiLowercased ?? "any"
        let base: PlanType = t == "enum" ? .string : (jsonType(t) ?? .any)
        if isArray { p.type = .array; p.itemType = base == .any ? nil : base } else { p.type = base }
        if let ev = it["enum_values"]?.string, !ev.isEmpty {
            p.enumValues = ev.split(separator: ",").map { .string(String($0).trimmingASCIISpaces) }
        }
        if let r = it["regex"]?.string, !r.isEmpty, PlanRegex.isValid(r) { p.regex = r }
        return p
    }

    // MARK: Amplitude Data CSV

    /// RFC 4180 rows (quoted fields, doubled quotes, CR LF or LF), bounded.
    public static func csvRows(_ text: String) throws(PlanError) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var afterQuote = false
        let bytes = Array(text.utf8)
        var i = 0
        func endField() { row.append(String(decoding: field, as: UTF8.self)); field.removeAll(keepingCapacity: true) }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") { field.append(b); i += 1 } else { inQuotes = false; afterQuote = true }
                } else { field.append(b) }
            } else if b == UInt8(ascii: ",") {
                endField(); afterQuote = false
            } else if b == 0x0A || b == 0x0D {
                if b == 0x0D, i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 1 }
                endField(); afterQuote = false
                if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }
                row = []
                guard rows.count <= 2_000_000 else { throw PlanError("the CSV has more than 2 million rows") }
            } else if b == UInt8(ascii: "\"") && field.isEmpty && !afterQuote {
                inQuotes = true
            } else {
                field.append(b)
            }
            i += 1
        }
        if inQuotes { throw PlanError("the CSV ends inside a quoted field") }
        if !field.isEmpty || !row.isEmpty { endField(); rows.append(row) }
        return rows
    }

    static func fromAmplitudeCSV(_ text: String) throws(PlanError) -> Plan {
        let rows = try csvRows(text)
        guard let header = rows.first else { throw PlanError("the CSV is empty") }
        // Column lookup ignoring case; the first of duplicated names wins (the user CSV repeats one).
        var col: [String: Int] = [:]
        for (i, h) in header.enumerated() {
            let k = h.trimmingASCIISpaces.asciiLowercased
            if col[k] == nil { col[k] = i }
        }
        func get(_ r: [String], _ name: String) -> String? {
            guard let i = col[name], i < r.count else { return nil }
            let v = r[i].trimmingASCIISpaces
            return v.isEmpty ? nil : v
        }
        func truthy(_ s: String?) -> Bool { s.map { ["true", "yes", "1"].contains($0.asciiLowercased) } ?? false }
        func property(_ r: [String], name: String) throws(PlanError) -> PlanProperty {
            try PlanFormat.checkName(name, "property")
            var p = PlanProperty(name: name, required: truthy(get(r, "property required")), description: get(r, "property description"))
            let vt = get(r, "property value type")?.asciiLowercased ?? "any"
            var base: PlanType = vt == "enum" || vt == "const" ? .string : (jsonType(vt) ?? .any)
            if base == .number && truthy(get(r, "number is integer")) { base = .integer }
            if truthy(get(r, "property is array")) { p.type = .array; p.itemType = base == .any ? nil : base } else { p.type = base }
            if let ev = get(r, "enum values") {
                let values = ev.split(separator: ",").map { String($0).trimmingASCIISpaces }
                guard values.count <= PlanLimits.maxEnumValues else { throw PlanError("property \(PlanFormat.quoted(name)): too many enum values") }
                p.enumValues = values.map { base == .number || base == .integer ? (Double($0).map(PlanScalar.number) ?? .string($0)) : .string($0) }
            }
            if let c = get(r, "const value") { p.enumValues = [.string(c)] }
            if let re = get(r, "property regex"), PlanRegex.isValid(re) { p.regex = re }
            p.min = get(r, "number property value min").flatMap { Double($0) }
            p.max = get(r, "number property value max").flatMap { Double($0) }
            return p
        }
        var plan = Plan()
        if col["object type"] != nil || col["object name"] != nil {
            var current: Int?
            for r in rows.dropFirst() {
                let objectType = get(r, "object type")?.asciiLowercased
                if objectType == "event" || (objectType == nil && get(r, "object name") != nil && get(r, "event property name") == nil) {
                    guard let name = get(r, "object name") else { throw PlanError("an Event row has no Object Name") }
                    let ei = try eventIndex(&plan, name)
                    current = ei
                    plan.events[ei].description = get(r, "object description")
                    let status = get(r, "event schema status")?.asciiLowercased
                    let action = get(r, "action")?.asciiLowercased
                    let active = get(r, "event activity")?.asciiLowercased
                    if status == "planned" { plan.events[ei].status = .planned }
                    if active == "inactive" || action == "remove" { plan.events[ei].status = .blocked }
                    if status == "unexpected" && action == "ignore" { plan.events[ei].status = .deprecated }
                } else if let pname = get(r, "event property name") {
                    if objectType == "property group" { continue }
                    // Property rows follow their Event row; a row naming its event is honoured too.
                    let ei: Int
                    if let owner = get(r, "object name"), objectType != nil && objectType != "event" { ei = try eventIndex(&plan, owner) }
                    else if let c = current { ei = c }
                    else { throw PlanError("an event property row comes before any Event row") }
                    guard plan.events[ei].properties.properties.count < PlanLimits.maxPropertiesPerSet else { throw PlanError("too many properties") }
                    if !plan.events[ei].properties.properties.contains(where: { $0.name == pname }) {
                        plan.events[ei].properties.properties.append(try property(r, name: pname))
                    }
                }
            }
        } else if col["property name"] != nil {
            for r in rows.dropFirst() {
                guard let name = get(r, "property name") else { continue }
                if get(r, "action")?.asciiLowercased == "remove" { continue }
                let clean = name.hasPrefix("gp:") ? String(name.dropFirst(3)) : name
                guard plan.user.properties.count < PlanLimits.maxPropertiesPerSet else { throw PlanError("too many user properties") }
                if !plan.user.properties.contains(where: { $0.name == clean }) { plan.user.properties.append(try property(r, name: clean)) }
            }
        } else {
            throw PlanError("the CSV has neither an \"Object Name\" nor a \"Property Name\" column (Amplitude Data's export)")
        }
        return plan
    }
}
