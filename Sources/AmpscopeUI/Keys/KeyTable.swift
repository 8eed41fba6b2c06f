/// Where a key binding applies. The focused pane's contexts are searched first, `global` last.
public enum KeyContext: String, CaseIterable, Sendable {
    case global, stream, inspector, payload, findings, request, debug, help

    public var title: String {
        switch self {
        case .global: return "Everywhere"
        case .stream: return "Stream pane"
        case .inspector: return "Inspector (all tabs)"
        case .payload: return "Payload tab"
        case .findings: return "Findings tab"
        case .request: return "Request tab"
        case .debug: return "Debug tab"
        case .help: return "Help and setup overlays"
        }
    }
}

/// Something a key can do. The raw value is the name used in key files.
public enum Command: String, CaseIterable, Sendable {
    case down, up, top, bottom
    case pageDown = "page-down", pageUp = "page-up"
    case nextPane = "next-pane", previousPane = "previous-pane"
    case open, back, quit, cancel
    case search, searchNext = "search-next", searchPrevious = "search-previous"
    case filter
    case nextError = "next-error", previousError = "previous-error"
    case follow, pause
    case mark, markedOnly = "marked-only"
    case copy, copyPath = "copy-path"
    case clear, command, help, setup, zoom
    case nextTab = "next-tab", previousTab = "previous-tab"
    case tabPayload = "tab-payload", tabFindings = "tab-findings", tabRequest = "tab-request", tabDebug = "tab-debug"
    case expand, collapse
    case toggleFold = "toggle-fold", foldAll = "fold-all", unfoldAll = "unfold-all"
    case wrap, raw, scope
    case scrollLeft = "scroll-left", scrollRight = "scroll-right"
    case sdkCalls = "sdk-calls", jump

    /// What the command does, for the help overlay and Docs/keys.md.
    public var help: String {
        switch self {
        case .down: return "Move down one line"
        case .up: return "Move up one line"
        case .top: return "Go to the first line"
        case .bottom: return "Go to the last line"
        case .pageDown: return "Move down one page"
        case .pageUp: return "Move up one page"
        case .nextPane: return "Focus the next pane (stream, inspector)"
        case .previousPane: return "Focus the previous pane"
        case .open: return "Open the selected event in the inspector"
        case .back: return "Back: close an overlay, leave the inspector, or quit from the stream"
        case .quit: return "Quit ampscope"
        case .cancel: return "Cancel: close the prompt or overlay, clear the search and messages"
        case .search: return "Search (the stream's columns, or the payload's text)"
        case .searchNext: return "Next search match"
        case .searchPrevious: return "Previous search match"
        case .filter: return "Edit the stream filter (Docs/filter.md)"
        case .nextError: return "Next event with an error (wraps around)"
        case .previousError: return "Previous event with an error (wraps around)"
        case .follow: return "Follow: keep the newest event selected"
        case .pause: return "Pause or resume following (capture goes on)"
        case .mark: return "Mark or unmark the selected event"
        case .markedOnly: return "Show only marked events, or all again"
        case .copy: return "Copy the selection (OSC 52, and a file as fallback)"
        case .copyPath: return "Copy the JSON Pointer under the cursor"
        case .clear: return "Clear the capture store"
        case .command: return "Command prompt (:filter, :export FILE, :theme NAME, :q ...)"
        case .help: return "Show or hide this help"
        case .setup: return "Show how to point an SDK at ampscope"
        case .zoom: return "Zoom the focused pane to the whole screen, or back"
        case .nextTab: return "Next inspector tab"
        case .previousTab: return "Previous inspector tab"
        case .tabPayload: return "Payload tab"
        case .tabFindings: return "Findings tab"
        case .tabRequest: return "Request tab"
        case .tabDebug: return "Debug tab"
        case .expand: return "Unfold the value under the cursor"
        case .collapse: return "Fold the value under the cursor, or go to its parent"
        case .toggleFold: return "Fold or unfold (Findings: jump to the finding's path)"
        case .foldAll: return "Fold every object and array"
        case .unfoldAll: return "Unfold everything"
        case .wrap: return "Wrap long strings, or elide them again"
        case .raw: return "Raw body bytes, or pretty-printed"
        case .scope: return "Show the whole request's JSON, or the event only"
        case .scrollLeft: return "Scroll left"
        case .scrollRight: return "Scroll right"
        case .sdkCalls: return "Stream: list the SDK calls read from debug logs, or the wire events again"
        case .jump: return "Jump between an SDK call and the wire event it produced, and back"
        }
    }

