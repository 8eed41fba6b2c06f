/// One frame of a stack trace: a TypeScript SDK `stacktrace` entry (V8 `at fn (file:1:2)`,
/// `at file:1:2`, Firefox/Safari `fn@file:1:2`) or a Python traceback `File "…", line N, in fn`.
public struct StackFrame: Sendable, Equatable {
    public enum Origin: String, Sendable, Codable {
        /// The application's own code.
        case app
        /// Amplitude SDK code (`node_modules/@amplitude/…`, `analytics-core`, `amplitude/` in
        /// Python's site-packages, the Amplitude CDN).
        case sdk
        /// The runtime (`node:internal/…`, `<anonymous>`, `native`).
        case runtime
        /// A line that could not be read as a frame (kept as `raw`).
        case unknown
    }

    /// The function name (`main`, `Object.<anonymous>`, `async track`), nil when anonymous.
    public var function: String?
    /// File path or URL, nil when the frame names none.
    public var file: String?
    public var line: Int?
    public var column: Int?
    /// The frame exactly as printed (trimmed).
    public var raw: String
    public var origin: Origin

    public init(function: String?, file: String?, line: Int?, column: Int?, raw: String, origin: Origin) {
        self.function = function
        self.file = file
        self.line = line
        self.column = column
        self.raw = raw
        self.origin = origin
    }

    public var isApp: Bool { origin == .app }

    /// `file:line:col` (what a user pastes into an editor).
    public var location: String? {
        guard let file else { return nil }
        var s = file
        if let line { s += ":\(line)" }
        if let column { s += ":\(column)" }
        return s
    }

    /// Parses one JavaScript stack line.
    public static func parseJS(_ text: String) -> StackFrame {
        let raw = String(Substring(text).debugTrimmed)
        var s = Substring(raw)
        var function: String?
        var location: Substring
        if s.hasPrefix("at ") {
            s = s.dropFirst(3)
            if s.hasSuffix(")"), let open = lastIndex(of: " (", in: s) {
                function = String(s[..<open])
                location = s[s.utf8.index(open, offsetBy: 2)..<s.index(before: s.endIndex)]
            } else {
                location = s
            }
        } else if let at = s.firstIndex(of: "@"), !s[..<at].contains(where: { $0 == " " || $0 == "/" }) {
            // Firefox / Safari: `fn@url:line:col` (the function part may be empty).
            function = at == s.startIndex ? nil : String(s[..<at])
            location = s[s.index(after: at)...]
        } else {
            return StackFrame(function: nil, file: nil, line: nil, column: nil, raw: raw, origin: .unknown)
        }
        // `eval at fn (file:1:2), <anonymous>:3:4` — keep the outer location.
        if location.hasPrefix("eval at "), let comma = lastIndex(of: ", ", in: location) {
            location = location[location.utf8.index(comma, offsetBy: 2)...]
        }
        let (file, line, col) = splitLocation(location)
        if let f = function, f.isEmpty { function = nil }
        let origin = classify(file: file, function: function)
        return StackFrame(function: function, file: file, line: line, column: col, raw: raw, origin: origin)
    }

    /// Parses a Python traceback frame line `File "path", line 69, in apply_plugins`.
    public static func parsePython(_ text: String) -> StackFrame? {
        let raw = String(Substring(text).debugTrimmed)
        guard raw.hasPrefix("File \"") else { return nil }
        let rest = raw.dropFirst(6)
        guard let q = rest.firstIndex(of: "\"") else { return nil }
        let file = String(rest[..<q])
        var line: Int?
        var function: String?
        let tail = rest[rest.index(after: q)...]
        if let r = firstIndex(of: ", line ", in: tail) {
            let digits = tail[tail.utf8.index(r, offsetBy: 7)...].prefix { $0.isASCII && $0.isNumber }
            line = Int(digits)
        }
        if let r = firstIndex(of: ", in ", in: tail) { function = String(tail[tail.utf8.index(r, offsetBy: 5)...]) }
        let origin: Origin
        func has(_ m: String) -> Bool { firstIndex(of: m, in: Substring(file)) != nil }
        if has("/amplitude/") && (has("site-packages") || has("dist-packages")) {
            origin = .sdk
        } else if file.hasPrefix("<") {
            origin = .runtime
        } else if has("/lib/python") && !has("site-packages") {
            origin = .runtime
        } else {
            origin = .app
        }
        return StackFrame(function: function, file: file, line: line, column: nil, raw: raw, origin: origin)
    }

