import AmpscopeCore

/// The Mapping tab: a Segment call beside the Amplitude requests one destination sends for it,
/// field by field (which Segment path each Amplitude field came from, what was made up, what
/// was dropped), with each request's answer and findings. Pure, shared by reducer and renderer.
public enum MappingContent {
    /// The tab's context line.
    public static func context(_ p: Processed?, call: Int, destination: SegmentDestination) -> String {
        guard let p else { return " Select a Segment call to see what Amplitude receives." }
        guard p.request.endpoint == .segment else {
            return " An Amplitude request (\(p.request.endpoint.displayName)): nothing is mapped."
        }
        let label = SegmentCallView.label(p.request, call)
        let other: SegmentDestination = destination == .actions ? .classic : .actions
        return " \(Sanitize.inline(label, limit: 60)) → \(destination.displayName) · t: \(other.rawValue)"
    }

    /// The tab's rows for call `call` of a Segment capture, through `destination`.
    /// `selected` is the mapped record the stream selection is on (its request is marked).
    public static func rows(_ p: Processed, call: Int, destination: SegmentDestination, selected: MappedRecord?,
                            width: Int, redact: Bool = true) -> [[Segment]] {
        var out: [[Segment]] = []
        let w = max(20, width)
        func wrapped(_ segs: [Segment]) { out += InspectorContent.wrapSegments(segs, width: w) }
        func text(_ s: String, _ role: StyleRole = .text) { wrapped([Segment(s, role)]) }
        guard p.request.endpoint == .segment else {
            text("This capture is an Amplitude request (\(p.request.endpoint.displayName)); Amplitude reads it as it is.", .textDim)
            text("For a Segment call (/v1/track, /v1/batch…) this tab shows the Amplitude requests Segment's Amplitude destinations send: which Segment field each Amplitude field came from, what they drop, and what Amplitude answers.", .textDim)
            return out
        }
        guard let mapping = p.segmentMapping else {
            text("No mapping for this capture (the session maps no Segment calls).", .textDim)
            return out
        }
        guard mapping.destinations.contains(destination) else {
            text("\(destination.displayName) is not mapped in this session: start ampscope with --segment-destination both.", .textDim)
            return out
        }
        guard call >= 0 else {
            text("The request has no call to map (\(p.request.records.count) records).", .textDim)
            return out
        }
        let mappings = mapping.calls.filter { $0.callIndex == call && $0.destination == destination }
        out.append([Segment("Segment call \(call) · ", .textDim), Segment(SegmentCallView.label(p.request, call), .listType),
                    Segment(" → \(destination.displayName)", .sectionTitle)])
        for m in mappings {
            if let why = m.notSent {
                out.append([])
                wrapped([Segment("Not sent: ", .severityWarning), Segment(why, .text)])
            }
            if m.requests.isEmpty && m.notSent == nil {
                out.append([])
                text("Nothing is sent for this call.", .textDim)
            }
            for (k, o) in m.requests.enumerated() {
                out.append([])
                request(o, number: k + 1, of: m.requests.count, selected: selected.map { $0.outcome.request.url == o.request.url
                            && $0.outcome.request.action == o.request.action && $0.outcome.request.capture.body == o.request.capture.body } ?? false,
                        width: w, redact: redact, into: &out)
            }
            if !m.dropped.isEmpty {
                out.append([])
                out.append([Segment("Dropped (\(m.dropped.count)): no request carries these", .sectionTitle)])
                for d in m.dropped {
                    wrapped([Segment("  " + Sanitize.inline(d.segment, limit: 120), .path), Segment("  " + d.reason, .textDim)])
                }
            }
        }
        return out
    }

    static func request(_ o: MappedOutcome, number: Int, of total: Int, selected: Bool, width: Int, redact: Bool,
                        into out: inout [[Segment]]) {
        let r = o.request
        let p = o.processed
        func wrapped(_ segs: [Segment]) { out += InspectorContent.wrapSegments(segs, width: width) }
        var head = [Segment(selected ? "▸ " : "", .listMarked),
                    Segment("\(r.action)", .sectionTitle), Segment(" · request \(number) of \(total)", .textDim)]
        head.append(Segment(" · answer ", .textDim))
        head.append(Segment(String(p.answer.status), (200..<300).contains(p.answer.status) ? .httpSuccess : .httpError))
        wrapped(head)
        wrapped([Segment("  POST ", .textDim), Segment(Sanitize.inline(r.url, limit: 200), .text),
                 Segment(" · \(p.request.records.count) record\(p.request.records.count == 1 ? "" : "s")", .textDim)])
        // Field by field: the Amplitude field, its value, and where it came from.
        if !r.provenance.isEmpty {
            out.append([Segment("  Amplitude field", .listHeader), Segment(" ← ", .textDim), Segment("Segment field", .listHeader)])
        }
        let doc = p.request.document
        for f in r.provenance {
            var segs = [Segment("  " + Sanitize.inline(f.amplitude, limit: 80), .path)]
            if let doc, let node = JSONPointer.resolve(f.amplitude, in: doc) {
                // The destination's API key is masked like every key on screen.
                let masked = redact && f.amplitude == p.request.apiKeyPointer && p.request.apiKey != nil
                segs.append(Segment(" = " + (masked ? "\"" + Redactor.mask(p.request.apiKey!) + "\"" : preview(doc, node)), .text))
            }
            segs.append(Segment(" ← ", .textDim))
            if let seg = f.segment {
                segs.append(Segment(Sanitize.inline(seg, limit: 80), .jsonKey))
            } else {
                segs.append(Segment("(set by the destination)", .textDim))
            }
            if let note = f.note { segs.append(Segment("  " + Sanitize.inline(note, limit: 100), .textDim)) }
            wrapped(segs)
        }
        if o.findings.isEmpty {
            wrapped([Segment("  ✓ No findings: Amplitude would accept this request.", .severityOK)])
        } else {
            out.append([Segment("  Findings (\(o.findings.count))", .listHeader)])
            for f in o.findings.sorted(by: { $0.severity > $1.severity }) {
                let (icon, role) = InspectorContent.severityIcon(f.severity)
                wrapped([Segment("  " + icon, role), Segment(" " + f.rule, .listType), Segment("  " + (f.path.isEmpty ? "/" : f.path), .path)])
                for line in TextLayout.wrap(f.message, width: max(10, width - 6)) { out.append([Segment("      " + line, .text)]) }
            }
        }
    }

    /// A short, safe rendering of a value.
    static func preview(_ doc: JSONDocument, _ node: JSONDocument.Index) -> String {
        switch doc.kind(node) {
        case .object: return "{…}"
        case .array: return "[…]"
        default: return Sanitize.inline(doc.rawText(node), limit: 60)
        }
    }
}

extension SegmentCallView {
    /// The label of call `i` of a Segment request (`track Order Completed`).
    static func label(_ r: DecodedRequest, _ i: Int) -> String {
        guard let doc = r.document, i >= 0, i < r.records.count else { return "call \(i)" }
        return SegmentCallView(request: r, doc: doc, index: i).label
    }
}
