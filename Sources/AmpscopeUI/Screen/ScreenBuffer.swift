/// Terminal size in cells.
public struct Size: Equatable, Sendable, Hashable, CustomStringConvertible {
    public var cols: Int
    public var rows: Int
    public init(cols: Int, rows: Int) {
        self.cols = max(0, cols)
        self.rows = max(0, rows)
    }
    public var description: String { "\(cols)x\(rows)" }
}

/// A rectangle of cells.
public struct Rect: Equatable, Sendable, Hashable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }
    public static let zero = Rect(x: 0, y: 0, width: 0, height: 0)
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }
    /// The rectangle shrunk by `n` cells on every side.
    public func inset(_ n: Int) -> Rect { Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n) }
    /// One row of this rectangle.
    public func row(_ i: Int) -> Rect { Rect(x: x, y: y + i, width: width, height: i < height ? 1 : 0) }
}

/// One cell of the screen.
public struct Cell: Equatable, Sendable {
    /// What to draw: one base character plus combining marks; "" for the right half of a wide glyph.
    public var text: String
    /// 1, 2 (a wide glyph's left half) or 0 (its right half).
    public var width: UInt8
    public var role: StyleRole

    public init(_ text: String = " ", width: UInt8 = 1, role: StyleRole = .text) {
        self.text = text
        self.width = width
        self.role = role
    }
    public static let blank = Cell()
    public var isContinuation: Bool { width == 0 }
}

/// A grid of cells that widgets draw into; the terminal backend shows it.
///
/// Every drawing call clips to a rectangle and to the buffer, and goes through `SafeText`, so
/// captured text cannot escape its box. A wide glyph never straddles a clip edge: when only
/// one column is left, a space is drawn instead. Overwriting half of a wide glyph blanks the
/// other half, so the grid is always consistent.
public struct ScreenBuffer: Equatable, Sendable {
    public let size: Size
    public private(set) var cells: [Cell]

