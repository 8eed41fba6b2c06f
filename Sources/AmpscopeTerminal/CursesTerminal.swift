import CNcursesw
import AmpscopeUI
import Foundation

/// Why the terminal UI could not start.
public enum TerminalStartError: Error, CustomStringConvertible, Equatable {
    case notATerminal
    /// Standard input or output is not a terminal and the controlling terminal cannot be opened.
    case noControllingTerminal(String)
    case noTERM
    case unknownTERM(String)

    public var description: String {
        switch self {
        case .notATerminal:
            return "the terminal UI needs a terminal: stdin and stdout are not both a tty (use `ampscope check` or the headless commands in scripts)"
        case .noControllingTerminal(let why):
            return "the terminal UI needs a terminal: standard input or output is redirected and /dev/tty cannot be opened (\(why)); run it from a terminal, or use `ampscope check` and the headless commands in scripts"
        case .noTERM:
            return "TERM is not set, so the terminal's capabilities are unknown: set it (for example TERM=xterm-256color)"
        case .unknownTERM(let t):
            return "ncurses does not know the terminal type '\(t)': set TERM to one it knows (for example xterm-256color) or install its terminfo entry"
        }
    }
}

/// The terminal UI on ncursesw: draws only the cells that changed since the last frame.
///
/// All calls must come from the thread that created it (ncurses is not thread-safe); run it
/// on the main thread so that resizes (SIGWINCH) arrive at once as `KEY_RESIZE`.
public final class CursesTerminal: Terminal {
    private let screen: OpaquePointer
    private let win: UnsafeMutablePointer<WINDOW>
    private var last: ScreenBuffer?
    private var theme: Theme
    public private(set) var depth: ColorDepth
    private var pairs: [Int64: Int32] = [:]
    private var nextPair: Int32 = 1
    private let maxPairs: Int32
    /// (attributes, pair) per role ordinal for the current theme.
    private var roleLook: [(attr_t, Int32)] = []
    private var quickErrors = 0
    private var closed = false
    /// Where copied text is also written.
    public let clipboardFile: String

    /// Starts curses. Fails cleanly (never exits the process) when there is no usable terminal.
    ///
    /// Like `less`, it reads keys from the controlling terminal (`/dev/tty`) when standard input
    /// is not one (`node app.js | ampscope --debug-log -`), and draws there when standard output
    /// is redirected.
    public init(theme: Theme, mouse: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) throws(TerminalStartError) {
        let (inFD, outFD) = try Self.terminalDescriptors()
        guard let term = environment["TERM"], !term.isEmpty else {
            _ = Foundation.close(inFD)
            _ = Foundation.close(outFD)
            throw .noTERM
        }
        // Wide characters need a UTF-8 locale; the machine may only have C.UTF-8.
        setlocale(LC_ALL, "")
        if String(cString: shim_codeset()) != "UTF-8" { setlocale(LC_CTYPE, "C.UTF-8") }
        guard let out = fdopen(outFD, "w"), let inp = fdopen(inFD, "r") else { throw .notATerminal }
        guard let scr = newterm(nil, out, inp) else { throw .unknownTERM(term) }
        screen = scr
        _ = set_term(scr)
        guard let w = shim_stdscr() else {
            endwin()
            throw .unknownTERM(term)
        }
        win = w
        self.theme = theme
        // raw, not cbreak: ctrl-c arrives as a key (bound to quit), so the terminal is always
        // restored on the way out instead of being left in curses mode by SIGINT.
        raw()
        noecho()
        nonl()
        keypad(w, true)
        shim_set_escdelay(25)
        curs_set(0)
        leaveok(w, true)
        if has_colors() {
            start_color()
            use_default_colors()
            depth = ColorDepth(colors: Int(shim_colors()))
            maxPairs = Int32(min(Int(shim_color_pairs()), Int(Int32.max)))
        } else {
            depth = .none
            maxPairs = 0
        }
        mouseinterval(0)
        let tmp = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        clipboardFile = tmp + "/ampscope-clipboard-\(getuid()).txt"
        setTheme(theme)
        setMouse(mouse)
    }

