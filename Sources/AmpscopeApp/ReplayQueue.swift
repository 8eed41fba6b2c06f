import AmpscopeCore
import AmpscopeStore
import Dispatch
import Foundation
import Synchronization

/// One thing to replay, with the time it is merged by.
struct ReplayItem {
    enum Kind {
        case capture(Capture, PayloadLocation?)
        case problem(InputProblem, [UInt8])
        case processed(Processed)
    }
    var time: Int64
    var kind: Kind
    /// A capture's body as parsed with its line (embedded JSON), so decoding does not parse it again.
    var body: JSONDocument? = nil
    /// The capture decoded and prevalidated on the thread that parsed its line (nil: not yet).
    var decoded: (DecodedRequest, Prevalidated)? = nil
    /// The decoded request's rows before judging (`EventSummary.rows(of:)`), read where it was
    /// parsed (nil: extracted with the findings).
    var rows: [EventSummary]? = nil
}

/// A FIFO of parsed items: taking the first is O(1) (an array's `removeFirst` moves every
/// remaining item, which made each batch quadratic in its length), and moves the item out
/// instead of copying it (a copy retains and releases each of the capture's, the decoded
/// request's and the findings' references).
struct ReplayQueue {
    private var items: [ReplayItem?] = []
    private var head = 0

    var isEmpty: Bool { head >= items.count }
    /// The merge time of the first item (read in place).
    var firstTime: Int64? { isEmpty ? nil : items[head]!.time }

    mutating func append(_ item: consuming ReplayItem) {
        if isEmpty && head > 0 { items.removeAll(keepingCapacity: true); head = 0 }
        items.append(item)
    }

    static func += (q: inout ReplayQueue, more: some Sequence<ReplayItem>) {
        for item in more { q.append(item) }
    }

    mutating func removeFirst() -> ReplayItem {
        precondition(!isEmpty, "removeFirst on an empty replay queue")
        let item = items[head].take()!
        head += 1
        if head >= items.count { items.removeAll(keepingCapacity: true); head = 0 }
        return item
    }
}
