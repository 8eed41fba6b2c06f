/// Realistic generated Amplitude traffic for `ampscope --demo`, tests and benchmarks.
///
/// Each call to `next()` returns one request as a real SDK would send it: TypeScript browser
/// and Node bodies (compact JSON, `client_upload_time`, `options: {}`), Python bodies
/// (sorted keys), the batch endpoint, amplitude-js legacy form uploads with a correct MD5
/// checksum, Segment-style identify forms (`options=undefined`), group identifies and user
/// mappings. A share of requests carries the mistakes ampscope exists to catch (short ids,
/// camelCase keys, seconds instead of ms, `$setAlways`, `$clearAll` with other operations...),
/// so every pane has something to show. Deterministic for a given seed.
public struct DemoTraffic: Sendable {
    public var rng: SplitMix64
    /// Epoch ms of the next request; advances with each request.
    public var clock: Int64
    /// Fraction of requests that carry at least one mistake.
    public var badRate: Double
    public var apiKey: String
    private var eventID = 0
    private var sentInsertIDs: [String] = []

    public init(seed: UInt64 = 42, startTime: Int64 = 1_795_370_000_000, badRate: Double = 0.2,
                apiKey: String = "0123456789abcdef0123456789abcdef") {
        self.rng = SplitMix64(seed: seed)
        self.clock = startTime
        self.badRate = badRate
        self.apiKey = apiKey
    }

    static let eventTypes = ["Page Viewed", "Button Clicked", "Signup Started", "Signup Completed", "Song Played",
                             "Search Performed", "Add To Cart", "Checkout Started", "Order Completed", "Video Paused",
                             "Settings Changed", "Invite Sent", "File Uploaded", "Notification Opened"]
    static let cities = ["San Francisco", "Berlin", "São Paulo", "東京", "Zürich", "Москва", "Kraków", "القاهرة", "Lagos", "Montréal"]
    static let platforms = [("Web", "Chrome", "131"), ("Web", "Safari", "18"), ("iOS", "ios", "18.1"), ("Android", "android", "15")]
    static let plans = ["free", "pro", "team", "enterprise"]

    public enum Flavor: CaseIterable, Sendable {
        case browser, node, python, batch, legacy, segmentIdentify, groupIdentify, usermap
    }

    /// The next request (its `receivedAt` is the generator's clock).
    public mutating func next() -> Capture {
        clock += Int64(rng.int(20...900))
        let bad = rng.unit() < badRate
        let roll = rng.unit()
        let flavor: Flavor = roll < 0.34 ? .browser : roll < 0.52 ? .node : roll < 0.70 ? .python : roll < 0.78 ? .batch
            : roll < 0.86 ? .legacy : roll < 0.92 ? .segmentIdentify : roll < 0.97 ? .groupIdentify : .usermap
        return request(flavor, bad: bad)
    }

