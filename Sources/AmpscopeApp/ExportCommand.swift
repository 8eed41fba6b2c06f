import AmpscopeCore
import AmpscopeStore
import AmpscopeUI
import ArgumentParser
import Foundation

/// `ampscope export`: writes a store's captures back out as capture lines, HAR 1.2 or curl commands.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write captures from a store as JSON Lines, HAR 1.2 or curl commands.",
        discussion: """
        jsonl: ampscope capture lines (replayable with `ampscope check` and the UI). har: HTTP \
        Archive 1.2 for browser devtools, Charles or Proxyman. curl: a shell script that replays \
        each request byte for byte. API keys are masked unless --no-redact. See Docs/export.md.
        """)

    typealias Format = Exporter.Format

    @Argument(help: "The store file written by `ampscope proxy` or the UI.", completion: .file())
    var store: String

    @Option(name: .long, help: "Output format: jsonl, har or curl.")
    var format: Format = .jsonl

    @Option(name: .long, help: "Only requests with at least one event matching this filter (the filter language of Docs/filter.md, e.g. 'type:Checkout status>=400').")
    var filter: String?

    @Flag(name: .customLong("no-redact"), help: "Keep API keys (and Authorization headers) unmasked.")
    var noRedact = false

    @Option(name: [.short, .customLong("output")], help: "Write to this file instead of stdout.", completion: .file())
    var output: String?

    @Option(name: .customLong("base-url"), help: "curl only: the URL the commands send to (default: the captured Host, over http).")
    var baseURL: String?

    func validate() throws {
        if let filter {
            let parsed: Filter
            do { parsed = try Filter(filter) } catch {
                let c = error.caret(for: filter)
                throw ValidationError("--filter: \(error.description)\n  \(c.text)\n  \(c.caret)")
            }
            // A store holds wire requests only; the SDK side these terms read comes from debug logs.
            if parsed.usesDebug {
                throw ValidationError("--filter: sdk:, fate: and has: read SDK debug logs, which a store does not hold; export filters on the captured requests (type:, user:, rule:, status: ...)")
            }
        }
        if baseURL != nil && format != .curl { throw ValidationError("--base-url applies to --format curl only") }
        if let b = baseURL, !(b.hasPrefix("http://") || b.hasPrefix("https://")) {
            throw ValidationError("--base-url must start with http:// or https://")
        }
    }

    func run() async throws {
        let err = ProxyStderr()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: store, isDirectory: &isDir), !isDir.boolValue else {
            err.line("ampscope: no store at \(Sanitize.inline(store, limit: 300))")
            throw ExitCode(2)
        }
        // Read-only: exporting leaves the store as it was (no session added, nothing
        // checkpointed), and works on a store the user may only read. A store from an older
        // ampscope is upgraded as before, which needs it writable.
        let captureStore: CaptureStore
        do {
            do {
                captureStore = try CaptureStore(path: store, readOnly: true)
            } catch CaptureStore.StoreError.needsUpgrade(_) {
                captureStore = try CaptureStore(path: store, sessionLabel: "export")
            }
        } catch {
            err.line("ampscope: \(Sanitize.inline("\(error)", limit: 300))")
            throw ExitCode(2)
        }
        let ids = ViewSelection.captureIDs(StreamView(filter: try filter.map { try Filter($0) } ?? .all), store: captureStore)
        let redact = !noRedact

        let sink: ExportSink
        do {
            sink = try ExportSink(path: output)
        } catch {
            err.line("ampscope: cannot write \(Sanitize.inline(output ?? "-", limit: 300)): \(error)")
            throw ExitCode(2)
        }
        // One implementation per format, shared with the UI's `:export` (Exporter, StoreEffects.swift).
        let result = Exporter.write(ids, format: format, redact: redact, sink: sink, storeName: store,
                                    baseURL: baseURL) { try captureStore.payloads.processed($0) }
        do { try sink.close() } catch {
            err.line("ampscope: writing \(Sanitize.inline(output ?? "stdout", limit: 300)) failed: \(error)")
            throw ExitCode(2)
        }
        await captureStore.close()
        let written = result.written, unreadable = result.unreadable
        if output != nil || unreadable > 0 {
            err.line("ampscope: exported \(written) request\(written == 1 ? "" : "s") as \(format.rawValue)"
                     + (output.map { " to \(Sanitize.inline($0, limit: 300))" } ?? "")
                     + (unreadable > 0 ? " (\(unreadable) could not be read back)" : ""))
            if let why = result.firstError { err.line("ampscope: the first that could not: \(Sanitize.inline(why, limit: 300))") }
        }
        if unreadable > 0 { throw ExitCode(1) }
    }
}

extension Exporter.Format: ExpressibleByArgument {}

/// stdout or a file, written in large blocks.
final class ExportSink {
    private let handle: FileHandle
    private let ownsHandle: Bool
    private var buffer: [UInt8] = []
    private var failure: (any Error)?

    init(path: String?) throws {
        if let path, path != "-" {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            ownsHandle = true
        } else {
            handle = FileHandle.standardOutput
            ownsHandle = false
        }
    }

    func write(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 {
            do { try flush() } catch { if failure == nil { failure = error }; buffer.removeAll(keepingCapacity: true) }
        }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        if let failure { throw failure }
        try flush()
        if ownsHandle { try handle.close() }
    }
}
