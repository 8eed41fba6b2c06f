/// What decided a property change: an identify operation, a plain property on an event, an
/// identity merge, or a group membership written by `groups` on an identify.
public enum ProfileOperation: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case clearAll, unset, set, setOnce, add, append, prepend, preInsert, postInsert, remove
    /// A plain key of `user_properties` (an ordinary event's properties, or a key beside operations).
    case property
    /// An anonymous user's properties carried onto the known user it merged into.
    case merge
    /// `groups` on an identify: the membership persists as a user property.
    case group

    public init(_ op: IdentifyOperation) {
        switch op {
        case .clearAll: self = .clearAll
        case .unset: self = .unset
        case .set: self = .set
        case .setOnce: self = .setOnce
        case .add: self = .add
        case .append: self = .append
        case .prepend: self = .prepend
        case .preInsert: self = .preInsert
        case .postInsert: self = .postInsert
        case .remove: self = .remove
        }
    }

    /// `$set`, ..., or `property`, `merge`, `group`.
    public var description: String {
        switch self {
        case .clearAll: return "$clearAll"
        case .unset: return "$unset"
        case .set: return "$set"
        case .setOnce: return "$setOnce"
        case .add: return "$add"
        case .append: return "$append"
        case .prepend: return "$prepend"
        case .preInsert: return "$preInsert"
        case .postInsert: return "$postInsert"
        case .remove: return "$remove"
        case .property: return "property"
        case .merge: return "merge"
        case .group: return "group"
        }
    }
}

/// What a change did to the stored value.
public enum ChangeKind: UInt8, Sendable, CustomStringConvertible {
    /// The property did not exist and now does.
    case added
    /// The property existed and now holds another value.
    case changed
    /// The property existed and is gone.
    case removed
    /// The operation ran and left the value as it was (see the reason).
    case noEffect
    /// Amplitude dropped the update before applying it (see the reason).
    case dropped

    public var description: String {
        switch self {
        case .added: return "added"
        case .changed: return "changed"
        case .removed: return "removed"
        case .noEffect: return "no-effect"
        case .dropped: return "dropped"
        }
    }
}

/// Why an operation had no effect, or was dropped.
public enum ChangeReason: UInt8, Sendable, CustomStringConvertible {
    case none
    /// `$setOnce` on a property that already has a value.
    case alreadySet
    /// `$add` onto a stored value that is not a number.
    case storedNotANumber
    /// `$add` of a value that is not a number.
    case sentNotANumber
    /// `$unset` or `$remove` of a property that does not exist.
    case absent
    /// `$remove` of values the list does not hold.
    case nothingToRemove
    /// `$preInsert` / `$postInsert` of values the list already holds.
    case alreadyPresent
    /// The user updated properties more than 1 800 times in the last hour.
    case throttled

    public var description: String {
        switch self {
        case .none: return ""
        case .alreadySet: return "already-set"
        case .storedNotANumber: return "stored-not-a-number"
        case .sentNotANumber: return "sent-not-a-number"
        case .absent: return "absent"
        case .nothingToRemove: return "nothing-to-remove"
        case .alreadyPresent: return "already-present"
        case .throttled: return "throttled"
        }
    }
}

/// The result of one operation on one stored value.
public enum OperationResult: Sendable, Equatable {
    /// The property now holds this value.
    case value(ProfileValue)
    /// The property is removed.
    case removed
    /// Nothing changes, for this reason.
    case noEffect(ChangeReason)
}

/// Amplitude's user-property operations as pure functions of (stored value, sent value).
///
/// Each case cites `Docs/facts/profiles-and-plans.md` §A1 (what each operation does to a
/// missing, scalar or list value). The cells that section marks UNCONFIRMED follow one rule,
/// recorded in `Docs/profiles.md`: every list operation treats a stored scalar as a one-element
/// list (as the docs say `$append` and `$prepend` do).
public enum PropertyOperations {
    public static func apply(_ op: ProfileOperation, stored: ProfileValue?, sent: ProfileValue) -> OperationResult {
        switch op {
        case .set, .property, .merge, .group:
            // §A1: `$set` creates or overwrites, whatever was there.
            return .value(sent)
        case .setOnce:
            // §A1: sets a missing property; a no-op on any existing value.
            return stored == nil ? .value(sent) : .noEffect(.alreadySet)
        case .add:
            // §A1: a missing property starts from 0 ("initialized to 0"); a number is added to.
            // Adding onto a non-number, and a non-numeric increment, are UNCONFIRMED: nothing changes.
            guard let n = sent.numeric else { return .noEffect(.sentNotANumber) }
            guard let stored else { return .value(ProfileValue.sum(.int(0), n)) }
            guard let m = stored.numeric else { return .noEffect(.storedNotANumber) }
            return .value(ProfileValue.sum(m, n))
        case .append, .prepend:
            // §A1: a missing property starts from []; a scalar "is converted into a list with the
            // new value added"; lists are not de-duplicated. A sent list adds each element,
            // in its order (for $prepend the order is UNCONFIRMED: we keep the sent order).
            let base = stored?.listItems ?? []
            return .value(.array(op == .append ? base + sent.listItems : sent.listItems + base))
        case .preInsert, .postInsert:
            // §A1: adds only values not already present, at the front or the back; a sent list
            // keeps its order. On a scalar: UNCONFIRMED (treated as a one-element list).
            var list = stored?.listItems ?? []
            var fresh: [ProfileValue] = []
            for v in sent.listItems where !list.contains(v) && !fresh.contains(v) { fresh.append(v) }
            if fresh.isEmpty { return stored == nil ? .value(.array([])) : .noEffect(.alreadyPresent) }
            list = op == .postInsert ? list + fresh : fresh + list
            return .value(.array(list))
        case .remove:
            // §A1: a no-op on a missing property; "removes all instances of the values specified
            // from the list". On a scalar: UNCONFIRMED (treated as a one-element list).
            guard let stored else { return .noEffect(.absent) }
            let gone = sent.listItems
            let list = stored.listItems
            let kept = list.filter { !gone.contains($0) }
            return kept.count == list.count ? .noEffect(.nothingToRemove) : .value(.array(kept))
        case .unset:
            // §A1: removes the property; a no-op when it is missing.
            return stored == nil ? .noEffect(.absent) : .removed
        case .clearAll:
            // §A1: removes every property (the simulator applies it to each one).
            return stored == nil ? .noEffect(.absent) : .removed
        }
    }
}
