import AmpscopeCore
import AmpscopeStore
import Dispatch
import Foundation
import Synchronization

/// Loads recorded traffic into the store through the same ingestion path as the proxy.
///
/// Capture-line files (ampscope's and the fixture shape) are streamed: lines are read in
/// chunks, parsed and decoded on all cores, judged in order (so duplicate detection sees the
/// same order every time), merged across files by time, and indexed by byte offset, so a
/// million-event file is never held in memory. HAR files, raw bodies and stores are read whole.
/// SDK logs are handed to `onDebugLines`. Unreadable lines become rows with an
/// `unreadable-input` finding naming the file and line, so nothing is dropped silently.
final class Replayer: @unchecked Sendable {  // the closures are set before `run`; progress is in a `Guarded`; `pacer` is used only by the one task that runs the replay
    struct Options: Sendable {
        var format: InputFormat?
        var endpoint: Endpoint?
        /// nil = as fast as possible; N = original gaps divided by N.
        var speed: Double?
        /// Keep reading files as they grow (`tail -F`).
        var follow = false
        /// Worker threads for parsing and decoding.
        var threads = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))
        /// Lines per parse batch (the first batch is small so the first screen comes at once).
        /// A capture line can be tens of KB and is held three times while in flight (raw line,
        /// decoded capture, parsed tape), so this bounds the load's transient memory.
        var batchLines = 512
        /// Lines in the first batch: the first screen waits only for these.
        var firstBatchLines = 256
        var pollMilliseconds: Int64 = 250
    }

    struct Progress: Sendable, Equatable {
        var files = 0
        var bytesRead: Int64 = 0
        var bytesTotal: Int64 = 0
        var captures = 0
        var events = 0
        var problems = 0
        var debugLines = 0
        var finished = false
        var following = false
        var fraction: Double { bytesTotal > 0 ? min(1, Double(bytesRead) / Double(bytesTotal)) : (finished ? 1 : 0) }
    }

    let store: CaptureStore
    let ingest: SharedIngest
    let options: Options
    /// Wall clock in ms (injectable for pacing tests).
    var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    var sleep: @Sendable (Int64) async -> Void = { ms in try? await Task.sleep(nanoseconds: UInt64(max(0, ms)) * 1_000_000) }
    var onProgress: @Sendable (Progress) -> Void = { _ in }
    /// SDK log lines (TypeScript console output, Python logs) by file, in order.
    var onDebugLines: @Sendable (_ file: String, _ format: InputFormat, _ lines: [(line: Int, text: String)]) -> Void = { _, _, _ in }
    /// An SDK log file was read to its end and is not followed.
    var onDebugEnd: @Sendable (_ file: String) -> Void = { _ in }

    private let progressState = Guarded(Progress())
    private var pacer: ReplayPacer
    /// The previous batch's judging and appending, still running while the next batch is read
    /// and decoded (used only by the one task that runs the replay).
    private var pendingDelivery: Task<Void, Never>?

    init(store: CaptureStore, ingest: SharedIngest, options: Options) {
        self.store = store
        self.ingest = ingest
        self.options = options
        self.pacer = ReplayPacer(speed: options.speed)
    }

    var progress: Progress { progressState.withLock { $0 } }

    private func update(_ body: (inout Progress) -> Void) {
        let p = progressState.withLock { s -> Progress in
            body(&s)
            return s
        }
        onProgress(p)
    }

    // MARK: Running

    /// Replays `paths` (`-` is standard input) until done, or forever with `follow`.
    func run(_ paths: [String]) async {
        var sources: [ReplaySource] = []
        var total: Int64 = 0
        for path in paths {
            if let s = await open(path) {
                sources.append(s)
                total += s.size
            }
        }
        update { $0.files = paths.count; $0.bytesTotal = total }
        var merge = TimeMerge(sources: sources.count)
        var first = true
        while true {
            // Fill every empty source queue and refresh the merge heads.
            for s in sources where s.queue.isEmpty && !s.exhausted {
                fill(s, lines: first ? options.firstBatchLines : options.batchLines)
            }
            for (i, s) in sources.enumerated() { merge.setHead(i, time: s.queue.firstTime) }
            guard merge.next() != nil else {
                if options.follow && sources.contains(where: { $0.followable }) {
                    // Cancelled (the UI ended): stop following instead of polling forever.
                    if Task.isCancelled { break }
                    await drainDelivery()
                    update { $0.following = true; $0.finished = true }
                    await sleep(options.pollMilliseconds)
                    for s in sources where s.followable { s.poll() }
                    continue
                }
                break
            }
            // Take a merged batch, refilling sources as they run dry.
            // The first batch is small so the first screen does not wait for a full batch.
            var batch: [ReplayItem] = []
            let limit = options.speed != nil ? 64 : first ? options.firstBatchLines : options.batchLines
            first = false
            while batch.count < limit, let src = merge.next() {
                batch.append(sources[src].queue.removeFirst())
                if sources[src].queue.isEmpty && !sources[src].exhausted {
                    // A full batch is delivered before this source is read further (the top
                    // of the loop refills it); otherwise refill now to keep the merge exact.
                    if batch.count >= limit { break }
                    fill(sources[src], lines: options.batchLines)
                }
                merge.setHead(src, time: sources[src].queue.firstTime)
            }
            await deliver(batch)
            let read = sources.reduce(Int64(0)) { $0 + $1.bytesRead }
            update { $0.bytesRead = read }
        }
        await drainDelivery()
        update { $0.finished = true }
    }

    /// Waits until every delivered batch is in the store.
    private func drainDelivery() async {
        await pendingDelivery?.value
        pendingDelivery = nil
    }

    /// Decodes in parallel, then judges in order, paces, and appends to the store.
    ///
    /// Unpaced, the judging and appending of a batch (one task per batch, each after the one
    /// before it, so the order is kept) runs while the run loop reads and decodes the next
    /// batch: the serial part of a load (judging, the store's index append) overlaps the
    /// parallel part. At most one batch waits in that task.
    private func deliver(_ batch: consuming [ReplayItem]) async {
        var batch = batch
        // Decoding and the validation that needs no history run on all cores; `judge`
        // only adds what depends on earlier requests (duplicate insert_ids), in order.
        // Lines of capture files were decoded where they were parsed (`fill`); the rest here.
        if !Self.allDecoded(batch) {
            let settings = ingest.settings
            let work = parallelMap(batch) { item -> ((DecodedRequest, Prevalidated)?, [EventSummary]?) in
                let decoded = item.decoded ?? self.decode(item, settings: settings)
                var request = decoded?.0
                if case .processed(let p) = item.kind { request = p.request }
                return (decoded, item.rows ?? request.flatMap { EventSummary.rows(of: $0) })
            }
            for i in batch.indices { (batch[i].decoded, batch[i].rows) = work[i] }
        }
        if options.speed != nil {
            await judgeAndAppend(&batch)
            return
        }
        await pendingDelivery?.value
        let handoff = Handoff(batch)
        pendingDelivery = Task {
            var items = handoff.take()
            await self.judgeAndAppend(&items)
        }
    }

    private static func allDecoded(_ batch: [ReplayItem]) -> Bool {
        batch.withUnsafeBufferPointer { b in b.indices.allSatisfy { b[$0].decoded != nil } }
    }

    /// A batch on its way to the task that judges it, so that the task holds the only reference
    /// to the array and can move its items out instead of copying them.
    private final class Handoff: @unchecked Sendable {  // written once before the task starts, taken once by it
        private var items: [ReplayItem]
        init(_ items: consuming [ReplayItem]) { self.items = items }
        func take() -> [ReplayItem] {
            var out: [ReplayItem] = []
            swap(&out, &items)
            return out
        }
    }

    /// Decoding and the validation that needs no history (any thread).
    private func decode(_ item: ReplayItem, settings: ValidationSettings) -> (DecodedRequest, Prevalidated)? {
        guard case .capture(let c, _) = item.kind else { return nil }
        let request = ingest.ingest.decode(c, parsedBody: item.body)
        return (request, ingest.ingest.prevalidate(request, settings: settings))
    }

    /// Judges `batch` in order and appends it to the store. The items are moved out of the
    /// array (it is emptied), so each capture and its decoded request go into its `Processed`
    /// without a copy.
    private func judgeAndAppend(_ batch: inout [ReplayItem]) async {
        var out: [(Processed, PayloadLocation?)] = []
        out.reserveCapacity(batch.count)
        var summaries: [[EventSummary]] = []
        summaries.reserveCapacity(batch.count)
        var problems = 0
        var events = 0
        batch.reverse()  // taken from the end, in the original order
        while var item = batch.popLast() {
            let p: Processed
            let location: PayloadLocation?
            switch item.kind {
            case .capture(let c, let l):
                let (request, pre) = item.decoded!
                p = ingest.judge(c, request, prevalidated: pre, now: c.receivedAt > 0 ? c.receivedAt : now())
                events += p.request.records.count
                location = l
            case .problem(let pr, let raw):
                problems += 1
                p = Self.unreadableRow(pr, raw: raw, time: item.time)
                location = nil
            case .processed(let processed):
                events += processed.request.records.count
                p = processed
                location = nil
            }
            // The rows were read on the decode threads; only the findings are added here
            // (the store's lock then only appends them).
            summaries.append(EventSummary.extract(p, rows: item.rows.take()))
            out.append((p, location))
        }
        if options.speed != nil {
            for (entry, rows) in zip(out, summaries) {
                let wait = pacer.delay(recorded: entry.0.capture.receivedAt, now: now())
                if wait > 0 { await sleep(wait) }
                await store.appendReplayed([entry], summaries: [rows])
            }
        } else {
            await store.appendReplayed(out, summaries: summaries)
        }
        update { p in
            p.captures += out.count - problems
            p.problems += problems
            p.events += events
        }
    }

    /// A row for an input line that could not be read: visible, filterable, never dropped.
    static func unreadableRow(_ pr: InputProblem, raw: [UInt8], time: Int64) -> Processed {
        let capture = Capture(receivedAt: time, source: CaptureSource(kind: .replay, name: pr.source, line: pr.line),
                              method: "-", path: "-", body: raw)
        var request = DecodedRequest(endpoint: .unknown, decoder: DecodedRequest.unreadableDecoder, body: raw,
                                     wireBodySize: raw.count, recordKind: .event)
        let f = Finding(rule: RuleID.unreadableInput, severity: .error, path: "",
                        message: "\(pr.source):\(pr.line) could not be read: \(pr.reason)")
        request.problems = [f]
        return Processed(capture: capture, request: request, findings: [f],
                         answer: EmulatedAnswer(status: 0, contentType: "text/plain; charset=utf-8", body: []))
    }

    // MARK: Sources

    private func open(_ path: String) async -> ReplaySource? {
        let name = path == "-" ? "stdin" : (path as NSString).lastPathComponent
        if path == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            return await inMemory([UInt8](data), name: name, path: path)
        }
        guard let fh = FileHandle(forReadingAtPath: path) else {
            let why = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            update { $0.problems += 1 }
            await store.appendReplayed([(Self.unreadableRow(InputProblem(source: name, line: 0, reason: "cannot open: \(why)"), raw: [], time: 0), nil)])
            return nil
        }
        let prefix = [UInt8]((try? fh.read(upToCount: 64 * 1024)) ?? Data())
        try? fh.close()
        var format = options.format ?? InputFormat.detect(prefix: prefix, name: path)
        if prefix.isEmpty { return nil }
        if Inflate.looksGzipped(prefix) {
            // Expand to a temporary file so the replay still reads by offset, with bounded memory.
            guard let expanded = expandGzip(path, name: name) else { return nil }
            return await open(expanded, displayName: name, format: options.format)
        }
        if format == nil { format = .body }
        return await open(path, displayName: name, format: format)
    }

    private func open(_ path: String, displayName: String, format: InputFormat?) async -> ReplaySource? {
        let prefix: [UInt8] = FileHandle(forReadingAtPath: path).map { h in
            defer { try? h.close() }
            return [UInt8]((try? h.read(upToCount: 64 * 1024)) ?? Data())
        } ?? []
        let fmt = format ?? InputFormat.detect(prefix: prefix, name: path) ?? .body
        switch fmt {
        case .captures:
            let fileID = await store.registerFile(path)
            return LineFileSource(path: path, name: displayName, fileID: fileID, threads: options.threads, follow: options.follow)
        case .tsLog, .pythonLog:
            let source = LogFileSource(path: path, name: displayName, format: fmt, follow: options.follow) { [weak self] lines in
                guard let self else { return }
                self.update { $0.debugLines += lines.count }
                self.onDebugLines(displayName, fmt, lines)
            }
            if !options.follow { onDebugEnd(displayName) }
            return source
        case .store:
            return StoreFileSource(path: path, name: displayName)
        case .har, .body, .gzip:
            let bytes = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data())
            return await inMemory(bytes, name: displayName, path: path, format: fmt)
        }
    }

    private func inMemory(_ bytes: [UInt8], name: String, path: String, format: InputFormat? = nil) async -> ReplaySource? {
        var items: [ReplayItem] = []
        var reader = InputFiles(format: format ?? options.format, endpoint: options.endpoint)
        if format == .gzip { reader.format = nil }
        let fmt = reader.format ?? InputFormat.detect(prefix: Array(bytes.prefix(64 * 1024)), name: path)
        if fmt == .tsLog || fmt == .pythonLog {
            var lines: [(line: Int, text: String)] = []
            for (n, l) in LineSplitter(bytes) { lines.append((n, String(decoding: l, as: UTF8.self))) }
            update { $0.debugLines += lines.count }
            onDebugLines(name, fmt!, lines)
            onDebugEnd(name)
            return nil
        }
        var lastTime: Int64 = 0
        reader.readBuffer(bytes, label: name) { event in
            switch event {
            case .capture(let c):
                lastTime = c.receivedAt
                items.append(ReplayItem(time: c.receivedAt, kind: .capture(c, nil)))
            case .problem(let pr):
                items.append(ReplayItem(time: lastTime, kind: .problem(pr, [])))
            case .skipped:
                break
            }
        }
        items.sort { $0.time < $1.time }
        return ListSource(items: items, size: Int64(bytes.count))
    }

    private func expandGzip(_ path: String, name: String) -> String? {
        guard let fh = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? fh.close() }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("ampscope-\(UUID().uuidString)-\(name).unzipped").path
        guard FileManager.default.createFile(atPath: tmp, contents: nil), let out = FileHandle(forWritingAtPath: tmp) else { return nil }
        defer { try? out.close() }
        let result = Inflate.gunzipStream(limit: 64 << 30, read: {
            guard let d = try? fh.read(upToCount: 1 << 20), !d.isEmpty else { return nil }
            return [UInt8](d)
        }, write: { chunk in try? out.write(contentsOf: Data(chunk)) })
        if case .failure(let e) = result {
            let pr = InputProblem(source: name, line: 0, reason: e.description)
            update { $0.problems += 1 }
            Task { [store] in await store.appendReplayed([(Self.unreadableRow(pr, raw: [], time: 0), nil)]) }
            try? FileManager.default.removeItem(atPath: tmp)
            return nil
        }
        return tmp
    }

    /// Parses a source's next lines into its queue (in parallel for capture lines), decoding
    /// each capture on the thread that parsed it, while its bytes are in that core's cache.
    private func fill(_ s: ReplaySource, lines: Int) {
        let settings = ingest.settings
        s.fill(lines: lines) { work in
            parallelMap(work) { parse in
                guard var item = parse() else { return nil }
                item.decoded = self.decode(item, settings: settings)
                item.body = nil  // now held by the decoded request
                // The rows' fields while the document is in this core's cache.
                if let request = item.decoded?.0 { item.rows = EventSummary.rows(of: request) }
                return item
            }
        }
    }

    private func parallelMap<T, R>(_ items: [T], _ transform: (T) -> R) -> [R] {
        let n = items.count
        guard n > 64, options.threads > 1 else { return items.map(transform) }
        // Each result is written into its place in the array (an array of optionals unwrapped
        // afterwards copied every result once more: a retain and a release per reference).
        return [R](unsafeUninitializedCapacity: n) { out, initialized in
            let base = out.baseAddress!
            let threads = options.threads
            nonisolated(unsafe) let sharedBase = base
            // Items are taken in small runs from a shared counter, so a worker whose core is
            // busy with something else (the previous batch's judging) does not hold up the batch.
            let next = Atomic<Int>(0)
            let run = 8
            items.withUnsafeBufferPointer { input in
                nonisolated(unsafe) let sharedInput = input
                withoutActuallyEscaping(transform) { t in
                    nonisolated(unsafe) let work = t
                    DispatchQueue.concurrentPerform(iterations: threads) { _ in
                        while true {
                            let start = next.add(run, ordering: .relaxed).oldValue
                            if start >= n { break }
                            for i in start..<min(n, start + run) {
                                (sharedBase + i).initialize(to: work(sharedInput[i]))
                            }
                        }
                    }
                }
            }
            // Every index below n was taken by exactly one worker.
            initialized = n
        }
    }
}