    /// Short label for the hint line.
    public var hint: String {
        switch self {
        case .help: return "help"
        case .search: return "search"
        case .filter: return "filter"
        case .nextError: return "next error"
        case .follow: return "follow"
        case .pause: return "pause"
        case .mark: return "mark"
        case .copy: return "copy"
        case .command: return "cmd"
        case .back: return "back"
        case .quit: return "quit"
        case .open: return "inspect"
        case .nextPane: return "pane"
        case .nextTab: return "tab"
        case .toggleFold: return "fold"
        case .wrap: return "wrap"
        case .raw: return "raw"
        case .scope: return "request/event"
        case .setup: return "setup"
        case .zoom: return "zoom"
        case .sdkCalls: return "SDK calls"
        case .jump: return "call ↔ wire"
        default: return rawValue
        }
    }
}

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

    public static let standard: KeyTable = {
        func k(_ s: String) -> Key { Key(spelling: s)! }
        var b: [KeyBinding] = []
        func add(_ c: KeyContext, _ keys: [String], _ cmd: Command) { for key in keys { b.append(KeyBinding(c, k(key), cmd)) } }
        add(.global, ["j", "down"], .down)
        add(.global, ["k", "up"], .up)
        add(.global, ["g", "home"], .top)
        add(.global, ["G", "end"], .bottom)
        add(.global, ["pgdn", "ctrl-f"], .pageDown)
        add(.global, ["pgup", "ctrl-b"], .pageUp)
        add(.global, ["tab"], .nextPane)
        add(.global, ["shift-tab"], .previousPane)
        add(.global, ["q"], .back)
        add(.global, ["Q", "ctrl-c"], .quit)
        add(.global, ["esc"], .cancel)
        add(.global, ["/"], .search)
        add(.global, ["n"], .searchNext)
        add(.global, ["N"], .searchPrevious)
        add(.global, ["f"], .filter)
        add(.global, ["e"], .nextError)
        add(.global, ["E"], .previousError)
        add(.global, ["F"], .follow)
        add(.global, ["space"], .pause)
        add(.global, ["m"], .mark)
        add(.global, ["M"], .markedOnly)
        add(.global, ["y"], .copy)
        add(.global, ["c"], .clear)
        add(.global, [":"], .command)
        add(.global, ["?", "f1"], .help)
        add(.global, ["s"], .setup)
        add(.global, ["z"], .zoom)
        add(.global, ["]"], .nextTab)
        add(.global, ["["], .previousTab)
        add(.global, ["1"], .tabPayload)
        add(.global, ["2"], .tabFindings)
        add(.global, ["3"], .tabRequest)
        add(.global, ["4"], .tabDebug)
        add(.global, ["v"], .sdkCalls)
        add(.global, ["d"], .jump)
        add(.stream, ["enter", "l", "right"], .open)
        add(.payload, ["enter"], .toggleFold)
        add(.payload, ["l", "right"], .expand)
        add(.payload, ["h", "left"], .collapse)
        add(.payload, ["-"], .foldAll)
        add(.payload, ["+", "="], .unfoldAll)
        add(.payload, ["w"], .wrap)
        add(.payload, ["p"], .scope)
        add(.payload, ["Y"], .copyPath)
        add(.findings, ["enter"], .toggleFold)
        add(.request, ["r"], .raw)
        add(.request, ["h", "left"], .scrollLeft)
        add(.request, ["l", "right"], .scrollRight)
        add(.debug, ["enter"], .jump)
        add(.inspector, ["w"], .wrap)
        add(.help, ["q", "esc", "?"], .back)
        return KeyTable(bindings: b)
    }()

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

    /// Help overlay content: per context, the commands and their keys.
    public func helpSections() -> [(context: KeyContext, rows: [(keys: String, help: String)])] {
        var out: [(KeyContext, [(String, String)])] = []
        for ctx in KeyContext.allCases {
            var order: [Command] = []
            var keys: [Command: [String]] = [:]
            for b in bindings where b.context == ctx {
                if keys[b.command] == nil { order.append(b.command); keys[b.command] = [] }
                keys[b.command]!.append(b.key.description)
            }
            guard !order.isEmpty else { continue }
            out.append((ctx, order.map { (keys[$0]!.joined(separator: " "), ctx == .findings && $0 == .toggleFold ? "Jump to the finding's path in the Payload tab" : $0.help) }))
        }
        return out
    }

    /// Docs/keys.md, generated (a test keeps the file in step with the table).
    public func markdown() -> String {
        var s = """
        # Keys

        ampscope's keys follow mitmproxy, lnav and less: `j`/`k` move, `/` searches, `f` filters,
        `e`/`E` jump between events with errors, `?` shows this list inside the program. The same
        table drives the input, the hint line, the `?` overlay and this page.

        Keys are looked up in the focused pane's context first (for example *Payload tab*, then
        *Inspector*), then in *Everywhere*.

        ## Rebinding keys

        Put a key file at `$XDG_CONFIG_HOME/ampscope/keys.conf` (by default
        `~/.config/ampscope/keys.conf`), or pass `--keys FILE`. Each line is
        `[CONTEXT] KEY = COMMAND`; the context defaults to `global`, and the command `none`
        removes a binding. Lines starting with `#` are comments.

        ```
        # vim-like page moves
        ctrl-d = page-down
        ctrl-u = page-up
        # x marks in the stream, and m no longer does
        stream x = mark
        global m = none
        ```

        Key names: a character (`j`, `G`, `?`), `space`, `enter`, `tab`, `shift-tab`, `esc`,
        `backspace`, `delete`, `up`, `down`, `left`, `right`, `home`, `end`, `pgup`, `pgdn`,
        `ctrl-a` … `ctrl-z`, `f1` … `f24`. Contexts: \(KeyContext.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", ")).
        A mistake in the default file is reported with its line and column, and ampscope starts
        with the standard keys; a file named with `--keys` that is missing or wrong stops ampscope
        before it starts, with the same message.

        """
        for (ctx, rows) in helpSections() {
            s += "\n## \(ctx.title) (`\(ctx.rawValue)`)\n\n| Keys | Command | What it does |\n|---|---|---|\n"
            for (i, r) in rows.enumerated() {
                let cmd = commandsIn(ctx)[i]
                let keys = r.keys.split(separator: " ").map { "`\($0 == "|" ? "\\|" : String($0))`" }.joined(separator: " ")
                s += "| \(keys) | `\(cmd.rawValue)` | \(r.help) |\n"
            }
        }
        s += "\n## Commands without a default key\n\n"
        let bound = Set(bindings.map(\.command))
        let unbound = Command.allCases.filter { !bound.contains($0) }
        if unbound.isEmpty {
            s += "None: every command has a key.\n"
        } else {
            for c in unbound { s += "- `\(c.rawValue)`: \(c.help)\n" }
        }
        s += """

        ## Prompt keys

        In the `/`, `f` and `:` prompts: type to edit, `left`/`right`, `home`/`end` (`ctrl-a`/`ctrl-e`),
        `backspace`/`delete`, `ctrl-u` clears, `ctrl-w` deletes a word, `tab` completes a `:` command,
        `up`/`down` recall earlier entries, `enter` applies and `esc` cancels (a filter goes back
        to what it was before the prompt opened).

        ## Mouse

        Click a row to select it, click a tab to open it, use the wheel to scroll the pane under
        the pointer. Start with `--no-mouse` (or type `:mouse off`) to leave the mouse to the
        terminal, so that text can be selected and copied as usual.

        """
        return s
    }

    func commandsIn(_ ctx: KeyContext) -> [Command] {
        var order: [Command] = []
        for b in bindings where b.context == ctx && !order.contains(b.command) { order.append(b.command) }
        return order
    }
}

