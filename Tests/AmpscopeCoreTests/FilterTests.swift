import Testing
@testable import AmpscopeCore

/// Rows and payloads for filter tests.
enum FilterFixtures {
    static func row(type: String, user: String? = nil, device: String? = nil, insert: String? = nil, session: Int64? = nil,
                    status: Int = 200, endpoint: Endpoint = .httpV2, source: String = "proxy", kind: CaptureSource.Kind = .proxy,
                    errors: Int = 0, warnings: Int = 0, infos: Int = 0, rules: [String] = [], capture: Int64 = 1,
                    method: String = "POST") -> StreamRow {
        var c = FindingCounts()
        c.errors = errors
        c.warnings = warnings
        c.infos = infos
        let e = EventSummary(index: 0, eventType: type, userID: user, deviceID: device, insertID: insert, time: 1_700_000_000_000,
                             sessionID: session, counts: c, rules: rules)
        return StreamRow(captureID: capture, receivedAt: 1_700_000_000_000, sourceKind: kind, sourceName: source, method: method,
                         endpoint: endpoint, status: status, emulatedStatus: status, answerOrigin: nil, requestEvents: 1,
                         apiKeyMasked: "0123************************cdef", event: e)
    }

    static let rows: [String: StreamRow] = [
        "click": row(type: "Button Clicked", user: "alice@example.com", device: "dev-1234567", insert: "aaaa-1111", session: 1_700_000_000_000),
        "page": row(type: "Page Viewed", user: "bob", device: "dev-7654321", status: 400, errors: 1, rules: ["id-too-short"]),
        "identify": row(type: "$identify", user: "carol-0001", endpoint: .identify, source: "track_basic.jsonl", kind: .replay, warnings: 2,
                        rules: ["mixed-user-properties"], capture: 7),
        "nouser": row(type: "App Opened", device: "devonly-999", status: 503, infos: 1, rules: ["unknown-field"], capture: 12, method: "PUT"),
        "日本": row(type: "購入完了", user: "ユーザー123"),
    ]

    static func payload(_ json: String) -> FilterPayload {
        let doc = try! JSONDocument(parsing: json)
        return FilterPayload(document: doc, record: doc.root)
    }
}

@Suite("Filter: row-only predicates")
struct FilterRowTests {
    /// filter text → the row names it keeps.
    static let cases: [(String, Set<String>)] = [
        ("", ["click", "page", "identify", "nouser", "日本"]),
        ("type:click", ["click"]),
        ("type:CLICK", ["click"]),
        ("type=Button", []),
        ("type=\"Button Clicked\"", ["click"]),
        ("type='Button Clicked'", ["click"]),
        ("type!=\"Button Clicked\"", ["page", "identify", "nouser", "日本"]),
        ("type~^page", ["page"]),
        ("type~viewed$", ["page"]),
        ("type~'^(page|app) '", ["page", "nouser"]),
        ("type~^\\$", ["identify"]),
        ("event:opened", ["nouser"]),
        ("user:alice", ["click"]),
        ("!user:\"\"", ["nouser"]),
        ("device:dev-", ["click", "page"]),
        ("insert:AAAA", ["click"]),
        ("session>1", ["click"]),
        ("status:400", ["page"]),
        ("status:4xx", ["page"]),
        ("status:5XX", ["nouser"]),
        ("status>=400", ["page", "nouser"]),
        ("status<300", ["click", "identify", "日本"]),
        ("status!=200", ["page", "nouser"]),
        ("endpoint:identify", ["identify"]),
        ("endpoint=identify", ["identify"]),
        ("endpoint=/2/httpapi", ["click", "page", "nouser", "日本"]),
        ("endpoint:httpapi", ["click", "page", "nouser", "日本"]),
        ("severity:error", ["page"]),
        ("severity:warning", ["identify"]),
        ("severity:none", ["click", "日本"]),
        ("severity>info", ["page", "identify"]),
        ("severity>=info", ["page", "identify", "nouser"]),
        ("severity<warning", ["click", "nouser", "日本"]),
        ("rule:short", ["page"]),
        ("rule=id-too-short", ["page"]),
        ("rule~^(mixed|unknown)-", ["identify", "nouser"]),
        ("source:proxy", ["click", "page", "nouser", "日本"]),
        ("source:replay", ["identify"]),
        ("source=track_basic.jsonl", ["identify"]),
        ("method:put", ["nouser"]),
        ("capture>10", ["nouser"]),
        ("id=7", ["identify"]),
        ("key:cdef", ["click", "page", "identify", "nouser", "日本"]),
        ("type:購入", ["日本"]),
        // Combinators.
        ("type:page or type:app", ["page", "nouser"]),
        ("type:page || severity:warning", ["page", "identify"]),
        ("device:dev- and status:400", ["page"]),
        ("device:dev- && !status:400", ["click"]),
        ("device:dev- status:400", ["page"]),
        ("!(type:page or type:app)", ["click", "identify", "日本"]),
        ("not type:page", ["click", "identify", "nouser", "日本"]),
        ("NOT type:page AND NOT type:app", ["click", "identify", "日本"]),
        ("(type:page | type:app) & status:5xx", ["nouser"]),
        ("type:x or type:y and type:z", []),
        ("type:button or type:page and status:400", ["click", "page"]),
        ("((type:button))", ["click"]),
        ("type~(button|page)", ["click", "page"]),
        ("(type~(button|page))", ["click", "page"]),
        // Bare words search the columns (type, ids, source).
        ("alice", ["click"]),
        ("\"page viewed\"", ["page"]),
        ("jsonl", ["identify"]),
        ("ユーザー", ["日本"]),
    ]

