/// The classic Amplitude destination (segment-wire.md §2): its cloud-mode code is closed, so
/// this follows seed 002, the device-mode integration and the archived 2017 server integration
/// (`lib/mapper.js`). Events go one per request to V1 `/httpapi` (or JSON to `/batch` with
/// "Send To Batch Endpoint"); identify and group to `/identify`; alias to `/usermap`.
enum ClassicMapping {
    static func map(_ c: SegmentCallInput, _ s: SegmentSettings, template: Capture) -> MappedCall {
        let k = s.classic
        switch c.type {
        case .track:
            return MappedCall(requests: track(c, s, template: template))
        case .page, .screen:
            let name = c.string(["name"]).flatMap { $0.isEmpty ? nil : $0 }
            let category = c.string(["category"]).flatMap { $0.isEmpty ? nil : $0 }
            guard k.trackAllPages || (k.trackCategorizedPages && category != nil) || (k.trackNamedPages && name != nil) else {
                return MappedCall(notSent: "the classic destination sends a \(c.type.rawValue) call only with Track All Pages, or Track Named Pages with a name, or Track Categorized Pages with a category")
            }
            return MappedCall(requests: [page(c, s, name: name, category: category, template: template)])
        case .identify:
            return MappedCall(requests: [identify(c, s, template: template)])
        case .group:
            return MappedCall(requests: group(c, s, template: template))
        case .alias:
            guard k.enableAlias else { return MappedCall(notSent: "Enable Alias is off, so the classic destination rejects alias calls") }
            return MappedCall(requests: [alias(c, s, template: template)])
        }
    }

    // MARK: Common fields (mapper.js common())

    static func deviceID(_ c: SegmentCallInput, _ k: ClassicSettings, into e: inout RecordBuilder) {
        let order: [[String]] = k.preferAnonymousIdForDeviceId ? [["anonymousId"], ["context", "device", "id"]] : [["context", "device", "id"], ["anonymousId"]]
        for p in order {
            if let v = c.existing(p) {
                e.set("device_id", v.value, from: v.pointer, note: k.preferAnonymousIdForDeviceId ? "Prefer Anonymous ID for Device ID" : nil)
                return
            }
        }
    }

    static let copied: [(String, [String])] = [
        ("app_version", ["context", "app", "version"]),
        ("os_name", ["context", "os", "name"]),
        ("os_version", ["context", "os", "version"]),
        ("carrier", ["context", "network", "carrier"]),
        ("device_model", ["context", "device", "model"]),
        ("device_brand", ["context", "device", "brand"]),
        ("device_manufacturer", ["context", "device", "manufacturer"]),
        ("location_lat", ["context", "location", "latitude"]),
        ("location_lng", ["context", "location", "longitude"]),
        ("ip", ["context", "ip"]),
    ]

    /// The `integrations.Amplitude` object (options per call).
    static func option(_ c: SegmentCallInput, _ names: String...) -> (value: MappedValue, pointer: LazyPointer)? {
        for n in names { if let v = c.value(["integrations", "Amplitude", n]) { return v } }
        return nil
    }

    static func common(_ c: SegmentCallInput, _ s: SegmentSettings, into e: inout RecordBuilder) {
        let k = s.classic
        e.copy("user_id", c, ["userId"])
        deviceID(c, k, into: &e)
        e.set("time", .int(c.timeMs), from: c.timeSource, note: c.timeNote)
        e.set("library", .string("segment"), from: nil, note: "constant")
        for (field, path) in copied { e.copy(field, c, path) }
        if let loc = c.value(["context", "locale"]), let text = loc.value.stringValue {
            let (language, country) = LocaleNames.split(text)
            e.set("language", language.map(MappedValue.string), from: loc.pointer, note: "language name from the locale")
            e.set("country", country.map(MappedValue.string), from: loc.pointer, note: "country name from the locale")
        }
        for f in ["country", "city", "region"] { e.copy(f, c, ["context", "location", f]) }
        // Advertising id by OS: idfa on iOS, adid on Android.
        if let ad = c.existing(["context", "device", "advertisingId"]) ?? c.existing(["context", "device", "idfa"]) {
            let os = (c.string(["context", "os", "name"]) ?? "").asciiLowercased
            if os.contains("ios") { e.set("idfa", ad.value, from: ad.pointer) } else if os.contains("android") { e.set("adid", ad.value, from: ad.pointer) }
        }
        // Platform from the library, else the device type or the OS.
        let lib = c.string(["context", "library", "name"])
        let libPointer = c.pointer(["context", "library", "name"])
        switch lib {
        case "analytics.js": e.set("platform", .string("Web"), from: libPointer, note: "from the library")
        case "analytics-ios": e.set("platform", .string("iOS"), from: libPointer, note: "from the library")
        case "analytics-android": e.set("platform", .string("Android"), from: libPointer, note: "from the library")
        default:
            if let v = c.value(["context", "device", "type"]) ?? c.value(["context", "os", "name"]) { e.set("platform", v.value, from: v.pointer) }
        }
        // analytics.js events: browser as os, OS as device model (ua-parser).
        if lib == "analytics.js", let ua = c.value(["context", "userAgent"]), let text = ua.value.stringValue {
            let info = c.userAgents.info(text)
            let note = "user agent override for analytics.js"
            e.set("os_name", info.browserName.map(MappedValue.string), from: ua.pointer, note: note)
            e.set("os_version", info.browserMajor.map(MappedValue.string), from: ua.pointer, note: note)
            e.set("device_model", info.osName.map(MappedValue.string), from: ua.pointer, note: note)
        }
        if let v = option(c, "session_id", "sessionId") { e.set("session_id", v.value, from: v.pointer, note: "passed unconverted") }
        if let v = option(c, "event_id", "eventId") { e.set("event_id", v.value, from: v.pointer) }
    }

