import AmpscopeCore
import Foundation

/// Reads input files of any supported format and hands out captures one by one.
///
/// Capture-line files are streamed in chunks, so a multi-gigabyte log never sits in memory;
/// HAR and raw bodies are read whole. gzip files are expanded first (capped).
public struct InputFiles {
    public enum Event {
        case capture(Capture)
        case problem(InputProblem)
        case skipped(Int)
    }

    public var format: InputFormat?
    public var endpoint: Endpoint?
    /// Cap for expanding `.gz` inputs.
    public var maxExpandedBytes = 8 << 30

    public init(format: InputFormat? = nil, endpoint: Endpoint? = nil) {
        self.format = format
        self.endpoint = endpoint
    }

    /// Reads one file; `name` is how captures are labelled (usually the path as given).
    /// `-` reads standard input (labelled `stdin`).
    public func read(path: String, name: String? = nil, _ handle: (Event) -> Void) {
        let isStdin = path == "-"
        let label = name ?? (isStdin ? "stdin" : path)
        guard let fh = isStdin ? FileHandle.standardInput : FileHandle(forReadingAtPath: path) else {
            let why = FileManager.default.fileExists(atPath: path) ? "permission denied or not a regular file" : "no such file"
            handle(.problem(InputProblem(source: label, line: 0, reason: "cannot open: \(why)")))
            return
        }
        defer { if !isStdin { try? fh.close() } }
        var isDir: ObjCBool = false
        if !isStdin, FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            handle(.problem(InputProblem(source: label, line: 0, reason: "is a directory")))
            return
        }
        let prefix: [UInt8]
        do {
            prefix = [UInt8](try fh.read(upToCount: 64 * 1024) ?? Data())
        } catch {
            handle(.problem(InputProblem(source: label, line: 0, reason: "cannot read: \(error.localizedDescription)")))
            return
        }
        var fmt = format ?? InputFormat.detect(prefix: prefix, name: path)
        if prefix.isEmpty {
            return  // an empty file holds no requests (the fixtures use this for "SDK sent nothing")
        }
        if fmt == .gzip || (fmt != nil && Inflate.looksGzipped(prefix)) {
            let rest = (try? fh.readToEnd()) ?? Data()
            switch Inflate.gunzip(prefix + [UInt8](rest), limit: maxExpandedBytes) {
            case .success(let plain):
                var inner = self
                inner.format = format == .gzip ? nil : format
                inner.readBuffer(plain, label: label, handle)
            case .failure(let e):
                handle(.problem(InputProblem(source: label, line: 0, reason: e.description)))
            }
            return
        }
        guard let f = fmt else {
            handle(.problem(InputProblem(source: label, line: 1, reason: "unrecognised format (expected ampscope/fixture capture lines, HAR, a request body, or an SDK log); use --format to say which")))
            return
        }
        fmt = f
        if f == .captures {
            streamLines(fh, first: prefix, label: label, handle)
            return
        }
        let rest = (try? fh.readToEnd()) ?? Data()
        var inner = self
        inner.format = f
        inner.readBuffer(prefix + [UInt8](rest), label: label, handle)
    }

    /// Parses an in-memory buffer of the (detected or given) format.
    public func readBuffer(_ bytes: [UInt8], label: String, _ handle: (Event) -> Void) {
        guard let f = format ?? InputFormat.detect(prefix: Array(bytes.prefix(64 * 1024)), name: label) else {
            handle(.problem(InputProblem(source: label, line: 1, reason: "unrecognised format; use --format to say which")))
            return
        }
        switch f {
        case .captures:
            for (n, line) in LineSplitter(bytes) { parseLine(line, n, label, handle) }
        case .har:
            let r = HAR.read(bytes, name: label)
            for c in r.captures { handle(.capture(c)) }
            for p in r.problems { handle(.problem(p)) }
            if r.skipped > 0 { handle(.skipped(r.skipped)) }
        case .body:
            handle(.capture(RawBody.capture(bytes, name: label, endpoint: endpoint)))
        case .tsLog, .pythonLog:
            handle(.problem(InputProblem(source: label, line: 1, reason: "\(f.rawValue) files hold SDK debug output, not requests; open them with `ampscope replay`")))
        case .store:
            handle(.problem(InputProblem(source: label, line: 0, reason: "an ampscope store; open it with `ampscope replay` or `ampscope export`")))
        case .gzip:
            switch Inflate.gunzip(bytes, limit: maxExpandedBytes) {
            case .success(let plain):
                var inner = self
                inner.format = nil
                inner.readBuffer(plain, label: label, handle)
            case .failure(let e):
                handle(.problem(InputProblem(source: label, line: 0, reason: e.description)))
            }
        }
    }

    func parseLine(_ line: ArraySlice<UInt8>, _ n: Int, _ label: String, _ handle: (Event) -> Void) {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        switch CaptureLine.parse(line, name: label, line: n) {
        case .success(let c?): handle(.capture(c))
        case .success(nil): break
        case .failure(let p): handle(.problem(p))
        }
    }

    /// Streams a capture-lines file in 4 MiB chunks.
    func streamLines(_ fh: FileHandle, first: [UInt8], label: String, _ handle: (Event) -> Void) {
        var pending = first
        var lineNo = 0
        var eof = false
        while true {
            var start = 0
            var i = 0
            while i < pending.count {
                if pending[i] == 0x0A {
                    lineNo += 1
                    var stop = i
                    if stop > start && pending[stop - 1] == 0x0D { stop -= 1 }
                    parseLine(pending[start..<stop], lineNo, label, handle)
                    start = i + 1
                }
                i += 1
            }
            pending.removeFirst(start)
            if eof { break }
            let chunk = (try? fh.read(upToCount: 4 << 20)) ?? nil
            if let chunk, !chunk.isEmpty {
                pending.append(contentsOf: chunk)
            } else {
                eof = true
                if !pending.isEmpty { pending.append(0x0A) }
            }
        }
    }
}
