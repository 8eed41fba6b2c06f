/// What the terminal reported when asked for input.
public enum TerminalInput: Equatable, Sendable {
    case event(InputEvent)
    /// Nothing arrived within the timeout.
    case timeout
    /// Input is over (the terminal closed, or a scripted session ran out of keys).
    case end
}

/// A screen to show frames on and read keys from: `CursesTerminal` (ncursesw) in the app,
/// `HeadlessTerminal` in tests. Used from one thread only.
public protocol Terminal: AnyObject {
    var size: Size { get }
    /// Shows a frame (a real terminal draws only the cells that changed since the last one).
    func present(_ frame: ScreenBuffer)
    /// Waits up to `timeoutMilliseconds` for a key, a mouse report or a resize.
    func read(timeoutMilliseconds: Int) -> TerminalInput
    /// Colours for the style roles of the next frames.
    func setTheme(_ theme: Theme)
    func setMouse(_ enabled: Bool)
    /// Puts text on the clipboard; returns a sentence for the status line saying where it went.
    func copy(_ text: String, what: String) -> String
}

/// A terminal in memory: scripted input, recorded frames. For tests and benchmarks.
public final class HeadlessTerminal: Terminal {
    public var size: Size
    /// Input still to deliver, in order; `.timeout` entries let posted actions run in between.
    public var script: [TerminalInput]
    public private(set) var frames: [ScreenBuffer] = []
    public private(set) var theme: Theme?
    public private(set) var mouse = true
    public private(set) var clipboard: [String] = []
    /// Keep only the last frame (long sessions).
    public var keepAllFrames: Bool

    public init(size: Size, script: [TerminalInput] = [], keepAllFrames: Bool = false) {
        self.size = size
        self.script = script
        self.keepAllFrames = keepAllFrames
    }

    public func present(_ frame: ScreenBuffer) {
        if keepAllFrames { frames.append(frame) } else { frames = [frame] }
    }

    public func read(timeoutMilliseconds: Int) -> TerminalInput {
        guard !script.isEmpty else { return .end }
        let next = script.removeFirst()
        if case .event(.resize(let s)) = next { size = s }
        return next
    }

    public func setTheme(_ theme: Theme) { self.theme = theme }
    public func setMouse(_ enabled: Bool) { mouse = enabled }

    public func copy(_ text: String, what: String) -> String {
        clipboard.append(text)
        return "copied \(what)"
    }

    /// The last frame as text.
    public var screen: String { frames.last?.text ?? "" }

    /// Script helpers: keys from text (`\n` enter, `\u{1b}` esc, `\t` tab).
    public static func keys(_ text: String) -> [TerminalInput] {
        text.unicodeScalars.map { u in
            switch u {
            case "\n", "\r": return .event(.key(.enter))
            case "\u{1b}": return .event(.key(.escape))
            case "\t": return .event(.key(.tab))
            default: return .event(.key(.char(u)))
            }
        }
    }
}

/// Maps what a terminal library reports to keys: the characters (controls, DEL, printable).
/// Function keys are mapped by the backend, which knows its library's codes.
public enum InputDecoder {
    /// The key for a character code, or nil for codes that are not keys.
    public static func character(_ v: UInt32) -> Key? {
        switch v {
        case 0x0D, 0x0A: return .enter
        case 0x09: return .tab
        case 0x1B: return .escape
        case 0x7F, 0x08: return .backspace
        case 0x00: return nil
        case 0x01...0x1A: return .ctrl(Unicode.Scalar(v + 0x60)!)
        case 0x1C...0x1F: return nil
        case 0x80...0x9F: return nil
        default:
            guard let s = Unicode.Scalar(v) else { return nil }
            return .char(s)
        }
    }
}
