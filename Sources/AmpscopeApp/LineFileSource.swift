import AmpscopeCore
import AmpscopeStore
import Dispatch
import Foundation
import Synchronization

/// A capture-lines file, read in chunks and indexed by byte offset; optionally followed.
final class LineFileSource: ReplaySource {
    let path: String
    let name: String
    let fileID: Int32
    let follow: Bool
    private var handle: FileHandle?
    private var state = FollowState()
    private var buffer: [UInt8] = []
    /// File offset of buffer[0].
    private var bufferStart: Int64 = 0
    private var lineNo = 0
    private var atEOF = false
    private var lastTime: Int64 = 0
    private let fileSize: Int64

    init(path: String, name: String, fileID: Int32, threads: Int, follow: Bool) {
        self.path = path
        self.name = name
        self.fileID = fileID
        self.follow = follow
        handle = FileHandle(forReadingAtPath: path)
        fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        super.init()
        state.identity = FileStat.identity(path)
    }

    override var size: Int64 { fileSize }
    override var bytesRead: Int64 { state.offset }
    override var followable: Bool { follow }

    /// Raw complete lines from the buffer, reading more of the file as needed.
    private func nextLines(_ max: Int) -> [(bytes: [UInt8], offset: Int64, line: Int)] {
        var out: [(bytes: [UInt8], offset: Int64, line: Int)] = []
        var scan = 0
        while out.count < max {
            // memchr finds the newline a word at a time (a byte loop here was 4 % of a load).
            let count = buffer.count
            let nl: Int = scan >= count ? count : buffer.withUnsafeBufferPointer { p in
                guard let base = p.baseAddress, let hit = memchr(base + scan, 0x0A, count - scan) else { return count }
                return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            if nl < buffer.count {
                lineNo += 1
                var stop = nl
                if stop > scan && buffer[stop - 1] == 0x0D { stop -= 1 }
                out.append((Array(buffer[scan..<stop]), bufferStart + Int64(scan), lineNo))
                scan = nl + 1
                continue
            }
            // No newline in what is buffered: read more.
            if scan > 0 {
                buffer.removeFirst(scan)
                bufferStart += Int64(scan)
                scan = 0
            }
            guard !atEOF, let h = handle, readMore(h, 4 << 20) else {
                atEOF = true
                // A final line without a newline counts when the file is not followed.
                if !follow && !buffer.isEmpty {
                    lineNo += 1
                    out.append((buffer, bufferStart, lineNo))
                    bufferStart += Int64(buffer.count)
                    buffer.removeAll()
                }
                break
            }
        }
        if scan > 0 {
            buffer.removeFirst(scan)
            bufferStart += Int64(scan)
        }
        state.offset = bufferStart
        return out
    }

    /// Appends up to `count` bytes of the file to `buffer`, read straight into its storage (no
    /// intermediate `Data`). False at the end of the file or on an error.
    private func readMore(_ h: FileHandle, _ count: Int) -> Bool {
        let fd = h.fileDescriptor
        let kept = buffer.count
        var got = 0
        let grown = [UInt8](unsafeUninitializedCapacity: kept + count) { out, initialized in
            buffer.withUnsafeBufferPointer { old in
                if kept > 0 { out.baseAddress!.update(from: old.baseAddress!, count: kept) }
            }
            var n = -1
            repeat { n = read(fd, out.baseAddress! + kept, count) } while n < 0 && errno == EINTR
            got = max(0, n)
            initialized = kept + got
        }
        guard got > 0 else { return false }
        buffer = grown
        return true
    }

    override func fill(lines: Int, parallel: ([() -> ReplayItem?]) -> [ReplayItem?]) {
        let raw = nextLines(lines)
        if raw.isEmpty {
            exhausted = !follow
            return
        }
        enqueue(parallel(work(raw)))
        exhausted = atEOF && !follow && buffer.isEmpty
    }

    private func work(_ raw: [(bytes: [UInt8], offset: Int64, line: Int)]) -> [() -> ReplayItem?] {
        let name = self.name
        let fileID = self.fileID
        return raw.map { r in
            {
                if r.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
                switch CaptureLine.parseLine(r.bytes, name: name, line: r.line) {
                case .success(let parsed?):
                    let c = parsed.capture
                    return ReplayItem(time: c.receivedAt, kind: .capture(c, .file(fileID: fileID, offset: r.offset, length: Int32(r.bytes.count))),
                                      body: parsed.body)
                case .success(nil):
                    return nil  // the header line of an ampscope file
                case .failure(let pr):
                    return ReplayItem(time: 0, kind: .problem(pr, Array(r.bytes.prefix(4096))))
                }
            }
        }
    }

    private func enqueue(_ items: [ReplayItem?]) {
        for case var item? in items {
            // An unreadable line keeps its place: the time of the line before it.
            if case .problem = item.kind { item.time = lastTime } else { lastTime = item.time }
            queue.append(item)
        }
    }

    override func poll() {
        let decision = state.decide(identity: FileStat.identity(path), size: FileStat.size(path))
        switch decision {
        case .wait, .missing:
            return
        case .read:
            atEOF = false
        case .restartTruncated:
            try? handle?.seek(toOffset: 0)
            reset()
        case .reopenRotated:
            try? handle?.close()
            handle = FileHandle(forReadingAtPath: path)
            state.identity = FileStat.identity(path)
            reset()
        }
    }

    private func reset() {
        buffer.removeAll()
        bufferStart = 0
        state.offset = 0
        lineNo = 0
        atEOF = false
    }
}