    /// `context.traits` (or `traits`) with `id` = userId and `address` removed (facade `traits()`),
    /// plus `integrations.Amplitude.groups` merged in.
    static func userTraits(_ c: SegmentCallInput, from path: [String]) -> (MappedObject, LazyPointer?) {
        var o = MappedObject()
        let t = c.value(path)
        for m in t?.value.members ?? [] where m.key != "address" { o[m.key] = m.value }
        if let uid = c.value(["userId"]) { o["id"] = uid.value }
        if let g = option(c, "groups"), let members = g.value.members { for m in members { o[m.key] = m.value } }
        return (o, t?.pointer)
    }

    static func groups(_ c: SegmentCallInput, into e: inout RecordBuilder) {
        if let g = option(c, "groups") { e.set("groups", g.value, from: g.pointer) }
    }

    // MARK: Requests

    static func eventRequest(_ c: SegmentCallInput, _ s: SegmentSettings, _ action: String, _ e: RecordBuilder, template: Capture) -> MappedRequest {
        let k = s.classic
        if k.useBatchEndpoint {
            let body = MappedWire.jsonEvents(apiKey: s.apiKey, events: [e], options: nil)
            return MappedRequest(destination: .classic, action: action, callIndex: c.view.index, endpoint: .batch,
                                 url: MappedWire.host(k.region) + "/batch",
                                 capture: MappedWire.capture(template, path: "/batch", contentType: "application/json", body: body),
                                 log: .request(records: [("/events/0", e.provenance)]))
        }
        let prov = MappedProvenance.request(records: [("/event", e.provenance)])
        let body = MappedWire.form([("api_key", s.apiKey), ("event", e.value.jsonText)])
        return MappedRequest(destination: .classic, action: action, callIndex: c.view.index, endpoint: .httpV1,
                             url: MappedWire.host(k.region, usermap: true) + "/httpapi",
                             capture: MappedWire.capture(template, path: "/httpapi", contentType: "application/x-www-form-urlencoded", body: body), log: prov)
    }

    static func formRequest(_ c: SegmentCallInput, _ s: SegmentSettings, _ action: String, endpoint: Endpoint, field: String,
                            _ value: MappedValue, _ records: [(String, RecordBuilder)], template: Capture) -> MappedRequest {
        let prov = MappedProvenance.request(records: records.map { ($0.0, $0.1.provenance) })
        let body = MappedWire.form([("api_key", s.apiKey), (field, value.jsonText)])
        return MappedRequest(destination: .classic, action: action, callIndex: c.view.index, endpoint: endpoint,
                             url: MappedWire.host(s.classic.region, usermap: true) + endpoint.rawValue,
                             capture: MappedWire.capture(template, path: endpoint.rawValue, contentType: "application/x-www-form-urlencoded", body: body),
                             log: prov)
    }

    /// `track.revenue()`: a number, or a string with an optional `$` parsed as one; Order
    /// Completed falls back to `total` (facade `lib/track.js`).
    static func revenue(_ props: MappedValue?, event: String?) -> (MappedValue, String)? {
        func read(_ key: String) -> MappedValue? {
            guard let v = props?[key] else { return nil }
            switch v.resolved {
            case .number: return v
            case .string(let s):
                let t = s.hasPrefix("$") ? String(s.dropFirst()) : s
                return Double(t).map(MappedValue.double)
            default: return nil
            }
        }
        if let r = read("revenue") { return (r, "revenue") }
        if event == "Order Completed", let t = read("total") { return (t, "total") }
        return nil
    }