    @Test("filter text keeps the expected rows", arguments: cases)
    func keeps(_ text: String, _ expected: Set<String>) throws {
        let f = try Filter(text)
        var kept: Set<String> = []
        for (name, row) in FilterFixtures.rows where f.evaluate(row) == .match { kept.insert(name) }
        #expect(kept == expected, "filter \(text)")
    }

    @Test("the compiled form agrees with the expression tree", arguments: cases.map(\.0) + ["prop.x=1 or type:page", "!prop.x and user:a", "zzz", "!(zzz or type:page)"])
    func compiledAgrees(_ text: String) throws {
        let f = try Filter(text)
        for row in FilterFixtures.rows.values { #expect(f.evaluate(row) == f.evaluateTree(row), "\(text)") }
    }

    @Test("row-only filters never ask for the payload")
    func rowOnly() throws {
        for (text, _) in Self.cases where !text.contains(where: { $0 == "\"" || $0 == "'" }) && text.contains(":") {
            let f = try Filter(text)
            if !f.mayNeedPayload {
                for row in FilterFixtures.rows.values { #expect(f.evaluate(row) != .needsPayload, "\(text)") }
            }
        }
        #expect(try !Filter("type:a or status:4xx").mayNeedPayload)
        #expect(try Filter("type:a or prop.x=1").mayNeedPayload)
        #expect(try Filter("hello").mayNeedPayload)
    }
}

@Suite("Filter: payload predicates")
struct FilterPayloadTests {
    static let event = """
    {"event_type":"Checkout","user_id":"u-12345","event_properties":{"plan":"Pro","seats":12,"price":9.5,"trial":false,
     "tags":["a","beta"],"page.url":"https://x.test/p","address":{"city":"Zürich"},"note":null,"label":"e\\u0301"},
     "user_properties":{"team":"core","$set":{"tier":"gold"},"$add":{"logins":3}}}
    """

    static let cases: [(String, Bool)] = [
        ("prop.plan", true),
        ("prop.missing", false),
        ("prop.plan=Pro", true),
        ("prop.plan=pro", false),
        ("prop.plan:pro", true),
        ("prop.plan!=Free", true),
        ("prop.plan~^p", true),
        ("prop.seats=12", true),
        ("prop.seats=12.0", true),
        ("prop.seats>10", true),
        ("prop.seats<10", false),
        ("prop.price>=9.5", true),
        ("prop.trial=false", true),
        ("prop.note=null", true),
        ("prop.tags:beta", true),
        ("prop.tags=a", true),
        ("prop.tags=c", false),
        ("prop.page.url:x.test", true),
        ("prop.\"page.url\"~^https", true),
        ("prop.address.city=Zürich", true),
        ("prop.address:zürich", true),
        ("prop.label=e\u{301}", true),
        ("uprop.team=core", true),
        ("uprop.tier=gold", true),
        ("uprop.logins>2", true),
        ("uprop.plan", false),
        ("!prop.plan", false),
        ("prop.plan and type:check", true),
        ("prop.plan and type:nope", false),
        // Full text: keys, strings and numbers of the event.
        ("Zürich", true),
        ("zürich", true),
        ("beta", true),
        ("seats", true),
        ("9.5", true),
        ("nothing-like-this", false),
        ("\"https://x.test\"", true),
    ]

    @Test("payload predicates", arguments: cases)
    func payload(_ text: String, _ expected: Bool) throws {
        let f = try Filter(text)
        let row = FilterFixtures.row(type: "Checkout", user: "u-12345")
        #expect(f.matches(row, payload: FilterFixtures.payload(Self.event)) == expected, "\(text)")
    }

    @Test("three-valued: payload terms are decided from the columns when they can be")
    func threeValued() throws {
        let row = FilterFixtures.row(type: "Checkout", user: "u-12345")
        #expect(try Filter("prop.plan=Pro").evaluate(row) == .needsPayload)
        #expect(try Filter("type:nope and prop.plan=Pro").evaluate(row) == .noMatch)
        #expect(try Filter("type:check or prop.plan=Pro").evaluate(row) == .match)
        #expect(try Filter("type:nope or prop.plan=Pro").evaluate(row) == .needsPayload)
        #expect(try Filter("!prop.plan").evaluate(row) == .needsPayload)
        // A bare word found in a column needs no payload; one that is not might be in the payload.
        #expect(try Filter("u-123").evaluate(row) == .match)
        #expect(try Filter("Zürich").evaluate(row) == .needsPayload)
        // Without a payload, payload terms do not match.
        #expect(try !Filter("prop.plan").matches(row, payload: nil))
    }

    @Test("payload of a processed fixture request")
    func processed() throws {
        let body = #"{"api_key":"0123456789abcdef0123456789abcdef","events":[{"event_type":"A","user_id":"user-1","event_properties":{"n":1}},{"event_type":"B","user_id":"user-2","event_properties":{"n":2}}]}"#
        let c = Capture(receivedAt: 1, source: .proxy, path: "/2/httpapi", headers: [HTTPHeader("Content-Type", "application/json")],
                        body: Array(body.utf8))
        var ctx = ValidationContext(settings: ValidationSettings())
        let p = Ingest().process(c, context: &ctx, now: 1)
        let rows = StreamRow.rows(p, id: 1)
        let f = try Filter("prop.n>1")
        let kept = rows.filter { f.matches($0, payload: FilterPayload(p, eventIndex: $0.event.index)) }
        #expect(kept.map(\.event.eventType) == ["B"])
    }
}

@Suite("Filter: errors point at the problem")
struct FilterErrorTests {
    /// text → (position, words in the message)
    static let cases: [(String, Int, String)] = [
        ("tpye:foo", 0, "unknown field 'tpye'"),
        ("type:foo and bar:1", 13, "unknown field 'bar'"),
        ("type:", 5, "expected a value"),
        ("type: foo", 5, "expected a value"),
        ("(type:a", 0, "never closed"),
        ("type:a)", 6, "unexpected ')'"),
        ("()", 0, "empty parentheses"),
        ("type:\"abc", 5, "never closed"),
        ("\"abc", 0, "never closed"),
        ("and type:a", 0, "expected a filter term before 'and'"),
        ("type:a and", 10, "after 'and'"),
        ("type:a or", 9, "after 'or'"),
        ("type:a or or type:b", 10, "after 'or'"),
        ("!", 1, "after '!'"),
        ("status:abc", 7, "not one"),
        ("status>abc", 7, "not a number"),
        ("type>3", 4, "compares numbers"),
        ("severity:fatal", 9, "unknown severity"),
        ("endpoint=nowhere", 9, "unknown endpoint"),
        ("type~(a+)+", 5, "nested repetition"),
        ("type~x(a*b*)*", 6, "nested repetition"),
        ("type~(a)\\1", 8, "back-references"),
        ("type~[", 5, "not a valid regular expression"),
        ("prop.", 5, "property name"),
        ("type:a && && type:b", 10, "after 'and'"),
        ("http://example", 0, "unknown field 'http'"),
    ]

    @Test("error position and message", arguments: cases)
    func error(_ text: String, _ position: Int, _ words: String) {
        do {
            _ = try Filter(text)
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.position == position, "\(text): \(error)")
            #expect(error.message.contains(words), "\(text): \(error.message)")
        }
    }

    @Test("caret line is safe and lines up")
    func caret() {
        let e = FilterError(position: 6, message: "x")
        let (text, caret) = e.caret(for: "a\u{1b}[31m b")
        #expect(text == "a\\u001b[31m b")
        #expect(caret == String(repeating: " ", count: 11) + "^")
    }

    @Test("catastrophic-looking input is fast: guarded regex on a long subject")
    func regexSubjectLimit() throws {
        let f = try Filter("type~a.*b.*c.*d")
        let row = FilterFixtures.row(type: String(repeating: "a", count: 100_000))
        #expect(f.evaluate(row) == .noMatch)
    }
}
