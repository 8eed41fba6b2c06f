/// One binding: a key does a command in a context.
public struct KeyBinding: Equatable, Sendable {
    public var context: KeyContext
    public var key: Key
    public var command: Command

    public init(_ context: KeyContext, _ key: Key, _ command: Command) {
        self.context = context
        self.key = key
        self.command = command
    }
}

/// The one table of key bindings: input handling, the hint line, the `?` overlay and Docs/keys.md
/// all read it, so they cannot disagree. A user key file edits it (`KeyConfigParser`).
public struct KeyTable: Equatable, Sendable {
    public private(set) var bindings: [KeyBinding]

    public init(bindings: [KeyBinding]) { self.bindings = bindings }

    /// The command for a key, searching `contexts` in order.
    public func command(for key: Key, in contexts: [KeyContext]) -> Command? {
        for c in contexts {
            if let b = bindings.first(where: { $0.context == c && $0.key == key }) { return b.command }
        }
        return nil
    }

    /// Keys bound to a command in a context (in table order).
    public func keys(for command: Command, in context: KeyContext) -> [Key] {
        bindings.filter { $0.context == context && $0.command == command }.map(\.key)
    }

    /// The first key that reaches `command` from `contexts` (for hints): skips keys shadowed by an earlier context.
    public func key(for command: Command, in contexts: [KeyContext]) -> Key? {
        for c in contexts {
            for b in bindings where b.context == c && b.command == command {
                if self.command(for: b.key, in: contexts) == command { return b.key }
            }
        }
        return nil
    }

    /// Binds `key` to `command` in `context` (replacing what the key did there); nil unbinds.
    public mutating func bind(_ key: Key, to command: Command?, in context: KeyContext) {
        bindings.removeAll { $0.context == context && $0.key == key }
        if let command { bindings.append(KeyBinding(context, key, command)) }
    }
}
