import AmpscopeCore
import AmpscopeStore
import Foundation
import Synchronization

/// One complete HTTP request as the proxy received it (transport-independent).
struct ProxyRequest: Sendable {
    var method: String
    /// Request target as sent (`/2/httpapi?x=1`).
    var uri: String
    var httpVersion: String
    var headers: [HTTPHeader]
    var body: [UInt8]
    var client: String?
    var receivedAt: Int64
    /// `https://host[:port]` for a request that came through an intercepted CONNECT tunnel,
    /// `http://host[:port]` for an absolute-form proxy request: where forward mode relays it.
    var origin: String? = nil

    func header(_ name: String) -> String? { headers.first { $0.name.caseInsensitiveEquals(name) }?.value }

    var pathAndQuery: (path: String, query: String) {
        var target = Substring(uri)
        // An absolute-form target (`http://host/path`, sent to a configured HTTP proxy): keep the path.
        if target.hasPrefix("http://") || target.hasPrefix("https://") {
            let parts = URLParts(String(target))
            return (parts.path, parts.query)
        }
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        if let q = target.firstIndex(of: "?") {
            return (String(target[..<q]), String(target[target.index(after: q)...]))
        }
        return (target.isEmpty ? "/" : String(target), "")
    }
}

/// What the proxy sends back.
struct ProxyResponse: Sendable {
    var status: Int
    var headers: [HTTPHeader]
    var body: [UInt8]
    /// Close the connection after this answer.
    var close = false
    /// Close the connection without answering at all (`--inject close`).
    var dropConnection = false
    /// Another server's answer passed through (PassThroughRelay): sent as it came, no CORS added.
    var relayed = false

    static func json(_ status: Int, _ body: [UInt8], close: Bool = false) -> ProxyResponse {
        ProxyResponse(status: status, headers: [HTTPHeader("Content-Type", AnswerEmulator.jsonType)], body: body, close: close)
    }

    /// `{"code":N,"error":"..."}`: the shape every SDK reads (the body's `code` decides).
    static func error(_ status: Int, _ message: String, close: Bool = false) -> ProxyResponse {
        json(status, ProxyEngine.errorBody(status, message), close: close)
    }
}

/// The proxy's request logic: capture → (inject | forward) → ingest → store (committed) → answer.
/// Independent of NIO so it can be driven and tested directly.
final class ProxyEngine: Sendable {
    let configuration: ProxyConfiguration
    let store: CaptureStore
    let ingest: SharedIngest
    let stats: ProxyStats
    let injector: FaultInjector?
    let upstream: UpstreamClient?
    let startedAt: Date
    /// Request bodies being received or processed, all connections together.
    let bodyBudget: ByteBudget
    /// What the test-suite API answers from (Docs/api.md).
    let journal: APIJournal
    private let listenAddress = Guarded<String>("")
    /// Where committed captures' answers go back to their event loops.
    let mailboxes = LoopMailboxes()

    init(configuration: ProxyConfiguration, store: CaptureStore, ingest: SharedIngest, stats: ProxyStats, upstream: UpstreamClient?) {
        self.configuration = configuration
        self.store = store
        self.ingest = ingest
        self.stats = stats
        self.upstream = upstream
        injector = configuration.injections.isEmpty ? nil : FaultInjector(rules: configuration.injections, seed: configuration.injectionSeed)
        startedAt = Date()
        bodyBudget = ByteBudget(limit: max(configuration.limits.maxBufferedBodyBytes, 2 * configuration.limits.maxBodyBytes))
        journal = APIJournal(plan: configuration.plan, memoryLimit: configuration.apiMemoryBytes)
    }

    func setListenAddress(_ s: String) { listenAddress.withLock { $0 = s } }
    var listen: String { listenAddress.withLock { $0 } }

