import AmpscopeCore

/// What the Payload tab's lines were built from.
public struct PayloadSource: Sendable, Equatable {
    public var captureID: Int64
    public var record: Int
    /// `RowID.sub` of the selection (a mapped row shows a record of another document).
    public var sub: Int = 0
    public var scope: PayloadState.Scope
    public var folded: Set<String>
}

/// One line of a JSON tree: a scalar, an opening (or folded) container, or a closing bracket.
public struct TreeLine: Sendable, Equatable {
    public enum Label: Sendable, Equatable {
        case none
        case key(String)
        case index(Int)
    }
    public var depth: Int
    public var label: Label
    /// Tape index of the value in the document.
    public var node: Int
    /// JSON Pointer in the request document.
    public var pointer: String
    /// Pointer relative to the tree's root (fold keys for the event view).
    public var relative: String
    public var kind: JSONKind
    /// The closing bracket line of an unfolded container.
    public var isClose: Bool
    public var folded: Bool
    /// Members or elements of a container.
    public var childCount: Int
    /// False when a comma follows.
    public var isLast: Bool
}

/// Flattens a JSON value into tree lines, honouring folds.
public enum PayloadTree {
    /// More lines than this are cut (a note line says so); a 10 MB body stays usable.
    public static let lineLimit = 200_000

    public static func lines(_ doc: JSONDocument, root: Int, basePointer: String, folded: Set<String>,
                             foldKeysAreRelative: Bool) -> [TreeLine] {
        var out: [TreeLine] = []
        func walk(_ node: Int, _ depth: Int, _ label: TreeLine.Label, _ pointer: String, _ relative: String, _ isLast: Bool) {
            guard out.count < lineLimit else { return }
            let kind = doc.kind(node)
            if kind.isContainer {
                let n = doc.count(node)
                let key = foldKeysAreRelative ? relative : pointer
                let isFolded = folded.contains(key) && n > 0
                out.append(TreeLine(depth: depth, label: label, node: node, pointer: pointer, relative: relative, kind: kind,
                                    isClose: false, folded: isFolded, childCount: n, isLast: isLast))
                guard !isFolded, n > 0 else { return }
                if kind == .object {
                    var i = 0
                    for (k, v) in doc.members(node) {
                        let name = doc.string(k)
                        let tok = "/" + JSONPointer.escape(name)
                        walk(v, depth + 1, .key(name), pointer + tok, relative + tok, i == n - 1)
                        i += 1
                    }
                } else {
                    for (i, v) in doc.elements(node).enumerated() {
                        walk(v, depth + 1, .index(i), pointer + "/" + String(i), relative + "/" + String(i), i == n - 1)
                    }
                }
                out.append(TreeLine(depth: depth, label: .none, node: node, pointer: pointer, relative: relative, kind: kind,
                                    isClose: true, folded: false, childCount: n, isLast: isLast))
            } else {
                out.append(TreeLine(depth: depth, label: label, node: node, pointer: pointer, relative: relative, kind: kind,
                                    isClose: false, folded: false, childCount: 0, isLast: isLast))
            }
        }
        walk(root, 0, .none, basePointer, "", true)
        return out
    }

    /// Every container pointer under a root (for fold-all), in the same key space as `lines`.
    public static func containerKeys(_ lines: [TreeLine], relative: Bool) -> Set<String> {
        Set(lines.filter { $0.kind.isContainer && !$0.isClose && $0.depth > 0 && $0.childCount > 0 }.map { relative ? $0.relative : $0.pointer })
    }

    /// How a tree line is drawn.
    public struct Style: Sendable {
        public var width: Int
        public var wrap: Bool
        /// Pointer whose value is an API key to mask, when redacting.
        public var maskPointer: String?
        public init(width: Int, wrap: Bool, maskPointer: String? = nil) {
            self.width = width
            self.wrap = wrap
            self.maskPointer = maskPointer
        }
    }

