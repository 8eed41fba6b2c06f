import AmpscopeCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Reads full captures back from wherever the index says they are: the SQLite file, a
/// replayed file (by byte offset) or memory. Thread-safe and synchronous, so filters that need
/// payloads and exports can run on worker threads without queueing on the store actor.
public final class PayloadReader: Sendable {
    private let database: CaptureDatabase?
    private let ingest: Ingest
    private let index: StoreIndex
    private struct State {
        /// Small inputs (HAR entries, unreadable lines, in-memory stores) keep their whole result.
        var memory: [Processed] = []
        var files: [ReplayedFile] = []
        /// The findings each file-backed capture was judged with when it was replayed (only
        /// captures that have any): reading one back decodes its bytes for the payload view and
        /// reuses this judgement, so it is never validated twice, and its findings are the ones
        /// the replay's settings and request history gave.
        var judged: [Int64: [Finding]] = [:]
        /// The last `recentCapacity` live captures committed to the database, by capture id:
        /// the proxy's printer and the UI's follow mode read the newest captures, and this spares
        /// them a database read and a decode per capture.
        var recent: [Int64: Processed] = [:]
        var recentOrder: [Int64] = []
        var recentNext = 0
    }
    static let recentCapacity = 1024
    private let state = Guarded(State())
    private let rejudgedCount = Atomic<Int>(0)

    /// How many captures were validated again when read back (`rejudge`, or a file-backed capture
    /// with no judgement kept). Judging once means this stays 0 while the UI browses a replay.
    public var rejudged: Int { rejudgedCount.load(ordering: .relaxed) }

    init(database: CaptureDatabase?, ingest: Ingest, index: StoreIndex) {
        self.database = database
        self.ingest = ingest
        self.index = index
    }

    func keep(_ p: Processed) -> Int32 {
        state.withLock { s in
            s.memory.append(p)
            return Int32(s.memory.count - 1)
        }
    }

    func register(file path: String) -> Int32 {
        state.withLock { s in
            s.files.append(ReplayedFile(path))
            return Int32(s.files.count - 1)
        }
    }

    /// Keeps the judgement of replayed, file-backed captures (nothing to keep for one without
    /// findings), all under one lock.
    func remember(judged: [(Int64, [Finding])]) {
        guard !judged.isEmpty else { return }
        state.withLock { s in
            for (id, findings) in judged where !findings.isEmpty { s.judged[id] = findings }
        }
    }

    /// Keeps committed live captures at hand (the oldest are dropped beyond `recentCapacity`).
    func rememberRecent(_ items: [(Int64, Processed)]) {
        state.withLock { s in
            for (id, p) in items {
                if s.recentOrder.count < Self.recentCapacity {
                    s.recentOrder.append(id)
                } else {
                    s.recent[s.recentOrder[s.recentNext]] = nil
                    s.recentOrder[s.recentNext] = id
                    s.recentNext = (s.recentNext + 1) % Self.recentCapacity
                }
                s.recent[id] = p
            }
        }
    }

    func forgetMemory() {
        state.withLock { s in
            s.memory.removeAll()
            s.judged.removeAll()
        }
    }

    /// The capture with id `id`, decoded, with its findings and emulated answer; a Segment
    /// request comes with its mapping through every destination (the stream's mapped rows are
    /// the session's destinations' records; the Mapping tab switches between both).
    public func processed(_ id: Int64) throws -> Processed {
        let p = try stored(id)
        guard p.request.endpoint == .segment, var settings = ingest.segmentSettings else { return p }
        let all = SegmentDestination.allCases
        if let m = p.segmentMapping, all.allSatisfy(m.destinations.contains) { return p }
        settings.destinations = all.filter { !(p.segmentMapping?.destinations.contains($0) ?? false) }
        guard let extra = ingest.segmentMapping(for: p, settings: settings, now: p.capture.receivedAt) else { return p }
        var q = p
        q.segmentMapping = p.segmentMapping.map { $0.adding(extra) } ?? extra
        return q
    }

