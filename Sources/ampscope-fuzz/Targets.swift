import AmpscopeCore
import AmpscopeUI

/// One fuzz target: a name (`AMPSCOPE_FUZZ_TARGET`, `Scripts/fuzz NAME`) and the function that
/// feeds one input to a parser. A target traps (a crash for libFuzzer) only when the parser
/// crashes or a property below fails; parse errors are ordinary results.
struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    let run: @Sendable ([UInt8]) -> Void
}

/// Fails loudly: libFuzzer records the input as a crash.
func check(_ ok: @autoclosure () -> Bool, _ what: @autoclosure () -> String) {
    if !ok() { fatalError("fuzz property failed: \(what())") }
}

enum Targets {
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "json", summary: "JSONDocument tape parser, then every accessor on every node", run: json),
        FuzzTarget(name: "decode", summary: "DecoderRegistry + rules + emulated answer; first bytes pick path, headers, query", run: decode),
        FuzzTarget(name: "form", summary: "form and query decoding (FormEncoding), round trip through encode", run: form),
        FuzzTarget(name: "gzip", summary: "gunzip, raw deflate and streaming gunzip; gzip round trip", run: gzip),
        FuzzTarget(name: "capture-line", summary: "capture lines (JSON Lines) read and decoded", run: captureLines),
        FuzzTarget(name: "har", summary: "HAR 1.2 reading, captures decoded", run: har),
        FuzzTarget(name: "input", summary: "format detection, then the detected reader (raw body, captures, HAR, logs, gzip)", run: input),
        FuzzTarget(name: "debug-log", summary: "TypeScript and Python SDK debug logs, fed in fuzzer-chosen chunks, joined", run: debugLog),
        FuzzTarget(name: "log-ingest", summary: "the /ampscope/log request body (content type, encoding, query from first bytes)", run: logIngest),
        FuzzTarget(name: "filter", summary: "filter language: parse, then evaluate against demo rows", run: filter),
        FuzzTarget(name: "keys", summary: "key files (KeyConfigParser over the standard table)", run: keys),
        FuzzTarget(name: "theme", summary: "theme files (ThemeParser)", run: theme),
        FuzzTarget(name: "segment", summary: "Segment decoder and mapping through the registry; first bytes pick the call path and auth", run: segment),
        FuzzTarget(name: "segment-settings", summary: "Segment settings files (JSON)", run: segmentSettings),
        FuzzTarget(name: "replay", summary: "replay planning of capture files: merge order and pacing from their recorded times", run: replay),
        FuzzTarget(name: "plan", summary: "tracking plan files (JSON exports and CSV)", run: plan),
    ]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    // MARK: JSON

    static func json(_ data: [UInt8]) {
        guard let doc = try? JSONDocument(parsing: data) else { return }
        walk(doc)
    }

    /// Touches every node the way the decoders and the UI do.
    static func walk(_ doc: JSONDocument) {
        let root = doc.root
        let end = doc.next(root)
        check(end > root, "next(root) moves forward")
        var i = root
        var visited = 0
        while i < end {
            _ = doc.byteRange(i)
            _ = doc.sourceOffset(i)
            switch doc.kind(i) {
            case .object:
                var n = 0
                for (k, _) in doc.members(i) {
                    _ = doc.string(k)
                    n += 1
                }
                check(n == doc.count(i), "member count")
                _ = doc.member(i, "event_type")
                _ = doc.member(i, named: "user_id")
                _ = doc.subtreeHasLongString(i)
                _ = doc.subtreeHasNestedArray(i)
                _ = doc.height(i)
            case .array:
                var n = 0
                for _ in doc.elements(i) { n += 1 }
                check(n == doc.count(i), "element count")
            case .string:
                let s = doc.string(i)
                _ = doc.stringBytes(i)
                _ = doc.isBlankString(i)
                _ = doc.stringScalarCount(i)
                _ = doc.stringStarts(i, with: UInt8(ascii: "$"))
                check(doc.stringValue(i) == s, "stringValue matches string")
            case .number:
                _ = doc.int64(i)
                _ = doc.double(i)
                _ = doc.isIntegerLiteral(i)
            default:
                _ = doc.bool(i)
            }
            _ = doc.rawText(i)
            if visited < 64 { _ = doc.pointer(to: i, within: root, base: "") }
            visited += 1
            i += 1
        }
    }

    // MARK: Wire decoders

    static let ingest = Ingest(decodeOptions: DecodeOptions(maxDecompressedBytes: 4 << 20))

    static let paths = ["/2/httpapi", "/batch", "/identify", "/groupidentify", "/usermap", "/", "/httpapi",
                        "/v1/track", "/v1/batch", "/v1/identify", "/eu/2/httpapi", "/2/httpapi/", "/nope",
                        "/v1/t", "/v1/page", "/BATCH"]
    static let encodings = ["", "gzip", "deflate", "x-gzip", "identity", "br", " GZIP ", "gzip"]
    static let contentTypes = ["application/json", "application/x-www-form-urlencoded", "",
                               "text/plain", "application/json; charset=utf-8", "multipart/form-data"]

    /// Layout: byte 0 = path, byte 1 = encoding/type/method bits, byte 2 = query length;
    /// then the query, then the body. Encoding 7 gzips the body here so the fuzzer reaches the
    /// decoders through a valid gzip stream too.
    static func capture(_ data: [UInt8], paths: [String]) -> Capture? {
        guard data.count >= 3 else { return nil }
        let path = paths[Int(data[0]) % paths.count]
        let bits = Int(data[1])
        let queryLength = min(Int(data[2]), data.count - 3)
        let query = String(decoding: data[3..<(3 + queryLength)], as: UTF8.self)
        var body = Array(data[(3 + queryLength)...])
        var headers: [HTTPHeader] = []
        let enc = bits & 7
        if enc != 0 { headers.append(HTTPHeader("Content-Encoding", encodings[enc])) }
        if enc == 7 { body = Inflate.gzip(body, level: 1) }
        let type = contentTypes[(bits >> 3) % contentTypes.count]
        if !type.isEmpty { headers.append(HTTPHeader("Content-Type", type)) }
        if bits & 0x80 != 0 { headers.append(HTTPHeader("Authorization", "Basic d3JpdGVrZXk6")) }
        return Capture(receivedAt: 1_700_000_000_000, source: .proxy, method: bits & 0x40 != 0 ? "GET" : "POST",
                       path: path, query: query, headers: headers, body: body)
    }

    static func process(_ c: Capture) {
        var context = ValidationContext()
        let p = ingest.process(c, context: &context, now: 1_700_000_000_000)
        for (n, row) in StreamRow.rows(p, id: 1).enumerated() where n < 50 {
            _ = FilterPayload(p, row: row)
        }
    }

    static func decode(_ data: [UInt8]) {
        guard let c = capture(data, paths: paths) else { return }
        process(c)
    }

    static let segmentPaths = ["/v1/track", "/v1/batch", "/v1/identify", "/v1/page", "/v1/screen", "/v1/group",
                               "/v1/alias", "/v1/import", "/v1/t", "/v1/b", "/v1/i", "/v1/p", "/v1/", "/v1/nope"]

    static func segment(_ data: [UInt8]) {
        guard let c = capture(data, paths: segmentPaths) else { return }
        process(c)
        _ = SegmentDecoder.basicAuthUser(c)
    }

    static func segmentSettings(_ data: [UInt8]) {
        _ = try? SegmentSettings.parse(data)
    }

    static func plan(_ data: [UInt8]) {
        _ = try? PlanImport.read(data)
        if data.count < 16 << 10 { _ = try? PlanImport.csvRows(String(decoding: data, as: UTF8.self)) }
    }

    // MARK: Form, gzip

    static func form(_ data: [UInt8]) {
        let (fields, problem) = FormEncoding.parse(data)
        guard problem == nil else { return }
        let again = FormEncoding.parse(Array(FormEncoding.encode(fields).utf8))
        check(again.problem == nil, "re-encoded form parses")
        check(again.fields.map(\.name) == fields.map(\.name) && again.fields.map(\.value) == fields.map(\.value),
              "form round trip")
    }

    static func gzip(_ data: [UInt8]) {
        guard let mode = data.first else { return }
        let rest = Array(data.dropFirst())
        let limit = 1 << 20
        switch mode % 4 {
        case 0: _ = Inflate.gunzip(rest, limit: limit)
        case 1: _ = Inflate.inflateDeflate(rest, limit: limit)
        case 2:
            let chunk = Int(mode >> 2) + 1
            var at = 0
            var total = 0
            let r = Inflate.gunzipStream(limit: limit, read: {
                guard at < rest.count else { return nil }
                defer { at += chunk }
                return Array(rest[at..<min(rest.count, at + chunk)])
            }, write: { total += $0.count })
            if case .success(let n) = r { check(n == total && n <= limit, "stream count") }
        default:
            let packed = Inflate.gzip(rest, level: Int32(mode >> 2) % 10)
            check(Inflate.looksGzipped(packed), "gzip output looks gzipped")
            guard case .success(let back) = Inflate.gunzip(packed, limit: rest.count + 1) else {
                return check(false, "gzip round trip inflates")
            }
            check(back == rest, "gzip round trip")
        }
    }

    // MARK: Files

    static func captureLines(_ data: [UInt8]) {
        for (line, text) in LineSplitter(data) {
            if case .success(let c?) = CaptureLine.parse(text, name: "fuzz", line: line) { process(c) }
        }
    }

    static func har(_ data: [UInt8]) {
        let r = HAR.read(data, name: "fuzz.har")
        for c in r.captures.prefix(20) { process(c) }
    }

    static func input(_ data: [UInt8]) { input(data, depth: 0) }

    static func input(_ data: [UInt8], depth: Int) {
        guard let first = data.first else { return }
        let name = ["in.jsonl", "in.har", "in.log", "body"][Int(first) % 4]
        let bytes = Array(data.dropFirst())
        switch InputFormat.detect(prefix: Array(bytes.prefix(64 * 1024)), name: name) {
        case .captures?: captureLines(bytes)
        case .har?: har(bytes)
        case .body?, nil:
            _ = RawBody.guessEndpoint(bytes)
            process(RawBody.capture(bytes, name: name, endpoint: nil))
        case .tsLog?, .pythonLog?: debugLog(bytes, chunk: 4096)
        case .store?: break
        case .gzip?:
            guard depth == 0, case .success(let inner) = Inflate.gunzip(bytes, limit: 1 << 20) else { return }
            input([first] + inner, depth: 1)
        }
    }

    /// Byte 0 picks the speed; the rest is up to three capture files split at 0xFF bytes,
    /// merged by time and paced as `ampscope replay --speed` does.
    static func replay(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let speeds: [Double?] = [nil, 1, 2, 0.5, 1000, 0.001, 1e-300, .infinity]
        var pacer = ReplayPacer(speed: speeds[Int(first) % speeds.count])
        let files = data.dropFirst().split(separator: 0xFF, maxSplits: 2, omittingEmptySubsequences: false)
        let lists: [[Capture]] = files.map { file in
            LineSplitter(Array(file)).compactMap { line, text in
                if case .success(let c?) = CaptureLine.parse(text, name: "fuzz", line: line) { return c }
                return nil
            }
        }
        var now: Int64 = Int64(first) << 40
        for (_, c) in TimeMerge.merge(lists, time: \.receivedAt) {
            let d = pacer.delay(recorded: c.receivedAt, now: now)
            check(d >= 0, "replay delay is never negative")
            now = now.addingReportingOverflow(min(d, 1 << 40)).partialValue
        }
    }

    // MARK: SDK logs

    static func debugLog(_ data: [UInt8]) {
        guard let first = data.first else { return }
        debugLog(Array(data.dropFirst()), chunk: Int(first) * 7 + 1)
    }

    static func debugLog(_ data: [UInt8], chunk: Int) {
        var parser = DebugLogParser(source: "fuzz", limits: DebugLogLimits(maxLineBytes: 64 << 10, maxBlockBytes: 256 << 10,
                                                                        maxBlockLines: 2000, maxProblems: 20))
        var records: [DebugRecord] = []
        var at = 0
        while at < data.count {
            records += parser.feed(bytes: data[at..<min(data.count, at + chunk)], receivedAt: Int64(at))
            at += chunk
        }
        records += parser.flush()
        records += parser.finish()
        _ = parser.takeProblems()
        var joiner = DebugJoiner()
        _ = joiner.add(records)
        _ = DebugLogParser.sniff(data)
    }

    static func logIngest(_ data: [UInt8]) {
        guard data.count >= 2 else { return }
        let types: [String?] = [nil, "text/plain", "application/json", "application/x-ndjson", "application/x-www-form-urlencoded", "text/plain; charset=utf-8"]
        let encodings: [String?] = [nil, "gzip", "identity", "br"]
        let queries = ["", "source=web", "format=ts", "format=python", "source=a&format=json", "format=%ZZ"]
        let b = Int(data[0])
        var body = Array(data.dropFirst(2))
        var encoding = encodings[b & 3]
        if data[1] & 1 == 1 { body = Inflate.gzip(body, level: 1); encoding = "gzip" }
        if case .success(let req) = LogIngest.decode(body: body, contentType: types[(b >> 2) % types.count],
                                                    contentEncoding: encoding, query: queries[Int(data[1] >> 1) % queries.count]) {
            var parser = DebugLogParser(source: req.source)
            for line in req.lines.prefix(2000) { _ = parser.feed(line: line.text, receivedAt: line.time) }
            _ = parser.finish()
        }
    }

    // MARK: Filter, keys, themes

    /// Demo traffic processed once: rows and payloads for filters to match.
    static let demoRows: [(StreamRow, FilterPayload?)] = {
        var demo = DemoTraffic(seed: 7)
        var out: [(StreamRow, FilterPayload?)] = []
        var context = ValidationContext()
        for id in 0..<24 {
            let p = ingest.process(demo.next(), context: &context, now: 1_795_370_000_000)
            for row in StreamRow.rows(p, id: Int64(id)).prefix(3) { out.append((row, FilterPayload(p, row: row))) }
        }
        return out
    }()

    static func filter(_ data: [UInt8]) {
        guard data.count <= 4096 else { return }
        let text = String(decoding: data, as: UTF8.self)
        guard let f = try? Filter(text) else { return }
        for (row, payload) in demoRows {
            _ = f.matches(row, payload: payload)
            _ = f.matchesColumns(row)
        }
    }

    static func keys(_ data: [UInt8]) {
        _ = try? KeyConfigParser.apply(String(decoding: data, as: UTF8.self), to: .standard, source: "fuzz.keys")
    }

    static func theme(_ data: [UInt8]) {
        _ = try? ThemeParser.parse(String(decoding: data, as: UTF8.self), name: "fuzz")
    }
}
