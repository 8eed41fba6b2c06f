import AmpscopeCore
import AmpscopeStore
import Dispatch
import Foundation
import Synchronization

/// A source of replay items in time order.
class ReplaySource {
    var queue = ReplayQueue()
    var exhausted = false
    var size: Int64 { 0 }
    var bytesRead: Int64 { 0 }
    var followable: Bool { false }
    /// Appends up to `lines` more items to `queue`; `parallel` maps raw work on all cores.
    func fill(lines: Int, parallel: ([() -> ReplayItem?]) -> [ReplayItem?]) { exhausted = true }
    func poll() {}
}

/// Items already in memory (HAR, raw bodies, stdin).
final class ListSource: ReplaySource {
    private let items: [ReplayItem]
    private var next = 0
    private let total: Int64

    init(items: [ReplayItem], size: Int64) {
        self.items = items
        self.total = size
    }

    override var size: Int64 { total }
    override var bytesRead: Int64 { next >= items.count ? total : total * Int64(next) / Int64(max(items.count, 1)) }

    override func fill(lines: Int, parallel: ([() -> ReplayItem?]) -> [ReplayItem?]) {
        let hi = min(items.count, next + lines)
        queue += items[next..<hi]
        next = hi
        exhausted = next >= items.count
    }
}