    public mutating func request(_ flavor: Flavor, bad: Bool) -> Capture {
        switch flavor {
        case .browser, .node, .batch:
            let n = flavor == .batch ? rng.int(20...60) : rng.int(1...8)
            var events: [[String: DemoValue]] = (0..<n).map { _ in event(sdk: flavor == .node ? .node : .browser) }
            if bad { breakSomething(&events) }
            var body: [(String, DemoValue)] = [("api_key", .s(apiKey)), ("events", .a(events.map { .o(ordered($0)) })),
                                              ("options", .o([])), ("client_upload_time", .s(Timestamp.iso8601(ms: clock)))]
            if flavor == .browser && rng.unit() < 0.5 {
                body.append(("request_metadata", .o([("sdk", .o([("metrics", .o([("histogram", .o([]))]))]))])))
            }
            let path = flavor == .batch ? "/batch" : "/2/httpapi"
            return capture(path: path, contentType: "application/json", body: DemoValue.o(body).json(sortKeys: false),
                           ua: flavor == .browser ? "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Safari/605.1.15" : nil)
        case .python:
            let n = rng.int(1...10)
            var events = (0..<n).map { _ in event(sdk: .python) }
            if bad { breakSomething(&events) }
            let body = DemoValue.o([("api_key", .s(apiKey)), ("events", .a(events.map { .o(ordered($0)) }))])
            return capture(path: "/2/httpapi", contentType: "application/json; charset=UTF-8", body: body.json(sortKeys: true, pythonSpacing: true),
                           ua: "Python-urllib/3.11")
        case .legacy:
            var events: [[String: DemoValue]] = (0..<rng.int(1...4)).map { _ in legacyEvent() }
            if bad, !events.isEmpty { events[0]["timestamp"] = .s(Timestamp.iso8601(ms: clock)) }
            let e = DemoValue.a(events.map { .o(ordered($0)) }).text()
            let uploadTime = String(clock)
            var checksum = BadChecksumRule.expected(v: "2", client: apiKey, e: e, uploadTime: uploadTime)
            if bad && rng.unit() < 0.3 { checksum = String(checksum.reversed()) }
            let form = FormEncoding.encode([("checksum", checksum), ("client", apiKey), ("e", e), ("upload_time", uploadTime), ("v", "2")])
            return capture(path: "/", contentType: "application/x-www-form-urlencoded; charset=UTF-8", body: Array(form.utf8),
                           ua: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", extra: [HTTPHeader("Cross-Origin-Resource-Policy", "cross-origin")])
        case .segmentIdentify:
            var traits: [(String, DemoValue)] = [("plan", .s(rng.pick(Self.plans))), ("company_size", .i(Int64(rng.int(1...5000))))]
            if bad { traits.append(("$set", .o([("utm_source", .s("newsletter"))]))) }
            let ident = DemoValue.o([("user_id", .s(userID())), ("device_id", .s(deviceID())), ("user_properties", .o(traits)),
                                     ("library", .s("segment")), ("time", .i(clock))])
            let form = FormEncoding.encode([("api_key", apiKey), ("identification", ident.text()), ("options", "undefined")])
            return capture(path: "/identify", contentType: "application/x-www-form-urlencoded", body: Array(form.utf8), ua: "Segment.io/1.0")
        case .groupIdentify:
            var ident: [(String, DemoValue)] = [("group_type", .s("org")), ("group_value", .s("acme-\(rng.int(1...40))")),
                                                ("group_properties", .o([("$set", .o([("tier", .s(rng.pick(Self.plans)))]))]))]
            if bad { ident.removeAll { $0.0 == "group_value" } }
            let form = FormEncoding.encode([("api_key", apiKey), ("identification", DemoValue.a([.o(ident)]).text())])
            return capture(path: "/groupidentify", contentType: "application/x-www-form-urlencoded", body: Array(form.utf8), ua: nil)
        case .usermap:
            var mapping: [(String, DemoValue)] = [("user_id", .s(userID())), ("global_user_id", .s("global-\(rng.int(1000...9999))"))]
            if bad { mapping = [("user_id", .s(userID()))] }
            let form = FormEncoding.encode([("api_key", apiKey), ("mapping", DemoValue.a([.o(mapping)]).text())])
            return capture(path: "/usermap", contentType: "application/x-www-form-urlencoded", body: Array(form.utf8), ua: nil)
        }
    }

    enum SDK { case browser, node, python }

    mutating func userID() -> String { "user-\(String(rng.int(1...2000)).leftPadded(5))" }
    mutating func deviceID() -> String {
        let hex = Array("0123456789abcdef")
        var s = ""
        for i in 0..<32 {
            if [8, 12, 16, 20].contains(i) { s += "-" }
            s.append(hex[rng.int(0...15)])
        }
        return s
    }
    mutating func uuid() -> String { deviceID() }

    mutating func event(sdk: SDK) -> [String: DemoValue] {
        eventID += 1
        let insert = uuid()
        var e: [String: DemoValue] = [:]
        let kind = rng.unit()
        if kind < 0.12 {
            e["event_type"] = .s("$identify")
            e["user_properties"] = .o([("$set", .o([("plan", .s(rng.pick(Self.plans))), ("city", .s(rng.pick(Self.cities)))])),
                                       ("$setOnce", .o([("first_seen", .s(Timestamp.date(ms: clock - 86_400_000 * Int64(rng.int(1...400)))))])),
                                       ("$add", .o([("logins", .i(1))]))])
        } else if kind < 0.18 {
            e["event_type"] = .s("revenue_amount")
            e["event_properties"] = .o([("$productId", .s("sku-\(rng.int(100...999))")), ("$price", .d(Double(rng.int(99...9999)) / 100)),
                                        ("$quantity", .i(Int64(rng.int(1...3)))), ("$revenueType", .s("purchase")), ("$currency", .s("EUR"))])
        } else {
            e["event_type"] = .s(rng.pick(Self.eventTypes))
            e["event_properties"] = .o(properties())
        }
        e["user_id"] = rng.unit() < 0.85 ? .s(userID()) : nil
        e["device_id"] = .s(deviceID())
        e["time"] = .i(clock - Int64(rng.int(0...3000)))
        e["insert_id"] = .s(insert)
        let (platform, os, version) = rng.pick(Self.platforms)
        switch sdk {
        case .browser:
            e["session_id"] = .i(clock - Int64(rng.int(0...1_800_000)))
            e["platform"] = .s(platform)
            e["os_name"] = .s(os)
            e["os_version"] = .s(version)
            e["language"] = .s(rng.pick(["en-US", "de-DE", "pt-BR", "ja-JP"]))
            e["ip"] = .s("$remote")
            e["event_id"] = .i(Int64(eventID))
            e["library"] = .s("amplitude-ts/2.45.6")
            e["user_agent"] = .s("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15")
        case .node:
            e["event_id"] = .i(Int64(eventID))
            e["library"] = .s("amplitude-node-ts/1.5.70")
        case .python:
            e["library"] = .s("amplitude-python/1.3.0")
            e["city"] = .s(rng.pick(Self.cities))
        }
        sentInsertIDs.append(insert)
        if sentInsertIDs.count > 64 { sentInsertIDs.removeFirst(32) }
        return e
    }

    mutating func properties() -> [(String, DemoValue)] {
        var p: [(String, DemoValue)] = [
            ("page", .s(rng.pick(["/", "/pricing", "/signup", "/docs/getting-started", "/blog/launch"]))),
            ("referrer", .s(rng.pick(["https://www.google.com/", "https://news.ycombinator.com/", ""]))),
            ("duration_ms", .i(Int64(rng.int(10...60_000)))),
            ("experiment", .o([("name", .s("new-onboarding")), ("variant", .s(rng.pick(["control", "treatment"])))])),
            ("tags", .a((0..<rng.int(0...4)).map { _ in .s(rng.pick(["a", "beta", "mobile", "returning", "trial"])) })),
        ]
        if rng.unit() < 0.4 {
            p.append(("cart", .o([("items", .a((0..<rng.int(1...3)).map { _ in
                .o([("sku", .s("sku-\(rng.int(100...999))")), ("qty", .i(Int64(rng.int(1...4)))), ("price", .d(Double(rng.int(100...9999)) / 100))])
            })), ("currency", .s("EUR"))])))
        }
        if rng.unit() < 0.2 { p.append(("city", .s(rng.pick(Self.cities)))) }
        return p
    }

    mutating func legacyEvent() -> [String: DemoValue] {
        eventID += 1
        return [
            "device_id": .s(deviceID()), "user_id": .s(userID()), "timestamp": .i(clock), "event_id": .i(Int64(eventID)),
            "session_id": .i(clock - 60_000), "event_type": .s(rng.pick(Self.eventTypes)), "version_name": .null,
            "platform": .s("Web"), "os_name": .s("Firefox"), "os_version": .s("133"), "device_model": .s("Linux"),
            "device_manufacturer": .null, "language": .s("en-GB"), "api_properties": .o([]),
            "event_properties": .o([("page", .s("/checkout"))]), "user_properties": .o([]), "uuid": .s(uuid()),
            "library": .o([("name", .s("amplitude-js")), ("version", .s("8.21.9"))]), "sequence_number": .i(Int64(eventID)),
            "groups": .o([]), "group_properties": .o([]), "user_agent": .s("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"),
            "partner_id": .null,
        ]
    }

    /// Introduces one realistic mistake into a batch.
    mutating func breakSomething(_ events: inout [[String: DemoValue]]) {
        guard !events.isEmpty else { return }
        let i = rng.int(0...(events.count - 1))
        switch rng.int(0...13) {
        case 0: events[i]["user_id"] = .s("abc"); events[i]["device_id"] = nil
        case 1: events[i]["user_id"] = nil; events[i]["device_id"] = nil
        case 2: events[i]["userId"] = events[i]["user_id"] ?? .s(userID()); events[i]["user_id"] = nil
        case 3: events[i]["time"] = .i(clock / 1000)
        case 4: events[i]["time"] = .s(Timestamp.iso8601(ms: clock))
        case 5: events[i]["event_properties"] = .o([("matrix", .a([.a([.i(1), .i(2)]), .a([.i(3), .i(4)])]))])
        case 6:
            events[i]["event_type"] = .s("$identify")
            events[i]["user_properties"] = .o([("$setAlways", .o([("plan", .s("pro"))]))])
        case 7:
            events[i]["event_type"] = .s("$identify")
            events[i]["user_properties"] = .o([("$set", .o([("plan", .s("pro"))])), ("$unset", .o([("plan", .s("-"))]))])
        case 8:
            events[i]["event_type"] = .s("$identify")
            events[i]["user_properties"] = .o([("$clearAll", .s("-")), ("$set", .o([("plan", .s("free"))]))])
        case 9: events[i]["event_properties"] = .o([("note", .s(String(repeating: "lorem ipsum ", count: 120)))])
        case 10: events[i]["user_id"] = .s("anonymous")
        case 11:
            events[i]["event_type"] = .s("Order Completed")
            events[i]["productId"] = .s("sku-1")
            events[i]["revenueType"] = .s("purchase")
        case 12:
            if let old = sentInsertIDs.first { events[i]["insert_id"] = .s(old) } else { events[i]["event_type"] = .s("") }
        default:
            events[i]["event_type"] = .s("[Amplitude] Revenue")
        }
    }

    static let keyOrder = ["event_type", "user_id", "device_id", "time", "insert_id", "session_id", "event_properties",
                           "user_properties", "platform", "os_name", "os_version", "language", "ip", "city", "event_id",
                           "library", "user_agent"]

    /// Stable key order close to what the TypeScript SDK produces.
    func ordered(_ e: [String: DemoValue]) -> [(String, DemoValue)] {
        e.sorted { a, b in
            let ia = Self.keyOrder.firstIndex(of: a.key) ?? Int.max
            let ib = Self.keyOrder.firstIndex(of: b.key) ?? Int.max
            return ia != ib ? ia < ib : a.key < b.key
        }.map { ($0.key, $0.value) }
    }

    func capture(path: String, contentType: String, body: [UInt8], ua: String?, extra: [HTTPHeader] = []) -> Capture {
        var headers = [HTTPHeader("Host", "127.0.0.1:8787"), HTTPHeader("Content-Type", contentType),
                       HTTPHeader("Content-Length", String(body.count))]
        if let ua { headers.append(HTTPHeader("User-Agent", ua)) }
        headers += extra
        return Capture(receivedAt: clock, source: .demo, method: "POST", path: path, headers: headers, body: body, client: "127.0.0.1")
    }
}

/// A JSON value for building generated payloads.
public indirect enum DemoValue: Sendable {
    case s(String), i(Int64), d(Double), b(Bool), null
    case a([DemoValue])
    case o([(String, DemoValue)])

    /// Compact JSON (`sortKeys` sorts object keys at every level; `pythonSpacing` uses `", "` and `": "`).
    public func json(sortKeys: Bool, pythonSpacing: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        write(&out, sortKeys: sortKeys, spaced: pythonSpacing)
        return out
    }

    /// Compact JSON text in insertion order.
    public func text() -> String { String(decoding: json(sortKeys: false), as: UTF8.self) }

    func write(_ out: inout [UInt8], sortKeys: Bool, spaced: Bool) {
        switch self {
        case .s(let s):
            if spaced {
                // Python's json.dumps escapes non-ASCII as \uXXXX.
                out.append(UInt8(ascii: "\""))
                for u in s.unicodeScalars {
                    if u.value < 0x80 {
                        var tmp: [UInt8] = []
                        JSONWriter.appendQuoted(String(u), to: &tmp)
                        out.append(contentsOf: tmp.dropFirst().dropLast())
                    } else {
                        for unit in String(u).utf16 {
                            let h = String(unit, radix: 16)
                            out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - h.count) + h).utf8)
                        }
                    }
                }
                out.append(UInt8(ascii: "\""))
            } else {
                JSONWriter.appendQuoted(s, to: &out)
            }
        case .i(let v): out.append(contentsOf: String(v).utf8)
        case .d(let v): out.append(contentsOf: "\(v)".utf8)
        case .b(let v): out.append(contentsOf: (v ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .a(let items):
            out.append(UInt8(ascii: "["))
            for (n, v) in items.enumerated() {
                if n > 0 { out.append(contentsOf: spaced ? [0x2C, 0x20] : [0x2C]) }
                v.write(&out, sortKeys: sortKeys, spaced: spaced)
            }
            out.append(UInt8(ascii: "]"))
        case .o(let members):
            out.append(UInt8(ascii: "{"))
            let ms = sortKeys ? members.sorted { $0.0 < $1.0 } : members
            for (n, (k, v)) in ms.enumerated() {
                if n > 0 { out.append(contentsOf: spaced ? [0x2C, 0x20] : [0x2C]) }
                JSONWriter.appendQuoted(k, to: &out)
                out.append(contentsOf: spaced ? [0x3A, 0x20] : [0x3A])
                v.write(&out, sortKeys: sortKeys, spaced: spaced)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// A small, fast, seedable generator (Steele, Lea, Flood: SplitMix64).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    public mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
    public mutating func pick<T>(_ a: [T]) -> T { a[int(0...(a.count - 1))] }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
