/// Amplitude (Actions): the default presets and actions of `action-destinations`
/// (segment-wire.md §3). Each function returns the requests the action's `perform` sends.
enum ActionsMapping {
    /// A default field mapping: Amplitude field ← Segment path(s), first existing wins.
    struct Field {
        let name: String
        let paths: [[String]]
        init(_ name: String, _ paths: [String]...) {
            self.name = name
            self.paths = paths
        }
    }

    /// `event-schema.ts` defaults shared by Log Event V2 and Log Purchase, in field order.
    /// (event_type, session_id, time and user_properties are handled apart.)
    static let eventIdentityFields = [
        Field("user_id", ["userId"]),
        Field("device_id", ["context", "device", "id"], ["anonymousId"]),
    ]
    static let eventContextFields = [
        Field("app_version", ["context", "app", "version"]),
        Field("platform", ["context", "device", "type"]),
        Field("os_name", ["context", "os", "name"]),
        Field("os_version", ["context", "os", "version"]),
        Field("device_brand", ["context", "device", "brand"]),
        Field("device_manufacturer", ["context", "device", "manufacturer"]),
        Field("device_model", ["context", "device", "model"]),
        Field("carrier", ["context", "network", "carrier"]),
        Field("country", ["context", "location", "country"]),
        Field("region", ["context", "location", "region"]),
        Field("city", ["context", "location", "city"]),
        Field("language", ["context", "locale"]),
    ]
    static let eventLocationFields = [
        Field("location_lat", ["context", "location", "latitude"]),
        Field("location_lng", ["context", "location", "longitude"]),
        Field("ip", ["context", "ip"]),
        Field("idfa", ["context", "device", "advertisingId"], ["context", "device", "idfa"]),
        Field("idfv", ["context", "device", "id"]),
        Field("adid", ["context", "device", "advertisingId"], ["context", "device", "idfa"]),
    ]
    /// Identify User's context fields (the identify API's device fields; UNCONFIRMED beyond the facts).
    static let identifyContextFields = eventContextFields
    /// Revenue fields read from `properties` (Log Purchase); Log Event V2 never sends them.
    static let revenueKeys = ["price", "quantity", "revenue", "productId", "revenueType"]
    /// `setOnce` / `setAlways` defaults of Log Event V2: key ← path.
    static let referrerAndUTM: [(key: String, path: [String])] = [
        ("referrer", ["context", "page", "referrer"]),
        ("utm_source", ["context", "campaign", "source"]),
        ("utm_medium", ["context", "campaign", "medium"]),
        ("utm_campaign", ["context", "campaign", "name"]),
        ("utm_term", ["context", "campaign", "term"]),
        ("utm_content", ["context", "campaign", "content"]),
    ]

    static func map(_ c: SegmentCallInput, _ s: SegmentSettings, template: Capture) -> MappedCall {
        let a = s.actions
        switch c.type {
        case .track:
            let isOrder = c.string(["event"]) == "Order Completed"
            if isOrder {
                guard a.orderCompletedPreset else { return MappedCall(notSent: "the Order Completed Calls preset (Log Purchase) is off") }
                return MappedCall(requests: logPurchase(c, s, template: template))
            }
            guard a.trackPreset else { return MappedCall(notSent: "the Track Calls preset (Log Event V2) is off") }
            return MappedCall(requests: [logEventV2(c, s, template: template)])
        case .page, .screen:
            guard c.type == .page ? a.pagePreset : a.screenPreset else {
                return MappedCall(notSent: "the \(c.type == .page ? "Page" : "Screen") Calls preset is off")
            }
            return MappedCall(requests: [logEventV2(c, s, template: template)])
        case .identify:
            guard a.identifyPreset else { return MappedCall(notSent: "the Identify Calls preset (Identify User) is off") }
            return MappedCall(requests: [identifyUser(c, s, template: template)])
        case .group:
            guard let type = a.groupType, let value = a.groupValue else {
                return MappedCall(notSent: "Amplitude (Actions) has no preset for group calls: add a Group Identify User mapping (settings: actions.group_identify)")
            }
            return MappedCall(requests: groupIdentifyUser(c, s, type: type, value: value, template: template))
        case .alias:
            guard a.mapUser else {
                return MappedCall(notSent: "Amplitude (Actions) has no preset for alias calls: add a Map User mapping (settings: actions.map_user)")
            }
            return MappedCall(requests: [mapUser(c, s, template: template)])
        }
    }

