/// The profiles at one point of the stream, as plain values: what `ampscope profile` prints
/// and what a Users list or User tab can hold without the simulator.
public struct ProfileSnapshot: Sendable {
    public struct User: Sendable {
        public var user: ResolvedUser
        public var properties: [(name: String, value: ProfileValue)]
        /// Every change of the user (merged users' included), when asked for.
        public var changes: [ProfileChange]
    }
    public struct Group: Sendable {
        public var group: GroupProfile
        public var properties: [(name: String, value: ProfileValue)]
        public var changes: [ProfileChange]
    }

    /// Events seen, and applied to the profiles.
    public var events: Int
    public var appliedEvents: Int
    /// `--at N`: the snapshot is the state after the first N events.
    public var at: Int?
    public var users: [User]
    public var groups: [Group]
    public var findings: [(capture: Int64, findings: [Finding])]

    /// Which profiles to include.
    public enum Selection: Sendable, Equatable {
        case all
        case userID(String)
        case deviceID(String)
        case group(type: String, value: String)
    }
}

extension ProfileSimulator {
    /// The profiles now. A selection narrows it to one user or group and adds its changes.
    public func snapshot(_ selection: ProfileSnapshot.Selection = .all, at: Int? = nil) -> ProfileSnapshot {
        var users: [ProfileSnapshot.User] = []
        var groupsOut: [ProfileSnapshot.Group] = []
        func userEntry(_ u: Int, changes: Bool) -> ProfileSnapshot.User {
            ProfileSnapshot.User(user: user(u), properties: properties(ofUser: u), changes: changes ? userChanges(u) : [])
        }
        func groupEntry(_ g: Int, changes: Bool) -> ProfileSnapshot.Group {
            ProfileSnapshot.Group(group: groupProfile(g), properties: properties(ofGroup: g),
                                  changes: changes ? groupChanges(g) : [])
        }
        switch selection {
        case .all:
            users = resolvedUsers.map { userEntry($0.index, changes: false) }
            groupsOut = groups.indices.map { groupEntry($0, changes: false) }
        case .userID(let id):
            if let u = userIndex(userID: id) { users = [userEntry(u, changes: true)] }
        case .deviceID(let id):
            if let u = userIndex(deviceID: id) { users = [userEntry(u, changes: true)] }
        case .group(let type, let value):
            if let g = groupIndex(type: type, value: value) { groupsOut = [groupEntry(g, changes: true)] }
        }
        return ProfileSnapshot(events: events.count, appliedEvents: appliedEvents, at: at, users: users, groups: groupsOut,
                               findings: allFindings)
    }

    /// Every change of a user and the users merged into it, in event order.
    public func userChanges(_ u: Int) -> [ProfileChange] {
        var out: [ProfileChange] = []
        for member in [u] + users[u].merged.map(Int.init) {
            for ev in eventOrdinals(ofUser: member) {
                for i in changeRange(Int(ev)) where changes[i].target == Int32(member) { out.append(change(i, event: Int(ev))) }
            }
        }
        return out.sorted { $0.event < $1.event }
    }

    public func groupChanges(_ g: Int) -> [ProfileChange] {
        let target = -1 - Int32(g)
        var out: [ProfileChange] = []
        for ev in groups[g].events {
            for i in changeRange(Int(ev)) where changes[i].target == target { out.append(change(i, event: Int(ev))) }
        }
        return out
    }
}

/// `ampscope profile`'s output, text and JSON (`Docs/cli.md`, "ampscope profile").
public enum ProfileReport {
    /// Version of the JSON shape.
    public static let formatVersion = 1

    /// Stable JSON: `{"ampscope_profile":1,"events":…,"applied_events":…,"at":…,"users":[…],"groups":[…],"findings":[{"request":n,"findings":[…]}]}`.
    /// Events are numbered from 1, as on the command line.
    public static func json(_ s: ProfileSnapshot) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("ampscope_profile", formatVersion)
        w.field("events", s.events)
        w.field("applied_events", s.appliedEvents)
        w.field("at", s.at)
        w.key("users")
        w.beginArray()
        for u in s.users { writeUser(u, &w) }
        w.endArray()
        w.key("groups")
        w.beginArray()
        for g in s.groups { writeGroup(g, &w) }
        w.endArray()
        w.key("findings")
        w.beginArray()
        for (capture, fs) in s.findings {
            w.beginObject()
            w.field("request", Int(capture))
            w.key("findings")
            w.beginArray()
            for f in fs { Report.writeFinding(f, &w) }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.text + "\n"
    }

    static func writeUser(_ e: ProfileSnapshot.User, _ w: inout JSONWriter) {
        let u = e.user
        w.beginObject()
        w.field("amplitude_id", u.amplitudeID)
        w.field("user_id", u.userID)
        w.key("device_ids")
        w.beginArray()
        for d in u.deviceIDs { w.string(d) }
        w.endArray()
        w.key("links")
        w.beginArray()
        for l in u.links {
            w.beginObject()
            w.field("kind", l.kind.description)
            w.field("event", l.event + 1)
            w.field("device_id", l.deviceID)
            w.field("other_user_id", l.other)
            w.field("merged_amplitude_id", l.otherUser.map { $0 + 1 })
            w.endObject()
        }
        w.endArray()
        w.key("merged_amplitude_ids")
        w.beginArray()
        for m in u.mergedUsers { w.int(m + 1) }
        w.endArray()
        w.field("global_user_id", u.globalUserID)
        w.field("event_count", u.eventCount)
        w.field("last_seen", u.lastSeen)
        w.field("property_count", u.propertyCount)
        w.field("finding_count", u.findingCount)
        w.key("groups")
        w.beginObject()
        for g in u.groups {
            w.key(g.type)
            w.beginArray()
            for v in g.values { w.string(v) }
            w.endArray()
        }
        w.endObject()
        writeProperties(e.properties, &w)
        if !e.changes.isEmpty { writeChanges(e.changes, &w) }
        w.endObject()
    }

