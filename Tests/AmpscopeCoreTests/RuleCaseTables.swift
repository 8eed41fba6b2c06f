import Foundation
import Testing
@testable import AmpscopeCore

/// One expected finding.
struct ExpectedHit: Sendable {
    var path: String
    var event: Int?
    var severity: Severity
}

/// A request that must produce a finding of `rule` (bad) or none of it (good).
struct RuleCase: Sendable, CustomTestStringConvertible {
    var rule: String
    var name: String
    var capture: Capture
    var hit: ExpectedHit?
    var settings = ValidationSettings()
    var testDescription: String { "\(rule): \(name)" }
}

/// Table of bad and good cases for every rule id in `RuleRegistry.standard`.
enum RuleCases {
    typealias E = CoreTest

    static func bad(_ rule: String, _ name: String, _ c: Capture, _ path: String, _ event: Int?, _ severity: Severity,
                    settings: ValidationSettings = ValidationSettings()) -> RuleCase {
        RuleCase(rule: rule, name: name, capture: c, hit: ExpectedHit(path: path, event: event, severity: severity), settings: settings)
    }

    static func good(_ rule: String, _ name: String, _ c: Capture, settings: ValidationSettings = ValidationSettings()) -> RuleCase {
        RuleCase(rule: rule, name: name, capture: c, hit: nil, settings: settings)
    }

    static func ev(_ o: KeyValuePairs<String, String> = [:], drop: Set<String> = []) -> String { E.event(o, drop: drop) }
    static func one(_ o: KeyValuePairs<String, String> = [:], drop: Set<String> = [], options: String? = nil) -> Capture {
        E.events(ev(o, drop: drop), options: options)
    }
    static func identifyEvent(_ userProperties: String) -> Capture {
        one(["event_type": "\"$identify\"", "user_properties": userProperties])
    }
    static func nested(_ levels: Int) -> String {
        String(repeating: "{\"a\":", count: levels - 1) + "{}" + String(repeating: "}", count: levels - 1)
    }
    static func padded(_ bytes: Int, path: String = "/2/httpapi") -> Capture {
        E.json(E.body([ev()], extra: "\"padding\":\"" + String(repeating: "x", count: bytes) + "\""), path: path)
    }
    static let gzHeaders = E.jsonHeaders + [HTTPHeader("Content-Encoding", "gzip")]
    static let long1025 = String(repeating: "x", count: 1025)
    static let groupIdentification = #"{"group_type":"org","group_value":"acme","group_properties":{"$set":{"plan":"pro"}}}"#

    static let all: [RuleCase] = decodeCases + requestCases + eventCases + identifyCases + segmentCases

    // MARK: Decode problems

