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
                sink.write(Report.terminalSafeJSON(CaptureLine.write(p, seq: r.written, redactKeys: redact)) + [0x0A])
            }
        case .har:
            var items: [Processed] = []
            items.reserveCapacity(ids.count)
            for id in ids {
                guard let p = try? load(id) else { r.unreadable += 1; continue }
                items.append(p)
            }
            r.written = items.count
            sink.write(Report.terminalSafeJSON(HAR.write(items, tool: "ampscope", version: AmpscopeVersion.current, redactKeys: redact)) + [0x0A])
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
