import AmpscopeCore

/// The User tab: the selected event's user as Amplitude resolves them, what the event changed,
/// the properties in effect for it (a cursor moves over them), the history of the property
/// under the cursor, and the groups the event names. Pure, shared by reducer and renderer.
public enum UserContent {
    public struct Lines: Sendable {
        public var rows: [[Segment]] = []
        /// Property names in effect, in the order listed (the cursor's stops).
        public var properties: [String] = []
        /// Row of each property line (parallel to `properties`).
        public var propertyRows: [Int] = []
    }

    /// The tab's context line.
    public static func context(_ e: EventProfile?, loaded: Bool) -> String {
        guard let e else {
            return loaded ? " This event is not part of any profile (see below)." : " Simulating the profiles…"
        }
        guard let u = e.user else { return " Event \(e.ordinal): no user (\(e.status))" }
        var t = " User \(u.amplitudeID)"
        if let id = u.userID { t += " · user_id \(Sanitize.inline(id, limit: 40))" }
        t += " · \(u.deviceIDs.count) device\(u.deviceIDs.count == 1 ? "" : "s") · \(u.eventCount) events · \(u.propertyCount) properties"
        return t
    }

    public static func lines(_ e: EventProfile?, loaded: Bool, cursor: String?, width: Int) -> Lines {
        var out = Lines()
        let w = max(20, width)
        func add(_ segs: [Segment]) { out.rows += InspectorContent.wrapSegments(segs, width: w) }
        func text(_ s: String, _ role: StyleRole = .text) { add([Segment(s, role)]) }
        guard let e else {
            text(loaded ? "The profile simulator has not seen this event: it has no records, or it arrived before the UI started following."
                        : "Simulating the profiles… (the User tab fills in as soon as this capture is applied)", .textDim)
            return out
        }
        guard let u = e.user else {
            text("No user: \(statusText(e.status))", .textDim)
            groups(e, width: w, into: &out.rows)
            return out
        }
        // Who.
        out.rows.append([Segment("Who", .sectionTitle)])
        add([Segment("  user_id ", .textDim), Segment(u.userID.map { Sanitize.inline($0, limit: 80) } ?? "(none: an anonymous user)", .listType),
             Segment("  · Amplitude id \(u.amplitudeID) (simulated)", .textDim)])
        if !u.deviceIDs.isEmpty {
            add([Segment("  devices ", .textDim), Segment(u.deviceIDs.map { Sanitize.inline($0, limit: 40) }.joined(separator: ", "), .listID)])
        }
        if let g = u.globalUserID { add([Segment("  mapped to ", .textDim), Segment(Sanitize.inline(g, limit: 60), .listType), Segment(" (/usermap)", .textDim)]) }
        for l in u.links.prefix(12) {
            var t = "  \(l.kind) at event \(l.event + 1)"
            if let d = l.deviceID { t += " · device \(Sanitize.inline(d, limit: 40))" }
            if let o = l.other { t += " · \(Sanitize.inline(o, limit: 40))" }
            if let m = l.otherUser { t += " · user \(m + 1)" }
            text(t, .textDim)
        }
        if u.links.count > 12 { text("  … \(u.links.count - 12) more identity links", .textDim) }
        if let into = u.mergedInto { text("  merged into user \(into + 1)", .severityWarning) }
        if e.status != .applied { add([Segment("  This event is not applied: ", .severityWarning), Segment(statusText(e.status), .text)]) }
        out.rows.append([])
        // What this event changed.
        let changes = e.changes.filter { if case .user = $0.target { return true } else { return false } }
        let timing = e.ownChangesApply ? "" : " (an identify: it applies from the user's next event)"
        out.rows.append([Segment("This event (#\(e.ordinal)) changed\(timing)", .sectionTitle)])
        if changes.isEmpty { text("  nothing", .textDim) }
        for c in changes { add(changeSegments(c, showEvent: false)) }
        out.rows.append([])
        // Properties in effect.
        out.rows.append([Segment("Properties in effect for this event (\(e.properties.count))", .sectionTitle),
                         Segment("  enter: the event that set the one under ▸", .textDim)])
        if e.properties.isEmpty { text("  none", .textDim) }
        let current = cursor ?? e.properties.first?.name
        for p in e.properties {
            out.properties.append(p.name)
            out.propertyRows.append(out.rows.count)
            let on = p.name == current
            out.rows.append([Segment(on ? "▸ " : "  ", .listMarked), Segment(Sanitize.inline(p.name, limit: 60), on ? .jsonHighlight : .jsonKey),
                             Segment(" = ", .jsonPunct), Segment(p.value.display(limit: 80), .text)])
        }
        // History of the property under the cursor.
        if let name = current, let touches = e.history[name], !touches.isEmpty {
            out.rows.append([])
            out.rows.append([Segment("History of ", .sectionTitle), Segment(Sanitize.inline(name, limit: 60), .jsonKey),
                             Segment(" (\(touches.count) event\(touches.count == 1 ? "" : "s"))", .sectionTitle)])
            for t in touches {
                var segs = changeSegments(t.change, showEvent: true)
                segs.append(Segment("  capture \(t.capture) #\(t.record)", .textDim))
                if t.capture == e.capture && t.record == e.record { segs.append(Segment("  ← this event", .listMarked)) }
                add(segs)
            }
        }
        groups(e, width: w, into: &out.rows)
        if !e.findings.isEmpty {
            out.rows.append([])
            out.rows.append([Segment("Profile findings (\(e.findings.count))", .sectionTitle)])
            for f in e.findings {
                let (icon, role) = InspectorContent.severityIcon(f.severity)
                add([Segment("  " + icon, role), Segment(" " + f.rule, .listType)])
                add([Segment("      " + f.message, .text)])
            }
        }
        return out
    }