    // MARK: Shared pieces

    static func apply(_ fields: [Field], _ c: SegmentCallInput, into e: inout RecordBuilder) {
        for f in fields {
            for p in f.paths {
                // `@if exists … then … else …`: the first that exists (not undefined, not null).
                if let v = f.paths.count > 1 ? c.existing(p) : c.value(p) {
                    e.set(f.name, v.value, from: v.pointer)
                    break
                }
            }
        }
    }

    /// `options` of the JSON actions: `{min_id_length}` when it is above 0, else absent.
    static func jsonOptions(_ a: ActionsSettings) -> MappedValue? {
        guard let m = a.minIdLength, m > 0 else { return nil }
        return .object([MappedMember("min_id_length", .int(Int64(m)))])
    }

    /// `options` of the form actions: the JSON, or the literal `undefined` (URLSearchParams of an undefined value).
    static func formOptions(_ a: ActionsSettings) -> String {
        guard let m = a.minIdLength, m > 0 else { return "undefined" }
        return #"{"min_id_length":\#(m)}"#
    }

    /// `session_id` from `integrations["Actions Amplitude"].session_id`: an all-digit string
    /// becomes a number, another string a parsed date in ms (null when unreadable), numbers
    /// pass unchanged, so seconds stay seconds (`convert-timestamp.ts`).
    static func sessionID(_ c: SegmentCallInput, into e: inout RecordBuilder) {
        guard let v = c.value(["integrations", "Actions Amplitude", "session_id"]) else { return }
        switch v.value.resolved {
        case .string(let s) where !s.isEmpty && s.allSatisfy(\.isASCIIDigit):
            e.set("session_id", .double(Double(s) ?? 0), from: v.pointer, note: "digit string → number")
        case .string(let s):
            e.set("session_id", Timestamp.parseISO8601(s).map { .int($0) } ?? .null, from: v.pointer, note: "date string → ms (null when unreadable)")
        default:
            e.set("session_id", v.value, from: v.pointer, note: "passed unconverted")
        }
    }

    static let uaNote = "parsed from context.userAgent (userAgentParsing)"
    static let uaMajorNote = uaNote + ": the browser's major version"

    /// User agent parsing (`userAgentParsing`, on by default) and `includeRawUserAgent`.
    static func userAgentFields(_ c: SegmentCallInput, _ a: ActionsSettings, into e: inout RecordBuilder) {
        if a.userAgentParsing, let ua = c.value(["context", "userAgent"]), let text = ua.value.stringValue {
            let info = c.userAgents.info(text)
            let data = c.value(["context", "userAgentData", "platformVersion"])
            let model = c.value(["context", "userAgentData", "model"])
            e.set("os_name", (info.osName ?? info.browserName).map(MappedValue.string), from: ua.pointer, note: uaNote)
            if let data { e.set("os_version", data.value, from: data.pointer, note: "userAgentData.platformVersion") } else {
                e.set("os_version", info.browserMajor.map(MappedValue.string), from: ua.pointer, note: uaMajorNote)
            }
            e.set("device_manufacturer", info.deviceVendor.map(MappedValue.string), from: ua.pointer, note: uaNote)
            if let model, model.value.isTruthy { e.set("device_model", model.value, from: model.pointer, note: "userAgentData.model") } else {
                e.set("device_model", (info.deviceModel ?? info.osName).map(MappedValue.string), from: ua.pointer, note: uaNote)
            }
            e.set("device_type", info.deviceType.map(MappedValue.string), from: ua.pointer, note: uaNote)
        }
        if a.includeRawUserAgent, let ua = c.value(["context", "userAgent"]) {
            e.set("user_agent", ua.value, from: ua.pointer, note: "includeRawUserAgent")
        }
    }