    static func track(_ c: SegmentCallInput, _ s: SegmentSettings, template: Capture) -> [MappedRequest] {
        let k = s.classic
        var e = RecordBuilder()
        common(c, s, into: &e)
        let event = c.string(["event"])
        e.copy("event_type", c, ["event"])
        if let t = option(c, "event_type") { e.set("amplitude_event_type", t.value, from: t.pointer) }
        let props = c.value(["properties"])
        var ep = MappedObject()
        for m in props?.value.members ?? [] where !["country", "language", "event_id", "amplitude_event_type"].contains(m.key) { ep[m.key] = m.value }
        let (traits, traitsFrom) = userTraits(c, from: ["context", "traits"])
        e.set("user_properties", traits.value, from: traitsFrom, note: "context.traits with id = userId, address removed")
        groups(c, into: &e)
        let products: [(MappedValue, LazyPointer)] = {
            guard event == "Order Completed", let p = c.value(["properties", "products"]), let items = p.value.elements else { return [] }
            return items.enumerated().map { ($0.element, p.pointer.appending($0.offset)) }
        }()
        let perProduct = k.trackRevenuePerProduct && !products.isEmpty
        if !perProduct, let propsPtr = props?.pointer {
            revenueFields(props?.value, event: event, pointer: propsPtr, into: &e, properties: &ep)
        }
        if let props { e.set("event_properties", ep.value, from: props.pointer, note: "properties without country, language, event_id, amplitude_event_type and the revenue fields") }
        var out = [eventRequest(c, s, "classic track", e, template: template)]
        for (product, pointer) in products {
            var pe = RecordBuilder()
            common(c, s, into: &pe)
            pe.set("event_type", .string("Product Purchased"), from: nil, note: "one event per product of Order Completed")
            var pp = MappedObject()
            for m in product.members ?? [] { pp[m.key] = m.value }
            if perProduct {
                var price = product
                if case .object(var m) = price.resolved, product["revenue"] == nil, let p = product["price"]?.numberValue {
                    m.append(MappedMember("revenue", .double(p * (product["quantity"]?.numberValue ?? 1))))
                    price = .object(m)
                }
                revenueFields(price, event: "Product Purchased", pointer: pointer, into: &pe, properties: &pp)
            }
            pe.set("event_properties", pp.value, from: pointer)
            pe.set("user_properties", traits.value, from: traitsFrom, note: "context.traits with id = userId, address removed")
            out.append(eventRequest(c, s, "classic track (product)", pe, template: template))
        }
        return out
    }

    /// Revenue: `revenue`, `price` and `quantity` (only both), `revenueType`, `productId`; the
    /// last four leave event_properties (mapper.js).
    static func revenueFields(_ props: MappedValue?, event: String?, pointer: LazyPointer, into e: inout RecordBuilder, properties ep: inout MappedObject) {
        guard let found = revenue(props, event: event) else { return }
        let (r, key) = found
        e.set("revenue", r, from: pointer.appending(key), note: key == "total" ? "Order Completed: total" : nil)
        if let p = props?["price"], let q = props?["quantity"] {
            e.set("price", p, from: pointer.appending("price"))
            e.set("quantity", q, from: pointer.appending("quantity"))
        }
        for key in ["revenueType", "productId"] {
            if let v = props?[key] { e.set(key, v, from: pointer.appending(key)) }
        }
        for key in ["price", "quantity", "productId", "revenueType"] { ep[key] = nil }
    }

    static func page(_ c: SegmentCallInput, _ s: SegmentSettings, name: String?, category: String?, template: Capture) -> MappedRequest {
        var e = RecordBuilder()
        common(c, s, into: &e)
        let noun = c.type == .page ? "Page" : "Screen"
        let full = [category, name].compactMap { $0 }.joined(separator: " ")
        e.set("event_type", .string(full.isEmpty ? "Loaded a \(noun)" : "Viewed \(full) \(noun)"),
              from: c.value(["name"])?.pointer ?? c.value(["category"])?.pointer, note: "'Viewed <category> <name> \(noun)'")
        var ep = MappedObject()
        let props = c.value(["properties"])
        for m in props?.value.members ?? [] { ep[m.key] = m.value }
        if let name { ep["name"] = .string(name) }
        if let category { ep["category"] = .string(category) }
        e.set("event_properties", ep.value, from: props?.pointer, note: "properties with name and category")
        let (traits, traitsFrom) = userTraits(c, from: ["context", "traits"])
        e.set("user_properties", traits.value, from: traitsFrom, note: "context.traits with id = userId, address removed")
        return eventRequest(c, s, "classic \(c.type.rawValue)", e, template: template)
    }

