import AmpscopeCore
import AmpscopeStore
import AmpscopeUI
import Dispatch
import Foundation

/// Carries out the UI's store effects on the capture store (loading details, applying views,
/// exporting, clearing) without blocking the UI thread; results come back as posted actions.
final class StoreEffects: StoreEffectHandler, @unchecked Sendable {  // every field is set before the UI loop starts and only read after
    let data: StoreStreamData
    let ingest: SharedIngest
    let redact: Bool
    /// Joins SDK debug records to events for the Debug tab (nil when no debug source is open).
    var enrichDetail: (@Sendable (Processed) -> Processed)?
    /// The profile simulator following the store (the User tab and the Users list).
    var profiles: ProfileFollower?
    private let queue = DispatchQueue(label: "ampscope.effects", qos: .userInitiated)
    /// The capture of the newest `.loadProfiles` (older ones not started yet are skipped).
    private let latestProfiles = Guarded<Int64>(-1)

    init(data: StoreStreamData, ingest: SharedIngest, redact: Bool) {
        self.data = data
        self.ingest = ingest
        self.redact = redact
    }

    /// The debug table joined to the live profile lookup (filter terms read either).
    private func lookups(_ debug: DebugRowTable?) -> (any FilterDebugLookup)? {
        guard let profiles else { return debug }
        return FilterLookups(debug: debug, profiles: profiles.lookup)
    }

    func handle(_ effect: Effect, post: @escaping @Sendable (Action) -> Void) {
        switch effect {
        case .loadDetail(let id):
            let reader = data.store.payloads
            let enrich = enrichDetail
            queue.async {
                do {
                    var p = try reader.processed(id)
                    p.capture.id = id
                    if let enrich { p = enrich(p) }
                    post(.detailLoaded(p))
                } catch {
                    post(.detailFailed(captureID: id, message: "\(error)"))
                }
            }
        case .loadDiff(let pair):
            let reader = data.store.payloads
            queue.async {
                do {
                    if let link = pair.golden {
                        guard let g = self.profiles?.goldenRequest(link.golden) else { return }
                        var b = try reader.processed(pair.other.captureID)
                        b.capture.id = pair.other.captureID
                        post(.diffLoaded(DiffSubject(pair: pair, base: g, other: b)))
                        return
                    }
                    var a = try reader.processed(pair.base.captureID)
                    var b = try reader.processed(pair.other.captureID)
                    a.capture.id = pair.base.captureID
                    b.capture.id = pair.other.captureID
                    post(.diffLoaded(DiffSubject(pair: pair, base: a, other: b)))
                } catch {
                    post(.message("cannot load the events to compare: \(Sanitize.inline("\(error)", limit: 200))", isError: true))
                }
            }
        case .loadProfiles(let id):
            guard let follower = profiles else { return }
            // The follower may not have reached this capture yet: wait for it a little. The
            // profiles are built on the effects queue (`whenApplied` calls back at once, on this
            // thread, when the capture is applied already), and only for the newest request:
            // following a live stream asks for every capture that reaches the bottom row, and the
            // reducer keeps only the selected one's.
            latestProfiles.withLock { $0 = id }
            follower.whenApplied(id) { [self] in
                queue.async { [self] in
                    guard latestProfiles.withLock({ $0 }) == id else { return }
                    post(.profilesLoaded(follower.profiles(capture: id)))
                }
            }
        case .applyView(let v, let debug):
            data.apply(v.bound(to: lookups(debug)))
        case .export(let path, let view, let debug):
            let v = view.bound(to: lookups(debug))
            let data = self.data
            let redact = self.redact
            queue.async {
                let ids = ViewSelection.captureIDs(v, store: data.store)
                let format: Exporter.Format = path.lowercased().hasSuffix(".har") ? .har
                    : path.lowercased().hasSuffix(".sh") || path.lowercased().hasSuffix(".curl") ? .curl : .jsonl
                do {
                    let sink = try ExportSink(path: path)
                    let result = Exporter.write(ids, format: format, redact: redact, sink: sink) { try data.store.payloads.processed($0) }
                    try sink.close()
                    let n = result.written
                    post(.message("exported \(n) request\(n == 1 ? "" : "s") as \(format.rawValue) to \(Sanitize.inline(path, limit: 200))"
                                  + (result.unreadable > 0 ? " (\(result.unreadable) unreadable)" : "")
                                  + (redact ? ", API keys masked" : ""), isError: result.unreadable > 0))
                } catch {
                    post(.message("export to \(Sanitize.inline(path, limit: 200)) failed: \(Sanitize.inline("\(error)", limit: 200))", isError: true))
                }
            }
        case .clearStore:
            let store = data.store
            let ingest = self.ingest
            Task {
                await store.clear()
                ingest.reset()
                post(.cleared)
            }
        default:
            break
        }
    }
}
