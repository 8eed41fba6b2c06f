import AmpscopeCore
import AmpscopeStore
import Dispatch
import Foundation
import Synchronization

/// An SDK log file: its lines go to the debug-log consumer; followed like `tail -F`.
final class LogFileSource: ReplaySource {
    let path: String
    let name: String
    let format: InputFormat
    let follow: Bool
    private let consume: ([(line: Int, text: String)]) -> Void
    private var handle: FileHandle?
    private var state = FollowState()
    private var partial: [UInt8] = []
    private var lineNo = 0
    private let fileSize: Int64

    init(path: String, name: String, format: InputFormat, follow: Bool, consume: @escaping ([(line: Int, text: String)]) -> Void) {
        self.path = path
        self.name = name
        self.format = format
        self.follow = follow
        self.consume = consume
        handle = FileHandle(forReadingAtPath: path)
        fileSize = FileStat.size(path) ?? 0
        super.init()
        state.identity = FileStat.identity(path)
        readAvailable()
        exhausted = !follow
    }

    override var size: Int64 { fileSize }
    override var bytesRead: Int64 { state.offset }
    override var followable: Bool { follow }

    private func readAvailable() {
        var lines: [(line: Int, text: String)] = []
        while let h = handle, let d = try? h.read(upToCount: 1 << 20), !d.isEmpty {
            state.offset += Int64(d.count)
            partial.append(contentsOf: d)
            var start = 0
            for i in partial.indices where partial[i] == 0x0A {
                lineNo += 1
                var stop = i
                if stop > start && partial[stop - 1] == 0x0D { stop -= 1 }
                lines.append((lineNo, String(decoding: partial[start..<stop], as: UTF8.self)))
                start = i + 1
            }
            partial.removeFirst(start)
        }
        if !follow && !partial.isEmpty {
            lineNo += 1
            lines.append((lineNo, String(decoding: partial, as: UTF8.self)))
            partial.removeAll()
        }
        if !lines.isEmpty { consume(lines) }
    }

    override func fill(lines: Int, parallel: ([() -> ReplayItem?]) -> [ReplayItem?]) {}

    override func poll() {
        switch state.decide(identity: FileStat.identity(path), size: FileStat.size(path)) {
        case .wait, .missing: return
        case .read: readAvailable()
        case .restartTruncated:
            try? handle?.seek(toOffset: 0)
            state.offset = 0
            partial.removeAll()
            readAvailable()
        case .reopenRotated:
            try? handle?.close()
            handle = FileHandle(forReadingAtPath: path)
            state = FollowState(identity: FileStat.identity(path), offset: 0)
            partial.removeAll()
            readAvailable()
        }
    }
}