    /// Start of the last occurrence of an ASCII `needle` in `s` (byte search, no Foundation).
    static func lastIndex(of needle: String, in s: Substring) -> String.Index? {
        let n = Array(needle.utf8)
        let u = s.utf8
        guard u.count >= n.count else { return nil }
        var i = u.index(u.endIndex, offsetBy: -n.count)
        while true {
            if u[i...].starts(with: n) { return i }
            if i == u.startIndex { return nil }
            i = u.index(before: i)
        }
    }

    /// Start of the first occurrence of an ASCII `needle` in `s`.
    static func firstIndex(of needle: String, in s: Substring) -> String.Index? {
        let n = Array(needle.utf8)
        let u = s.utf8
        var i = u.startIndex
        while i != u.endIndex {
            if u[i...].starts(with: n) { return i }
            i = u.index(after: i)
        }
        return nil
    }

    /// `file:line:col`, `file:line`, `file` → parts (URLs keep their `https:`).
    static func splitLocation(_ loc: Substring) -> (String?, Int?, Int?) {
        let loc = loc.debugTrimmed
        if loc.isEmpty { return (nil, nil, nil) }
        if loc == "native" || loc == "<anonymous>" { return (String(loc), nil, nil) }
        var parts = loc.split(separator: ":", omittingEmptySubsequences: false)
        var nums: [Int] = []
        while nums.count < 2, parts.count > 1, let last = parts.last, let n = Int(last) {
            nums.insert(n, at: 0)
            parts.removeLast()
        }
        let file = parts.joined(separator: ":")
        return (file, nums.first, nums.count > 1 ? nums[1] : nil)
    }

    static let sdkMarkerBytes: [[UInt8]] = sdkMarkers.map { Array($0.utf8) }

    /// Byte substring search (first-byte scan; needles are short).
    static func containsBytes(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, hay.count >= needle.count else { return needle.isEmpty }
        return hay.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    if h[i] == first {
                        var j = 1
                        while j < n.count && h[i + j] == n[j] { j += 1 }
                        if j == n.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }

    /// Path fragments that mark Amplitude SDK code.
    public static let sdkMarkers = [
        "node_modules/@amplitude/", "/@amplitude/", "analytics-core", "analytics-browser", "analytics-node",
        "analytics-client-common", "analytics-types", "analytics-connector", "plugin-session-replay",
        "amplitude-js/", "cdn.amplitude.com", "amplitude.com/libs/", "/amplitude.umd", "amplitude.esm",
    ]

    static func classify(file: String?, function: String?) -> Origin {
        guard let file else { return .unknown }
        if file.hasPrefix("node:") || file.hasPrefix("internal/") || file == "native" || file == "<anonymous>" {
            return .runtime
        }
        let lower = file.utf8.map { $0 &- 65 < 26 ? $0 | 0x20 : $0 }
        for m in sdkMarkerBytes where containsBytes(lower, m) { return .sdk }
        return .app
    }
}

extension Substring {
    var debugTrimmed: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return s
    }
}

/// Stack lines repeat (the same call sites over and over): parsed frames are kept by text.
struct StackFrameCache: Sendable {
    private var frames: [String: StackFrame] = [:]
    let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    mutating func frame(_ text: String) -> StackFrame {
        if let f = frames[text] { return f }
        let f = StackFrame.parseJS(text)
        if frames.count >= capacity { frames.removeAll(keepingCapacity: true) }
        frames[text] = f
        return f
    }
}