    static func groups(_ e: EventProfile, width: Int, into rows: inout [[Segment]]) {
        guard !e.groups.isEmpty else { return }
        func add(_ segs: [Segment]) { rows += InspectorContent.wrapSegments(segs, width: width) }
        rows.append([])
        rows.append([Segment("Groups of this event (\(e.groups.count))", .sectionTitle)])
        for g in e.groups {
            add([Segment("  " + Sanitize.inline(g.profile.type, limit: 40), .jsonKey), Segment(" = ", .jsonPunct),
                 Segment(Sanitize.inline(g.profile.value, limit: 60), .listType),
                 Segment("  · \(g.properties.count) properties in effect, \(g.profile.events.count) events", .textDim)])
            for p in g.properties.prefix(50) {
                add([Segment("      " + Sanitize.inline(p.name, limit: 50), .jsonKey), Segment(" = ", .jsonPunct), Segment(p.value.display(limit: 60), .text)])
            }
        }
    }

    /// `+ plan  (missing) → "pro"  $set`, `· referrer stays "x" ($setOnce: already set)`.
    static func changeSegments(_ c: ProfileChange, showEvent: Bool) -> [Segment] {
        var segs: [Segment] = [Segment("  ", .text)]
        if showEvent { segs.append(Segment("event \(c.event + 1)  ", .textDim)) }
        let before = c.before?.display(limit: 40) ?? "(missing)"
        let after = c.after?.display(limit: 40) ?? "(missing)"
        switch c.kind {
        case .added:
            segs += [Segment("+ ", .severityOK), Segment(Sanitize.inline(c.property, limit: 50), .jsonKey), Segment("  \(before) → \(after)", .text)]
        case .changed:
            segs += [Segment("~ ", .severityInfo), Segment(Sanitize.inline(c.property, limit: 50), .jsonKey), Segment("  \(before) → \(after)", .text)]
        case .removed:
            segs += [Segment("- ", .severityError), Segment(Sanitize.inline(c.property, limit: 50), .jsonKey), Segment("  \(before) → (removed)", .text)]
        case .noEffect, .dropped:
            segs += [Segment("· ", .severityWarning), Segment(Sanitize.inline(c.property, limit: 50), .jsonKey),
                     Segment("  stays \(after)", .text),
                     Segment("  sent \(c.sent?.display(limit: 30) ?? "-"): \(c.kind == .dropped ? "dropped" : "no effect") (\(c.reason))", .severityWarning)]
        }
        segs.append(Segment("  \(c.operation)", .textDim))
        if c.truncated { segs.append(Segment(" [cut to 1024]", .severityWarning)) }
        if c.repeatedInPayload { segs.append(Segment(" [second operation on it in one payload]", .severityWarning)) }
        if c.unindexed { segs.append(Segment(" [not indexed: past 1000 properties]", .severityWarning)) }
        return segs
    }

    static func statusText(_ s: ProfileEventStatus) -> String {
        switch s {
        case .applied: return "applied"
        case .notIngested: return "Amplitude did not ingest the request, so it changes no profile"
        case .duplicate: return "a duplicate insert_id: Amplitude drops it"
        case .beyondLimit: return "past the simulation's limit"
        case .unattributed: return "no usable user_id, device_id or group"
        }
    }
}