    public init(size: Size, role: StyleRole = .text) {
        self.size = size
        cells = Array(repeating: Cell(" ", width: 1, role: role), count: size.cols * size.rows)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: size.cols, height: size.rows) }

    public subscript(x: Int, y: Int) -> Cell {
        precondition(x >= 0 && x < size.cols && y >= 0 && y < size.rows, "cell out of range")
        return cells[y * size.cols + x]
    }

    // MARK: Writing cells

    /// Puts one glyph at (x, y), keeping wide glyphs whole. Returns false when it does not fit.
    @discardableResult
    public mutating func put(_ g: Glyph, x: Int, y: Int, role: StyleRole, clipMaxX: Int? = nil) -> Bool {
        let limit = min(clipMaxX ?? size.cols, size.cols)
        guard y >= 0, y < size.rows, x >= 0, x < limit else { return false }
        if g.width == 2 && x + 1 >= limit {
            set(x, y, Cell(" ", width: 1, role: role))
            return false
        }
        set(x, y, Cell(g.text, width: UInt8(g.width), role: role))
        if g.width == 2 { set(x + 1, y, Cell("", width: 0, role: role)) }
        return true
    }

    /// Writes a cell, blanking the other half of any wide glyph it cuts. A continuation (`c` of
    /// width 0) is written just after its own glyph's left half (`put`), so the cell on its left
    /// is not cut: blanking it there turned a wide glyph drawn over another one at the same
    /// place (the prompt's cursor on a wide character) into a blank and an orphan half.
    mutating func set(_ x: Int, _ y: Int, _ c: Cell) {
        let i = y * size.cols + x
        let old = cells[i]
        if old.width == 2 && x + 1 < size.cols && c.width != 2 {
            cells[i + 1] = Cell(" ", width: 1, role: cells[i + 1].role)
        }
        if old.width == 0 && x > 0 && c.width != 0 {
            cells[i - 1] = Cell(" ", width: 1, role: cells[i - 1].role)
        }
        cells[i] = c
    }

    /// Fills a rectangle with spaces (or `char`) in a role.
    public mutating func fill(_ r: Rect, role: StyleRole, char: String = " ") {
        let x0 = max(0, r.x), x1 = min(size.cols, r.maxX)
        let y0 = max(0, r.y), y1 = min(size.rows, r.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 {
            if x0 > 0, cells[y * size.cols + x0].width == 0 { cells[y * size.cols + x0 - 1] = Cell(" ", role: cells[y * size.cols + x0 - 1].role) }
            if x1 < size.cols, cells[y * size.cols + x1].width == 0 { cells[y * size.cols + x1] = Cell(" ", role: cells[y * size.cols + x1].role) }
            for x in x0..<x1 { cells[y * size.cols + x] = Cell(char, width: 1, role: role) }
        }
    }

    /// Changes the role of cells without changing their text.
    public mutating func restyle(_ r: Rect, role: StyleRole) {
        let x0 = max(0, r.x), x1 = min(size.cols, r.maxX)
        let y0 = max(0, r.y), y1 = min(size.rows, r.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 { for x in x0..<x1 { cells[y * size.cols + x].role = role } }
    }

    /// Draws untrusted text at (x, y), clipped at `maxX` (exclusive) and the buffer edge.
    /// `skip` columns of the text are dropped first (horizontal scrolling). Escapes drawn in
    /// place of unsafe characters use `escapeRole`. Returns the column after the last glyph.
    @discardableResult
    public mutating func draw(_ text: String, x: Int, y: Int, maxX: Int? = nil, role: StyleRole,
                              escapeRole: StyleRole? = .textEscape, skip: Int = 0) -> Int {
        let limit = min(maxX ?? size.cols, size.cols)
        guard y >= 0, y < size.rows, x < limit else { return x }
        var cx = x
        var skipped = 0
        var full = false
        SafeText.forEachGlyph(text) { g in
            if full { return }
            if skipped < skip {
                skipped += g.width
                if skipped > skip, cx < limit {  // a wide glyph cut by the left edge
                    if cx >= 0 { put(Glyph(" ", width: 1), x: cx, y: y, role: role, clipMaxX: limit) }
                    cx += 1
                }
                return
            }
            if cx + g.width > limit {
                if cx < limit && cx >= 0 { put(Glyph(" ", width: 1), x: cx, y: y, role: role, clipMaxX: limit) }
                full = true
                return
            }
            if cx >= 0 { put(g, x: cx, y: y, role: g.escaped ? (escapeRole ?? role) : role, clipMaxX: limit) }
            cx += g.width
        }
        return cx
    }

    /// Draws text in a rectangle's first row, padding the rest of the row with spaces in `role`.
    public mutating func drawLine(_ text: String, in r: Rect, role: StyleRole) {
        guard !r.isEmpty else { return }
        fill(r.row(0), role: role)
        draw(text, x: r.x, y: r.y, maxX: r.maxX, role: role)
    }

    /// Draws a sequence of styled segments from (x, y); returns the column after the last one.
    @discardableResult
    public mutating func draw(_ segments: [Segment], x: Int, y: Int, maxX: Int? = nil, skip: Int = 0) -> Int {
        var cx = x
        var toSkip = skip
        for s in segments {
            let w = DisplayWidth.of(s.text)
            if toSkip >= w {
                toSkip -= w
                continue
            }
            cx = draw(s.text, x: cx, y: y, maxX: maxX, role: s.role, skip: toSkip)
            toSkip = 0
            if let m = maxX, cx >= m { break }
        }
        return cx
    }

    /// Draws a box border with an optional title.
    public mutating func box(_ r: Rect, role: StyleRole, title: String? = nil, titleRole: StyleRole? = nil) {
        guard r.width >= 2, r.height >= 2 else { return }
        for x in r.x + 1..<r.maxX - 1 {
            put(Glyph("─", width: 1), x: x, y: r.y, role: role)
            put(Glyph("─", width: 1), x: x, y: r.maxY - 1, role: role)
        }
        for y in r.y + 1..<r.maxY - 1 {
            put(Glyph("│", width: 1), x: r.x, y: y, role: role)
            put(Glyph("│", width: 1), x: r.maxX - 1, y: y, role: role)
        }
        put(Glyph("┌", width: 1), x: r.x, y: r.y, role: role)
        put(Glyph("┐", width: 1), x: r.maxX - 1, y: r.y, role: role)
        put(Glyph("└", width: 1), x: r.x, y: r.maxY - 1, role: role)
        put(Glyph("┘", width: 1), x: r.maxX - 1, y: r.maxY - 1, role: role)
        if let t = title, r.width > 4 {
            draw(" " + t + " ", x: r.x + 2, y: r.y, maxX: r.maxX - 2, role: titleRole ?? role)
        }
    }

    // MARK: Reading back (tests, snapshots, diffing)

    /// The text of row `y` as a terminal would show it (a wide glyph once), trailing spaces kept.
    public func line(_ y: Int) -> String {
        var s = ""
        for x in 0..<size.cols {
            let c = cells[y * size.cols + x]
            if c.width == 0 { continue }
            s += c.text
        }
        return s
    }

    /// All rows as text, trailing spaces removed (what `tmux capture-pane -p` prints).
    public var text: String {
        (0..<size.rows).map { trimTrailing(line($0)) }.joined(separator: "\n")
    }

    /// Runs of equal role per row: `3: 0-79 status.bar` (columns inclusive).
    public var styleRuns: String {
        var out: [String] = []
        for y in 0..<size.rows {
            var runs: [String] = []
            var start = 0
            var role = cells[y * size.cols].role
            for x in 1...size.cols {
                let r: StyleRole? = x < size.cols ? cells[y * size.cols + x].role : nil
                if r != role {
                    runs.append("\(start)-\(x - 1) \(role.rawValue)")
                    start = x
                    if let r { role = r }
                }
            }
            out.append("\(y): " + runs.joined(separator: ", "))
        }
        return out.joined(separator: "\n")
    }

    /// Checks the wide-glyph invariant: every width-2 cell is followed by a continuation and vice versa.
    public var isConsistent: Bool {
        for y in 0..<size.rows {
            for x in 0..<size.cols {
                let c = cells[y * size.cols + x]
                if c.width == 2 && (x + 1 >= size.cols || cells[y * size.cols + x + 1].width != 0) { return false }
                if c.width == 0 && (x == 0 || cells[y * size.cols + x - 1].width != 2) { return false }
            }
        }
        return true
    }

    /// Columns each row takes when printed (wide glyphs 2, continuation 0): always `size.cols`
    /// for a consistent buffer of safe text.
    public func printedWidth(_ y: Int) -> Int {
        var w = 0
        for x in 0..<size.cols {
            let c = cells[y * size.cols + x]
            if c.width == 0 { continue }
            w += c.text.isEmpty ? 0 : DisplayWidth.of(c.text.unicodeScalars.first!) == 2 ? 2 : 1
        }
        return w
    }
}

/// A piece of text in one role.
public struct Segment: Equatable, Sendable {
    public var text: String
    public var role: StyleRole
    public init(_ text: String, _ role: StyleRole) {
        self.text = text
        self.role = role
    }
}

func trimTrailing(_ s: String) -> String {
    var t = Substring(s)
    while t.last == " " { t.removeLast() }
    return String(t)
}
