import AmpscopeCore

/// Which two events the Diff tab compares: the two marked events, or else the selected event's
/// golden counterpart (`--golden`), or else the previous event of the same type and user in the view.
public struct DiffPair: Sendable, Equatable {
    /// The older event (the base) and the newer one. With `golden`, `base` names the record of
    /// the golden request (its capture id is 0).
    public var base: RowID
    public var other: RowID
    /// True when the pair is the two marked events.
    public var marked: Bool
    /// The golden event the selection is paired with, when the base comes from the golden run.
    public var golden: GoldenMarks.Link?

    public init(base: RowID, other: RowID, marked: Bool, golden: GoldenMarks.Link? = nil) {
        self.base = base
        self.other = other
        self.marked = marked
        self.golden = golden
    }
}

/// The two captures behind a `DiffPair` (answer to `Effect.loadDiff`).
public struct DiffSubject: Sendable {
    public var pair: DiffPair
    public var base: Processed
    public var other: Processed

    public init(pair: DiffPair, base: Processed, other: Processed) {
        self.pair = pair
        self.base = base
        self.other = other
    }
}

/// The Diff tab: a structural diff of two events' payloads, volatile fields (time, insert_id,
/// event_id, session_id…) dimmed, or hidden with `x`. Pure.
public enum DiffContent {
    /// The record a row shows (a mapped row's Amplitude record), as a document and node.
    static func side(_ p: Processed, _ id: RowID) -> (JSONDocument, JSONDocument.Index)? {
        if id.sub > 0 {
            guard let r = p.segmentMapping?.record(call: id.index, sub: id.sub), let doc = r.outcome.processed.request.document else { return nil }
            let recs = r.outcome.processed.request.records
            return (doc, r.record >= 0 && r.record < recs.count ? recs[r.record] : doc.root)
        }
        guard let doc = p.request.document else { return nil }
        let recs = p.request.records
        return (doc, id.index >= 0 && id.index < recs.count ? recs[id.index] : doc.root)
    }

    public static func diff(_ d: DiffSubject) -> PayloadDiff? {
        guard let a = side(d.base, d.pair.base), let b = side(d.other, d.pair.other) else { return nil }
        return PayloadDiff(a.0, a.1, b.0, b.1)
    }

    public static func context(_ pair: DiffPair?, _ diff: PayloadDiff?, hideVolatile: Bool) -> String {
        guard let pair else { return " Mark two events (m), or select an event with an earlier one of the same type and user." }
        let base = pair.golden.map { "golden #\($0.golden) (\(Sanitize.inline($0.location, limit: 40)))" } ?? "\(pair.base)"
        guard let diff else { return " loading \(base) and \(pair.other)…" }
        let n = diff.differences, m = diff.meaningfulDifferences
        let why = pair.marked ? " (marked)" : pair.golden != nil ? "" : " (previous of the same type and user)"
        return " \(base) → \(pair.other)\(why) · "
            + "\(m) difference\(m == 1 ? "" : "s") outside volatile fields, \(n - m) in them · x: \(hideVolatile ? "show" : "hide") volatile"
    }

    public static func lines(_ pair: DiffPair?, _ subject: DiffSubject?, hideVolatile: Bool, width: Int) -> [[Segment]] {
        guard let pair else {
            return [[Segment("Nothing to compare: mark two events with m, or select an event that has an earlier event of the same type and user in the view.", .textDim)]]
        }
        guard let subject, subject.pair == pair, let diff = diff(subject) else {
            return [[Segment(subject == nil ? "loading…" : "One of the two has no JSON payload to compare.", .textDim)]]
        }
        var out: [[Segment]] = []
        if diff.meaningfulDifferences == 0 {
            out.append([Segment(diff.differences == 0 ? "✓ The two payloads are the same." : "✓ Only volatile fields differ.", .severityOK)])
            out.append([])
        }
        for l in diff.lines {
            if hideVolatile && l.volatile { continue }
            let indent = String(repeating: "  ", count: l.depth)
            let key = l.key.isEmpty ? "(root)" : Sanitize.inline(l.key, limit: 60)
            let dim = l.volatile
            func r(_ role: StyleRole) -> StyleRole { dim ? .textDim : role }
            switch l.kind {
            case .container:
                out.append([Segment(indent + "  " + key, r(.jsonKey)), Segment(" " + (l.new ?? ""), .textDim)])
            case .same:
                out.append([Segment(indent + "  " + key + ": ", r(.jsonKey)), Segment(l.new ?? "", r(.text))])
            case .added:
                out.append([Segment(indent + "+ " + key + ": ", r(.severityOK)), Segment(l.new ?? "", r(.severityOK))])
            case .removed:
                out.append([Segment(indent + "- " + key + ": ", r(.severityError)), Segment(l.old ?? "", r(.severityError))])
            case .changed:
                out += InspectorContent.wrapSegments([Segment(indent + "~ " + key + ": ", r(.severityWarning)), Segment(l.old ?? "", r(.text)),
                                                      Segment(" → ", .textDim), Segment(l.new ?? "", r(.severityWarning))], width: max(20, width))
            }
        }
        if diff.lines.count >= PayloadDiff.maxLines { out.append([Segment("… the diff stops at \(PayloadDiff.maxLines) lines", .textDim)]) }
        return out
    }
}
