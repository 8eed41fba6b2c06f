/// A key press, independent of the terminal library.
public enum Key: Hashable, Sendable, CustomStringConvertible {
    /// A printable character (space included).
    case char(Unicode.Scalar)
    /// Ctrl plus a letter (`ctrl('d')`).
    case ctrl(Unicode.Scalar)
    case up, down, left, right, home, end, pageUp, pageDown
    case enter, tab, backTab, backspace, delete, insert, escape
    case function(Int)

    /// The spelling used in key files, help and docs: `j`, `G`, `space`, `ctrl-d`, `pgdn`, `f1`.
    public var description: String {
        switch self {
        case .char(" "): return "space"
        case .char(let c): return String(c)
        case .ctrl(let c): return "ctrl-" + String(c)
        case .up: return "up"
        case .down: return "down"
        case .left: return "left"
        case .right: return "right"
        case .home: return "home"
        case .end: return "end"
        case .pageUp: return "pgup"
        case .pageDown: return "pgdn"
        case .enter: return "enter"
        case .tab: return "tab"
        case .backTab: return "shift-tab"
        case .backspace: return "backspace"
        case .delete: return "delete"
        case .insert: return "insert"
        case .escape: return "esc"
        case .function(let n): return "f\(n)"
        }
    }

    /// Reads a key spelling (the inverse of `description`, plus a few aliases).
    public init?(spelling: String) {
        let s = spelling
        let lower = s.lowercased()
        switch lower {
        case "space", "spc": self = .char(" "); return
        case "up": self = .up; return
        case "down": self = .down; return
        case "left": self = .left; return
        case "right": self = .right; return
        case "home": self = .home; return
        case "end": self = .end; return
        case "pgup", "pageup", "page-up", "ppage": self = .pageUp; return
        case "pgdn", "pagedown", "page-down", "npage": self = .pageDown; return
        case "enter", "return", "ret": self = .enter; return
        case "tab": self = .tab; return
        case "shift-tab", "backtab", "btab", "s-tab": self = .backTab; return
        case "backspace", "bs": self = .backspace; return
        case "delete", "del": self = .delete; return
        case "insert", "ins": self = .insert; return
        case "esc", "escape": self = .escape; return
        default: break
        }
        if lower.hasPrefix("ctrl-") || lower.hasPrefix("c-") {
            let rest = lower.hasPrefix("ctrl-") ? lower.dropFirst(5) : lower.dropFirst(2)
            guard rest.unicodeScalars.count == 1, let c = rest.unicodeScalars.first, ("a"..."z").contains(c) else { return nil }
            self = .ctrl(c)
            return
        }
        if lower.count >= 2, lower.hasPrefix("f"), let n = Int(lower.dropFirst()), (1...24).contains(n) {
            self = .function(n)
            return
        }
        let scalars = Array(s.unicodeScalars)
        guard scalars.count == 1, let c = scalars.first, c.value >= 0x21, c.value != 0x7F,
              !(0x80...0x9F).contains(c.value) else { return nil }
        self = .char(c)
    }
}

/// A mouse report.
public struct MouseEvent: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case press, release, wheelUp, wheelDown
    }
    public var x: Int
    public var y: Int
    public var kind: Kind
    public init(x: Int, y: Int, kind: Kind) {
        self.x = x
        self.y = y
        self.kind = kind
    }
}

/// Anything the terminal reports.
public enum InputEvent: Equatable, Sendable {
    case key(Key)
    case mouse(MouseEvent)
    case resize(Size)
}
