import AmpscopeCore
import Foundation
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
        var files: [String] = []
        /// Cross-request findings (duplicate insert_id) of file-backed captures, which
        /// re-validating one capture alone could not reproduce.
        var contextFindings: [Int64: [Finding]] = [:]
        /// The last `recentCapacity` live captures committed to the database, by capture id:
        /// the proxy's printer and the UI's follow mode read the newest captures, and this spares
        /// them a database read and a decode per capture.
        var recent: [Int64: Processed] = [:]
        var recentOrder: [Int64] = []
        var recentNext = 0
    }
    static let recentCapacity = 1024
    private let state = Mutex(State())

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
            s.files.append(path)
            return Int32(s.files.count - 1)
        }
    }

    func remember(_ findings: [Finding], for id: Int64) {
        state.withLock { $0.contextFindings[id] = findings }
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
            s.contextFindings.removeAll()
        }
    }

    /// The capture with id `id`, decoded, with its findings and emulated answer.
    public func processed(_ id: Int64) throws -> Processed {
        guard let entry = index.mutate({ $0.entry(id) }) else { throw CaptureStore.StoreError.notFound(id) }
        switch entry.location {
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
            guard let path = state.withLock({ Int(fileID) < $0.files.count ? $0.files[Int(fileID)] : nil }) else {
                throw CaptureStore.StoreError.notFound(id)
            }
            guard let fh = FileHandle(forReadingAtPath: path) else { throw CaptureStore.StoreError.unreadable("cannot reopen \(path)") }
            defer { try? fh.close() }
            try fh.seek(toOffset: UInt64(offset))
            let bytes = [UInt8](try fh.read(upToCount: Int(length)) ?? Data())
            let name = (path as NSString).lastPathComponent
            switch CaptureLine.parse(bytes[...], name: name, line: 0) {
            case .success(let c?):
                var capture = c
                capture.source.line = nil
                return reprocess(capture, id: id)
            case .success(nil):
                throw CaptureStore.StoreError.unreadable("\(path) changed: no capture at byte \(offset)")
            case .failure(let e):
                throw CaptureStore.StoreError.unreadable("\(path) changed: \(e.reason)")
            }
        }
    }

    private func reprocess(_ capture: Capture, id: Int64) -> Processed {
        var context = ValidationContext()
        var p = ingest.process(capture, context: &context, now: capture.receivedAt)
        if let extra = state.withLock({ $0.contextFindings[id] }) { p.findings += extra }
        return p
    }
}