    deinit { close() }

    /// The descriptors curses reads keys from and draws to (both owned by the caller): copies
    /// of standard input and output when they are terminals, else the controlling terminal.
    public static func terminalDescriptors(isTTY: (Int32) -> Bool = { isatty($0) == 1 },
                                           openTTY: () -> Int32 = { open("/dev/tty", O_RDWR | O_NOCTTY) })
        throws(TerminalStartError) -> (input: Int32, output: Int32) {
        let inTTY = isTTY(0)
        let outTTY = isTTY(1)
        if inTTY && outTTY { return (dup(0), dup(1)) }
        let tty = openTTY()
        guard tty >= 0 else {
            let why = String(cString: strerror(errno))
            throw .noControllingTerminal("/dev/tty: " + why)
        }
        let input = inTTY ? dup(0) : tty
        let output = outTTY ? dup(1) : (inTTY ? tty : dup(tty))
        return (input, output)
    }

    /// Restores the terminal. Safe to call twice.
    public func close() {
        guard !closed else { return }
        closed = true
        mousemask(0, nil)
        curs_set(1)
        endwin()
        delscreen(screen)
    }

    public var size: Size { Size(cols: Int(getmaxx(win)), rows: Int(getmaxy(win))) }

    // MARK: Colours

    public func setTheme(_ theme: Theme) {
        self.theme = theme
        roleLook = StyleRole.allCases.map { look(theme.style($0)) }
        last = nil
    }

    private func colorNumber(_ c: TerminalColor) -> Int32 {
        switch c.reduced(to: depth) {
        case .default: return -1
        case .ansi(let n): return Int32(n)
        case .indexed(let n): return Int32(n)
        case .rgb(let r, let g, let b): return Int32(r) << 16 | Int32(g) << 8 | Int32(b)
        }
    }

    private func look(_ s: Style) -> (attr_t, Int32) {
        var a: attr_t = SHIM_A_NORMAL
        if s.attributes.contains(.bold) { a |= SHIM_A_BOLD }
        if s.attributes.contains(.dim) { a |= SHIM_A_DIM }
        if s.attributes.contains(.italic) { a |= SHIM_A_ITALIC }
        if s.attributes.contains(.underline) { a |= SHIM_A_UNDERLINE }
        if s.attributes.contains(.reverse) { a |= SHIM_A_REVERSE }
        guard depth != .none else { return (a, 0) }
        let fg = colorNumber(s.fg.resolved(depth))
        let bg = colorNumber(s.bg.resolved(depth))
        if fg == -1 && bg == -1 { return (a, 0) }
        let key = Int64(fg) << 32 | Int64(UInt32(bitPattern: bg))
        if let p = pairs[key] { return (a, p) }
        guard nextPair < maxPairs else { return (a, 0) }
        let p = nextPair
        if init_extended_pair(p, fg, bg) == ERR { return (a, 0) }
        nextPair += 1
        pairs[key] = p
        return (a, p)
    }

    // MARK: Drawing

    public func present(_ frame: ScreenBuffer) {
        let sz = frame.size
        let full = last == nil || last!.size != sz
        if full { werase(win) }
        var wch = [wchar_t](repeating: 0, count: 8)
        var cc = cchar_t()
        for y in 0..<sz.rows {
            var x = 0
            while x < sz.cols {
                let cell = frame[x, y]
                let changed = full || last![x, y] != cell
                    || (cell.width == 2 && x + 1 < sz.cols && last![x + 1, y] != frame[x + 1, y])
                if !changed || cell.width == 0 {
                    if changed && cell.width == 0 && x > 0 {
                        // A continuation changed: redraw its wide glyph.
                        draw(frame[x - 1, y], x: x - 1, y: y, &wch, &cc)
                    }
                    x += 1
                    continue
                }
                draw(cell, x: x, y: y, &wch, &cc)
                x += cell.width == 2 ? 2 : 1
            }
        }
        wnoutrefresh(win)
        doupdate()
        last = frame
    }

