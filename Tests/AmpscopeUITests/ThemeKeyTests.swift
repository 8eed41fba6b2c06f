import Foundation
import Testing
@testable import AmpscopeUI

@Suite("Themes")
struct ThemeTests {
    @Test("the shipped theme files parse and match the compiled-in copies", arguments: BuiltinThemes.names)
    func shipped(_ name: String) throws {
        let url = UITest.repoRoot.appendingPathComponent("themes/\(name).theme")
        let file = try String(contentsOf: url, encoding: .utf8)
        #expect(file.trimmed("\n") == BuiltinThemes.sources[name]!.trimmed("\n"), "themes/\(name).theme and BuiltinThemes.swift differ")
        let t = try ThemeParser.parse(file, name: name)
        #expect(t.name == name)
        #expect(!t.explicit.isEmpty)
    }

    @Test("Docs/themes.md lists every role with its parent")
    func docs() throws {
        let file = try String(contentsOf: UITest.repoRoot.appendingPathComponent("Docs/themes.md"), encoding: .utf8)
        for r in StyleRole.allCases {
            let line = file.split(separator: "\n").first { $0.hasPrefix("| `\(r.rawValue)` |") }
            #expect(line != nil, "\(r.rawValue) is not documented")
            let parent = r.parent.map { "`\($0.rawValue)`" } ?? "–"
            #expect(line?.hasSuffix("| \(parent) |") == true, "\(r.rawValue): parent should be \(parent)")
        }
    }

    @Test("mono has no colour at all")
    func mono() {
        let t = Theme.mono
        for role in StyleRole.allCases {
            #expect(t.style(role).fg.color == .default && t.style(role).bg.color == .default, "\(role.rawValue)")
        }
        #expect(t.style(.listSelected).attributes.contains(.reverse))
    }

    @Test("roles without a style inherit their parent's")
    func inheritance() throws {
        let t = try ThemeParser.parse("list.selected = red on blue bold\ntext = green", name: "t")
        #expect(t.style(.jsonCursor) == t.style(.listSelected))           // json.cursor → list.selected
        #expect(t.style(.listTime).fg.color == .ansi(2))                   // list.time → list.row → text
        #expect(t.style(.listSelected).bg.color == .ansi(4))
        #expect(t.style(.listSelected).attributes == [.bold])
    }

    @Test("colour spellings")
    func colors() {
        #expect(TerminalColor(spelling: "default") == .default)
        #expect(TerminalColor(spelling: "red") == .ansi(1))
        #expect(TerminalColor(spelling: "bright-blue") == .ansi(12))
        #expect(TerminalColor(spelling: "208") == .indexed(208))
        #expect(TerminalColor(spelling: "color7") == .ansi(7))
        #expect(TerminalColor(spelling: "#ff8700") == .rgb(255, 135, 0))
        #expect(TerminalColor(spelling: "#f80") == .rgb(255, 136, 0))
        #expect(TerminalColor(spelling: "256") == nil)
        #expect(TerminalColor(spelling: "#ggg") == nil)
        #expect(TerminalColor(spelling: "blu") == nil)
    }

    @Test("colours reduce to what the terminal has")
    func reduce() {
        #expect(TerminalColor.rgb(255, 135, 0).reduced(to: .indexed256) == .indexed(208))
        #expect(TerminalColor.rgb(255, 0, 0).reduced(to: .ansi16) == .ansi(9))
        #expect(TerminalColor.indexed(196).reduced(to: .ansi8) == .ansi(1))
        #expect(TerminalColor.rgb(1, 2, 3).reduced(to: .truecolor) == .rgb(1, 2, 3))
        #expect(TerminalColor.ansi(12).reduced(to: .none) == .default)
        #expect(ColorSpec(.rgb(255, 135, 0), fallback16: .ansi(3)).resolved(.ansi16) == .ansi(3))
        #expect(ColorSpec(.rgb(255, 135, 0), fallback16: .ansi(11)).resolved(.ansi8) == .ansi(3))
        #expect(ColorDepth(colors: 256) == .indexed256)
        #expect(ColorDepth(colors: 8) == .ansi8)
        #expect(ColorDepth(colors: 16_777_216) == .truecolor)
    }

