import Testing
@testable import AmpscopeUI

@Suite("Text: widths and safe glyphs")
struct TextTests {
    /// text → (what is drawn, columns)
    static let cases: [(String, String, Int)] = [
        ("abc", "abc", 3),
        ("日本語", "日本語", 6),
        ("é", "é", 1),                       // precomposed
        ("e\u{301}", "e\u{301}", 1),         // e + combining acute
        ("😀👍", "😀👍", 4),
        ("👍🏽", "👍🏽", 4),                  // skin tone modifier: 2 + 2 (glibc and tmux agree)
        ("🇯🇵", "🇯🇵", 2),                  // flag: two regional indicators of 1
        ("❤️", "❤", 1),                      // variation selector dropped
        ("👨\u{200D}👩\u{200D}👧", "👨👩👧", 6), // ZWJ between emoji dropped: 3 emoji of 2
        ("a\u{200D}b", "a\\u200db", 8),       // a lone ZWJ is shown
        ("\u{1b}[31mred", "\\u001b[31mred", 13),
        ("x\u{9b}y", "x\\u009by", 8),         // C1 CSI
        ("a\u{202E}b", "a\\u202eb", 8),       // right-to-left override
        ("a\u{200B}b", "a\\u200bb", 8),       // zero width space
        ("line\nbreak", "line\\nbreak", 11),
        ("tab\there", "tab\\there", 9),
        ("\u{7f}", "\\u007f", 6),
        ("soft\u{AD}hyphen", "soft\\u00adhyphen", 16),
        ("\u{E0067}", "\\u{e0067}", 9),       // tag character (format)
        ("\u{301}x", "\u{25CC}\u{301}x", 2),  // a mark with nothing before it sits on a dotted circle
        ("z\u{301}\u{302}\u{303}\u{304}\u{305}", "z\u{301}\u{302}\u{303}", 1), // at most three marks
        ("ｶﾀｶﾅ", "ｶﾀｶﾅ", 4),                // halfwidth katakana
        ("ＡＢ", "ＡＢ", 4),                  // fullwidth latin
        ("한국어", "한국어", 6),
        ("مرحبا", "مرحبا", 5),               // Arabic letters are drawn as they are (no bidi controls)
        ("\u{FFFD}", "\u{FFFD}", 1),
    ]

    @Test("glyphs and widths", arguments: cases)
    func glyphs(_ input: String, _ drawn: String, _ width: Int) {
        let gs = SafeText.glyphs(input)
        #expect(gs.map(\.text).joined() == drawn, "\(input.unicodeScalars.map { String($0.value, radix: 16) })")
        #expect(gs.reduce(0) { $0 + $1.width } == width)
        #expect(DisplayWidth.of(input) == width)
    }

    @Test("escapes are marked so they can be styled")
    func escapedFlag() {
        let gs = SafeText.glyphs("a\u{1b}b")
        #expect(gs.first?.escaped == false)
        #expect(gs.dropFirst().prefix(6).allSatisfy { $0.escaped })
        #expect(gs.last?.escaped == false)
    }

    @Test("truncation keeps within the width and never splits a wide glyph")
    func truncation() {
        #expect(SafeText.truncated("hello world", width: 5) == "hell…")
        #expect(SafeText.truncated("日本語テキスト", width: 6) == "日本…")
        #expect(DisplayWidth.of(SafeText.truncated("日本語テキスト", width: 6)) <= 6)
        #expect(SafeText.truncated("short", width: 10) == "short")
        #expect(SafeText.truncated("x", width: 0) == "")
    }

    @Test("wrapping breaks at spaces and respects widths")
    func wrap() {
        #expect(TextLayout.wrap("the quick brown fox", width: 10) == ["the quick", "brown fox"])
        #expect(TextLayout.wrap("abcdefghij", width: 4) == ["abcd", "efgh", "ij"])
        for row in TextLayout.wrap("日本語のテキストを折り返す", width: 7) { #expect(DisplayWidth.of(row) <= 7) }
        #expect(TextLayout.pad("ab", 4) == "ab  ")
        #expect(TextLayout.padLeft("ab", 4) == "  ab")
        #expect(TextLayout.grouped(1_234_567) == "1,234,567")
    }

    @Test("time formatting without a time zone database")
    func time() {
        #expect(TimeFormat.clock(1_763_800_000_123, offsetSeconds: 0) == "08:26:40.123")
        #expect(TimeFormat.dateTime(1_763_800_000_123, offsetSeconds: 3600) == "2025-11-22 09:26:40.123")
        #expect(TimeFormat.dateTime(0, offsetSeconds: 0) == "1970-01-01 00:00:00.000")
        #expect(TimeFormat.dateTime(-1, offsetSeconds: 0) == "1969-12-31 23:59:59.999")
        #expect(TimeFormat.zone(-5 * 3600) == "UTC-05:00")
    }
}

@Suite("Screen buffer")
struct ScreenBufferTests {
    @Test("text is clipped at the rectangle's edge")
    func clip() {
        var b = ScreenBuffer(size: Size(cols: 10, rows: 2))
        let end = b.draw("hello world", x: 2, y: 0, maxX: 7, role: .text)
        #expect(end == 7)
        #expect(b.line(0) == "  hello   ")
        #expect(b.isConsistent)
    }

    @Test("a wide glyph never straddles the clip edge")
    func wideAtEdge() {
        var b = ScreenBuffer(size: Size(cols: 6, rows: 1))
        b.draw("a日本", x: 0, y: 0, maxX: 4, role: .text)
        #expect(b.line(0) == "a日   ")
        #expect(b[3, 0].text == " ")
        #expect(b.isConsistent)
        // At the buffer's own edge too.
        var c = ScreenBuffer(size: Size(cols: 3, rows: 1))
        c.draw("ab日", x: 0, y: 0, role: .text)
        #expect(c.line(0) == "ab ")
        #expect(c.isConsistent)
    }

