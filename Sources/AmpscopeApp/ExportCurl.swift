import AmpscopeCore

/// `ampscope export --format curl`: a POSIX shell script with one curl command per capture.
///
/// Bodies are piped to curl byte for byte (`printf` with the body quoted, or octal-escaped when it
/// is not UTF-8 or holds NUL), so replaying a capture sends exactly what was captured. The target
/// is `$AMPSCOPE_BASE` when set, else the base URL given at export, else the captured Host.
enum ExportCurl {
    /// Headers curl sets itself or that describe one hop only.
    static let skipped: Set<String> = ["host", "content-length", "connection", "keep-alive", "transfer-encoding",
                                       "expect", "te", "upgrade", "proxy-connection", "proxy-authorization"]

    static func header(count: Int, store: String, redacted: Bool, base: String?) -> String {
        var s = "#!/bin/sh\n"
        s += "# ampscope \(AmpscopeVersion.current) export: \(count) request\(count == 1 ? "" : "s") from \(oneLineComment(store))\n"
        if redacted {
            s += "# API keys are masked (export with --no-redact for commands Amplitude would accept).\n"
        }
        s += "# Each command replays one captured request byte for byte. Send them elsewhere with\n"
        s += "#   AMPSCOPE_BASE=https://api2.amplitude.com sh this-file.sh\n"
        if let base { s += "# Exported with base URL \(oneLineComment(base)).\n" }
        s += "set -e\n"
        return s
    }

    static func command(_ c: Capture, seq: Int, p: Processed, base: String?) -> String {
        let n = p.request.records.count
        var s = "\n# \(seq)  \(Timestamp.iso8601(ms: c.receivedAt))  \(oneLineComment(c.method)) \(oneLineComment(c.target))  "
        s += "\(n) event\(n == 1 ? "" : "s")  answered \(p.effectiveStatus)\n"
        let defaultBase = base ?? ("http://" + (c.header("Host").map(oneLineComment) ?? "127.0.0.1:8787"))
        let url = "\"${AMPSCOPE_BASE:-\(doubleQuoteSafe(defaultBase))}\"" + argument(c.target)
        var parts: [String] = []
        let hasBody = !c.body.isEmpty
        if hasBody { parts.append(printfCommand(c.body) + " |") }
        var curl = "curl -sS -X " + argument(c.method) + " " + url
        for h in c.headers where !skipped.contains(h.name.asciiLowercased) {
            curl += " \\\n  -H " + argument(h.name + ": " + h.value)
        }
        if hasBody { curl += " \\\n  --data-binary @-" }
        curl += "\n"
        parts.append(curl)
        return s + parts.joined(separator: " ")
    }

    /// One shell word holding exactly `s`: `'text'` when every character is safe to show, else
    /// `"$(printf '\033…')"` with the unsafe bytes octal-escaped, so a control character, escape
    /// sequence or bidi override in a captured header or target never stands as itself in the
    /// script (where `cat` or an editor would show it). Command substitution only drops trailing
    /// newlines, which a header value or request target cannot hold.
    static func argument(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { Sanitize.isUnsafe($0.value) }) else { return shellQuote(s) }
        return "\"$(" + escapedPrintf(Array(s.utf8)) + ")\""
    }

    /// `'text'` with single quotes escaped for POSIX sh.
    static func shellQuote(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A value safe inside double quotes (no expansion).
    static func doubleQuoteSafe(_ s: String) -> String {
        var out = ""
        for ch in s {
            if ch == "\"" || ch == "\\" || ch == "$" || ch == "`" { out.append("\\") }
            out.append(ch)
        }
        return out
    }

    /// A comment-safe rendering (no newlines or control characters).
    static func oneLineComment(_ s: String) -> String { Sanitize.inline(s, limit: 200) }

    /// `printf` that writes exactly `body`: `printf '%s' '…'` for text that is safe to show, an
    /// escaped format otherwise (not UTF-8, or holding a control character, escape sequence,
    /// bidi override or zero-width character: those bytes are written as octal escapes).
    static func printfCommand(_ body: [UInt8]) -> String {
        if UTF8Check.firstInvalidOffset(body) == nil {
            let text = String(decoding: body, as: UTF8.self)
            if !text.unicodeScalars.contains(where: { Sanitize.isUnsafe($0.value) }) {
                return "printf '%s' " + shellQuote(text)
            }
        }
        return escapedPrintf(body)
    }

    /// `printf '…'` whose format is `bytes` with `%`, `\\` and `'` escaped and every byte outside
    /// printable ASCII as a three-digit octal escape (POSIX printf, dash and bash alike).
    static func escapedPrintf(_ body: [UInt8]) -> String {
        var f = ""
        f.reserveCapacity(body.count * 2)
        for b in body {
            switch b {
            case UInt8(ascii: "%"): f += "%%"
            case UInt8(ascii: "\\"): f += "\\\\"
            case UInt8(ascii: "'"): f += "'\\''"
            case 0x20...0x7E: f.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let o = String(b, radix: 8)
                f += "\\" + String(repeating: "0", count: 3 - o.count) + o
            }
        }
        return "printf '" + f + "'"
    }
}
