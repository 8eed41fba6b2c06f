import AmpscopeCore
import AmpscopeStore
import Foundation

/// Writes captures in the export formats (shared by `ampscope export` and the UI's `:export`).
///
/// Every format is safe to show on a terminal: JSON with control, bidi and zero-width
/// characters as `\u` escapes (`Report.terminalSafeJSON`: the same values), curl scripts with
/// such bytes octal-escaped (`ExportCurl`).
enum Exporter {
    enum Format: String, CaseIterable, Sendable {
        case jsonl, har, curl
    }

    struct Result {
        var written = 0
        var unreadable = 0
        /// Why the first unreadable capture could not be read (a store's bodies file missing, …).
        var firstError: String?
    }

    static func write(_ ids: [Int64], format: Format, redact: Bool, sink: ExportSink, storeName: String? = nil,
                      baseURL: String? = nil, load: (Int64) throws -> Processed) -> Result {
        var r = Result()
        func read(_ id: Int64) -> Processed? {
            do { return try load(id) } catch {
                r.unreadable += 1
                if r.firstError == nil { r.firstError = "capture \(id): \(error)" }
                return nil
            }
        }
        switch format {
        case .jsonl:
            sink.write(CaptureLine.headerLine(tool: "ampscope \(AmpscopeVersion.current)") + [0x0A])
            for id in ids {
                guard let p = read(id) else { continue }
                r.written += 1
                sink.write(Report.terminalSafeJSON(CaptureLine.write(p, seq: r.written, redactKeys: redact)) + [0x0A])
            }
        case .har:
            var items: [Processed] = []
            items.reserveCapacity(ids.count)
            for id in ids {
                guard let p = read(id) else { continue }
                items.append(p)
            }
            r.written = items.count
            sink.write(Report.terminalSafeJSON(HAR.write(items, tool: "ampscope", version: AmpscopeVersion.current, redactKeys: redact)) + [0x0A])
        case .curl:
            sink.write(Array(ExportCurl.header(count: ids.count, store: storeName ?? "ampscope", redacted: redact, base: baseURL).utf8))
            for id in ids {
                guard let p = read(id) else { continue }
                r.written += 1
                let c = redact ? Redactor.redactedCapture(p) : p.capture
                sink.write(Array(ExportCurl.command(c, seq: r.written, p: p, base: baseURL).utf8))
            }
        }
        return r
    }
}