    /// The event fields every event action maps, in `event-schema.ts` order.
    static func eventFields(_ c: SegmentCallInput, _ a: ActionsSettings, eventType: (MappedValue, LazyPointer?, String?)?,
                            into e: inout RecordBuilder) {
        apply(eventIdentityFields, c, into: &e)
        if let et = eventType { e.set("event_type", et.0, from: et.1, note: et.2) }
        sessionID(c, into: &e)
        e.set("time", .int(c.timeMs), from: c.timeSource, note: c.timeNote)
        e.copy("event_properties", c, ["properties"])
        if let up = c.value(a.userPropertiesPath) {
            e.set("user_properties", up.value, from: up.pointer, note: a.userPropertiesPath == ["traits"] ? nil : "user_properties mapped to $.\(a.userPropertiesPath.joined(separator: "."))")
        }
        apply(eventContextFields, c, into: &e)
    }

    /// Platform normalisation of the event actions: `ios` → iOS, `android` → Android, `Web` for analytics.js.
    static func normalisePlatform(_ c: SegmentCallInput, into e: inout RecordBuilder) {
        if let p = e["platform"]?.stringValue {
            let lower = p.asciiLowercased
            if lower.contains("ios") { e.set("platform", .string("iOS"), from: c.pointer(["context", "device", "type"]), note: "normalised") }
            if lower.contains("android") { e.set("platform", .string("Android"), from: c.pointer(["context", "device", "type"]), note: "normalised") }
        } else if e["platform"] == nil, c.string(["context", "library", "name"]) == "analytics.js" {
            e.set("platform", .string("Web"), from: c.pointer(["context", "library", "name"]), note: "Web for analytics.js")
        }
    }

    /// `$set` / `$setOnce` built from `referrerAndUTM`: the key in the object and the field
    /// the provenance names, worked out once (they were a String pair per value per call).
    struct UTMTarget {
        let keys: [String]
        let fields: [String]
        init(prefix: String, field: String) {
            keys = ActionsMapping.referrerAndUTM.map { prefix + $0.key }
            fields = keys.map { field + "/" + JSONPointer.escape($0) }
        }
    }
    static let utmSet = UTMTarget(prefix: "", field: "user_properties/$set")
    static let utmSetOnce = UTMTarget(prefix: "initial_", field: "user_properties/$setOnce")

    /// An object of mapped values with empty strings and absent values left out (`compact.ts`).
    static func compactObject(_ found: [(entry: Int, value: MappedValue, pointer: LazyPointer)], _ target: UTMTarget,
                              into e: inout RecordBuilder) -> MappedValue? {
        var o = MappedObject()
        for (i, v, pointer) in found {
            guard !v.isEmptyString else { continue }
            o[target.keys[i]] = v
            e.note(target.fields[i], from: pointer)
        }
        return o.isEmpty ? nil : o.value
    }

    /// The values of `referrerAndUTM` the call has, looked up once for both objects built from them.
    static func lookUpUTM(_ c: SegmentCallInput) -> [(entry: Int, value: MappedValue, pointer: LazyPointer)] {
        referrerAndUTM.indices.compactMap { i in c.value(referrerAndUTM[i].path).map { (i, $0.value, $0.pointer) } }
    }

    static func library(_ c: SegmentCallInput, into e: inout RecordBuilder) {
        // `library2` maps $.context.library.name (since 09559bb2); "segment" when it is absent (UNCONFIRMED).
        if let v = c.value(["context", "library", "name"]) {
            e.set("library", v.value, from: v.pointer, note: "library2 mapping")
        } else {
            e.set("library", .string("segment"), from: nil, note: "constant")
        }
    }

    static func eventType(_ c: SegmentCallInput) -> (MappedValue, LazyPointer?, String?)? {
        switch c.type {
        case .page, .screen:
            let name = c.value(["name"])
            return (.string("Viewed " + (name?.value.stringValue ?? "")), name?.pointer ?? c.pointer(["name"]), "template 'Viewed {{name}}'")
        default:
            guard let v = c.value(["event"]) else { return nil }
            return (v.value, v.pointer, nil)
        }
    }