    /// theme text → (line, column, words in the message)
    static let errors: [(String, Int, Int, String)] = [
        ("list.selcted = red", 1, 1, "unknown role 'list.selcted' (did you mean 'list.selected'?)"),
        ("text = red\n\n  json.key = blu", 3, 14, "bad colour 'blu'"),
        ("text = red on", 1, 12, "expected a background colour after 'on'"),
        ("text = red blue", 1, 12, "expected 'on' before the background colour"),
        ("text = red blinking", 1, 12, "unknown attribute 'blinking'"),
        ("text = #ff000/red", 1, 8, "bad colour '#ff000'"),
        ("text = #ff0000/orange", 1, 16, "bad 16-colour fallback 'orange'"),
        ("text = #ff0000/208", 1, 16, "one of the 16 standard colours"),
        ("text red", 1, 1, "expected 'role = colour"),
        ("text =", 1, 7, "expected a colour or attribute"),
        ("text = red\ntext = blue", 2, 1, "already set on line 1"),
        ("extends nothing", 1, 9, "built-in theme"),
    ]

    @Test("bad theme files give the line, column and a reason", arguments: errors)
    func themeErrors(_ text: String, _ line: Int, _ column: Int, _ words: String) {
        do {
            _ = try ThemeParser.parse(text, name: "t")
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.column == column, "\(error)")
            #expect(error.message.contains(words), "\(error)")
            #expect(error.description.hasPrefix("theme t, line \(line), column \(column): "))
        }
    }

    @Test("comments, #colours and extends")
    func commentsAndExtends() throws {
        let t = try ThemeParser.parse("""
        # a comment
        extends light   # start from light
        text = #123456 # trailing comment
        """, name: "mine")
        #expect(t.style(.text).fg.color == .rgb(0x12, 0x34, 0x56))
        #expect(t.style(.jsonKey) == Theme.builtin("light")!.style(.jsonKey))
    }

    @Test("resolving --theme, the user directory and NO_COLOR")
    func resolver() throws {
        let files = ["/home/u/.config/ampscope/themes/dark.theme": "text = red",
                     "/x/custom.theme": "text = blue",
                     "/cfg/ampscope/themes/ocean.theme": "text = cyan",
                     "/x/bad.theme": "nope = red"]
        let read: (String) -> String? = { files[$0] }
        let home = ["HOME": "/home/u"]
        #expect(try ThemeResolver.resolve(nil, environment: [:], readFile: read).get().name == "dark")
        #expect(try ThemeResolver.resolve(nil, environment: ["NO_COLOR": "1"], readFile: read).get().name == "mono")
        #expect(try ThemeResolver.resolve("light", environment: ["NO_COLOR": "1"], readFile: read).get().name == "light")
        #expect(try ThemeResolver.resolve(nil, environment: ["AMPSCOPE_THEME": "high-contrast"], readFile: read).get().name == "high-contrast")
        // A user file named like a built-in replaces it.
        #expect(try ThemeResolver.resolve("dark", environment: home, readFile: read).get().style(.text).fg.color == .ansi(1))
        #expect(try ThemeResolver.resolve("ocean", environment: ["XDG_CONFIG_HOME": "/cfg"], readFile: read).get().style(.text).fg.color == .ansi(6))
        #expect(try ThemeResolver.resolve("/x/custom.theme", environment: [:], readFile: read).get().style(.text).fg.color == .ansi(4))
        guard case .failure(let e1) = ThemeResolver.resolve("nosuch", environment: home, readFile: read) else { Issue.record("no error"); return }
        #expect(e1.message.contains("built-in themes are dark, light, high-contrast, mono"))
        #expect(e1.message.contains("/home/u/.config/ampscope/themes/nosuch.theme"))
        guard case .failure(let e2) = ThemeResolver.resolve("/x/missing.theme", environment: [:], readFile: read) else { Issue.record("no error"); return }
        #expect(e2.description.contains("no readable theme file"))
        guard case .failure(let e3) = ThemeResolver.resolve("/x/bad.theme", environment: [:], readFile: read) else { Issue.record("no error"); return }
        #expect(e3.line == 1 && e3.message.contains("unknown role 'nope'"))
    }
}

