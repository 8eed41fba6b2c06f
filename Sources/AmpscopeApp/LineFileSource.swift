import AmpscopeCore
import AmpscopeStore
import Dispatch
import Foundation

/// A capture-lines file, read in chunks and indexed by byte offset; optionally followed.
final class LineFileSource: ReplaySource {
    let path: String
    let name: String
    let fileID: Int32
    let follow: Bool
    private var handle: FileHandle?
    private var state = FollowState()
    private let buffer = ReadBuffer()
    /// File offset of the buffer's first byte.
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

    /// A complete line in the read buffer: `start` is its index there, valid until the next
    /// `nextLines` (the workers copy it out in parallel).
    private typealias RawLine = (start: Int, count: Int, offset: Int64, line: Int)

    /// Complete lines from the buffer, reading more of the file as needed. The bytes of the
    /// lines returned stay where they are until the next call: reading more moves only what
    /// follows the first of them to the front.
    private func nextLines(_ max: Int) -> [RawLine] {
        var out: [RawLine] = []
        out.reserveCapacity(max)
        // The first byte this batch's lines need kept (everything before it is done with).
        var keep = buffer.start
        while out.count < max {
            // memchr finds the newline a word at a time (a byte loop here was 4 % of a load).
            let base = buffer.base
            let scan = buffer.start
            if scan < buffer.end, let hit = memchr(base + scan, 0x0A, buffer.end - scan) {
                let nl = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                lineNo += 1
                var stop = nl
                if stop > scan && base[stop - 1] == 0x0D { stop -= 1 }
                out.append((scan, stop - scan, bufferStart + Int64(scan), lineNo))
                buffer.start = nl + 1
                continue
            }
            // No newline in what is buffered: read more, keeping this batch's lines.
            bufferStart += Int64(keep)
            buffer.compact(from: keep)
            for j in out.indices { out[j].start -= keep }
            keep = 0
            guard !atEOF, let h = handle, buffer.read(h.fileDescriptor, atLeast: 4 << 20) else {
                atEOF = true
                // A final line without a newline counts when the file is not followed.
                if !follow && buffer.count > 0 {
                    lineNo += 1
                    out.append((buffer.start, buffer.count, bufferStart + Int64(buffer.start), lineNo))
                    buffer.start = buffer.end
                }
                break
            }
        }
        state.offset = bufferStart + Int64(buffer.start)
        return out
    }

    override func fill(lines: Int, parallel: ([() -> ReplayItem?]) -> [ReplayItem?]) {
        let raw = nextLines(lines)
        if raw.isEmpty {
            exhausted = !follow
            return
        }
        var items = parallel(work(raw))
        enqueue(&items)
        exhausted = atEOF && !follow && buffer.count == 0
    }

    /// One parse per line, run by the workers; each copies its line out of the read buffer,
    /// which does not change until every line of the batch is parsed.
    private func work(_ raw: [RawLine]) -> [() -> ReplayItem?] {
        let name = self.name
        let fileID = self.fileID
        nonisolated(unsafe) let base = UnsafePointer(buffer.base)
        return raw.map { r in
            {
                let bytes = Array(UnsafeBufferPointer(start: base + r.start, count: r.count))
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
                switch CaptureLine.parseLine(bytes, name: name, line: r.line) {
                case .success(let parsed?):
                    let c = parsed.capture
                    return ReplayItem(time: c.receivedAt, kind: .capture(c, .file(fileID: fileID, offset: r.offset, length: Int32(r.count))),
                                      body: parsed.body)
                case .success(nil):
                    return nil  // the header line of an ampscope file
                case .failure(let pr):
                    return ReplayItem(time: 0, kind: .problem(pr, Array(bytes.prefix(4096))))
                }
            }
        }
    }

    /// Moves the parsed items into the queue (`items` is left empty of them).
    private func enqueue(_ items: inout [ReplayItem?]) {
        for i in items.indices {
            guard var item = items[i].take() else { continue }
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
        buffer.clear()
        bufferStart = 0
        state.offset = 0
        lineNo = 0
        atEOF = false
    }
}

/// The bytes read from a file and not yet consumed, in one allocation kept for the whole load.
///
/// A fresh array per 4 MiB read cost a mapping, its zeroed pages and a copy of what was left,
/// and consuming lines shifted the rest down (together about a tenth of a load's time in
/// `perf`); here consumed bytes are skipped, and only the unconsumed tail of a line (with the
/// lines of the batch being read, which the workers copy out later) moves to the front before
/// the next read.
final class ReadBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    /// First unconsumed byte, and the end of the valid bytes.
    var start = 0
    private(set) var end = 0

    var count: Int { end - start }

    init(capacity: Int = 8 << 20) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    func clear() {
        start = 0
        end = 0
    }

    /// Moves the bytes from `first` (at most `start`: bytes still needed, consumed or not) to
    /// the front.
    func compact(from first: Int) {
        precondition(first <= start, "compacting away unconsumed bytes")
        guard first > 0 else { return }
        let n = end - first
        if n > 0 { memmove(base, base + first, n) }
        start -= first
        end = n
    }

    /// Reads from `fd` after the valid bytes into the free room, first making at least `want`
    /// bytes of room (growing the allocation when a line is longer than it). False at the end
    /// of the file or on an error.
    func read(_ fd: Int32, atLeast want: Int) -> Bool {
        if capacity - end < want {
            let grown = Swift.max(capacity * 2, end + want)
            let b = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
            if end > 0 { b.update(from: base, count: end) }
            base.deallocate()
            base = b
            capacity = grown
        }
        var n = -1
        repeat { n = Foundation.read(fd, base + end, capacity - end) } while n < 0 && errno == EINTR
        guard n > 0 else { return false }
        end += n
        return true
    }
}