    static func jsonRequest(_ action: String, _ c: SegmentCallInput, _ s: SegmentSettings, events: [RecordBuilder],
                            template: Capture) -> MappedRequest {
        let a = s.actions
        let endpoint: Endpoint = a.useBatchEndpoint ? .batch : .httpV2
        let body = MappedWire.jsonEvents(apiKey: s.apiKey, events: events, options: jsonOptions(a))
        let log = MappedProvenance.request(records: events.enumerated().map { ("/events/\($0.offset)", $0.element.provenance) })
        return MappedRequest(destination: .actions, action: action, callIndex: c.view.index, endpoint: endpoint,
                             url: MappedWire.host(a.region) + endpoint.rawValue,
                             capture: MappedWire.capture(template, path: endpoint.rawValue, contentType: "application/json", body: body),
                             log: log)
    }

    static func formRequest(_ action: String, _ c: SegmentCallInput, _ s: SegmentSettings, endpoint: Endpoint,
                            fields: [(String, String)], records: [(pointer: String, record: RecordBuilder)], template: Capture) -> MappedRequest {
        let log = MappedProvenance.request(records: records.map { ($0.pointer, $0.record.provenance) })
        return MappedRequest(destination: .actions, action: action, callIndex: c.view.index, endpoint: endpoint,
                             url: MappedWire.host(s.actions.region, usermap: endpoint == .usermap) + endpoint.rawValue,
                             capture: MappedWire.capture(template, path: endpoint.rawValue, contentType: "application/x-www-form-urlencoded",
                                                         body: MappedWire.form([("api_key", s.apiKey)] + fields)),
                             log: log)
    }

    // MARK: Actions

    /// Log Event V2 (`logEventV2/index.ts`): track (not Order Completed), page and screen presets.
    static func logEventV2(_ c: SegmentCallInput, _ s: SegmentSettings, template: Capture) -> MappedRequest {
        let a = s.actions
        var e = RecordBuilder()
        userAgentFields(c, a, into: &e)
        eventFields(c, a, eventType: eventType(c), into: &e)
        apply(eventLocationFields, c, into: &e)
        // products: `@arrayPath ['$.properties.products', {price, revenue, quantity, productId, revenueType}]`,
        // spread into the event (segment-wire.md §3; from reading the code).
        if let p = c.value(["properties", "products"]), let items = p.value.elements {
            let products = items.map { item -> MappedValue in
                var o = MappedObject()
                for k in revenueKeys where item[k] != nil { o[k] = item[k] }
                return o.value
            }
            e.set("products", .array(products), from: p.pointer, note: "Products mapping (@arrayPath)")
        }
        // The use_batch_endpoint mapping field leaks into the event (amplitude.test.ts key set).
        e.set("use_batch_endpoint", .bool(a.useBatchEndpoint), from: nil, note: "the action's use_batch_endpoint field, left in the event")
        normalisePlatform(c, into: &e)
        // user_properties = {...user_properties, $setOnce, $set, $add} with the non-empty operator objects.
        var ops = RecordBuilder()
        let found = lookUpUTM(c)
        let setOnce = compactObject(found, utmSetOnce, into: &ops)
        let setAlways = compactObject(found, utmSet, into: &ops)
        if setOnce != nil || setAlways != nil {
            var up = MappedObject()
            if let traits = e["user_properties"]?.members { up.members = traits }
            up["$setOnce"] = setOnce
            up["$set"] = setAlways
            e.set("user_properties", up.value, from: e.source(of: "user_properties"), note: "traits with $setOnce/$set from context.page.referrer and context.campaign (Set Once / Set Always)")
            e.provenance += ops.provenance
        }
        library(c, into: &e)
        return jsonRequest("Log Event V2", c, s, events: [e], template: template)
    }

    /// v1-style user properties (`utm.ts`, `referrer.ts`, `merge-user-properties.ts`):
    /// `{$set:{utm_*, referrer}, $setOnce:{initial_utm_*, initial_referrer}, ...traits}`.
    static func mergeUTM(_ c: SegmentCallInput, traits: MappedValue?, traitsFrom: LazyPointer?, into e: inout RecordBuilder) {
        var ops = RecordBuilder()
        let found = lookUpUTM(c)
        let set = compactObject(found, utmSet, into: &ops)
        let setOnce = compactObject(found, utmSetOnce, into: &ops)
        guard set != nil || setOnce != nil else {
            e.set("user_properties", traits, from: traitsFrom)
            return
        }
        var up = MappedObject()
        up["$set"] = set
        up["$setOnce"] = setOnce
        for m in traits?.members ?? [] { up[m.key] = m.value }
        e.set("user_properties", up.value, from: traitsFrom, note: "traits merged with $set/$setOnce from context.campaign and context.page.referrer")
        e.provenance += ops.provenance
    }

