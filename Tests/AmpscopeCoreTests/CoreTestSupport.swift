import AmpscopeTestSupport
import Foundation
import Testing
@testable import AmpscopeCore

/// Helpers shared by the core tests. Everything lives in `CoreTest` so it cannot clash with
/// helpers of other test files in this module.
enum CoreTest {
    /// The dummy key the fixtures use.
    static let apiKey = "0123456789abcdef0123456789abcdef"
    /// Server clock used for emulated 200 answers.
    static let now: Int64 = 1_795_371_070_000
    static let jsonHeaders = [HTTPHeader("Content-Type", "application/json")]
    static let formHeaders = [HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")]

    // MARK: Repository paths (relative to this file: the fixtures live in the repository)

    static let testsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repoRoot = testsDir.deletingLastPathComponent().deletingLastPathComponent()
    static let fixturesRoot = Repo.fixtures

    // MARK: Building requests

    /// A clean HTTP V2 event (raw JSON members, in order). `insert_id` is unique per call.
    static func event(_ overrides: KeyValuePairs<String, String> = [:], drop: Set<String> = []) -> String {
        var members: [(String, String)] = [
            ("event_type", "\"Button Clicked\""),
            ("user_id", "\"user-12345\""),
            ("device_id", "\"device-12345\""),
            ("time", "1795371070308"),
            ("insert_id", "\"" + UUID().uuidString.lowercased() + "\""),
        ]
        for (k, v) in overrides {
            if let i = members.firstIndex(where: { $0.0 == k }) { members[i].1 = v } else { members.append((k, v)) }
        }
        members.removeAll { drop.contains($0.0) }
        return "{" + members.map { JSONWriter.quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    /// `{"api_key": …, "events": [...], "options": …}` as text.
    static func body(_ events: [String], options: String? = nil, apiKey: String? = CoreTest.apiKey, extra: String? = nil) -> String {
        var parts: [String] = []
        if let apiKey { parts.append("\"api_key\":" + JSONWriter.quoted(apiKey)) }
        parts.append("\"events\":[" + events.joined(separator: ",") + "]")
        if let options { parts.append("\"options\":" + options) }
        if let extra { parts.append(extra) }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func json(_ body: String, path: String = "/2/httpapi", method: String = "POST",
                     headers: [HTTPHeader] = CoreTest.jsonHeaders) -> Capture {
        Capture(receivedAt: now, source: .demo, method: method, path: path, headers: headers, body: Array(body.utf8))
    }

    static func jsonBytes(_ body: [UInt8], path: String = "/2/httpapi", headers: [HTTPHeader] = CoreTest.jsonHeaders) -> Capture {
        Capture(receivedAt: now, source: .demo, method: "POST", path: path, headers: headers, body: body)
    }

    /// An HTTP V2 request with these events.
    static func events(_ events: String..., options: String? = nil, path: String = "/2/httpapi") -> Capture {
        json(body(events, options: options), path: path)
    }

    /// A form request; fields are encoded with `FormEncoding.encode` (space as '+').
    static func form(_ fields: [(String, String)], path: String, method: String = "POST", query: String = "",
                     headers: [HTTPHeader] = CoreTest.formHeaders) -> Capture {
        Capture(receivedAt: now, source: .demo, method: method, path: path, query: query, headers: headers,
                body: Array(FormEncoding.encode(fields).utf8))
    }

    static func identify(_ identification: String, path: String = "/identify", extra: [(String, String)] = []) -> Capture {
        form([("api_key", apiKey), ("identification", identification)] + extra, path: path)
    }

    static func usermap(_ mapping: String) -> Capture {
        form([("api_key", apiKey), ("mapping", mapping)], path: "/usermap")
    }

    // MARK: amplitude-js legacy uploads

    /// RFC 3986 strict encoding as amplitude-js's `query-string` does it (space as %20).
    static func strictEscape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%" + String(format: "%02X", b)
            }
        }
        return out
    }

    /// A legacy body: keys sorted (checksum, client, e, upload_time, v) as amplitude-js sends them.
    /// `checksum` defaults to the MD5 computed by this test's own MD5 (see `MD5`).
    static func legacyBody(events e: String, apiKey: String = CoreTest.apiKey, uploadTime: String = "1795371070400",
                           checksum: String? = nil) -> String {
        let sum = checksum ?? MD5.hex("2" + apiKey + e + uploadTime)
        return [("checksum", sum), ("client", apiKey), ("e", e), ("upload_time", uploadTime), ("v", "2")]
            .map { $0.0 + "=" + strictEscape($0.1) }.joined(separator: "&")
    }

    static func legacy(events e: String, checksum: String? = nil, path: String = "/") -> Capture {
        Capture(receivedAt: now, source: .demo, method: "POST", path: path,
                headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"),
                          HTTPHeader("Cross-Origin-Resource-Policy", "cross-origin")],
                body: Array(legacyBody(events: e, checksum: checksum).utf8))
    }

