import AmpscopeCore
import AmpscopeStore
import AmpscopeUI
import Dispatch
import Foundation
import Synchronization

/// The UI's view of the capture store: rows read straight from the store's index on the UI
/// thread, and filtered views computed on a worker thread.
///
/// A new filter is scanned in chunks in the background while the UI keeps showing the previous
/// view with a progress figure; a newer filter cancels an older scan. New captures are matched
/// incrementally, so a filtered live stream costs only the new rows.
final class StoreStreamData: StreamData, @unchecked Sendable {
    let store: CaptureStore
    let index: StoreIndex

    private struct Shared {
        var view: StreamView = .all
        /// Index positions of the rows in `view` (unused while `view.isAll`).
        var positions: [Int] = []
        /// Rows of the index already matched against `view`.
        var scanned = 0
        /// Bumped by every `apply`: a scan that sees another value stops.
        var scanGeneration = 0
        var scanning = false
        var progress: Double?
        var storeGeneration = 0
    }
    private let shared = Mutex(Shared())
    private let worker = DispatchQueue(label: "ampscope.stream-view", qos: .userInitiated)
    /// Rows decided per step (between steps a newer view can cancel the scan and progress is shown).
    static let chunk = 262_144

    /// Where the data tells the UI that it changed (set by the host before the loop starts).
    var post: @Sendable (Action) -> Void = { _ in }

    init(store: CaptureStore) {
        self.store = store
        self.index = store.index
    }

    // MARK: StreamData

    var view: StreamView { shared.withLock { $0.view } }

    var count: Int {
        let (all, n) = shared.withLock { ($0.view.isAll, $0.positions.count) }
        return all ? index.rowCount : n
    }

    func row(at position: Int) -> StreamRow? {
        let mapped: Int? = shared.withLock { s in
            if s.view.isAll { return position }
            return position >= 0 && position < s.positions.count ? s.positions[position] : nil
        }
        return mapped.flatMap { index.row($0) }
    }

    var totals: StreamTotals {
        let t = index.totals
        return StreamTotals(requests: t.requests, events: t.events, eventsWithErrors: t.rowsWithErrors, eventsWithWarnings: t.rowsWithWarnings)
    }

    var pending: Double? { shared.withLock { $0.progress } }

    // MARK: Views

    /// Applies a view; filtered views are computed in the background.
    func apply(_ v: StreamView) {
        let generation: Int = shared.withLock { s in
            s.scanGeneration += 1
            if v.isAll {
                s.view = v
                s.positions = []
                s.scanned = 0
                s.progress = nil
                s.scanning = false
            } else {
                s.progress = 0
                s.scanning = true
            }
            return s.scanGeneration
        }
        post(.dataChanged)
        guard !v.isAll else { return }
        worker.async { [self] in scan(v, generation: generation) }
    }

    /// The store changed: forget rows after a clear, match new rows against a filtered view.
    func storeChanged(_ change: CaptureStore.Change) {
        let needsScan: (StreamView, Int)? = shared.withLock { s in
            if change.generation != s.storeGeneration {
                s.storeGeneration = change.generation
                s.positions = []
                s.scanned = 0
            }
            guard !s.view.isAll, !s.scanning, s.scanned < change.rowCount else { return nil }
            s.scanning = true
            return (s.view, s.scanGeneration)
        }
        if let (v, g) = needsScan {
            worker.async { [self] in extend(v, generation: g) }
        } else {
            post(.dataChanged)
        }
    }

    private func scan(_ v: StreamView, generation: Int) {
        let total = index.rowCount
        var positions: [Int] = []
        var lastReport = DispatchTime.now()
        let loader = PayloadCache(store.payloads)
        var lo = 0
        while lo < total {
            if shared.withLock({ $0.scanGeneration }) != generation { return }
            let hi = min(total, lo + Self.chunk)
            positions += matching(v, lo..<hi, loader)
            lo = hi
            let now = DispatchTime.now()
            if now.uptimeNanoseconds - lastReport.uptimeNanoseconds > 100_000_000 {
                lastReport = now
                shared.withLock { s in if s.scanGeneration == generation { s.progress = Double(lo) / Double(max(total, 1)) } }
                post(.dataChanged)
            }
        }
        let installed: Bool = shared.withLock { s in
            guard s.scanGeneration == generation else { return false }
            s.view = v
            s.positions = positions
            s.scanned = total
            s.progress = nil
            s.scanning = false
            return true
        }
        if installed {
            post(.dataChanged)
            // Rows that arrived during the scan.
            if index.rowCount > total { storeChanged(CaptureStore.Change(rowCount: index.rowCount, captureCount: index.captureCount, generation: shared.withLock { $0.storeGeneration })) }
        }
    }

    private func extend(_ v: StreamView, generation: Int) {
        let loader = PayloadCache(store.payloads)
        while true {
            let (from, current) = shared.withLock { ($0.scanned, $0.scanGeneration) }
            let total = index.rowCount
            guard current == generation, from < total else { break }
            let hi = min(total, from + Self.chunk)
            let found = matching(v, from..<hi, loader)
            let ok: Bool = shared.withLock { s in
                guard s.scanGeneration == generation, s.scanned == from else { return false }
                s.positions += found
                s.scanned = hi
                return true
            }
            if !ok { break }
        }
        shared.withLock { s in if s.scanGeneration == generation { s.scanning = false } }
        post(.dataChanged)
    }

    /// Positions in `range` that belong to the view: the filter decides most rows from their
    /// columns on all cores; only rows it cannot decide load their payload.
    private func matching(_ v: StreamView, _ range: Range<Int>, _ loader: PayloadCache) -> [Int] {
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
        if v.markedOnly {
            out = out.filter { p in index.row(p).map { v.marks.contains(RowID($0)) } ?? false }
        }
        return out
    }

    /// Capture ids of the rows in a view, in order, without repeats (exports).
    func captureIDs(in v: StreamView) -> [Int64] {
        let loader = PayloadCache(store.payloads)
        var ids: [Int64] = []
        let total = index.rowCount
        var lo = 0
        while lo < total {
            let hi = min(total, lo + Self.chunk)
            for p in matching(v, lo..<hi, loader) {
                if let id = index.row(p)?.captureID, ids.last != id { ids.append(id) }
            }
            lo = hi
        }
        return ids
    }
}

/// Loads payloads for payload filters, decoding each capture once for all its events.
final class PayloadCache {
    private let reader: PayloadReader
    private var last: (Int64, Processed?)?

    init(_ reader: PayloadReader) { self.reader = reader }

    func payload(_ row: StreamRow) -> FilterPayload? {
        if let (id, p) = last, id == row.captureID {
            return p.map { FilterPayload($0, eventIndex: row.event.index) }
        }
        let p = try? reader.processed(row.captureID)
        last = (row.captureID, p)
        return p.map { FilterPayload($0, eventIndex: row.event.index) }
    }
}