    private func draw(_ cell: Cell, x: Int, y: Int, _ wch: inout [wchar_t], _ cc: inout cchar_t) {
        var n = 0
        for u in cell.text.unicodeScalars where n < 5 {
            wch[n] = wchar_t(bitPattern: u.value)
            n += 1
        }
        if n == 0 { wch[0] = 0x20; n = 1 }
        wch[n] = 0
        let (attr, pair) = roleLook[cell.role.ordinal]
        var p = pair
        _ = setcchar(&cc, wch, attr, 0, &p)
        _ = mvwadd_wch(win, Int32(y), Int32(x), &cc)
    }

    // MARK: Input

    public func read(timeoutMilliseconds: Int) -> TerminalInput {
        wtimeout(win, Int32(timeoutMilliseconds))
        var ch: wint_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let r = wget_wch(win, &ch)
        if r == ERR {
            // A closed terminal returns ERR at once, forever: treat a run of instant ERRs as the end.
            let ms = Int((DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
            if timeoutMilliseconds > 0 && ms < max(1, timeoutMilliseconds / 4) {
                quickErrors += 1
                if quickErrors > 50 { return .end }
            } else {
                quickErrors = 0
            }
            return .timeout
        }
        quickErrors = 0
        if r == KEY_CODE_YES {
            return keyCode(Int32(ch))
        }
        guard let k = InputDecoder.character(UInt32(ch)) else { return .timeout }
        return .event(.key(k))
    }

    private func keyCode(_ code: Int32) -> TerminalInput {
        switch code {
        case KEY_RESIZE:
            last = nil
            clearok(win, true)
            return .event(.resize(size))
        case KEY_MOUSE:
            var ev = MEVENT()
            guard getmouse(&ev) == OK else { return .timeout }
            let b = ev.bstate
            let kind: MouseEvent.Kind
            if b & SHIM_BUTTON4_PRESSED != 0 { kind = .wheelUp }
            else if SHIM_BUTTON5_PRESSED != 0 && b & SHIM_BUTTON5_PRESSED != 0 { kind = .wheelDown }
            else if b & (SHIM_BUTTON1_PRESSED | SHIM_BUTTON1_CLICKED | SHIM_BUTTON1_DOUBLE_CLICKED) != 0 { kind = .press }
            else if b & SHIM_BUTTON1_RELEASED != 0 { kind = .release }
            else { return .timeout }
            return .event(.mouse(MouseEvent(x: Int(ev.x), y: Int(ev.y), kind: kind)))
        default:
            if let k = CursesKeys.key(code) { return .event(.key(k)) }
            return .timeout
        }
    }

    public func setMouse(_ enabled: Bool) {
        if enabled {
            mousemask(SHIM_ALL_MOUSE_EVENTS, nil)
        } else {
            mousemask(0, nil)
        }
    }

    // MARK: Clipboard

    public func copy(_ text: String, what: String) -> String {
        let bytes = Array(text.utf8)
        var parts: [String] = []
        // OSC 52 (most terminals cap it near 100 KB; tmux needs `set -g set-clipboard on`).
        if bytes.count <= 74_000 {
            let seq = "\u{1b}]52;c;" + Data(bytes).base64EncodedString() + "\u{07}"
            fflush(nil)
            _ = seq.utf8CString.withUnsafeBufferPointer { p in Foundation.write(1, p.baseAddress, p.count - 1) }
            parts.append("sent to the clipboard (OSC 52)")
        }
        if Clipboard.writeFile(clipboardFile, bytes) {
            parts.append("saved to \(clipboardFile)")
        }
        if parts.isEmpty { return "could not copy \(what): too large for OSC 52 and \(clipboardFile) is not writable" }
        return "copied \(what): " + parts.joined(separator: " and ")
    }
}

/// The clipboard's fallback file (private to the user).
enum Clipboard {
    static func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return false }
        defer { _ = Foundation.close(fd) }
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return false }
            off += n
        }
        return true
    }
}

/// ncurses key codes → keys.
enum CursesKeys {
    static func key(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_IC: return .insert
        case KEY_BTAB: return .backTab
        default:
            for n in 1...24 where code == shim_key_f(Int32(n)) { return .function(n) }
            return nil
        }
    }
}
