/// Where the debug predicates of a filter (`sdk:track`, `fate:rejected`, `has:debug`) read
/// the SDK side of a row: it is not a column of the row, it comes from the SDK log joined to the
/// wire (`DebugJoiner`), so the filter is bound to a lookup (`Filter.bound(to:)`).
///
/// A lookup is called once per row and debug term while scanning, possibly from several threads:
/// make it an immutable snapshot (`DebugRowTable`, `SDKRowTable`), not a locked live object.
public protocol FilterDebugLookup: Sendable {
    /// The SDK side of a row (nil: no SDK record explains it).
    func debugInfo(captureID: Int64, index: Int) -> DebugRowInfo?
    /// True when the rows are wire events (the stream); false for a list of SDK calls.
    var rowsAreWireEvents: Bool { get }
}

/// Where `profile.NAME` and `changed:NAME` read the simulated profiles: bind a filter to a
/// lookup that is also a `FilterProfileLookup` (`FilterLookups` joins one to a debug lookup).
public protocol FilterProfileLookup: Sendable {
    /// The user property `name` as Amplitude holds it for record `index` of capture `captureID`.
    func profileValue(captureID: Int64, index: Int, name: String) -> ProfileValue?
    /// The user properties that record changed (added, changed or removed).
    func changedProperties(captureID: Int64, index: Int) -> [String]
}

/// A debug lookup and a profile lookup together (either may be missing).
public struct FilterLookups: FilterDebugLookup, FilterProfileLookup {
    public var debug: (any FilterDebugLookup)?
    public var profiles: (any FilterProfileLookup)?

    public init(debug: (any FilterDebugLookup)?, profiles: (any FilterProfileLookup)?) {
        // Binding twice keeps the innermost lookups.
        if let d = debug as? FilterLookups {
            self.debug = d.debug
            self.profiles = profiles ?? d.profiles
        } else {
            self.debug = debug
            self.profiles = profiles
        }
    }

    public func debugInfo(captureID: Int64, index: Int) -> DebugRowInfo? { debug?.debugInfo(captureID: captureID, index: index) }
    public var rowsAreWireEvents: Bool { debug?.rowsAreWireEvents ?? true }
    public func profileValue(captureID: Int64, index: Int, name: String) -> ProfileValue? {
        profiles?.profileValue(captureID: captureID, index: index, name: name)
    }
    public func changedProperties(captureID: Int64, index: Int) -> [String] {
        profiles?.changedProperties(captureID: captureID, index: index) ?? []
    }
}

/// What `has:` asks about the SDK side of a row.
public enum DebugHas: String, Sendable, CaseIterable {
    /// An SDK record explains the row (a call, a final event, a result…).
    case debug
    /// The SDK method call that produced it is known (a TypeScript debug block).
    case call
    /// The SDK logged a warning or an error about it.
    case sdkwarn
    /// It reached the wire (every stream row; SDK calls whose event was seen on the wire).
    case wire

    init?(word: String) {
        switch word.lowercased() {
        case "debug", "sdk", "log": self = .debug
        case "call", "calls": self = .call
        case "sdkwarn", "sdkwarning", "sdkerror", "sdkproblem", "warn", "warning": self = .sdkwarn
        case "wire", "request", "sent": self = .wire
        default: return nil
        }
    }
}

enum FilterDebug {
    /// `SDKFate.keyword` values.
    static let fates = ["delivered", "rejected", "skipped", "sent", "queued", "unknown"]

    /// Decides a debug predicate from the row's SDK side. Without a lookup, no row has one
    /// (and rows are taken for wire events).
    static func evaluate(_ p: FilterPredicate, captureID: Int64, index: Int, _ lookup: (any FilterDebugLookup)?) -> Bool {
        if p.field == .profile || p.field == .changed {
            guard index >= 0, let profiles = lookup as? any FilterProfileLookup else { return false }
            if p.field == .changed {
                return profiles.changedProperties(captureID: captureID, index: index).contains { p.test.matchString($0) }
            }
            guard let v = profiles.profileValue(captureID: captureID, index: index, name: p.name ?? "") else { return false }
            return v.matches(p.test)
        }
        let info = lookup?.debugInfo(captureID: captureID, index: index)
        switch p.field {
        case .sdk:
            return p.test.matchString(info?.method)
        case .fate:
            guard let f = info?.fate, !f.isEmpty else { return false }
            return p.test.matchString(f)
        case .has:
            guard case .has(let what) = p.test else { return false }
            switch what {
            case .debug: return info != nil
            case .call: return info?.method != nil
            case .sdkwarn: return (info?.sdkProblems ?? 0) > 0
            case .wire: return (lookup?.rowsAreWireEvents ?? true) || (info?.wireEvents ?? 0) > 0
            }
        default:
            return false
        }
    }

    static func usesDebug(_ e: FilterExpression) -> Bool {
        switch e {
        case .all, .text: return false
        case .and(let p), .or(let p): return p.contains(where: usesDebug)
        case .not(let x): return usesDebug(x)
        case .predicate(let p): return p.field.needsDebug
        }
    }
}
