/// What the User tab shows for one event: the user as Amplitude resolves them, the properties in
/// effect for the event, what the event changed, each property's history (the events that
/// touched it, to jump to), and the groups the event names with their properties. A value,
/// built from the simulator once per selected capture and handed to the UI.
public struct EventProfile: Sendable {
    /// One event that touched a property: where it is (to jump there) and what it did.
    public struct Touch: Sendable, Equatable {
        public var capture: Int64
        public var record: Int
        public var change: ProfileChange
    }

    public struct Group: Sendable {
        public var profile: GroupProfile
        /// The group's properties in effect for the event (group updates apply to later events).
        public var properties: [(name: String, value: ProfileValue)]
    }

    public var capture: Int64
    public var record: Int
    /// 1-based position of the event among all the simulator saw.
    public var ordinal: Int
    public var status: ProfileEventStatus
    /// False for an identify-only update: its changes apply from the user's next event.
    public var ownChangesApply: Bool
    public var user: ResolvedUser?
    public var properties: [(name: String, value: ProfileValue)]
    public var changes: [ProfileChange]
    /// By property name: the user's events that touched it, oldest first (at most `historyLimit`, newest kept).
    public var history: [String: [Touch]]
    public var groups: [Group]
    public var findings: [Finding]

    public static let historyLimit = 200
}

extension ProfileSimulator {
    /// The User tab's content for record `record` of capture `capture` (nil when the simulator
    /// has not seen it).
    public func eventProfile(capture: Int64, record: Int) -> EventProfile? {
        guard let n = ordinal(capture: capture, record: record), let e = event(n) else { return nil }
        let u = resolvedUser(forEvent: n)
        let changes = changes(forEvent: n)
        var history: [String: [EventProfile.Touch]] = [:]
        let props = u != nil ? properties(atEvent: n) : []
        if let u {
            var names = Set(props.map(\.name))
            for c in changes { names.insert(c.property) }
            for name in names {
                let touches = self.history(ofProperty: name, user: u, limit: EventProfile.historyLimit).compactMap { c -> EventProfile.Touch? in
                    guard let ev = event(c.event) else { return nil }
                    return EventProfile.Touch(capture: ev.capture, record: ev.record, change: c)
                }
                history[name] = Array(touches)
            }
        }
        let groups = groups(forEvent: n).map { g in
            EventProfile.Group(profile: groupProfile(g), properties: properties(ofGroup: g, atEvent: n))
        }
        let findings = findings(forCapture: capture).filter { $0.event == nil || $0.event == record }
        return EventProfile(capture: capture, record: record, ordinal: n + 1, status: e.status, ownChangesApply: e.ownChangesApply,
                            user: u.map(user), properties: props, changes: changes, history: history, groups: groups,
                            findings: findings)
    }

    /// The capture and record of event ordinal `n` (0-based).
    public func location(ofEvent n: Int) -> (capture: Int64, record: Int)? {
        event(n).map { ($0.capture, $0.record) }
    }
}
