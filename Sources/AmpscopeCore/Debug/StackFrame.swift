import Foundation

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
            if s.hasSuffix(")"), let open = s.range(of: " (", options: .backwards) {
                function = String(s[..<open.lowerBound])
                location = s[open.upperBound..<s.index(before: s.endIndex)]
            } else {
                location = s
            }
        } else if let at = s.firstIndex(of: "@"), !s[..<at].contains(" "), !s[..<at].contains("/") {
            // Firefox / Safari: `fn@url:line:col` (the function part may be empty).
            function = at == s.startIndex ? nil : String(s[..<at])
            location = s[s.index(after: at)...]
        } else {
            return StackFrame(function: nil, file: nil, line: nil, column: nil, raw: raw, origin: .unknown)
        }
        // `eval at fn (file:1:2), <anonymous>:3:4` — keep the outer location.
        if location.hasPrefix("eval at "), let comma = location.range(of: ", ", options: .backwards) {
            location = location[comma.upperBound...]
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
        if let r = tail.range(of: ", line ") {
            let digits = tail[r.upperBound...].prefix { $0.isASCII && $0.isNumber }
            line = Int(digits)
        }
        if let r = tail.range(of: ", in ") { function = String(tail[r.upperBound...]) }
        let origin: Origin
        if file.contains("/amplitude/") && (file.contains("site-packages") || file.contains("dist-packages")) {
            origin = .sdk
        } else if file.hasPrefix("<") {
            origin = .runtime
        } else if file.contains("/lib/python") && !file.contains("site-packages") {
            origin = .runtime
        } else {
            origin = .app
        }
        return StackFrame(function: function, file: file, line: line, column: nil, raw: raw, origin: origin)
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
        let lower = file.asciiLowercased
        for m in sdkMarkers where lower.contains(m) { return .sdk }
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