    private func stored(_ id: Int64) throws -> Processed {
        guard let location = index.location(of: id) else { throw CaptureStore.StoreError.notFound(id) }
        switch location {
        case .database(let rowID):
            if let p = state.withLock({ $0.recent[id] }) { return p }
            guard let db = database,
                  let p = try db.load(rowID: rowID, decoders: ingest.decoders, options: ingest.decodeOptions) else {
                throw CaptureStore.StoreError.notFound(id)
            }
            return p
        case .memory(let slot):
            guard let p = state.withLock({ Int(slot) < $0.memory.count ? $0.memory[Int(slot)] : nil }) else {
                throw CaptureStore.StoreError.notFound(id)
            }
            return p
        case .file(let fileID, let offset, let length):
            guard let file = state.withLock({ Int(fileID) < $0.files.count ? $0.files[Int(fileID)] : nil }) else {
                throw CaptureStore.StoreError.notFound(id)
            }
            let path = file.path
            let bytes = try file.read(at: Int64(offset), count: Int(length))
            switch CaptureLine.parseLine(bytes, name: file.name, line: 0) {
            case .success(let parsed?):
                var capture = parsed.capture
                capture.source.line = nil
                return readBack(capture, id: id, parsedBody: parsed.body)
            case .success(nil):
                throw CaptureStore.StoreError.unreadable("\(path) changed: no capture at byte \(offset)")
            case .failure(let e):
                throw CaptureStore.StoreError.unreadable("\(path) changed: \(e.reason)")
            }
        }
    }

    /// A file-backed capture as it was judged: decoded again (decoding is the view), with the
    /// findings kept at replay time and the answer they give.
    private func readBack(_ capture: Capture, id: Int64, parsedBody: JSONDocument? = nil) -> Processed {
        let request = ingest.decode(capture, parsedBody: parsedBody)
        let findings = state.withLock { $0.judged[id] } ?? []
        let answer = ingest.emulator.answer(for: request, findings: findings, now: capture.receivedAt)
        return Processed(capture: capture, request: request, findings: findings, answer: answer)
    }

    /// Validates a stored capture again, alone, with other settings (on request: e.g. another
    /// `min_id_length`). History-dependent rules see no earlier request.
    public func rejudge(_ id: Int64, settings: ValidationSettings) throws -> Processed {
        let p = try processed(id)
        rejudgedCount.add(1, ordering: .relaxed)
        var context = ValidationContext(settings: settings)
        return ingest.process(p.capture, context: &context, now: p.capture.receivedAt)
    }
}

/// A replayed file whose captures are read back by byte offset. The descriptor is opened on the
/// first read back and kept until the store lets go of the file: opening, checking and closing
/// the file for every capture, and working out its name each time, took about a seventh of the
/// read-back thread's time when the profile follower read a 1M-event file back
/// (`ampscope-bench profiles`). A file replaced or deleted after it was replayed is still read
/// as it was.
final class ReplayedFile: Sendable {
    let path: String
    /// The file's name, as captures read from it name their source.
    let name: String
    /// -1 until the first read opens it.
    private let descriptor = Guarded<Int32>(-1)

    init(_ path: String) {
        self.path = path
        name = (path as NSString).lastPathComponent
    }

    deinit {
        let fd = descriptor.withLock { $0 }
        if fd >= 0 { close(fd) }
    }

    private func openedDescriptor() throws -> Int32 {
        try descriptor.withLock { fd in
            if fd < 0 {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd < 0 { throw CaptureStore.StoreError.unreadable("cannot reopen \(path): \(String(cString: strerror(errno)))") }
            }
            return fd
        }
    }

    /// Up to `count` bytes at `offset` (fewer at the end of the file).
    func read(at offset: Int64, count: Int) throws -> [UInt8] {
        let fd = try openedDescriptor()
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: max(0, count)) { buffer, initialized in
            (initialized, failure) = preadFully(fd, into: UnsafeMutableRawBufferPointer(buffer), at: offset)
        }
        if failure != 0 { throw CaptureStore.StoreError.unreadable("cannot read \(path): \(String(cString: strerror(failure)))") }
        return bytes
    }
}
