import AmpscopeCore

/// The Users list (`u`): one row per user as Amplitude resolves them, drawn where the stream
/// is; enter filters the stream to that user's events.
enum UsersPane {
    static func draw(_ b: inout ScreenBuffer, _ s: AppState, _ layout: Layout) {
        let r = layout.stream
        let users = s.users.users
        b.fill(r.row(0), role: .border)
        Renderer.paneTitle(&b, r, " Users · \(TextLayout.grouped(users.count)) as Amplitude resolves them (simulated) ", focused: s.focus == .stream)
        b.fill(r.row(1), role: .listHeader)
        let w = r.width
        let fixed = 6 + 1 + 7 + 1 + 12 + 1 + 6 + 1 + 9
        let idWidth = max(8, (w - fixed) * 55 / 100)
        let devWidth = max(6, w - fixed - idWidth - 1)
        let header = " " + TextLayout.pad("AMP ID", 6) + " " + TextLayout.pad("USER ID", idWidth) + " " + TextLayout.pad("DEVICES", devWidth)
            + " " + TextLayout.padLeft("EVENTS", 7) + " " + TextLayout.pad("LAST SEEN", 12) + " " + TextLayout.padLeft("PROPS", 6) + " FINDINGS"
        b.draw(header, x: r.x, y: r.y + 1, maxX: r.maxX, role: .listHeader)
        let list = layout.streamList
        guard !users.isEmpty else {
            b.draw("  No user yet: the list fills in as events arrive (u goes back to the events).", x: list.x, y: list.y, maxX: list.maxX, role: .textDim)
            return
        }
        let cursor = min(s.usersCursor, users.count - 1)
        let top = Select.usersTop(s, height: list.height)
        for i in 0..<list.height {
            let p = top + i
            guard p < users.count else { break }
            let u = users[p]
            let selected = p == cursor
            let base: StyleRole = selected ? (s.focus == .stream ? .listSelected : .listSelectedUnfocused) : .listRow
            func role(_ x: StyleRole) -> StyleRole { selected ? base : x }
            let y = list.y + i
            b.fill(Rect(x: list.x, y: y, width: list.width, height: 1), role: base)
            let devices = u.deviceIDs.isEmpty ? "" : Sanitize.inline(u.deviceIDs[0], limit: 40) + (u.deviceIDs.count > 1 ? " +\(u.deviceIDs.count - 1)" : "")
            var segs = [
                Segment(" " + TextLayout.padLeft(String(u.amplitudeID), 6) + " ", role(.listTime)),
                Segment(TextLayout.pad(u.userID.map { Sanitize.inline($0, limit: 80) } ?? "(anonymous)", idWidth) + " ",
                        role(u.userID == nil ? .textDim : .listType)),
                Segment(TextLayout.pad(devices, devWidth) + " ", role(.listID)),
                Segment(TextLayout.padLeft(TextLayout.grouped(u.eventCount), 7) + " ", role(.text)),
                Segment(TextLayout.pad(TimeFormat.clock(u.lastSeen, offsetSeconds: s.config.utcOffsetSeconds), 12) + " ", role(.listTime)),
                Segment(TextLayout.padLeft(String(u.propertyCount), 6) + " ", role(.text)),
            ]
            segs.append(u.findingCount > 0 ? Segment("▲\(u.findingCount)", role(.severityWarning)) : Segment("✓", role(.severityOK)))
            b.draw(segs, x: list.x, y: y, maxX: list.maxX)
        }
    }

    /// The stream filter that shows a user's events: their user_id, or an anonymous user's devices.
    static func filterText(_ u: ResolvedUser) -> String {
        let q = Filter.quoted
        if let id = u.userID { return "user=" + q(id) }
        let devices = u.deviceIDs.map { "device=" + q($0) }
        return devices.isEmpty ? "" : devices.count == 1 ? devices[0] : "(" + devices.joined(separator: " or ") + ")"
    }
}
