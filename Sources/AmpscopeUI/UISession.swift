import AmpscopeCore

/// The UI core in one object: state, the store's rows, the theme; feed it actions, read frames.
///
/// It does no IO. A host (the curses loop, a test, a benchmark) sends actions, carries out the
/// returned effects and shows `render()`. Not thread-safe: use it from one thread.
public final class UISession {
    public private(set) var state: AppState
    public let data: any StreamData
    public var theme: Theme

    /// `debug`: the SDK debug session as it is now (nil: no debug log is open). The Debug tab and
    /// the SDK-calls list read this snapshot; the host sends newer ones with `.debugChanged`.
    public init(config: UIConfig = UIConfig(), keys: KeyTable = .standard, theme: Theme = .dark, data: any StreamData,
                size: Size = Size(cols: 80, rows: 24), debug: DebugSnapshot? = nil) {
        self.state = AppState(config: config, keys: keys, size: size)
        self.state.debug = debug
        self.data = data
        self.theme = theme
    }

    /// The first action a host sends: selects a row and asks for its detail.
    public func start() -> [Effect] { send(.dataChanged) }

    /// Applies an action and returns what the host must do.
    @discardableResult
    public func send(_ action: Action) -> [Effect] {
        Reducer.reduce(&state, action, data: data)
    }

    /// Sends a key.
    @discardableResult
    public func press(_ key: Key) -> [Effect] { send(.input(.key(key))) }

    /// Types each character of `text` as a key (`\n` is enter, `\u{1b}` escape, `\t` tab).
    @discardableResult
    public func type(_ text: String) -> [Effect] {
        var fx: [Effect] = []
        for u in text.unicodeScalars {
            switch u {
            case "\n", "\r": fx += press(.enter)
            case "\u{1b}": fx += press(.escape)
            case "\t": fx += press(.tab)
            default: fx += press(.char(u))
            }
        }
        return fx
    }

    /// The current frame.
    public func render() -> ScreenBuffer { Renderer.render(state, data: data) }

    /// True once the user asked to quit.
    public var isQuitting: Bool { state.quitting }
}