    static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// The proxy's own error answers (refusals, fallbacks, its endpoints) go to any client:
    /// `code` and `error` for Amplitude's SDKs, `message` for other tracking clients
    /// (analytics-python reads `code` and `message`; Docs/answers.md).
    static func errorBody(_ status: Int, _ message: String) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("code", status)
        w.field("error", message)
        w.field("message", message)
        w.endObject()
        return w.bytes
    }

    // MARK: Requests that are captured

    /// Handles an Amplitude (or any non-internal) request. Returns only after the capture is committed.
    func handle(_ request: ProxyRequest) async -> ProxyResponse {
        var capture = Self.capture(request)
        let path = capture.path

        // Fault injection decides first: a faulted request never reaches the upstream.
        var decision: InjectionDecision?
        // Decoded once: the injector reads it, and so does the judging below (decoding reads only
        // the request's bytes and headers, which the injection's recorded answer does not change).
        var decoded: DecodedRequest?
        if let injector {
            let routed = Endpoint.route(path: path, legacyPaths: ingest.ingest.decodeOptions.legacyPaths).endpoint
            let request = ingest.ingest.decode(capture)
            decoded = request
            var preview: Processed?
            if injector.needsPreview {
                // Validated on its own (no cross-request state), only to evaluate `filter=`.
                var scratch = ValidationContext(settings: ingest.settings)
                preview = ingest.ingest.judge(capture, request, context: &scratch, now: capture.receivedAt)
            }
            decision = injector.decide(path: path, endpoint: routed, request: request, preview: preview)
            if decision != nil { ProxyStats.bump(stats.injected) }
        }
        if let d = decision, d.delayMs > 0 {
            try? await Task.sleep(nanoseconds: UInt64(d.delayMs) * 1_000_000)
        }

        var reply: ProxyResponse?
        if let d = decision, d.action != .delayOnly {
            if let status = d.status {
                let headers = [HTTPHeader("Content-Type", AnswerEmulator.jsonType)]
                capture.recordedResponse = RecordedResponse(status: status, headers: headers, body: d.body, origin: .injected,
                                                            error: "injected by --inject \(d.rule)", latencyMs: Double(d.delayMs))
                reply = ProxyResponse(status: status, headers: headers, body: d.body)
            } else {
                capture.recordedResponse = RecordedResponse(status: 0, body: [], origin: .injected,
                                                            error: "connection closed without an answer by --inject \(d.rule)",
                                                            latencyMs: Double(d.delayMs))
                reply = ProxyResponse(status: 0, headers: [], body: [], dropConnection: true)
            }
        } else if let upstream {
            switch await upstream.forward(method: request.method, target: capture.target, headers: request.headers, body: request.body,
                                          origin: request.origin) {
            case .answered(let status, let headers, let body, let latency):
                let delay = Double(decision?.delayMs ?? 0)
                capture.recordedResponse = RecordedResponse(status: status, headers: headers, body: Self.recordableBody(body, headers),
                                                            origin: .upstream, latencyMs: latency + delay)
                let relayed = UpstreamClient.relayable(headers).filter { !$0.name.asciiLowercased.hasPrefix("access-control-") }
                reply = ProxyResponse(status: status, headers: relayed, body: body)
            case .failed(let status, let reason, let latency):
                ProxyStats.bump(stats.upstreamFailures)
                let body = Self.errorBody(status, reason)
                let headers = [HTTPHeader("Content-Type", AnswerEmulator.jsonType)]
                capture.recordedResponse = RecordedResponse(status: status, headers: headers, body: body, origin: .fallback,
                                                            error: reason, latencyMs: latency)
                configuration.onProblem?("forward: \(request.method) \(Sanitize.inline(path, limit: 80)): \(reason)")
                reply = ProxyResponse(status: status, headers: headers, body: body)
            }
        }

        return await commit(process(capture, decoded: decoded), reply: reply)
    }

    /// True when a request needs nothing asynchronous before it is processed (sink mode, no
    /// injection): the handler then processes it on its event loop, off the cooperative pool.
    var processesInline: Bool { injector == nil && upstream == nil }

    static func capture(_ request: ProxyRequest) -> Capture {
        let (path, query) = request.pathAndQuery
        return Capture(receivedAt: request.receivedAt, source: .proxy, method: request.method, path: path,
                       query: query, httpVersion: request.httpVersion, headers: request.headers,
                       body: request.body, client: request.client)
    }

    /// Decode, validate, emulate (synchronous; takes the shared validation lock briefly).
    func process(_ capture: Capture, decoded: DecodedRequest? = nil) -> Processed {
        let processed = decoded.map { ingest.judge(capture, $0, now: Self.nowMs()) } ?? ingest.process(capture, now: Self.nowMs())
        ProxyStats.bump(stats.requests)
        ProxyStats.bump(stats.events, by: processed.request.records.count)
        let counts = processed.counts
        if counts.errors > 0 { ProxyStats.bump(stats.errors, by: counts.errors) }
        if counts.warnings > 0 { ProxyStats.bump(stats.warnings, by: counts.warnings) }
        return processed
    }

    /// Stores the capture (returns once it is committed) and chooses the answer: `reply` (a
    /// fault, the upstream's or a fallback) or the emulated one; 503 when it cannot be stored.
    func commit(_ processed: Processed, reply: ProxyResponse?) async -> ProxyResponse {
        await withCheckedContinuation { cont in commit(processed, reply: reply) { cont.resume(returning: $0) } }
    }

    /// The same with a callback (sink mode on the event loop: no task per request). `answer`
    /// runs on the store's writer thread once the capture is committed.
    func commit(_ processed: Processed, reply: ProxyResponse?, answer: @escaping @Sendable (ProxyResponse) -> Void) {
        store.append(processed) { [self] result in
            if case .failure(let error) = result {
                ProxyStats.bump(stats.storeFailures)
                ProxyStats.bump(stats.rejected)
                let why = "ampscope could not store this request, so it was not acknowledged: \(error)"
                configuration.onProblem?("store: \(why)")
                answer(.error(503, why))
                return
            }
            journal.add(processed)
            let response = reply ?? ProxyResponse(status: processed.answer.status,
                                                  headers: [HTTPHeader("Content-Type", processed.answer.contentType)],
                                                  body: processed.answer.body)
            if !(200..<300).contains(response.status) { ProxyStats.bump(stats.rejected) }
            answer(response)
        }
    }

    /// A gzip-encoded upstream answer is recorded expanded (what a client reads), when it expands.
    static func recordableBody(_ body: [UInt8], _ headers: [HTTPHeader]) -> [UInt8] {
        guard let enc = headers.first(where: { $0.name.caseInsensitiveEquals("Content-Encoding") })?.value.asciiLowercased,
              enc.contains("gzip") || enc.contains("deflate"),
              case .success(let plain) = Inflate.gunzip(body, limit: UpstreamClient.maxAnswerBytes) else { return body }
        return plain
    }

    /// Records a request refused by a limit before its body was read (413), so the user sees it.
    /// The client already got its answer; nothing here is acknowledged.
    func recordRefused(_ request: ProxyRequest, status: Int, reason: String, answer: [UInt8]) async {
        let (path, query) = request.pathAndQuery
        var capture = Capture(receivedAt: request.receivedAt, source: .proxy, method: request.method, path: path,
                              query: query, httpVersion: request.httpVersion, headers: request.headers, body: [],
                              client: request.client)
        capture.recordedResponse = RecordedResponse(status: status, headers: [HTTPHeader("Content-Type", AnswerEmulator.jsonType)],
                                                    body: answer, origin: .fallback, error: reason)
        let processed = ingest.process(capture, now: Self.nowMs())
        ProxyStats.bump(stats.requests)
        ProxyStats.bump(stats.rejected)
        do {
            _ = try await store.append(processed)
        } catch {
            ProxyStats.bump(stats.storeFailures)
            configuration.onProblem?("store: could not record a refused request: \(error)")
        }
    }

    // MARK: Answers that are not captured

    /// CORS headers for every answer: allow the calling origin (amplitude-js and the browser SDK
    /// call from the page's origin; no credentials are involved).
    func corsHeaders(for request: ProxyRequest) -> [HTTPHeader] {
        if let origin = request.header("Origin"), !origin.isEmpty {
            return [HTTPHeader("Access-Control-Allow-Origin", origin), HTTPHeader("Vary", "Origin")]
        }
        return [HTTPHeader("Access-Control-Allow-Origin", "*")]
    }

    /// The answer to a CORS preflight (`OPTIONS`): every method the SDKs use, the requested headers mirrored.
    func preflight(_ request: ProxyRequest) -> ProxyResponse {
        ProxyStats.bump(stats.preflights)
        var headers = [
            HTTPHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
            HTTPHeader("Access-Control-Max-Age", "600"),
        ]
        if let requested = request.header("Access-Control-Request-Headers"), !requested.isEmpty {
            headers.append(HTTPHeader("Access-Control-Allow-Headers", requested))
            headers.append(HTTPHeader("Vary", "Access-Control-Request-Headers"))
        } else {
            headers.append(HTTPHeader("Access-Control-Allow-Headers",
                                      "Content-Type, Content-Encoding, Accept, Authorization, Cross-Origin-Resource-Policy"))
        }
        if request.header("Access-Control-Request-Private-Network")?.asciiLowercased == "true" {
            headers.append(HTTPHeader("Access-Control-Allow-Private-Network", "true"))
        }
        if let seen = configuration.onPreflight {
            seen(PreflightSeen(receivedAt: request.receivedAt, client: request.client, target: request.uri,
                               origin: request.header("Origin"), requestMethod: request.header("Access-Control-Request-Method"),
                               requestHeaders: request.header("Access-Control-Request-Headers"), status: 204))
        }
        return ProxyResponse(status: 204, headers: headers, body: [])
    }

    /// `/ampscope/...`: the proxy's own endpoints. `answer` is called once, at once except for
    /// `/ampscope/wait`, which answers when its events arrived or its time is up.
    func internalEndpoint(_ request: ProxyRequest, path: String, answer: @escaping @Sendable (ProxyResponse) -> Void) {
        if let refusal = authorize(request) {
            answer(refusal)
            return
        }
        let query = FormEncoding.parse(Array(request.pathAndQuery.query.utf8)).fields
        if request.method == "GET", path == "/ampscope/wait" {
            wait(query, answer: answer)
            return
        }
        answer(internalEndpoint(request, path: path, query: query))
    }

    /// Constant-time comparison of a presented token with the configured one.
    static func tokenMatches(_ presented: String, _ expected: String) -> Bool {
        let a = Array(presented.utf8), b = Array(expected.utf8)
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<min(a.count, b.count) { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    /// nil when the request may use `/ampscope/*`; else the 401 to send.
    func authorize(_ request: ProxyRequest) -> ProxyResponse? {
        guard let expected = configuration.apiToken else { return nil }
        var presented: [String] = []
        if let auth = request.header("Authorization") {
            let t = auth.trimmingASCIISpaces
            if t.count > 7, t.prefix(7).lowercased() == "bearer " { presented.append(String(t.dropFirst(7)).trimmingASCIISpaces) }
        }
        if let h = request.header("X-Ampscope-Token") { presented.append(h.trimmingASCIISpaces) }
        for f in FormEncoding.parse(Array(request.pathAndQuery.query.utf8)).fields where f.name == "token" { presented.append(f.value) }
        if presented.contains(where: { Self.tokenMatches($0, expected) }) { return nil }
        var r = ProxyResponse.error(401, presented.isEmpty
            ? "this proxy listens beyond loopback: /ampscope/* needs the token it printed at start (Authorization: Bearer TOKEN, X-Ampscope-Token: TOKEN or ?token=TOKEN)"
            : "wrong token for /ampscope/*: use the one this proxy printed at start")
        r.headers.append(HTTPHeader("WWW-Authenticate", "Bearer realm=\"ampscope\""))
        r.headers.append(HTTPHeader("Access-Control-Allow-Origin", "*"))
        return r
    }

    static func queryValue(_ q: [(name: String, value: String)], _ name: String) -> String? { q.last { $0.name == name }?.value }

    /// The `filter` parameter, or a 400 answer.
    static func filter(_ q: [(name: String, value: String)]) -> Result<Filter, ProxyResponseBox> {
        let text = queryValue(q, "filter") ?? ""
        do { return .success(try Filter(text)) } catch {
            return .failure(ProxyResponseBox(.error(400, "filter: \(Sanitize.inline(String(describing: error), limit: 200)) (Docs/filter.md)")))
        }
    }

    static func intParam(_ q: [(name: String, value: String)], _ name: String, default d: Int, range: ClosedRange<Int>) -> Result<Int, ProxyResponseBox> {
        guard let s = queryValue(q, name) else { return .success(d) }
        guard let v = Int(s.trimmingASCIISpaces), range.contains(v) else {
            return .failure(ProxyResponseBox(.error(400, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")))
        }
        return .success(v)
    }

    func eventsBody(total: Int?, offset: Int?, items: [APIJournal.EventRef], dropped: Int?, extra: (inout JSONWriter) -> Void = { _ in }) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        extra(&w)
        if let total { w.field("total", total) }
        if let offset {
            w.field("offset", offset)
            var next: Int?
            if let total, offset + items.count < total { next = offset + items.count }
            w.field("next_offset", next)
        }
        if let dropped { w.field("dropped", dropped) }
        w.key("events")
        w.beginArray()
        for r in items { APIJournal.writeEvent(r, &w) }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// `GET /ampscope/wait?filter=EXPR&count=N&timeout=S`: answers when N matching events
    /// arrived since start or the last reset (200, `complete: true`) or after S seconds (408).
    func wait(_ q: [(name: String, value: String)], answer: @escaping @Sendable (ProxyResponse) -> Void) {
        let filter: Filter, count: Int, timeoutMs: Int
        switch Self.filter(q) { case .success(let f): filter = f; case .failure(let r): answer(r.response); return }
        switch Self.intParam(q, "count", default: 1, range: 1...100_000) { case .success(let v): count = v; case .failure(let r): answer(r.response); return }
        let timeoutText = Self.queryValue(q, "timeout") ?? "10"
        guard let t = Double(timeoutText.trimmingASCIISpaces), t >= 0, t <= 600 else {
            answer(.error(400, "timeout must be seconds from 0 to 600"))
            return
        }
        timeoutMs = Int(t * 1000)
        journal.wait(filter: filter, count: count, timeout: Double(timeoutMs) / 1000) { [self] matched, complete in
            let body = eventsBody(total: nil, offset: nil, items: matched, dropped: nil) { w in
                w.field("complete", complete)
                w.field("count", matched.count)
                w.field("wanted", count)
            }
            answer(.json(complete ? 200 : 408, body))
        }
    }

    func internalEndpoint(_ request: ProxyRequest, path: String, query: [(name: String, value: String)]) -> ProxyResponse {
        switch (request.method, path) {
        case ("GET", "/ampscope/events"):
            let filter: Filter, offset: Int, limit: Int
            switch Self.filter(query) { case .success(let f): filter = f; case .failure(let r): return r.response }
            switch Self.intParam(query, "offset", default: 0, range: 0...Int(Int32.max)) { case .success(let v): offset = v; case .failure(let r): return r.response }
            switch Self.intParam(query, "limit", default: 100, range: 1...1000) { case .success(let v): limit = v; case .failure(let r): return r.response }
            let page = journal.page(filter: filter, offset: offset, limit: limit)
            return .json(200, eventsBody(total: page.total, offset: offset, items: page.items, dropped: page.dropped))
        case (_, "/ampscope/events"), (_, "/ampscope/wait"):
            return .error(405, "use GET \(path)")
        case ("GET", "/ampscope/coverage"):
            guard let body = journal.coverageJSON() else {
                return .error(404, "no tracking plan: start the proxy with --plan FILE to get coverage")
            }
            return .json(200, body)
        case (_, "/ampscope/coverage"):
            return .error(405, "use GET /ampscope/coverage")
        case ("POST", "/ampscope/reset"):
            let n = journal.reset()
            ingest.reset()
            var w = JSONWriter()
            w.beginObject()
            w.field("cleared_requests", n)
            w.endObject()
            return .json(200, w.bytes)
        case (_, "/ampscope/reset"):
            return .error(405, "use POST /ampscope/reset")
        case ("GET", "/ampscope/status"), ("HEAD", "/ampscope/status"):
            return .json(200, statusJSON())
        case (_, "/ampscope/status"):
            return .error(405, "use GET /ampscope/status")
        case ("POST", "/ampscope/log"):
            guard let sink = configuration.onSDKLog else {
                return .error(501, "SDK log intake (POST /ampscope/log) is not enabled in this proxy; see Docs/debug.md")
            }
            let query = request.pathAndQuery.query
            // Any page may ship its logs here (no credentials are involved): CORS `*`.
            var answer: ProxyResponse
            switch LogIngest.decode(body: request.body, contentType: request.header("Content-Type"),
                                    contentEncoding: request.header("Content-Encoding"), query: query) {
            case .failure(let f):
                answer = .json(f.status, LogIngest.failureBody(f))
            case .success(let decoded):
                sink(SDKLogPost(receivedAt: request.receivedAt, client: request.client, request: decoded))
                answer = .json(200, LogIngest.acceptedBody(lines: decoded.lines.count))
            }
            answer.headers.append(HTTPHeader("Access-Control-Allow-Origin", "*"))
            return answer
        case (_, "/ampscope/log"):
            return .error(405, "use POST /ampscope/log")
        default:
            return .error(404, "unknown ampscope endpoint; try GET /ampscope/status (Docs/api.md)")
        }
    }

    /// For tests and callers that want the answer of an endpoint that answers at once.
    func internalEndpoint(_ request: ProxyRequest, path: String) -> ProxyResponse {
        if let refusal = authorize(request) { return refusal }
        return internalEndpoint(request, path: path, query: FormEncoding.parse(Array(request.pathAndQuery.query.utf8)).fields)
    }

    func statusJSON() -> [UInt8] {
        let s = stats.snapshot
        var w = JSONWriter()
        w.beginObject()
        w.field("ampscope", AmpscopeVersion.current)
        w.field("mode", configuration.modeName)
        w.field("listen", listen)
        w.field("upstream", configuration.upstream?.description)
        w.field("store", store.path)
        w.key("uptime_s")
        w.double((Date().timeIntervalSince(startedAt) * 1000).rounded() / 1000)
        w.field("started", Timestamp.iso8601(ms: Int64(startedAt.timeIntervalSince1970 * 1000)))
        w.key("counts")
        w.beginObject()
        w.field("requests", s.requests)
        w.field("events", s.events)
        w.field("errors", s.errors)
        w.field("warnings", s.warnings)
        w.field("rejected", s.rejected)
        w.field("store_failures", s.storeFailures)
        w.field("upstream_failures", s.upstreamFailures)
        w.field("injected", s.injected)
        w.field("limit_rejections", s.limitRejections)
        w.field("preflights", s.preflights)
        w.endObject()
        w.key("connections")
        w.beginObject()
        w.field("open", s.openConnections)
        w.field("total", s.totalConnections)
        w.endObject()
        w.key("injections")
        w.beginArray()
        for r in configuration.injections { w.string(r.spec) }
        w.endArray()
        let l = configuration.limits
        w.key("limits")
        w.beginObject()
        w.field("max_body_bytes", l.maxBodyBytes)
        w.field("max_header_bytes", l.maxHeaderBytes)
        w.key("header_timeout_s"); w.double(l.headerTimeout)
        w.key("request_timeout_s"); w.double(l.requestTimeout)
        w.key("idle_timeout_s"); w.double(l.idleTimeout)
        w.field("max_connections", l.maxConnections)
        w.endObject()
        w.field("sdk_log_intake", configuration.onSDKLog != nil)
        w.field("token_required", configuration.apiToken != nil)
        w.field("plan", configuration.plan != nil)
        w.field("api_waiting", journal.waiting)
        if let wal = store.walStats {
            w.key("wal")
            w.beginObject()
            w.field("bytes", wal.walBytes)
            w.field("largest_bytes", wal.largestWALBytes)
            w.field("passes", wal.passes)
            w.field("restarts", wal.restarts)
            w.field("restarts_given_up", wal.restartsGivenUp)
            w.key("longest_restart_ms"); w.double((wal.longestRestartMs * 1000).rounded() / 1000)
            w.key("longest_presync_ms"); w.double((wal.longestPresyncMs * 1000).rounded() / 1000)
            w.endObject()
        }
        if let ws = store.writerStats {
            w.key("writer")
            w.beginObject()
            w.field("commits", ws.commits)
            w.field("captures", ws.captures)
            w.field("largest_batch", ws.largestBatch)
            w.key("commit_ms"); w.double((Double(ws.commitWallNanoseconds) / 1000).rounded() / 1000)
            w.key("commit_cpu_ms"); w.double((Double(ws.commitCPUNanoseconds) / 1000).rounded() / 1000)
            w.key("longest_commit_ms"); w.double((Double(ws.longestCommitNanoseconds) / 1000).rounded() / 1000)
            w.endObject()
        }
        for section in configuration.statusSections {
            guard let fields = section.fields else { continue }
            w.key(section.key)
            w.beginObject()
            for (name, value) in fields { w.field(name, value) }
            w.endObject()
        }
        w.endObject()
        return w.bytes
    }
}

/// An answer carried as an error value (`Result` needs an `Error`).
struct ProxyResponseBox: Error {
    let response: ProxyResponse
    init(_ r: ProxyResponse) { response = r }
}

/// A proxy-wide cap on buffered request bodies (so many large uploads at once cannot exhaust memory).
final class ByteBudget: Sendable {
    let limit: Int
    private let used = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    /// Takes `n` bytes if they fit.
    func reserve(_ n: Int) -> Bool {
        let now = used.wrappingAdd(n, ordering: .relaxed).newValue
        if now > limit {
            used.wrappingSubtract(n, ordering: .relaxed)
            return false
        }
        return true
    }

    func release(_ n: Int) { used.wrappingSubtract(n, ordering: .relaxed) }

    var inUse: Int { used.load(ordering: .relaxed) }
}