    /// `getRevenueProperties`: revenue = price × quantity when both are numbers, else revenue;
    /// nothing when that is falsy; revenueType defaults to Purchase; quantity rounded.
    static func revenueProperties(_ source: MappedValue?, from pointer: LazyPointer, into e: inout RecordBuilder) {
        guard let source else { return }
        var revenue = source["revenue"]
        var note: String?
        if let p = source["price"]?.numberValue, let q = source["quantity"]?.numberValue {
            revenue = .double(p * q)
            note = "price × quantity"
        }
        guard let revenue, revenue.isTruthy else { return }
        e.set("revenue", revenue, from: pointer.appending(note == nil ? "revenue" : "price"), note: note)
        e.set("revenueType", source["revenueType"] ?? .string("Purchase"), from: source["revenueType"] == nil ? nil : pointer.appending("revenueType"),
              note: source["revenueType"] == nil ? "default 'Purchase'" : nil)
        if let q = source["quantity"]?.numberValue { e.set("quantity", .double(q.rounded()), from: pointer.appending("quantity"), note: "rounded") }
        if let p = source["price"] { e.set("price", p, from: pointer.appending("price")) }
        if let id = source["productId"] { e.set("productId", id, from: pointer.appending("productId")) }
    }

    /// Log Purchase (`logPurchase/index.ts`): the Order Completed event, then one
    /// `Product Purchased` event per product, all in one request.
    static func logPurchase(_ c: SegmentCallInput, _ s: SegmentSettings, template: Capture) -> [MappedRequest] {
        let a = s.actions
        var base = RecordBuilder()
        userAgentFields(c, a, into: &base)
        eventFields(c, a, eventType: eventType(c), into: &base)
        apply(eventLocationFields, c, into: &base)
        base.set("use_batch_endpoint", .bool(a.useBatchEndpoint), from: nil, note: "the action's use_batch_endpoint field, left in the event (UNCONFIRMED for Log Purchase)")
        normalisePlatform(c, into: &base)
        let traits = base["user_properties"]
        let traitsFrom = base.source(of: "user_properties")
        base.remove("user_properties")
        mergeUTM(c, traits: traits, traitsFrom: traitsFrom, into: &base)
        var products: [(MappedValue, LazyPointer)] = []
        if let p = c.value(["properties", "products"]), let items = p.value.elements {
            products = items.enumerated().map { ($0.element, p.pointer.appending($0.offset)) }
        }
        var main = base
        library(c, into: &main)
        if products.isEmpty || !a.trackRevenuePerProduct, let props = c.value(["properties"]) {
            revenueProperties(props.value, from: props.pointer, into: &main)
        }
        var events = [main]
        for (product, pointer) in products {
            var e = base
            if a.trackRevenuePerProduct { revenueProperties(product, from: pointer, into: &e) }
            e.set("event_properties", product, from: pointer)
            e.set("event_type", .string("Product Purchased"), from: nil, note: "one event per product")
            e.set("library", .string("segment"), from: nil, note: "constant")
            events.append(e)
        }
        return [jsonRequest("Log Purchase", c, s, events: events, template: template)]
    }

    /// Identify User (`identifyUser/index.ts`): form POST to /identify with one identification
    /// object and `options` (the literal `undefined` when min_id_length is unset).
    static func identifyUser(_ c: SegmentCallInput, _ s: SegmentSettings, template: Capture) -> MappedRequest {
        let a = s.actions
        var e = RecordBuilder()
        userAgentFields(c, a, into: &e)
        apply(eventIdentityFields, c, into: &e)
        let traits = c.value(["traits"])
        mergeUTM(c, traits: traits?.value, traitsFrom: traits?.pointer, into: &e)
        apply(identifyContextFields, c, into: &e)
        e.set("library", .string("segment"), from: nil, note: "constant")
        let fields = [("identification", e.value.jsonText), ("options", formOptions(a))]
        return formRequest("Identify User", c, s, endpoint: .identify, fields: fields, records: [("/identification", e)], template: template)
    }