    static func writeGroup(_ e: ProfileSnapshot.Group, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("group_type", e.group.type)
        w.field("group_value", e.group.value)
        w.field("last_seen", e.group.lastSeen)
        w.field("property_count", e.group.propertyCount)
        writeProperties(e.properties, &w)
        if !e.changes.isEmpty { writeChanges(e.changes, &w) }
        w.endObject()
    }

    static func writeProperties(_ props: [(name: String, value: ProfileValue)], _ w: inout JSONWriter) {
        w.key("properties")
        w.beginObject()
        for (k, v) in props {
            w.key(k)
            v.write(to: &w)
        }
        w.endObject()
    }

    static func writeChanges(_ changes: [ProfileChange], _ w: inout JSONWriter) {
        w.key("changes")
        w.beginArray()
        for c in changes {
            w.beginObject()
            w.field("event", c.event + 1)
            w.field("property", c.property)
            w.field("operation", c.operation.description)
            w.field("kind", c.kind.description)
            w.field("reason", c.reason == ChangeReason.none ? nil : c.reason.description)
            writeOptional("before", c.before, &w)
            writeOptional("after", c.after, &w)
            if let sent = c.sent { w.key("sent"); sent.write(to: &w) }
            if c.truncated { w.field("truncated", true) }
            if c.repeatedInPayload { w.field("repeated_in_payload", true) }
            if c.unindexed { w.field("unindexed", true) }
            w.endObject()
        }
        w.endArray()
    }

    /// A missing property is written as an absent key, not null (null is a value).
    static func writeOptional(_ key: String, _ v: ProfileValue?, _ w: inout JSONWriter) {
        guard let v else { return }
        w.key(key)
        v.write(to: &w)
    }

    /// Plain text for a terminal; captured text is escaped by `ProfileValue.display` and `Sanitize`.
    public static func text(_ s: ProfileSnapshot) -> String {
        var out = ""
        let at = s.at.map { " (state after event \($0))" } ?? ""
        out += "\(s.events) events, \(s.appliedEvents) applied to profiles\(at); \(s.users.count) users, \(s.groups.count) groups\n"
        for e in s.users {
            let u = e.user
            out += "\nuser \(u.amplitudeID)  user_id=\(u.userID.map { Sanitize.inline($0, limit: 60) } ?? "(none)")"
            out += "  devices=\(u.deviceIDs.isEmpty ? "(none)" : u.deviceIDs.map { Sanitize.inline($0, limit: 40) }.joined(separator: ","))\n"
            out += "  events \(u.eventCount), last seen \(u.lastSeen), \(u.propertyCount) properties, \(u.findingCount) findings"
            if let g = u.globalUserID { out += ", mapped to \(Sanitize.inline(g, limit: 40))" }
            out += "\n"
            for l in u.links {
                var parts = ["  link \(l.kind) at event \(l.event + 1)"]
                if let d = l.deviceID { parts.append("device=\(Sanitize.inline(d, limit: 40))") }
                if let o = l.other { parts.append("other=\(Sanitize.inline(o, limit: 40))") }
                if let m = l.otherUser { parts.append("merged user \(m + 1)") }
                out += parts.joined(separator: " ") + "\n"
            }
            for g in u.groups { out += "  group \(Sanitize.inline(g.type, limit: 40)) = \(g.values.map { Sanitize.inline($0, limit: 40) }.joined(separator: ","))\n" }
            out += propertiesText(e.properties)
            out += changesText(e.changes)
        }
        for e in s.groups {
            out += "\ngroup \(Sanitize.inline(e.group.type, limit: 40)):\(Sanitize.inline(e.group.value, limit: 60))  \(e.group.propertyCount) properties\n"
            out += propertiesText(e.properties)
            out += changesText(e.changes)
        }
        let count = s.findings.reduce(0) { $0 + $1.findings.count }
        if count > 0 {
            out += "\n\(count) profile findings\n"
            for (capture, fs) in s.findings {
                for f in fs {
                    out += "  request \(capture)\(f.event.map { " event \($0)" } ?? "") \(f.severity.rawValue) \(f.rule) \(Sanitize.inline(f.path, limit: 80))\n    \(f.message)\n"
                }
            }
        }
        return out
    }

    static func propertiesText(_ props: [(name: String, value: ProfileValue)]) -> String {
        props.map { "  \(Sanitize.inline($0.name, limit: 60)) = \($0.value.display(limit: 100))\n" }.joined()
    }

    static func changesText(_ changes: [ProfileChange]) -> String {
        guard !changes.isEmpty else { return "" }
        var out = "  changes:\n"
        for c in changes {
            let before = c.before?.display(limit: 40) ?? "(missing)"
            let after = c.after?.display(limit: 40) ?? "(missing)"
            var line = "    event \(c.event + 1)  \(c.operation) \(Sanitize.inline(c.property, limit: 40)): \(c.kind)"
            switch c.kind {
            case .added, .changed, .removed: line += "  \(before) -> \(after)"
            case .noEffect, .dropped: line += " (\(c.reason))  sent \(c.sent?.display(limit: 40) ?? "-"), stays \(after)"
            }
            if c.truncated { line += "  [truncated to 1024]" }
            if c.repeatedInPayload { line += "  [second operation on it in this payload]" }
            if c.unindexed { line += "  [not indexed: past 1000 properties]" }
            out += line + "\n"
        }
        return out
    }
}
