import AmpscopeCore
import Foundation

/// One benchmark mode of `ampscope-bench`.
protocol BenchMode {
    /// The word after `ampscope-bench`.
    static var name: String { get }
    /// One line for the usage text.
    static var summary: String { get }
    /// Option lines for `--help`.
    static var optionsHelp: String { get }
    /// Runs the benchmark and prints its report. Read options with `options.int(...)` etc.
    static func run(_ options: inout BenchOptions) throws
}

struct BenchError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// `--name value` and `--flag` options; every option must be read by the mode or it is an error.
struct BenchOptions {
    private var values: [String: String] = [:]
    private var used: Set<String> = []

    init(_ args: [String]) throws {
        var i = 0
        while i < args.count {
            let a = args[i]
            guard a.hasPrefix("-") else { throw BenchError("unexpected argument '\(a)'") }
            let name = String(a.drop { $0 == "-" })
            if let eq = name.firstIndex(of: "=") {
                values[String(name[..<eq])] = String(name[name.index(after: eq)...])
                i += 1
                continue
            }
            if i + 1 < args.count, !args[i + 1].hasPrefix("--") {
                values[name] = args[i + 1]
                i += 2
            } else {
                values[name] = ""
                i += 1
            }
        }
    }

    mutating func flag(_ name: String) -> Bool {
        used.insert(name)
        return values[name] != nil
    }

    mutating func string(_ name: String, default d: String) -> String {
        used.insert(name)
        return values[name] ?? d
    }

    mutating func int(_ name: String, default d: Int) throws -> Int {
        used.insert(name)
        guard let v = values[name] else { return d }
        guard let n = Int(v.replacingOccurrences(of: "_", with: "")), n >= 0 else {
            throw BenchError("--\(name) needs a non-negative integer, not '\(v)'")
        }
        return n
    }

    mutating func double(_ name: String, default d: Double) throws -> Double {
        used.insert(name)
        guard let v = values[name] else { return d }
        guard let n = Double(v) else { throw BenchError("--\(name) needs a number, not '\(v)'") }
        return n
    }

    func rejectUnused() throws {
        let unknown = Set(values.keys).subtracting(used)
        if !unknown.isEmpty { throw BenchError("unknown option(s): " + unknown.sorted().map { "--" + $0 }.joined(separator: ", ")) }
    }
}

/// Timing and reporting helpers.
enum Bench {
    /// Seconds taken by `body`.
    @inline(never)
    static func time(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Wall-clock and CPU seconds of `body` on the calling thread. CPU time excludes the time
    /// the thread waited for a core, so on a machine shared with other work it is the figure
    /// that says what one core can do; wall time says what this run got.
    @inline(never)
    static func measure(_ body: () -> Void) -> (wall: Double, cpu: Double) {
        let cpu0 = threadCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (wall, threadCPUSeconds() - cpu0)
    }

    /// CPU time consumed by the calling thread so far.
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Page faults of the calling thread so far (minor ones: memory first touched, which the
    /// kernel zeroes; a count that does not move with the machine's speed).
    static func threadMinorFaults() -> Int {
        var u = rusage()
        getrusage(__rusage_who_t(1), &u)  // RUSAGE_THREAD (Linux), which Swift does not import
        return u.ru_minflt
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Starts the peak resident memory (`VmHWM`) over from the current resident memory (Linux:
    /// `clear_refs` 5), so that the peak of one step can be read after it. False when refused.
    @discardableResult
    static func resetPeakRSS() -> Bool {
        guard let fh = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? fh.close() }
        return (try? fh.write(contentsOf: Data("5".utf8))) != nil
    }

    /// A memory figure of this process from /proc/self/status (`VmRSS:` now, `VmHWM:` peak), in MB.
    static func procStatusMB(_ key: String) -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix(key) {
            return (line.split(separator: " ").compactMap { Double($0) }.first ?? 0) / 1024
        }
        return 0
    }

    static func fixed(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }

    /// 1234567 → "1 234 567"
    static func grouped(_ v: Double) -> String {
        let n = Int(v.rounded())
        let s = String(n)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(" ") }
            out.append(c)
        }
        return String(out.reversed())
    }

    /// Left-aligned first column, right-aligned others.
    static func table(_ rows: [[String]]) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return i == 0 ? c + pad : pad + c
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// Other cores' load during the run, from /proc/stat (Linux), so a reader can judge the figures.
    static func cpuBusy() -> (busy: UInt64, total: UInt64)? {
        guard let s = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = s.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let f = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard f.count >= 4 else { return nil }
        let idle = f[3] + (f.count > 4 ? f[4] : 0)
        let total = f.reduce(0, +)
        return (total - idle, total)
    }
}

/// Deterministic pseudo-random numbers, so every run measures the same input: the core's
/// SplitMix64 (the demo generator's), with the helpers the benchmarks' data generators need.
typealias BenchRandom = SplitMix64

extension SplitMix64 {
    mutating func chance(_ p: Double) -> Bool { unit() < p }
    mutating func hex(_ n: Int) -> String {
        let d = Array("0123456789abcdef")
        return String((0..<n).map { _ in d[Int(next() & 15)] })
    }
    mutating func uuid() -> String { hex(8) + "-" + hex(4) + "-4" + hex(3) + "-a" + hex(3) + "-" + hex(12) }
}

/// Capture lines (`Docs/capture-format.md`) written to a file for the benches that read one back:
/// bodies embedded as JSON (format 2) or as escaped strings (format 1, the fixtures' shape).
struct CaptureFileWriter {
    private let handle: FileHandle
    private let embedded: Bool
    private var buffer: [UInt8] = []
    private var seq = 0

    init(path: String, embedded: Bool = true) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let fh = FileHandle(forWritingAtPath: path) else {
            throw BenchError("cannot create \(path)")
        }
        handle = fh
        self.embedded = embedded
    }

    mutating func append(body: [UInt8], events: Int, receivedMs: Int64, path: String = "/2/httpapi") throws {
        seq += 1
        var w = JSONWriter()
        w.beginObject()
        w.field("seq", seq)
        w.field("received_ms", receivedMs)
        w.field("client", "127.0.0.1")
        w.field("method", "POST")
        w.field("path", path)
        w.field("query", "")
        w.field("http_version", "HTTP/1.1")
        w.key("headers")
        w.beginArray()
        w.beginArray(); w.string("Content-Type"); w.string("application/json"); w.endArray()
        w.beginArray(); w.string("Content-Length"); w.string(String(body.count)); w.endArray()
        w.endArray()
        if embedded {
            w.key("body")
            w.raw(body[...])
        } else {
            w.field("body", String(decoding: body, as: UTF8.self))
        }
        w.field("body_base64", nil as String?)
        w.field("body_bytes", body.count)
        w.field("events_in_body", events)
        w.endObject()
        buffer.append(contentsOf: w.bytes)
        buffer.append(0x0A)
        if buffer.count > 8 << 20 {
            try handle.write(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// Writes what is buffered and closes the file; a failure is thrown, not lost.
    mutating func close() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll()
        try handle.close()
    }
}