/// A key file that could not be read: where and why.
public struct KeyConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "\(source), line \(line), column \(column): \(message)" }
}

/// Reads `keys.conf`: lines `[CONTEXT] KEY = COMMAND` (`none` unbinds), `#` comments.
public enum KeyConfigParser {
    public static func apply(_ text: String, to table: KeyTable, source: String = "keys.conf") throws(KeyConfigError) -> KeyTable {
        var t = table
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            var line = String(raw)
            line = ThemeParser.stripComment(line)
            let trimmed = line.trimmed(" \t\r")
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            func fail(_ col: Int, _ m: String) -> KeyConfigError { KeyConfigError(source: source, line: lineNo, column: col, message: m) }
            // `=` as a key (`= = unfold-all`) is written as the first token, so split on the last " = ".
            guard let eq = line.lastIndex(of: "=") else {
                throw fail(1, "expected '[context] key = command'")
            }
            let lhs = line[..<eq].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            let rhs = String(line[line.index(after: eq)...]).trimmed(" \t\r")
            guard !lhs.isEmpty, lhs.count <= 2 else {
                throw fail(1, "expected '[context] key = command'")
            }
            var context = KeyContext.global
            if lhs.count == 2 {
                guard let c = KeyContext(rawValue: lhs[0].lowercased()) else {
                    throw fail(ThemeParser.column(of: lhs[0], in: line),
                               "unknown context '\(lhs[0])': use \(KeyContext.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                context = c
            }
            let keyName = lhs.last!
            guard let key = Key(spelling: keyName) else {
                throw fail(ThemeParser.column(of: keyName, in: line),
                           "unknown key '\(keyName)': use a character, space, enter, tab, esc, up, pgdn, ctrl-x, f1 ... (Docs/keys.md)")
            }
            let cmdCol = line.distance(from: line.startIndex, to: eq) + 2
            guard !rhs.isEmpty else { throw fail(cmdCol, "expected a command after '='") }
            if rhs.lowercased() == "none" {
                t.bind(key, to: nil, in: context)
                continue
            }
            guard let cmd = Command(rawValue: rhs.lowercased()) else {
                var m = "unknown command '\(rhs)'"
                if let s = Command.allCases.map(\.rawValue).min(by: { ThemeParser.editDistance($0, rhs) < ThemeParser.editDistance($1, rhs) }),
                   ThemeParser.editDistance(s, rhs) <= 3 {
                    m += " (did you mean '\(s)'?)"
                }
                throw fail(ThemeParser.column(of: rhs, in: line), m + "; the commands are listed in Docs/keys.md")
            }
            t.bind(key, to: cmd, in: context)
        }
        return t
    }
}