    static let decodeCases: [RuleCase] = [
        bad(RuleID.bodyNotJSON, "truncated JSON", E.json(#"{"api_key":"#), "", nil, .error),
        bad(RuleID.bodyNotJSON, "empty body", E.json(""), "", nil, .error),
        bad(RuleID.bodyNotJSON, "a form body on /2/httpapi", E.json("api_key=x&events=[]"), "", nil, .error),
        good(RuleID.bodyNotJSON, "a valid body", one()),
        bad(RuleID.bodyEncoding, "truncated gzip", E.jsonBytes(Array(Inflate.gzip(Array(E.body([ev()]).utf8)).prefix(30)), headers: gzHeaders), "", nil, .error),
        bad(RuleID.bodyEncoding, "corrupt gzip", E.jsonBytes([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF], headers: gzHeaders), "", nil, .error),
        bad(RuleID.bodyEncoding, "gzip body without Content-Encoding", E.jsonBytes(Inflate.gzip(Array(E.body([ev()]).utf8))), "", nil, .warning),
        good(RuleID.bodyEncoding, "gzip with its header", E.jsonBytes(Inflate.gzip(Array(E.body([ev()]).utf8)), headers: gzHeaders)),
        bad(RuleID.formEncoding, "bad percent escape", Capture(receivedAt: 0, source: .demo, path: "/identify", headers: E.formHeaders, body: Array("api_key=%GG".utf8)), "", nil, .error),
        good(RuleID.formEncoding, "a proper form", E.identify(#"{"user_id":"user-12345","user_properties":{"$set":{"a":"b c&d=e%"}}}"#)),
        bad(RuleID.unknownEndpoint, "/v2/httpapi", E.events(ev(), path: "/v2/httpapi"), "", nil, .error),
        good(RuleID.unknownEndpoint, "/2/httpapi", one()),
        bad(RuleID.wrongEndpoint, "JSON posted to /", E.events(ev(), path: "/"), "", nil, .warning),
        good(RuleID.wrongEndpoint, "a legacy form posted to /", E.legacy(events: "[" + E.legacyEvent() + "]")),
        bad(RuleID.wrongEndpoint, "an HTTP API V1 form (api_key, event) posted to /",
            E.form([("api_key", E.apiKey), ("event", #"{"user_id":"user-12345","event_type":"Signed Up"}"#)], path: "/"), "/client", nil, .error),
        bad(RuleID.pathVariant, "a trailing slash on /2/httpapi/", E.events(ev(), path: "/2/httpapi/"), "", nil, .warning),
        bad(RuleID.pathVariant, "//batch from a base URL ending in /", E.events(ev(), path: "//batch"), "", nil, .warning),
        good(RuleID.pathVariant, "/2/httpapi as documented", one()),
        good(RuleID.pathVariant, "a routing prefix /eu/2/httpapi", E.events(ev(), path: "/eu/2/httpapi")),
    ]

    // MARK: Request rules

    static let requestCases: [RuleCase] = [
        bad(RuleID.methodNotAllowed, "GET on /2/httpapi", E.json(E.body([ev()]), method: "GET"), "", nil, .error),
        bad(RuleID.methodNotAllowed, "PUT on /identify", E.form([("api_key", E.apiKey), ("identification", #"{"user_id":"user-12345","user_properties":{"$set":{"a":1}}}"#)], path: "/identify", method: "PUT"), "", nil, .error),
        good(RuleID.methodNotAllowed, "GET on /identify", Capture(receivedAt: 0, source: .demo, method: "GET", path: "/identify",
                                                               query: FormEncoding.encode([("api_key", E.apiKey), ("identification", #"{"user_id":"user-12345","user_properties":{"$set":{"a":1}}}"#)]), body: [])),
        bad(RuleID.missingAPIKey, "no api_key", E.json(E.body([ev()], apiKey: nil)), "/api_key", nil, .error),
        bad(RuleID.missingAPIKey, "camelCase apiKey", E.json(E.body([ev()], apiKey: nil, extra: "\"apiKey\":\"\(E.apiKey)\"")), "/api_key", nil, .error),
        bad(RuleID.missingAPIKey, "api_key is a number", E.json(E.body([ev()], apiKey: nil, extra: "\"api_key\":12345")), "/api_key", nil, .error),
        bad(RuleID.missingAPIKey, "blank api_key", E.json(E.body([ev()], apiKey: "  ")), "/api_key", nil, .error),
        bad(RuleID.missingAPIKey, "identify without api_key", E.form([("identification", #"{"user_id":"user-12345","user_properties":{"$set":{"a":1}}}"#)], path: "/identify"), "/api_key", nil, .error),
        bad(RuleID.missingAPIKey, "legacy upload without client", Capture(receivedAt: 0, source: .demo, path: "/", headers: E.formHeaders,
                                                                          body: Array(("e=" + E.strictEscape("[" + E.legacyEvent() + "]") + "&upload_time=1&v=2").utf8)), "/client", nil, .error),
        good(RuleID.missingAPIKey, "api_key present", one()),
        bad(RuleID.invalidAPIKey, "not the configured key", one(), "/api_key", nil, .error,
            settings: ValidationSettings(expectedAPIKey: "ffffffffffffffffffffffffffffffff")),
        good(RuleID.invalidAPIKey, "the configured key", one(), settings: ValidationSettings(expectedAPIKey: E.apiKey)),
        bad(RuleID.apiKeyFormat, "not hex", E.json(E.body([ev()], apiKey: "my-secret-key")), "/api_key", nil, .warning),
        bad(RuleID.apiKeyFormat, "upper-case hex", E.json(E.body([ev()], apiKey: E.apiKey.uppercased())), "/api_key", nil, .warning),
        bad(RuleID.apiKeyFormat, "copied with a line break", E.json(E.body([ev()], apiKey: E.apiKey + "\n")), "/api_key", nil, .warning),
        bad(RuleID.apiKeyFormat, "an Experiment deployment key", E.json(E.body([ev()], apiKey: "client-AbCdEf123")), "/api_key", nil, .warning),
        good(RuleID.apiKeyFormat, "32 lower-case hex characters", one()),
        bad(RuleID.missingEvents, "no events", E.json(#"{"api_key":"\#(E.apiKey)"}"#), "/events", nil, .error),
        bad(RuleID.missingEvents, "Events with a capital E", E.json(#"{"api_key":"\#(E.apiKey)","Events":[\#(ev())]}"#), "/events", nil, .error),
        bad(RuleID.missingEvents, "events is an object", E.json(#"{"api_key":"\#(E.apiKey)","events":\#(ev())}"#), "/events", nil, .error),
        bad(RuleID.missingEvents, "empty events array", E.json(E.body([])), "/events", nil, .warning),
        bad(RuleID.missingEvents, "identify without identification", E.form([("api_key", E.apiKey)], path: "/identify"), "/identification", nil, .error),
        bad(RuleID.missingEvents, "usermap mapping is a number", E.form([("api_key", E.apiKey), ("mapping", "5")], path: "/usermap"), "/mapping", nil, .error),
        good(RuleID.missingEvents, "one event", one()),
        bad(RuleID.payloadTooLarge, "/2/httpapi over 1 MiB", padded(1 << 20), "", nil, .error),
        bad(RuleID.payloadTooLarge, "gzip measured after gunzip", E.jsonBytes(Inflate.gzip(Array(E.body([ev()], extra: "\"padding\":\"" + String(repeating: "x", count: 1 << 20) + "\"").utf8)), headers: gzHeaders), "", nil, .error),
        bad(RuleID.payloadTooLarge, "/batch over 20 MiB", padded(20 << 20, path: "/batch"), "", nil, .error),
        bad(RuleID.payloadTooLarge, "/identify over 1 MiB", E.identify(#"{"user_id":"user-12345","user_properties":{"$set":{"a":"\#(String(repeating: "y", count: 1 << 20))"}}}"#), "", nil, .error),
        good(RuleID.payloadTooLarge, "/batch takes 1.5 MiB", padded(3 << 19, path: "/batch")),
        good(RuleID.payloadTooLarge, "just under 1 MiB", padded((1 << 20) - 1000)),
        bad(RuleID.tooManyEvents, "2001 events", E.json(E.body((0..<2001).map { _ in ev() })), "/events", nil, .error),
        bad(RuleID.tooManyEvents, "1025 group identifications", E.identify("[" + Array(repeating: groupIdentification, count: 1025).joined(separator: ",") + "]", path: "/groupidentify"), "/identification", nil, .error),
        good(RuleID.tooManyEvents, "2000 events", E.json(E.body((0..<2000).map { _ in ev() }))),
        bad(RuleID.contentType, "no Content-Type", E.json(E.body([ev()]), headers: []), "", nil, .warning),
        bad(RuleID.contentType, "form type on /2/httpapi", E.json(E.body([ev()]), headers: E.formHeaders), "", nil, .warning),
        bad(RuleID.contentType, "text/plain beacon", E.json(E.body([ev()]), headers: [HTTPHeader("Content-Type", "text/plain;charset=UTF-8")]), "", nil, .info),
        bad(RuleID.contentType, "identify form without Content-Type", E.form([("api_key", E.apiKey), ("identification", #"{"user_id":"user-12345","user_properties":{"$set":{"a":1}}}"#)], path: "/identify", headers: []), "", nil, .warning),
        good(RuleID.contentType, "application/json with charset", E.json(E.body([ev()]), headers: [HTTPHeader("content-type", "Application/JSON; charset=utf-8")])),
        bad(RuleID.badChecksum, "wrong checksum", E.legacy(events: "[" + E.legacyEvent() + "]", checksum: "00000000000000000000000000000000"), "/checksum", nil, .error),
        bad(RuleID.badChecksum, "no checksum", Capture(receivedAt: 0, source: .demo, path: "/", headers: E.formHeaders,
                                                      body: Array(("client=\(E.apiKey)&e=" + E.strictEscape("[" + E.legacyEvent() + "]") + "&upload_time=1&v=2").utf8)), "/checksum", nil, .error),
        good(RuleID.badChecksum, "correct checksum", E.legacy(events: "[" + E.legacyEvent() + "]")),
        bad(RuleID.invalidOptions, "min_id_length 0", one(options: #"{"min_id_length":0}"#), "/options/min_id_length", nil, .warning),
        bad(RuleID.invalidOptions, "min_id_length 3.5", one(options: #"{"min_id_length":3.5}"#), "/options/min_id_length", nil, .warning),
        bad(RuleID.invalidOptions, "camelCase minIdLength", one(options: #"{"minIdLength":3}"#), "/options/minIdLength", nil, .warning),
        bad(RuleID.invalidOptions, "options is a string", one(options: #""min_id_length=3""#), "/options", nil, .warning),
        bad(RuleID.invalidOptions, "options=undefined from Segment", E.identify(#"{"user_id":"user-12345","user_properties":{"$set":{"a":1}}}"#, extra: [("options", "undefined")]), "/options", nil, .info),
        good(RuleID.invalidOptions, "options {}", one(options: "{}")),
        good(RuleID.invalidOptions, "options {min_id_length: 3}", one(options: #"{"min_id_length":3}"#)),
    ]

    // MARK: Event rules

    static let eventCases: [RuleCase] = [
        bad(RuleID.notAnObject, "a number in events", E.json(E.body(["1"])), "/events/0", 0, .error),
        bad(RuleID.notAnObject, "a string after an event", E.json(E.body([ev(), "\"click\""])), "/events/1", 1, .error),
        good(RuleID.notAnObject, "objects", one()),
        bad(RuleID.missingEventType, "no event_type", one(drop: ["event_type"]), "/events/0/event_type", 0, .error),
        bad(RuleID.missingEventType, "event_type null", one(["event_type": "null"]), "/events/0/event_type", 0, .error),
        bad(RuleID.missingEventType, "blank event_type", one(["event_type": "\"  \""]), "/events/0/event_type", 0, .error),
        bad(RuleID.missingEventType, "eventType instead", one(["eventType": "\"Click\""], drop: ["event_type"]), "/events/0/event_type", 0, .error),
        good(RuleID.missingEventType, "event_type set", one()),
        bad(RuleID.missingID, "neither id", one(drop: ["user_id", "device_id"]), "/events/0/user_id", 0, .error),
        bad(RuleID.missingID, "both ids null", one(["user_id": "null", "device_id": "null"]), "/events/0/user_id", 0, .error),
        bad(RuleID.missingID, "empty user_id, no device_id", one(["user_id": "\"\""], drop: ["device_id"]), "/events/0/user_id", 0, .error),
        bad(RuleID.missingID, "camelCase userId only", one(["userId": "\"user-12345\""], drop: ["user_id", "device_id"]), "/events/0/user_id", 0, .error),
        bad(RuleID.missingID, "second event lacks ids", E.events(ev(), ev(drop: ["user_id", "device_id"])), "/events/1/user_id", 1, .error),
        bad(RuleID.missingID, "identification without ids", E.identify(#"{"user_properties":{"$set":{"a":1}}}"#), "/identification/user_id", 0, .error),
        good(RuleID.missingID, "device_id only", one(drop: ["user_id"])),
        good(RuleID.missingID, "user_id only", one(drop: ["device_id"])),
        bad(RuleID.idTooShort, "3-char user_id, default 5", E.events(ev(), ev(["user_id": "\"abc\""])), "/events/1/user_id", 1, .error),
        bad(RuleID.idTooShort, "4-char device_id", one(["device_id": "\"dev1\""]), "/events/0/device_id", 0, .error),
        bad(RuleID.idTooShort, "options.min_id_length 8 beats --min-id-length 3", one(["user_id": "\"user-12\""], options: #"{"min_id_length":8}"#), "/events/0/user_id", 0, .error,
            settings: ValidationSettings(defaultMinIdLength: 3)),
        bad(RuleID.idTooShort, "--min-id-length 8", one(["user_id": "\"user-12\""]), "/events/0/user_id", 0, .error,
            settings: ValidationSettings(defaultMinIdLength: 8)),
        bad(RuleID.idTooShort, "counted in characters, not bytes", one(["user_id": "\"éèê\""]), "/events/0/user_id", 0, .error),
        bad(RuleID.idTooShort, "identify options.min_id_length", E.identify(#"{"user_id":"abc","user_properties":{"$set":{"a":1}}}"#, extra: [("options", #"{"min_id_length":4}"#)]), "/identification/user_id", 0, .error),
        bad(RuleID.idTooShort, "usermap global_user_id", E.usermap(#"[{"user_id":"user-12345","global_user_id":"g1"}]"#), "/mapping/0/global_user_id", 0, .error),
        good(RuleID.idTooShort, "options.min_id_length 3 allows 'abc'", one(["user_id": "\"abc\""], options: #"{"min_id_length":3}"#)),
        good(RuleID.idTooShort, "--min-id-length 3 allows 'abc'", one(["user_id": "\"abc\""]), settings: ValidationSettings(defaultMinIdLength: 3)),
        good(RuleID.idTooShort, "options 3 wins over --min-id-length 8", one(["user_id": "\"abc\""], options: #"{"min_id_length":3}"#), settings: ValidationSettings(defaultMinIdLength: 8)),
        good(RuleID.idTooShort, "5 characters", one(["user_id": "\"abcde\"", "device_id": "\"12345\""])),
        bad(RuleID.reservedID, "user_id anonymous", one(["user_id": "\"anonymous\""]), "/events/0/user_id", 0, .error),
        bad(RuleID.reservedID, "device_id Null (any case, trimmed)", one(["device_id": "\" Null \""]), "/events/0/device_id", 0, .error),
        bad(RuleID.reservedID, "all-zero IDFA", one(["device_id": "\"00000000-0000-0000-0000-000000000000\""]), "/events/0/device_id", 0, .error),
        bad(RuleID.reservedID, "a string of double quotes", one(["user_id": #""\"\"""#]), "/events/0/user_id", 0, .error),
        bad(RuleID.reservedID, "-1", one(["device_id": "\"-1\""]), "/events/0/device_id", 0, .error),
        bad(RuleID.reservedID, "lmy47d", one(["device_id": "\"LMY47D\""]), "/events/0/device_id", 0, .error),
        good(RuleID.reservedID, "ids that merely contain reserved words", one(["user_id": "\"anonymous-7\"", "device_id": "\"null-device-1\""])),
        bad(RuleID.idNotString, "numeric device_id", one(["device_id": "12345"]), "/events/0/device_id", 0, .error),
        bad(RuleID.idNotString, "boolean user_id", one(["user_id": "true"]), "/events/0/user_id", 0, .error),
        bad(RuleID.idNotString, "object user_id", one(["user_id": "{}"]), "/events/0/user_id", 0, .error),
        good(RuleID.idNotString, "string ids", one()),
        bad(RuleID.timeNotMs, "ISO-8601 string", one(["time": "\"2026-11-22T18:06:05.928Z\""]), "/events/0/time", 0, .error),
        bad(RuleID.timeNotMs, "float with a fraction", one(["time": "1795371070308.5"]), "/events/0/time", 0, .error),
        bad(RuleID.timeNotMs, "seconds with a fraction", one(["time": "1795371070.308"]), "/events/0/time", 0, .error),
        bad(RuleID.timeNotMs, "integral float in exponent form", one(["time": "1.795371070308e12"]), "/events/0/time", 0, .error),
        bad(RuleID.timeNotMs, "numeric string", one(["time": "\"1795371070308\""]), "/events/0/time", 0, .error),
        bad(RuleID.timeNotMs, "seconds", one(["time": "1795371070"]), "/events/0/time", 0, .warning),
        bad(RuleID.timeNotMs, "microseconds", one(["time": "1795371070308000"]), "/events/0/time", 0, .warning),
        bad(RuleID.timeNotMs, "negative", one(["time": "-5"]), "/events/0/time", 0, .error),
        bad(RuleID.timeNotMs, "an object", one(["time": "{}"]), "/events/0/time", 0, .error),
        good(RuleID.timeNotMs, "milliseconds", one()),
        good(RuleID.timeNotMs, "no time at all", one(drop: ["time"])),
        good(RuleID.timeNotMs, "time null", one(["time": "null"])),
        bad(RuleID.sessionIDNotMs, "seconds", one(["session_id": "1795371060"]), "/events/0/session_id", 0, .warning),
        bad(RuleID.sessionIDNotMs, "float", one(["session_id": "1795371060000.5"]), "/events/0/session_id", 0, .error),
        bad(RuleID.sessionIDNotMs, "ISO string", one(["session_id": "\"2026-11-22T18:06:00Z\""]), "/events/0/session_id", 0, .error),
        bad(RuleID.sessionIDNotMs, "-2", one(["session_id": "-2"]), "/events/0/session_id", 0, .error),
        good(RuleID.sessionIDNotMs, "-1 means no session", one(["session_id": "-1"])),
        good(RuleID.sessionIDNotMs, "milliseconds", one(["session_id": "1795371060000"])),
        bad(RuleID.fieldType, "event_properties as a JSON string", one(["event_properties": #""{\"a\":1}""#]), "/events/0/event_properties", 0, .error),
        bad(RuleID.fieldType, "price in quotes", one(["price": "\"9.99\"", "quantity": "1"]), "/events/0/price", 0, .error),
        bad(RuleID.fieldType, "fractional quantity", one(["price": "9.99", "quantity": "1.5"]), "/events/0/quantity", 0, .error),
        bad(RuleID.fieldType, "groups as an array", one(["groups": #"["org"]"#]), "/events/0/groups", 0, .error),
        bad(RuleID.fieldType, "platform as a number", one(["platform": "5"]), "/events/0/platform", 0, .warning),
        good(RuleID.fieldType, "every field with its type", one(["event_properties": "{}", "user_properties": "{}", "groups": #"{"org":"acme"}"#,
                                                                  "price": "9.99", "quantity": "2", "revenue": "19.98", "productId": "\"sku-1\"",
                                                                  "revenueType": "\"purchase\"", "location_lat": "48.1", "location_lng": "11.5",
                                                                  "event_id": "7", "platform": "\"Web\"", "library": "\"amplitude-ts/2.45.6\"",
                                                                  "$skip_user_properties_sync": "false", "plan": #"{"branch":"main"}"#,
                                                                  "app_version": "null"])),
        bad(RuleID.stringTooLong, "1025-char property value", one(["event_properties": "{\"desc\":\"\(long1025)\"}"]), "/events/0/event_properties/desc", 0, .warning),
        bad(RuleID.stringTooLong, "1025-char property key", one(["event_properties": "{\"\(long1025)\":1}"]), "/events/0/event_properties/\(long1025)", 0, .warning),
        bad(RuleID.stringTooLong, "1025-char user_id", one(["user_id": "\"\(long1025)\""]), "/events/0/user_id", 0, .warning),
        bad(RuleID.stringTooLong, "in an array", one(["event_properties": "{\"list\":[\"ok\",\"\(long1025)\"]}"]), "/events/0/event_properties/list/1", 0, .warning),
        bad(RuleID.stringTooLong, "1025 characters written with escapes", one(["event_properties": "{\"e\":\"" + String(repeating: "\\u00e9", count: 1025) + "\"}"]), "/events/0/event_properties/e", 0, .warning),
        good(RuleID.stringTooLong, "1024 characters", one(["event_properties": "{\"desc\":\"\(String(repeating: "x", count: 1024))\"}"])),
        good(RuleID.stringTooLong, "1024 two-byte characters", one(["event_properties": "{\"desc\":\"\(String(repeating: "é", count: 1024))\"}"])),
        good(RuleID.stringTooLong, "a long $receipt", one(["event_type": "\"revenue_amount\"", "event_properties": "{\"$price\":1,\"$receipt\":\"\(String(repeating: "r", count: 4000))\"}"])),
        bad(RuleID.nestedArray, "list of lists", one(["event_properties": #"{"matrix":[[1,2],[3]]}"#]), "/events/0/event_properties/matrix", 0, .warning),
        bad(RuleID.nestedArray, "inside an identify operation", identifyEvent(#"{"$set":{"grid":[["a"]]}}"#), "/events/0/user_properties/$set/grid", 0, .warning),
        good(RuleID.nestedArray, "list of objects and a flat list", one(["event_properties": #"{"items":[{"a":[1,2]},{"b":2}],"tags":["x","y"]}"#])),
        bad(RuleID.tooDeep, "41 levels of objects", one(["event_properties": nested(41)]), "/events/0/event_properties" + String(repeating: "/a", count: 40), 0, .error),
        bad(RuleID.tooDeep, "41 levels with arrays", one(["user_properties": "{\"l\":" + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}"]),
            "/events/0/user_properties/l" + String(repeating: "/0", count: 39), 0, .error),
        good(RuleID.tooDeep, "40 levels", one(["event_properties": nested(40)])),
        bad(RuleID.tooManyGroups, "6 group types", one(["groups": #"{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6"}"#]), "/events/0/groups", 0, .error),
        bad(RuleID.tooManyGroups, "11 group values", one(["groups": #"{"a":["1","2","3","4","5","6","7","8","9","10"],"b":"x"}"#]), "/events/0/groups", 0, .error),
        good(RuleID.tooManyGroups, "5 types and 10 values", one(["groups": #"{"a":["1","2","3","4","5","6"],"b":"x","c":"y","d":"z","e":"w"}"#])),
        bad(RuleID.unknownField, "camelCase userId", one(["userId": "\"user-12345\""]), "/events/0/userId", 0, .warning),
        bad(RuleID.unknownField, "typo evnet_type", one(["evnet_type": "\"x\""]), "/events/0/evnet_type", 0, .warning),
        bad(RuleID.unknownField, "a key with a slash", one(["a/b": "1"]), "/events/0/a~1b", 0, .warning),
        bad(RuleID.unknownField, "timestamp on an HTTP V2 event", one(["timestamp": "1795371070308"]), "/events/0/timestamp", 0, .warning),
        bad(RuleID.unknownField, "a key given twice", E.json(E.body([#"{"event_type":"a","user_id":"user-12345","user_id":"user-67890","insert_id":"x-1"}"#])), "/events/0/user_id", 0, .warning),
        bad(RuleID.unknownField, "event_type on an identification", E.identify(#"{"user_id":"user-12345","event_type":"$identify","user_properties":{"$set":{"a":1}}}"#), "/identification/event_type", 0, .warning),
        good(RuleID.unknownField, "SDK fields", E.events(HTTPV2DecoderTests.tsEvent, ev(["android_app_set_id": "\"x\"", "$skip_user_properties_sync": "true", "partner_id": "\"p\"", "user_agent": "\"ua\"", "version_name": "\"1\"", "ip": "\"$remote\"", "idfa": "\"i\"", "adid": "\"a\"", "currency": "\"EUR\""]))),
        bad(RuleID.reservedEventType, "[Amplitude] Revenue", one(["event_type": "\"[Amplitude] Revenue\""]), "/events/0/event_type", 0, .warning),
        bad(RuleID.reservedEventType, "session_start", one(["event_type": "\"session_start\""]), "/events/0/event_type", 0, .warning),
        bad(RuleID.reservedEventType, "a made-up $ event", one(["event_type": "\"$pageview\""]), "/events/0/event_type", 0, .warning),
        good(RuleID.reservedEventType, "$identify", identifyEvent(#"{"$set":{"a":1}}"#)),
        good(RuleID.reservedEventType, "revenue_amount and [Amplitude]-like text", E.events(ev(["event_type": "\"revenue_amount\"", "event_properties": #"{"$price":1}"#]), ev(["event_type": "\"[Amplitude]Start Session\""]))),
        bad(RuleID.revenueIncomplete, "revenue_amount without $price or $revenue", one(["event_type": "\"revenue_amount\"", "event_properties": #"{"$productId":"sku"}"#]), "/events/0/event_properties", 0, .warning),
        bad(RuleID.revenueIncomplete, "$price as a string", one(["event_type": "\"revenue_amount\"", "event_properties": #"{"$price":"9.99"}"#]), "/events/0/event_properties/$price", 0, .warning),
        bad(RuleID.revenueIncomplete, "$quantity 1.5", one(["event_type": "\"revenue_amount\"", "event_properties": #"{"$price":9.99,"$quantity":1.5}"#]), "/events/0/event_properties/$quantity", 0, .warning),
        bad(RuleID.revenueIncomplete, "productId without price", one(["productId": "\"sku-1\""]), "/events/0/price", 0, .warning),
        bad(RuleID.revenueIncomplete, "quantity ignored without price", one(["revenue": "10", "quantity": "2"]), "/events/0/quantity", 0, .info),
        good(RuleID.revenueIncomplete, "price, quantity and productId", one(["price": "9.99", "quantity": "2", "productId": "\"sku-1\"", "revenueType": "\"purchase\""])),
        good(RuleID.revenueIncomplete, "SDK revenue event", one(["event_type": "\"revenue_amount\"", "event_properties": #"{"$productId":"sku","$price":9.99,"$quantity":1,"$revenueType":"purchase"}"#])),
        bad(RuleID.duplicateInsertID, "one insert_id twice in a request", E.events(ev(["insert_id": "\"dup-1\""]), ev(["insert_id": "\"dup-1\""])), "/events/1/insert_id", 1, .warning),
        good(RuleID.duplicateInsertID, "one insert_id on two devices", E.events(ev(["insert_id": "\"dup-1\""]), ev(["insert_id": "\"dup-1\"", "device_id": "\"device-67890\""]))),
        bad(RuleID.missingInsertID, "no insert_id", one(drop: ["insert_id"]), "/events/0/insert_id", 0, .info),
        good(RuleID.missingInsertID, "insert_id set", one()),
        bad(RuleID.mappingIncomplete, "no global_user_id", E.usermap(#"[{"user_id":"user-12345"}]"#), "/mapping/0/global_user_id", 0, .error),
        bad(RuleID.mappingIncomplete, "single object without global_user_id", E.usermap(#"{"user_id":"user-12345"}"#), "/mapping/global_user_id", 0, .error),
        bad(RuleID.mappingIncomplete, "no user_id", E.usermap(#"[{"global_user_id":"global-12345"}]"#), "/mapping/0/user_id", 0, .error),
        bad(RuleID.mappingIncomplete, "unmap with a global_user_id", E.usermap(#"[{"user_id":"user-12345","global_user_id":"global-12345","unmap":true}]"#), "/mapping/0/global_user_id", 0, .warning),
        good(RuleID.mappingIncomplete, "map and unmap", E.usermap(#"[{"user_id":"user-12345","global_user_id":"global-12345"},{"user_id":"user-67890","unmap":true}]"#)),
    ]

    // MARK: Identify rules

    static let identifyCases: [RuleCase] = [
        bad(RuleID.mixedUserProperties, "plan beside $set", identifyEvent(#"{"$set":{"a":1},"plan":"pro"}"#), "/events/0/user_properties/plan", 0, .warning),
        bad(RuleID.mixedUserProperties, "Segment-style identification", E.identify(#"{"user_id":"user-12345","user_properties":{"some-trait":"v","$set":{"utm_source":"x"},"$setOnce":{"initial_utm_source":"x"}}}"#), "/identification/user_properties/some-trait", 0, .warning),
        good(RuleID.mixedUserProperties, "everything inside $set", identifyEvent(#"{"$set":{"a":1,"plan":"pro"}}"#)),
        good(RuleID.mixedUserProperties, "plain properties on a track event", one(["user_properties": #"{"plan":"pro"}"#])),
        bad(RuleID.propertyInMultipleOps, "plan in $set and $setOnce", identifyEvent(#"{"$set":{"plan":"pro"},"$setOnce":{"plan":"free"}}"#), "/events/0/user_properties/$setOnce/plan", 0, .warning),
        bad(RuleID.propertyInMultipleOps, "group property in $set and $unset", one(["event_type": "\"$groupidentify\"", "groups": #"{"org":"acme"}"#, "group_properties": #"{"$set":{"tier":"gold"},"$unset":{"tier":"-"}}"#]), "/events/0/group_properties/$unset/tier", 0, .warning),
        good(RuleID.propertyInMultipleOps, "one operation per property", identifyEvent(#"{"$set":{"plan":"pro"},"$setOnce":{"first":"2024-01-01"},"$add":{"logins":1}}"#)),
        bad(RuleID.clearAllNotAlone, "$clearAll with $set", identifyEvent(#"{"$clearAll":"-","$set":{"a":1}}"#), "/events/0/user_properties/$clearAll", 0, .warning),
        good(RuleID.clearAllNotAlone, "$clearAll alone", identifyEvent(#"{"$clearAll":"-"}"#)),
        bad(RuleID.clearAll, "$clearAll alone", identifyEvent(#"{"$clearAll":"-"}"#), "/events/0/user_properties/$clearAll", 0, .info),
        bad(RuleID.clearAll, "$clearAll via /identify", E.identify(#"{"user_id":"user-12345","user_properties":{"$clearAll":"-"}}"#), "/identification/user_properties/$clearAll", 0, .info),
        good(RuleID.clearAll, "no $clearAll", identifyEvent(#"{"$set":{"a":1}}"#)),
        bad(RuleID.addNonNumeric, "$add a word", identifyEvent(#"{"$add":{"logins":"many"}}"#), "/events/0/user_properties/$add/logins", 0, .error),
        bad(RuleID.addNonNumeric, "$add a boolean", identifyEvent(#"{"$add":{"logins":true}}"#), "/events/0/user_properties/$add/logins", 0, .error),
        bad(RuleID.addNonNumeric, "$add a numeric string", identifyEvent(#"{"$add":{"logins":"5"}}"#), "/events/0/user_properties/$add/logins", 0, .warning),
        good(RuleID.addNonNumeric, "$add numbers", identifyEvent(#"{"$add":{"logins":1,"score":-2.5}}"#)),
        bad(RuleID.unknownOperation, "$setAlways (Segment's label, not an operation)", identifyEvent(#"{"$setAlways":{"referrer":"x"}}"#), "/events/0/user_properties/$setAlways", 0, .error),
        bad(RuleID.unknownOperation, "$SET", identifyEvent(#"{"$SET":{"a":1}}"#), "/events/0/user_properties/$SET", 0, .error),
        bad(RuleID.unknownOperation, "$set with a string", identifyEvent(#"{"$set":"pro"}"#), "/events/0/user_properties/$set", 0, .error),
        good(RuleID.unknownOperation, "all ten operations", identifyEvent(#"{"$set":{"a":1},"$setOnce":{"b":1},"$add":{"c":1},"$append":{"d":1},"$prepend":{"e":1},"$preInsert":{"f":1},"$postInsert":{"g":1},"$remove":{"h":1},"$unset":{"i":"-"}}"#)),
        bad(RuleID.opsOnNonIdentify, "$set on a track event", one(["user_properties": #"{"$set":{"plan":"pro"}}"#]), "/events/0/user_properties", 0, .warning),
        good(RuleID.opsOnNonIdentify, "$set on $identify", identifyEvent(#"{"$set":{"plan":"pro"}}"#)),
        bad(RuleID.emptyIdentify, "$identify without user_properties", one(["event_type": "\"$identify\""]), "/events/0/user_properties", 0, .warning),
        bad(RuleID.emptyIdentify, "only empty operations", identifyEvent(#"{"$set":{},"$unset":{}}"#), "/events/0/user_properties", 0, .warning),
        bad(RuleID.emptyIdentify, "identification with ids only", E.identify(#"{"user_id":"user-12345"}"#), "/identification/user_properties", 0, .warning),
        good(RuleID.emptyIdentify, "identification that updates device fields", E.identify(#"{"user_id":"user-12345","platform":"iOS","os_name":"ios"}"#)),
        good(RuleID.emptyIdentify, "$identify with $set", identifyEvent(#"{"$set":{"plan":"pro"}}"#)),
        bad(RuleID.groupIdentifyIncomplete, "$groupidentify without groups", one(["event_type": "\"$groupidentify\"", "group_properties": #"{"$set":{"a":1}}"#]), "/events/0/groups", 0, .error),
        bad(RuleID.groupIdentifyIncomplete, "$groupidentify without group_properties", one(["event_type": "\"$groupidentify\"", "groups": #"{"org":"acme"}"#]), "/events/0/group_properties", 0, .error),
        bad(RuleID.groupIdentifyIncomplete, "/groupidentify without group_value", E.identify(#"{"group_type":"org","group_properties":{"$set":{"a":1}}}"#, path: "/groupidentify"), "/identification/group_value", 0, .error),
        good(RuleID.groupIdentifyIncomplete, "a complete group identify", E.identify(groupIdentification, path: "/groupidentify")),
        good(RuleID.groupIdentifyIncomplete, "a complete $groupidentify event", one(["event_type": "\"$groupidentify\"", "groups": #"{"org":"acme"}"#, "group_properties": #"{"$set":{"a":1}}"#])),
    ]
}

@Suite("Rule catalogue")
struct RuleTests {
    @Test("bad cases: the rule fires at the right path, event and severity", arguments: RuleCases.all.filter { $0.hit != nil })
    func bad(_ c: RuleCase) throws {
        let hit = try #require(c.hit)
        let p = CoreTest.process(c.capture, settings: c.settings)
        expectFinding(p.findings, c.rule, at: hit.path, event: hit.event, severity: hit.severity)
        for f in p.findings {
            #expect(!f.message.isEmpty)
            #expect(!f.message.unicodeScalars.contains { Sanitize.isUnsafe($0.value) }, "message must be safe to print: \(f.message)")
            #expect(RuleRegistry.standard.info(f.rule) != nil, "finding of an unregistered rule \(f.rule)")
        }
    }

    @Test("good cases: the rule stays quiet", arguments: RuleCases.all.filter { $0.hit == nil })
    func good(_ c: RuleCase) {
        let p = CoreTest.process(c.capture, settings: c.settings)
        let mine = p.findings.filter { $0.rule == c.rule }
        #expect(mine.isEmpty, "\(CoreTest.describe(mine))")
    }

    /// Rules whose findings are made outside the core pipeline, so no request can trigger them here.
    static let producedOutsideCore: Set<String> = Set([
        RuleID.unreadableInput,  // made by the replayer (AmpscopeApp) for a file line it cannot read
    ] + ProfileRules.infos.map(\.id)  // made by the profile simulator over many requests (ProfileSimulatorTests)
      + PlanRules.infos.map(\.id))  // made only when a tracking plan is given (PlanTests)

    @Test("every registered rule has at least one bad and one good case")
    func coverage() {
        let ids = Set(RuleRegistry.standard.infos.map(\.id)).subtracting(Self.producedOutsideCore)
        let bad = Set(RuleCases.all.filter { $0.hit != nil }.map(\.rule))
        let good = Set(RuleCases.all.filter { $0.hit == nil }.map(\.rule))
        #expect(ids.subtracting(bad).isEmpty, "rules without a bad case: \(ids.subtracting(bad).sorted())")
        #expect(ids.subtracting(good).isEmpty, "rules without a good case: \(ids.subtracting(good).sorted())")
        #expect(bad.subtracting(ids).isEmpty, "cases for unknown rules: \(bad.subtracting(ids).sorted())")
    }

    @Test("rules made outside the core are registered, and no request produces them")
    func outsideCore() {
        for id in Self.producedOutsideCore {
            let info = RuleRegistry.standard.info(id)
            #expect(info != nil, "\(id) must stay in the registry so reports and docs know it")
            #expect(info?.effect == AnswerEffect.none, "\(id) has no answer: the request was never read")
        }
        for c in RuleCases.all {
            let p = CoreTest.process(c.capture, settings: c.settings)
            #expect(Self.producedOutsideCore.isDisjoint(with: p.findings.map(\.rule)), "\(c.name)")
        }
    }

    @Test("the base test event is clean")
    func cleanEvent() {
        let p = CoreTest.process(CoreTest.events(CoreTest.event(), CoreTest.event()))
        #expect(p.findings.isEmpty, "\(CoreTest.describe(p.findings))")
        #expect(p.answer.status == 200)
    }

    @Test("rule ids are unique and kebab-case, and every rule has a summary")
    func ids() {
        let infos = RuleRegistry.standard.infos
        #expect(Set(infos.map(\.id)).count == infos.count)
        for i in infos {
            #expect(i.id.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || $0 == 45 }, "\(i.id)")
            #expect(!i.summary.isEmpty)
        }
    }

    @Test("only error findings have an effect on the answer; warnings and infos never do")
    func effects() {
        for i in RuleRegistry.standard.infos where i.severity != .error {
            #expect(i.effect == .none, "\(i.id) is \(i.severity) but has an answer effect")
        }
    }
}
