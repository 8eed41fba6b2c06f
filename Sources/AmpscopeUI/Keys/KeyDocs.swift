import AmpscopeCore

/// The key table as help text: the `?` overlay and Docs/keys.md.
extension KeyTable {
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