    @Test("overwriting half of a wide glyph blanks the other half")
    func overwriteHalf() {
        var b = ScreenBuffer(size: Size(cols: 6, rows: 1))
        b.draw("日本語", x: 0, y: 0, role: .text)
        b.draw("x", x: 1, y: 0, role: .text)   // right half of 日
        #expect(b.line(0) == " x本語")
        b.draw("y", x: 2, y: 0, role: .text)   // left half of 本
        #expect(b.line(0) == " xy 語")
        #expect(b.isConsistent)
        b.fill(Rect(x: 5, y: 0, width: 1, height: 1), role: .text)  // right half of 語
        #expect(b.isConsistent)
        #expect(b.line(0) == " xy   ")
    }

    @Test("a wide glyph written over itself (the prompt's cursor on it) stays whole, in the new role")
    func wideOverWide() {
        var b = ScreenBuffer(size: Size(cols: 6, rows: 1))
        b.draw("aユb", x: 0, y: 0, role: .prompt)
        b.put(Glyph("ユ", width: 2), x: 1, y: 0, role: .listSelected)
        #expect(b.line(0) == "aユb  ")
        #expect(b[1, 0].role == .listSelected && b[1, 0].width == 2 && b[2, 0].width == 0)
        #expect(b.isConsistent)
        // Shifted by one: the new glyph cuts the old one's right half, which is blanked.
        b.put(Glyph("日", width: 2), x: 2, y: 0, role: .text)
        #expect(b.line(0) == "a 日  ")
        #expect(b.isConsistent)
    }

    @Test("the filter prompt's cursor on a wide character shows that character and keeps the row whole")
    func promptCursorOnWideCharacter() {
        let (s, _, h) = UITest.session([], size: Size(cols: 40, rows: 10))
        h.run(s.start())
        h.press(.char("/"))
        for c in "user:ユーザー".unicodeScalars { h.press(.char(c)) }
        for _ in 0..<4 { h.press(.left) }  // onto the ユ
        let b = s.render()
        #expect(b.isConsistent)
        let row = (0..<b.size.rows).first { y in (0..<b.size.cols).contains { b[$0, y].role == .listSelected && b[$0, y].text == "ユ" } }
        #expect(row != nil, "the cursor is drawn on ユ:\n\((0..<b.size.rows).map { b.line($0) }.joined(separator: "\n"))")
    }

    @Test("horizontal skip cuts a wide glyph cleanly")
    func skip() {
        var b = ScreenBuffer(size: Size(cols: 8, rows: 1))
        b.draw("日本語", x: 0, y: 0, role: .text, skip: 1)
        #expect(b.line(0) == " 本語   ")
        #expect(b.isConsistent)
    }

    @Test("escapes get their own role")
    func escapeRole() {
        var b = ScreenBuffer(size: Size(cols: 12, rows: 1))
        b.draw("a\u{1b}b", x: 0, y: 0, role: .jsonString)
        #expect(b[0, 0].role == .jsonString)
        #expect(b[1, 0].role == .textEscape)
        #expect(b[7, 0].role == .jsonString)
        #expect(b.line(0) == "a\\u001bb    ")
    }

    @Test("style runs")
    func runs() {
        var b = ScreenBuffer(size: Size(cols: 6, rows: 1))
        b.draw("ab", x: 1, y: 0, role: .header)
        #expect(b.styleRuns == "0: 0-0 text, 1-2 header, 3-5 text")
    }

    /// Hostile strings: whatever a client sends, each row of the grid stays exactly as wide
    /// as the screen, holds no control character, and wide glyphs stay whole.
    static let hostile: [String] = [
        "\u{1b}[2J\u{1b}[H\u{1b}]0;pwned\u{07}",
        "\u{1b}[31mred\u{1b}[0m",
        "abc\u{202E}txt.exe",
        "\u{2066}isolate\u{2069}",
        "zero\u{200B}\u{200C}\u{200D}\u{2060}width",
        "日本語テキスト日本語テキスト日本語テキスト",
        "👨\u{200D}👩\u{200D}👧\u{200D}👦 family 🏳️\u{200D}🌈 flag 🇯🇵🇺🇸",
        "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
        "\u{0}\u{1}\u{8}\u{7f}\u{85}\u{9b}31m",
        "line1\nline2\rline3\u{2028}line4",
        String(decoding: [0x66, 0x6F, 0xFF, 0xFE, 0x80, 0x6F], as: UTF8.self),
        String(repeating: "ｗ", count: 100),
        "مرحبا بالعالم \u{061C} שלום",
        "\u{E0001}\u{E0065}\u{E006E}",
        "\u{FEFF}bom",
    ]

    @Test("hostile strings cannot break the layout", arguments: hostile)
    func hostileLayout(_ s: String) {
        for width in [1, 2, 3, 7, 20, 80] {
            var b = ScreenBuffer(size: Size(cols: width, rows: 3))
            b.draw(s, x: 0, y: 0, role: .text)
            b.draw(s, x: 1, y: 1, maxX: max(1, width - 1), role: .text)
            b.draw(s, x: 0, y: 2, role: .text, skip: 3)
            #expect(b.isConsistent)
            for y in 0..<3 {
                #expect(b.printedWidth(y) == width, "row \(y) of \(s.debugDescription) at width \(width)")
                let line = b.line(y)
                #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
                #expect(!line.unicodeScalars.contains { (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value) })
                #expect(!line.unicodeScalars.contains { $0.value == 0x200B || $0.value == 0x200D || $0.value == 0xFEFF })
            }
        }
    }
}