    /// A realistic amplitude-js 8.21.9 event.
    static func legacyEvent(_ overrides: KeyValuePairs<String, String> = [:], drop: Set<String> = []) -> String {
        var members: [(String, String)] = [
            ("device_id", "\"2f3c1c8e-4b7a-4c1e-9f0a-2d5e6b7c8d9e\""),
            ("user_id", "\"user-12345\""),
            ("timestamp", "1795371070308"),
            ("event_id", "3"),
            ("session_id", "1795371060000"),
            ("event_type", "\"Viewed Page\""),
            ("version_name", "null"),
            ("platform", "\"Web\""),
            ("os_name", "\"Chrome\""),
            ("os_version", "\"130\""),
            ("device_model", "\"Linux\""),
            ("device_manufacturer", "null"),
            ("language", "\"en-US\""),
            ("api_properties", "{}"),
            ("event_properties", "{\"page\":\"/pricing\",\"référent\":\"ça va\"}"),
            ("user_properties", "{}"),
            ("uuid", "\"" + UUID().uuidString.lowercased() + "\""),
            ("library", "{\"name\":\"amplitude-js\",\"version\":\"8.21.9\"}"),
            ("sequence_number", "7"),
            ("groups", "{}"),
            ("group_properties", "{}"),
            ("user_agent", "\"Mozilla/5.0 (X11; Linux x86_64)\""),
            ("partner_id", "null"),
        ]
        for (k, v) in overrides {
            if let i = members.firstIndex(where: { $0.0 == k }) { members[i].1 = v } else { members.append((k, v)) }
        }
        members.removeAll { drop.contains($0.0) }
        return "{" + members.map { JSONWriter.quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    // MARK: Running the pipeline

    static func process(_ c: Capture, settings: ValidationSettings = ValidationSettings(),
                        options: DecodeOptions = DecodeOptions()) -> Processed {
        var ctx = ValidationContext(settings: settings)
        return Ingest(decodeOptions: options).process(c, context: &ctx, now: now)
    }

    static func decode(_ c: Capture, options: DecodeOptions = DecodeOptions()) -> DecodedRequest {
        DecoderRegistry.standard.decode(c, options: options)
    }

    /// `rule @path #event severity` lines, for readable failure messages.
    static func describe(_ findings: [Finding]) -> String {
        findings.map { "\($0.rule) @\($0.path) #\($0.event.map(String.init) ?? "-") \($0.severity.rawValue): \($0.message)" }
            .joined(separator: "\n")
    }

    static func ids(_ p: Processed) -> Set<String> { Set(p.findings.map(\.rule)) }
    static func errors(_ p: Processed) -> [Finding] { p.findings.filter { $0.severity == .error } }

    // MARK: Fixtures

    static func fixtureFiles(sourceLocation: SourceLocation = #_sourceLocation) -> [URL] {
        ["python-sdk", "typescript-node"].flatMap { Repo.fixtureFiles($0, sourceLocation: sourceLocation) }.map { URL(fileURLWithPath: $0) }
    }

    /// A fixture request file by scenario name (a failed expectation when it is missing).
    static func fixture(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> URL {
        let sdk = name.hasPrefix("ts_") ? "typescript-node" : "python-sdk"
        return URL(fileURLWithPath: Repo.fixturePath("\(sdk)/requests/\(name).jsonl", sourceLocation: sourceLocation))
    }

    /// Every capture of a fixture file, with the 1-based line it came from.
    static func captures(_ url: URL) throws -> [Capture] {
        let bytes = [UInt8](try Data(contentsOf: url))
        var out: [Capture] = []
        for (line, text) in LineSplitter(bytes) where !text.isEmpty {
            switch CaptureLine.parse(text, name: url.lastPathComponent, line: line) {
            case .success(let c?): out.append(c)
            case .success(nil): continue
            case .failure(let p): throw p
            }
        }
        return out
    }

    /// Processes a fixture file in order with one shared context, as `check` does.
    static func processFixture(_ url: URL) throws -> [Processed] {
        var ctx = ValidationContext()
        let ingest = Ingest()
        return try captures(url).map { ingest.process($0, context: &ctx, now: $0.receivedAt) }
    }
}

/// Asserts one finding with exactly this rule, path, event and severity exists.
func expectFinding(_ findings: [Finding], _ rule: String, at path: String, event: Int?, severity: Severity,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    let hit = findings.contains { $0.rule == rule && $0.path == path && $0.event == event && $0.severity == severity }
    #expect(hit, "expected \(rule) @\(path) #\(event.map(String.init) ?? "-") \(severity.rawValue); got:\n\(CoreTest.describe(findings))",
            sourceLocation: sourceLocation)
}

/// An independent MD5 (RFC 1321) so the checksum tests do not trust the code under test.
enum MD5 {
    static func hex(_ s: String) -> String { digest(Array(s.utf8)).map { String(format: "%02x", $0) }.joined() }

    static func digest(_ message: [UInt8]) -> [UInt8] {
        let s: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                           5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                           4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                           6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
        let k: [UInt32] = (0..<64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4_294_967_296)) }
        var a0: UInt32 = 0x6745_2301, b0: UInt32 = 0xefcd_ab89, c0: UInt32 = 0x98ba_dcfe, d0: UInt32 = 0x1032_5476
        var m = message
        let bitLength = UInt64(message.count) * 8
        m.append(0x80)
        while m.count % 64 != 56 { m.append(0) }
        for i in 0..<8 { m.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
        for chunk in stride(from: 0, to: m.count, by: 64) {
            var w = [UInt32](repeating: 0, count: 16)
            for i in 0..<16 {
                let j = chunk + i * 4
                w[i] = UInt32(m[j]) | UInt32(m[j + 1]) << 8 | UInt32(m[j + 2]) << 16 | UInt32(m[j + 3]) << 24
            }
            var a = a0, b = b0, c = c0, d = d0
            for i in 0..<64 {
                var f: UInt32
                let g: Int
                switch i {
                case 0..<16: f = (b & c) | (~b & d); g = i
                case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) % 16
                case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) % 16
                default: f = c ^ (b | ~d); g = (7 * i) % 16
                }
                f = f &+ a &+ k[i] &+ w[g]
                a = d
                d = c
                c = b
                b = b &+ (f << s[i] | f >> (32 - s[i]))
            }
            a0 = a0 &+ a; b0 = b0 &+ b; c0 = c0 &+ c; d0 = d0 &+ d
        }
        var out: [UInt8] = []
        for v in [a0, b0, c0, d0] { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
        return out
    }
}
