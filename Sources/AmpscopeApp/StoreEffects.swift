import AmpscopeCore
import AmpscopeStore
import AmpscopeUI
import Dispatch
import Foundation

/// Carries out the UI's store effects on the capture store (loading details, applying views,
/// exporting, clearing) without blocking the UI thread; results come back as posted actions.
final class StoreEffects: StoreEffectHandler, @unchecked Sendable {
    let data: StoreStreamData
    let ingest: SharedIngest
    let redact: Bool
    /// Joins SDK debug records to events for the Debug tab (nil when no debug source is open).
    var enrichDetail: (@Sendable (Processed) -> Processed)?
    private let queue = DispatchQueue(label: "ampscope.effects", qos: .userInitiated)

    init(data: StoreStreamData, ingest: SharedIngest, redact: Bool) {
        self.data = data
        self.ingest = ingest
        self.redact = redact
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
        case .applyView(let v):
            data.apply(v)
        case .export(let path, let v):
            let data = self.data
            let redact = self.redact
            queue.async {
                let ids = data.captureIDs(in: v)
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

/// Writes captures in the export formats (shared by `ampscope export` and the UI's `:export`).
enum Exporter {
    enum Format: String, CaseIterable, Sendable {
        case jsonl, har, curl
    }

    struct Result {
        var written = 0
        var unreadable = 0
    }

    static func write(_ ids: [Int64], format: Format, redact: Bool, sink: ExportSink, storeName: String? = nil,
                      baseURL: String? = nil, load: (Int64) throws -> Processed) -> Result {
        var r = Result()
        switch format {
        case .jsonl:
            sink.write(CaptureLine.headerLine(tool: "ampscope \(AmpscopeVersion.current)") + [0x0A])
            for id in ids {
                guard let p = try? load(id) else { r.unreadable += 1; continue }
                r.written += 1
                sink.write(CaptureLine.write(p, seq: r.written, redactKeys: redact) + [0x0A])
            }
        case .har:
            var items: [Processed] = []
            items.reserveCapacity(ids.count)
            for id in ids {
                guard let p = try? load(id) else { r.unreadable += 1; continue }
                items.append(p)
            }
            r.written = items.count
            sink.write(HAR.write(items, tool: "ampscope", version: AmpscopeVersion.current, redactKeys: redact) + [0x0A])
        case .curl:
            sink.write(Array(ExportCurl.header(count: ids.count, store: storeName ?? "ampscope", redacted: redact, base: baseURL).utf8))
            for id in ids {
                guard let p = try? load(id) else { r.unreadable += 1; continue }
                r.written += 1
                let c = redact ? Redactor.redactedCapture(p) : p.capture
                sink.write(Array(ExportCurl.command(c, seq: r.written, p: p, base: baseURL).utf8))
            }
        }
        return r
    }
}
