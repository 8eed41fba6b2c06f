import AmpscopeCore
import AmpscopeStore
import AmpscopeUI

/// "The captures this view shows": the one selection used by the stream (`StoreStreamData`),
/// `:export` and `ampscope export --filter`. Rows are decided from their columns on all cores;
/// only the rows the filter cannot decide that way load their payload.
enum ViewSelection {
    /// Positions in `range` that belong to the view: the filter decides most rows from their
    /// columns on all cores; only rows it cannot decide load their payload.
    static func positions(_ v: StreamView, in index: StoreIndex, _ range: Range<Int>, _ loader: PayloadCache) -> [Int] {
        let (decided, undecided) = index.scan(v.filter, in: range)
        var out: [Int]
        if undecided.isEmpty {
            out = decided
        } else {
            var extra: [Int] = []
            for p in undecided {
                if let row = index.row(p), v.filter.matches(row, payload: loader.payload(row)) { extra.append(p) }
            }
            // Both lists are ascending: merge them.
            out = []
            out.reserveCapacity(decided.count + extra.count)
            var i = 0
            var j = 0
            while i < decided.count || j < extra.count {
                if j >= extra.count || (i < decided.count && decided[i] < extra[j]) { out.append(decided[i]); i += 1 } else { out.append(extra[j]); j += 1 }
            }
        }
        if v.hideMapped { out = index.droppingMapped(out) }
        if v.markedOnly {
            out = out.filter { p in index.row(p).map { v.marks.contains(RowID($0)) } ?? false }
        }
        return out
    }

    /// Capture ids of the rows in a view, in order, without repeats (exports).
    static func captureIDs(_ v: StreamView, store: CaptureStore) -> [Int64] {
        let index = store.index
        if v.isAll { return index.captureIDs() }
        let loader = PayloadCache(store.payloads)
        var ids: [Int64] = []
        let total = index.rowCount
        var lo = 0
        while lo < total {
            let hi = min(total, lo + StoreStreamData.chunk)
            for p in positions(v, in: index, lo..<hi, loader) {
                if let id = index.row(p)?.captureID, ids.last != id { ids.append(id) }
            }
            lo = hi
        }
        return ids
    }
}
