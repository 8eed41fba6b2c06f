/// Turns the calls of a decoded Segment request into the Amplitude requests each destination
/// would send (pure: no clock, no IO; `receivedAt` is Segment's receive time).
public struct SegmentMapper: Sendable {
    public var settings: SegmentSettings

    public init(settings: SegmentSettings = SegmentSettings()) { self.settings = settings }

    /// One entry per call and destination, before validation. Calls Segment drops (per the
    /// `segment-*` error findings) are not sent anywhere.
    public func map(_ request: DecodedRequest, capture: Capture, findings: [Finding], receivedAt: Int64)
        -> [(call: Int, label: String, destination: SegmentDestination, requests: [MappedRequest], notSent: String?, view: SegmentCallView?)] {
        guard request.endpoint == .segment, let doc = request.document else { return [] }
        let requestDrop = findings.first { $0.severity == .error && $0.event == nil }
        var droppedCalls: [Int: String] = [:]
        for f in findings where f.severity == .error {
            if let e = f.event, droppedCalls[e] == nil { droppedCalls[e] = f.rule }
        }
        var out: [(call: Int, label: String, destination: SegmentDestination, requests: [MappedRequest], notSent: String?, view: SegmentCallView?)] = []
        let userAgents = UserAgentMemo()
        for i in request.records.indices {
            let view = SegmentCallView(request: request, doc: doc, index: i)
            let label = view.label
            for d in settings.destinations {
                if let f = requestDrop {
                    out.append((i, label, d, [], "Segment drops the whole request (\(f.rule)), so no destination gets this call", nil))
                    continue
                }
                if let rule = droppedCalls[i] {
                    out.append((i, label, d, [], "Segment drops this call (\(rule)), so no destination gets it", nil))
                    continue
                }
                guard let type = view.type else { continue }
                let input = SegmentCallInput(view: view, type: type, receivedAt: receivedAt, userAgents: userAgents)
                let mapped = d == .actions ? ActionsMapping.map(input, settings, template: capture)
                                           : ClassicMapping.map(input, settings, template: capture)
                out.append((i, label, d, mapped.requests, mapped.notSent, view))
            }
        }
        return out
    }

    /// Top-level and `context` fields of the call that no mapped request carries.
    static func dropped(_ view: SegmentCallView, _ requests: [MappedRequest], _ d: SegmentDestination) -> [DroppedField] {
        guard view.isObject else { return [] }
        // A field is used when a provenance pointer is its pointer or lies under it: collect the
        // first token (a top-level field) and, under `context`, the second token of every
        // provenance pointer inside this call.
        let prefix = Array((view.pointer + "/").utf8)
        let slash = UInt8(ascii: "/")
        var usedTop = Set<Substring>()
        var usedContext = Set<Substring>()
        for r in requests {
            for p in r.provenance {
                guard let s = p.segment, s.utf8.starts(with: prefix) else { continue }
                let u = s.utf8
                let start = u.index(u.startIndex, offsetBy: prefix.count)
                var i = start
                while i < u.endIndex, u[i] != slash { i = u.index(after: i) }
                let top = s[start..<i]
                usedTop.insert(top)
                guard i < u.endIndex, top == "context" else { continue }
                let second = u.index(after: i)
                var j = second
                while j < u.endIndex, u[j] != slash { j = u.index(after: j) }
                usedContext.insert(s[second..<j])
            }
        }
        let ignored: Set<String> = ["type", "writeKey", "sentAt", "receivedAt", "_metadata"]
        var out: [DroppedField] = []
        let reason = requests.isEmpty ? "the call is not sent" : "\(d.displayName) does not send it"
        for (k, v) in view.doc.members(view.node) {
            let name = view.doc.string(k)
            if ignored.contains(name) { continue }
            let token = JSONPointer.escape(name)
            if name == "context", view.doc.kind(v) == .object {
                for (ck, _) in view.doc.members(v) {
                    let ct = JSONPointer.escape(view.doc.string(ck))
                    if !usedContext.contains(Substring(ct)) { out.append(DroppedField(segment: view.pointer + "/" + token + "/" + ct, reason: reason)) }
                }
            } else if !usedTop.contains(Substring(token)) {
                out.append(DroppedField(segment: view.pointer + "/" + token, reason: reason))
            }
        }
        return out
    }
}

extension Ingest {
    /// Maps a judged Segment request through the chosen destinations and runs every mapped
    /// request through the same decode → validate → answer path as any Amplitude request.
    func mapSegment(_ capture: Capture, _ request: DecodedRequest, _ findings: [Finding], settings: SegmentSettings,
                    context: inout ValidationContext, now: Int64) -> SegmentMapping {
        let receivedAt = capture.receivedAt > 0 ? capture.receivedAt : now
        let mapper = SegmentMapper(settings: settings)
        // Mapped requests are Amplitude requests: decode them by their own path, never as `--endpoint`.
        var options = decodeOptions
        options.endpointOverride = nil
        options.legacyPaths = ["/"]
        var calls: [SegmentCallMapping] = []
        for m in mapper.map(request, capture: capture, findings: findings, receivedAt: receivedAt) {
            var outcomes: [MappedOutcome] = []
            for r in m.requests {
                let decoded = decoders.decode(r.capture, options: options)
                let p = judge(r.capture, decoded, context: &context, now: now)
                outcomes.append(MappedOutcome(request: r, processed: p, findings: SegmentFindingHints.annotate(p.findings, r, settings)))
            }
            calls.append(SegmentCallMapping(callIndex: m.call, label: m.label, destination: m.destination, requests: outcomes,
                                            notSent: m.notSent, view: m.view))
        }
        return SegmentMapping(destinations: settings.destinations, calls: calls)
    }
}

extension Ingest {
    /// The mapping of a Segment capture read back from the store (the store keeps the Segment
    /// request's findings, not its mapping): the same result `process` gave, with a fresh
    /// validation history. nil for Amplitude requests.
    public func segmentMapping(for p: Processed, settings: SegmentSettings, validation: ValidationSettings = ValidationSettings(),
                               now: Int64) -> SegmentMapping? {
        guard p.request.endpoint == .segment else { return nil }
        var context = ValidationContext(settings: validation)
        return mapSegment(p.capture, p.request, p.findings, settings: settings, context: &context, now: now)
    }
}
