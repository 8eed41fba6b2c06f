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
        /// With `profiles`: seconds from the start until the profile follower had applied the
        /// last capture (the load and the profiles both done, as the terminal UI sees it).
        public var profilesSeconds: Double?
    }

    /// `profiles`: the store is followed by the profile simulator as the terminal UI follows it
    /// (`ProfileFollower`: its own serial queue, fed by the store's commits while the load runs),
    /// and the result says when it caught up.
    public static func load(_ paths: [String], threads: Int? = nil, profiles: Bool = false) async -> (CaptureStore, Result) {
        let store = try! CaptureStore(path: nil)
        let follower = profiles ? ProfileFollower(store: store) : nil
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
        var profilesSeconds: Double?
        if let follower, let last = store.index.captureIDs().last {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                follower.whenApplied(last, timeout: 3600) { done.resume() }
            }
            // nil when the wait ended by its timeout, not because the profiles caught up.
            if follower.hasApplied(last) { profilesSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        }
        let stats = await store.stats
        return (store, Result(rows: stats.rowCount, requests: p.captures, unreadable: p.problems,
                              firstScreenSeconds: first.value, totalSeconds: total, indexBytes: stats.indexBytes,
                              profilesSeconds: profilesSeconds))
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