@Suite("Keys")
struct KeyTests {
    @Test("key spellings round-trip")
    func spellings() {
        let keys: [Key] = [.char("j"), .char("G"), .char(" "), .char("?"), .char("/"), .ctrl("d"), .up, .pageDown, .enter, .tab,
                           .backTab, .escape, .function(1), .home, .end, .backspace, .delete]
        for k in keys { #expect(Key(spelling: k.description) == k, "\(k)") }
        #expect(Key(spelling: "PgDn") == .pageDown)
        #expect(Key(spelling: "C-x") == .ctrl("x"))
        #expect(Key(spelling: "ctrl-1") == nil)
        #expect(Key(spelling: "jj") == nil)
        #expect(Key(spelling: "f99") == nil)
    }

    @Test("the standard table has the keys people expect")
    func standard() {
        let t = KeyTable.standard
        let stream: [KeyContext] = [.stream, .global]
        let expected: [(String, Command)] = [("j", .down), ("k", .up), ("down", .down), ("up", .up), ("g", .top), ("G", .bottom),
                                             ("pgdn", .pageDown), ("pgup", .pageUp), ("enter", .open), ("tab", .nextPane),
                                             ("/", .search), ("n", .searchNext), ("N", .searchPrevious), ("f", .filter),
                                             ("e", .nextError), ("E", .previousError), ("F", .follow), ("space", .pause),
                                             ("m", .mark), ("M", .markedOnly), ("y", .copy), ("c", .clear), (":", .command),
                                             ("?", .help), ("q", .back), ("Q", .quit)]
        for (k, c) in expected { #expect(t.command(for: Key(spelling: k)!, in: stream) == c, "\(k)") }
        // Context order: the payload's enter folds, the stream's enter opens.
        #expect(t.command(for: .enter, in: [.payload, .inspector, .global]) == .toggleFold)
        #expect(t.command(for: .enter, in: [.findings, .inspector, .global]) == .toggleFold)
        #expect(t.key(for: .toggleFold, in: [.payload, .inspector, .global]) == .enter)
        // No key is bound twice in one context.
        for ctx in KeyContext.allCases {
            let keys = t.bindings.filter { $0.context == ctx }.map(\.key)
            #expect(Set(keys).count == keys.count, "duplicate key in \(ctx)")
        }
    }

    @Test("a key file rebinds and unbinds")
    func keyFile() throws {
        let t = try KeyConfigParser.apply("""
        # comment
        ctrl-d = page-down
        stream x = mark   # x marks
        global m = none
        payload = = unfold-all
        """, to: .standard)
        #expect(t.command(for: .ctrl("d"), in: [.global]) == .pageDown)
        #expect(t.command(for: .char("x"), in: [.stream, .global]) == .mark)
        #expect(t.command(for: .char("m"), in: [.stream, .global]) == nil)
        #expect(t.command(for: .char("="), in: [.payload]) == .unfoldAll)
        // The help overlay follows the table.
        let help = t.helpSections().first { $0.context == .stream }!.rows
        #expect(help.contains { $0.keys == "x" && $0.help == Command.mark.help })
    }

    static let errors: [(String, Int, Int, String)] = [
        ("j = dwn", 1, 5, "unknown command 'dwn' (did you mean 'down'?)"),
        ("\nstreem j = down", 2, 1, "unknown context 'streem'"),
        ("ctrl-% = down", 1, 1, "unknown key 'ctrl-%'"),
        ("j down", 1, 1, "expected '[context] key = command'"),
        ("a b c = down", 1, 1, "expected '[context] key = command'"),
        ("j =", 1, 4, "expected a command"),
    ]

    @Test("bad key files give the line, column and a reason", arguments: errors)
    func keyErrors(_ text: String, _ line: Int, _ column: Int, _ words: String) {
        do {
            _ = try KeyConfigParser.apply(text, to: .standard, source: "keys.conf")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.column == column, "\(error)")
            #expect(error.message.contains(words), "\(error)")
        }
    }

    @Test("Docs/keys.md is generated from the table")
    func docs() throws {
        let url = UITest.repoRoot.appendingPathComponent("Docs/keys.md")
        let generated = KeyTable.standard.markdown()
        if Snapshot.recording { try generated.write(to: url, atomically: true, encoding: .utf8) }
        let file = try String(contentsOf: url, encoding: .utf8)
        #expect(file == generated, "Docs/keys.md is out of date: run the UI tests with AMPSCOPE_RECORD_SNAPSHOTS=1")
        for c in Command.allCases { #expect(file.contains("`\(c.rawValue)`"), "\(c.rawValue) missing from Docs/keys.md") }
    }
}