    /// Identify: traits as user properties; traits named in Traits to Increment / Set Once /
    /// Append / Prepend go under `$add` / `$setOnce` / `$append` / `$prepend`, and then the rest
    /// under `$set` so operations and plain properties never mix (UNCONFIRMED split).
    static func identify(_ c: SegmentCallInput, _ s: SegmentSettings, template: Capture) -> MappedRequest {
        let k = s.classic
        var e = RecordBuilder()
        common(c, s, into: &e)
        for f in ["time", "session_id", "event_id", "library"] { e.remove(f) }
        let (traits, traitsFrom) = userTraits(c, from: ["traits"])
        let ops: [(String, [String])] = [("$add", k.traitsToIncrement), ("$setOnce", k.traitsToSetOnce),
                                         ("$append", k.traitsToAppend), ("$prepend", k.traitsToPrepend)]
        if ops.contains(where: { op in traits.members.contains { op.1.contains($0.key) } }) {
            var up = MappedObject()
            var rest = MappedObject()
            var notes = RecordBuilder()
            for m in traits.members {
                if let op = ops.first(where: { $0.1.contains(m.key) }) {
                    var o = up[op.0]?.members.map { MappedObject(members: $0) } ?? MappedObject()
                    o[m.key] = m.value
                    up[op.0] = o.value
                    notes.note("user_properties/" + JSONPointer.escape(op.0) + "/" + JSONPointer.escape(m.key),
                               from: traitsFrom.map { $0.appending(m.key) }, note: "Traits to \(op.0.dropFirst())")
                } else {
                    rest[m.key] = m.value
                }
            }
            if !rest.isEmpty { up["$set"] = rest.value }
            e.set("user_properties", up.value, from: traitsFrom, note: "traits split into operations by the Traits to … settings")
            // After the field: setting it drops what was noted under it before.
            e.provenance += notes.provenance
        } else {
            e.set("user_properties", traits.value, from: traitsFrom, note: "traits with id = userId, address removed")
        }
        groups(c, into: &e)
        if let v = option(c, "paying") { e.set("paying", v.value, from: v.pointer) }
        if let v = option(c, "start_version", "startVersion") { e.set("start_version", v.value, from: v.pointer) }
        return formRequest(c, s, "classic identify", endpoint: .identify, field: "identification", e.value, [("/identification", e)], template: template)
    }

    /// Group: `/identify` with `groups` and the group as a user property; with the Group Type /
    /// Value Trait settings also `/groupidentify` with the traits as group properties (UNCONFIRMED).
    static func group(_ c: SegmentCallInput, _ s: SegmentSettings, template: Capture) -> [MappedRequest] {
        let k = s.classic
        var type: (String, LazyPointer?) = ("[Segment] Group", nil)
        var value: (MappedValue, LazyPointer?)? = c.value(["groupId"]).map { ($0.value, $0.pointer) }
        if let tt = k.groupTypeTrait, let vt = k.groupValueTrait {
            if let t = c.value(["traits", tt]), let ts = t.value.stringValue { type = (ts, t.pointer) }
            value = c.value(["traits", vt]).map { ($0.value, $0.pointer) }
        }
        var e = RecordBuilder()
        common(c, s, into: &e)
        for f in ["time", "session_id", "event_id", "library"] { e.remove(f) }
        if let value {
            e.set("groups", .object([MappedMember(type.0, value.0)]), from: value.1, note: type.1 == nil ? "type '[Segment] Group', value groupId" : "Group Type / Value Trait")
            e.set("user_properties", .object([MappedMember(type.0, value.0)]), from: value.1, note: "the group as a user property")
        }
        var out = [formRequest(c, s, "classic group", endpoint: .identify, field: "identification", e.value, [("/identification", e)], template: template)]
        if k.groupTypeTrait != nil, k.groupValueTrait != nil, let value {
            var g = RecordBuilder()
            g.set("group_type", .string(type.0), from: type.1)
            g.set("group_value", value.0, from: value.1)
            g.copy("group_properties", c, ["traits"])
            out.append(formRequest(c, s, "classic group", endpoint: .groupIdentify, field: "identification", g.value, [("/identification", g)], template: template))
        }
        return out
    }

    /// Alias (Enable Alias): `/usermap` with previousId → user_id, userId → global_user_id, or
    /// an unmap when `integrations.Amplitude.unmap` is the previousId.
    static func alias(_ c: SegmentCallInput, _ s: SegmentSettings, template: Capture) -> MappedRequest {
        var m = RecordBuilder()
        m.copy("user_id", c, ["previousId"])
        if let u = option(c, "unmap"), u.value == c.value(["previousId"])?.value {
            m.set("unmap", .bool(true), from: u.pointer, note: "integrations.Amplitude.unmap")
        } else {
            m.copy("global_user_id", c, ["userId"])
        }
        return formRequest(c, s, "classic alias", endpoint: .usermap, field: "mapping", .array([m.value]), [("/mapping/0", m)], template: template)
    }
}
