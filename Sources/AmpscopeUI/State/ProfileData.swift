import AmpscopeCore

/// The simulated profiles of one capture's events, as the host's profile follower built them
/// (`Effect.loadProfiles` asks for them; `Action.profilesLoaded` brings them).
public struct CaptureProfiles: Sendable {
    public var captureID: Int64
    public var events: [EventProfile]

    public init(captureID: Int64, events: [EventProfile]) {
        self.captureID = captureID
        self.events = events
    }

    public func event(record: Int) -> EventProfile? { events.first { $0.record == record } }
}

/// Every user as Amplitude resolves them, for the Users list (a value the host posts when the
/// simulation moved on; `version` tells lists apart).
public struct UsersList: Sendable {
    public var version: Int
    public var users: [ResolvedUser]

    public init(version: Int, users: [ResolvedUser]) {
        self.version = version
        self.users = users
    }

    public static let empty = UsersList(version: -1, users: [])
}
