import AmpscopeCore
import AmpscopeStore
import AmpscopeUI
import Dispatch
import Foundation

/// The UI's view of the capture store: rows read straight from the store's index on the UI
/// thread, and filtered views computed on a worker thread.
///
/// A new filter is scanned in chunks in the background while the UI keeps showing the previous
/// view with a progress figure; a newer filter cancels an older scan. New captures are matched
/// incrementally, so a filtered live stream costs only the new rows.
final class StoreStreamData: StreamData, @unchecked Sendable {  // shared state is in `shared` (a `Guarded`); `post` is set before the UI loop starts; the rest is read on the UI thread only
    let store: CaptureStore
    let index: StoreIndex

    private struct Shared {
        var view: StreamView = .all
        /// Index positions of the rows in `view` (unused while `view.isAll`).
        var positions: [Int] = []
        /// Rows of the index already matched against `view`, in the store's current generation.
        var cursor = StoreCursor()
        /// Bumped by every `apply`: a scan that sees another value stops.
        var scanGeneration = 0
        var scanning = false
        var progress: Double?
    }
    private let shared = Guarded(Shared())
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
                s.cursor.rewind()
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
            if s.cursor.sync(change) { s.positions = [] }
            guard !s.view.isAll, !s.scanning, s.cursor.row < change.rowCount else { return nil }
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
            positions += ViewSelection.positions(v, in: index, lo..<hi, loader)
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
            s.cursor.rewind()
            s.cursor.advance(to: total)
            s.progress = nil
            s.scanning = false
            return true
        }
        if installed {
            post(.dataChanged)
            // Rows that arrived during the scan.
            if index.rowCount > total { storeChanged(CaptureStore.Change(rowCount: index.rowCount, captureCount: index.captureCount, generation: shared.withLock { $0.cursor.generation })) }
        }
    }

    private func extend(_ v: StreamView, generation: Int) {
        let loader = PayloadCache(store.payloads)
        while true {
            let (from, current) = shared.withLock { ($0.cursor.row, $0.scanGeneration) }
            let total = index.rowCount
            guard current == generation, from < total else { break }
            let hi = min(total, from + Self.chunk)
            let found = ViewSelection.positions(v, in: index, from..<hi, loader)
            let ok: Bool = shared.withLock { s in
                guard s.scanGeneration == generation, s.cursor.row == from else { return false }
                s.positions += found
                s.cursor.advance(to: hi)
                return true
            }
            if !ok { break }
        }
        shared.withLock { s in if s.scanGeneration == generation { s.scanning = false } }
        post(.dataChanged)
    }
}

/// Loads payloads for payload filters, decoding each capture once for all its events.
final class PayloadCache {
    private let reader: PayloadReader
    private var last: (Int64, Processed?)?

    init(_ reader: PayloadReader) { self.reader = reader }

    func payload(_ row: StreamRow) -> FilterPayload? {
        if let (id, p) = last, id == row.captureID {
            return p.flatMap { FilterPayload($0, row: row) }
        }
        let p = try? reader.processed(row.captureID)
        last = (row.captureID, p)
        return p.flatMap { FilterPayload($0, row: row) }
    }
}
