import AmpscopeCore
import AmpscopeStore
import Dispatch
import Foundation

/// Loads files into an in-memory store without a UI and reports how long it took
/// (benchmarks and scripts).
public enum HeadlessReplay {
    public struct Result: Sendable {
        public var rows: Int
        public var requests: Int
        public var unreadable: Int
        /// Seconds until the first screenful of rows (40) was in the store.
        public var firstScreenSeconds: Double?
        public var totalSeconds: Double
        public var indexBytes: Int
    }

    public static func load(_ paths: [String], threads: Int? = nil) async -> (CaptureStore, Result) {
        let store = try! CaptureStore(path: nil)
        let ingest = SharedIngest()
        var options = Replayer.Options()
        if let threads { options.threads = threads }
        let replayer = Replayer(store: store, ingest: ingest, options: options)
        let start = DispatchTime.now().uptimeNanoseconds
        let first = FirstTime()
        let index = store.index
        replayer.onProgress = { _ in
            if index.rowCount >= 40 { first.mark(start) }
        }
        await replayer.run(paths)
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let p = replayer.progress
        let stats = await store.stats
        return (store, Result(rows: stats.rowCount, requests: p.captures, unreadable: p.problems,
                              firstScreenSeconds: first.value, totalSeconds: total, indexBytes: stats.indexBytes))
    }
}

final class FirstTime: Sendable {
    private let seconds = Guarded<Double?>(nil)
    func mark(_ start: UInt64) {
        seconds.withLock { s in
            if s == nil { s = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        }
    }
    var value: Double? { seconds.withLock { $0 } }
}