    static func resolve(_ spec: SegmentValueSpec, _ c: SegmentCallInput) -> (value: String, pointer: LazyPointer?)? {
        switch spec {
        case .literal(let s): return (s, nil)
        case .path(let p):
            guard let v = c.value(p) else { return nil }
            switch v.value.resolved {
            case .string(let s): return (s, v.pointer)
            case .number(let t): return (t, v.pointer)
            default: return nil
            }
        }
    }

    /// Group Identify User (`groupIdentifyUser/index.ts`): /identify (when there is an id),
    /// then /groupidentify, both form posts with JSON arrays.
    static func groupIdentifyUser(_ c: SegmentCallInput, _ s: SegmentSettings, type: SegmentValueSpec, value: SegmentValueSpec,
                                  template: Capture) -> [MappedRequest] {
        let a = s.actions
        let t = resolve(type, c)
        let v = resolve(value, c)
        var out: [MappedRequest] = []
        var ident = RecordBuilder()
        apply(eventIdentityFields, c, into: &ident)
        if ident["user_id"] != nil || ident["device_id"] != nil {
            var sorted = RecordBuilder()
            sorted.set("device_id", ident["device_id"], from: ident.source(of: "device_id"))
            if let t, let v {
                sorted.set("groups", .object([MappedMember(t.value, .string(v.value))]), from: v.pointer ?? t.pointer, note: "{group_type: group_value}")
            }
            sorted.set("library", .string("segment"), from: nil, note: "constant")
            sorted.set("time", .int(c.timeMs), from: c.timeSource, note: c.timeNote)
            sorted.set("user_id", ident["user_id"], from: ident.source(of: "user_id"))
            if let t, let v {
                sorted.set("user_properties", .object([MappedMember(t.value, .string(v.value))]), from: v.pointer ?? t.pointer, note: "{group_type: group_value}")
            }
            out.append(formRequest("Group Identify User", c, s, endpoint: .identify,
                                   fields: [("identification", MappedValue.array([sorted.value]).jsonText), ("options", formOptions(a))],
                                   records: [("/identification/0", sorted)], template: template))
        }
        var g = RecordBuilder()
        g.copy("group_properties", c, ["traits"])
        if let v { g.set("group_value", .string(v.value), from: v.pointer, note: v.pointer == nil ? "literal" : nil) }
        if let t { g.set("group_type", .string(t.value), from: t.pointer, note: t.pointer == nil ? "literal" : nil) }
        g.set("library", .string("segment"), from: nil, note: "constant")
        out.append(formRequest("Group Identify User", c, s, endpoint: .groupIdentify,
                               fields: [("identification", MappedValue.array([g.value]).jsonText), ("options", formOptions(a))],
                               records: [("/identification/0", g)], template: template))
        return out
    }

    /// Map User (`mapUser/index.ts`): /usermap with `mapping=[{user_id, global_user_id}]`; options only when set.
    static func mapUser(_ c: SegmentCallInput, _ s: SegmentSettings, template: Capture) -> MappedRequest {
        var m = RecordBuilder()
        m.copy("user_id", c, ["previousId"])
        m.copy("global_user_id", c, ["userId"])
        if let min = s.actions.minIdLength, min > 0 { m.set("min_id_length", .int(Int64(min)), from: nil, note: "min_id_length setting") }
        var fields = [("mapping", MappedValue.array([m.value]).jsonText)]
        if let min = s.actions.minIdLength, min > 0 { fields.append(("options", #"{"min_id_length":\#(min)}"#)) }
        return formRequest("Map User", c, s, endpoint: .usermap, fields: fields, records: [("/mapping/0", m)], template: template)
    }
}

extension Character {
    var isASCIIDigit: Bool { asciiValue.map { $0 >= 48 && $0 <= 57 } ?? false }
}