    /// The display rows of one line: segments per row (more than one only for wrapped strings).
    public static func rows(_ line: TreeLine, _ doc: JSONDocument, _ style: Style) -> [[Segment]] {
        var segs: [Segment] = [Segment(String(repeating: "  ", count: min(line.depth, 40)), .jsonPunct)]
        if line.isClose {
            segs.append(Segment(line.kind == .object ? "}" : "]", .jsonPunct))
            if !line.isLast { segs.append(Segment(",", .jsonPunct)) }
            return [segs]
        }
        switch line.label {
        case .none: break
        case .key(let k):
            segs.append(Segment(quote(k), .jsonKey))
            segs.append(Segment(": ", .jsonPunct))
        case .index: break
        }
        let comma = line.isLast ? "" : ","
        switch line.kind {
        case .object, .array:
            let open = line.kind == .object ? "{" : "["
            let close = line.kind == .object ? "}" : "]"
            if line.childCount == 0 {
                segs.append(Segment(open + close + comma, .jsonPunct))
            } else if line.folded {
                segs.append(Segment(open + "…" + close, .jsonFolded))
                segs.append(Segment(comma, .jsonPunct))
                let noun = line.kind == .object ? (line.childCount == 1 ? "key" : "keys") : (line.childCount == 1 ? "item" : "items")
                segs.append(Segment("  \(line.childCount) \(noun)", .jsonFolded))
            } else {
                segs.append(Segment(open, .jsonPunct))
            }
            return [segs]
        case .string:
            var value = doc.string(line.node)
            if let m = style.maskPointer, m == line.pointer { value = Redactor.mask(value) }
            let q = quote(value)
            let used = segs.reduce(0) { $0 + DisplayWidth.of($1.text) }
            let room = style.width - used - comma.count
            let w = DisplayWidth.of(q)
            if w <= room || room < 8 {
                segs.append(Segment(q, .jsonString))
                segs.append(Segment(comma, .jsonPunct))
                return [segs]
            }
            if !style.wrap {
                let note = "  (\(value.unicodeScalars.count) chars, w wraps)"
                let noteW = DisplayWidth.of(note)
                let showNote = room - noteW >= 12
                let keep = max(4, room - (showNote ? noteW : 0))
                // Cut inside the quotes so the value still reads as a string: "abc…"
                segs.append(Segment(SafeText.truncated(String(q.dropLast()), width: keep - 1) + "\"", .jsonString))
                segs.append(Segment(comma, .jsonPunct))
                if showNote { segs.append(Segment(note, .jsonFolded)) }
                return [segs]
            }
            // Wrap: the first row after the key, the rest indented one level deeper.
            let indent = String(repeating: "  ", count: min(line.depth + 1, 40))
            var rows: [[Segment]] = []
            var glyphs = SafeText.glyphs(q)[...]
            var first = true
            while !glyphs.isEmpty {
                let avail = first ? room : max(8, style.width - indent.count)
                var piece = ""
                var pw = 0
                while let g = glyphs.first, pw + g.width <= avail {
                    piece += g.text
                    pw += g.width
                    glyphs.removeFirst()
                }
                if piece.isEmpty, let g = glyphs.first {  // a glyph wider than the room
                    piece = g.text
                    glyphs.removeFirst()
                }
                if first {
                    rows.append(segs + [Segment(piece, .jsonString)])
                    first = false
                } else {
                    rows.append([Segment(indent, .jsonPunct), Segment(piece, .jsonString)])
                }
            }
            rows[rows.count - 1].append(Segment(comma, .jsonPunct))
            return rows
        case .number:
            segs.append(Segment(doc.rawText(line.node), .jsonNumber))
        case .true, .false:
            segs.append(Segment(doc.rawText(line.node), .jsonBool))
        case .null:
            segs.append(Segment("null", .jsonNull))
        }
        segs.append(Segment(comma, .jsonPunct))
        return [segs]
    }

    /// A string as JSON shows it: quotes and backslashes escaped (control characters are
    /// escaped later, when drawn).
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// Text a line contains, for searching (key and scalar value).
    public static func searchText(_ line: TreeLine, _ doc: JSONDocument) -> String {
        var s = ""
        if case .key(let k) = line.label { s = k + " " }
        if !line.kind.isContainer && !line.isClose {
            s += line.kind == .string ? doc.string(line.node) : doc.rawText(line.node)
        }
        return s
    }
}

/// Pretty-printed JSON text (for copying), built from the source text of each value.
public enum JSONPretty {
    public static func text(_ doc: JSONDocument, _ node: Int, indent: Int = 2) -> String {
        var out = ""
        func pad(_ d: Int) { out += String(repeating: " ", count: d * indent) }
        func walk(_ n: Int, _ d: Int) {
            switch doc.kind(n) {
            case .object:
                let members = Array(doc.members(n))
                if members.isEmpty { out += "{}"; return }
                out += "{\n"
                for (i, (k, v)) in members.enumerated() {
                    pad(d + 1)
                    out += doc.rawText(k) + ": "
                    walk(v, d + 1)
                    out += i == members.count - 1 ? "\n" : ",\n"
                }
                pad(d)
                out += "}"
            case .array:
                let els = Array(doc.elements(n))
                if els.isEmpty { out += "[]"; return }
                out += "[\n"
                for (i, v) in els.enumerated() {
                    pad(d + 1)
                    walk(v, d + 1)
                    out += i == els.count - 1 ? "\n" : ",\n"
                }
                pad(d)
                out += "]"
            default:
                out += doc.rawText(n)
            }
        }
        walk(node, 0)
        return out
    }
}
