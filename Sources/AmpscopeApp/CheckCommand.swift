import AmpscopeCore
import ArgumentParser
import Foundation

/// `ampscope check`: validate captured traffic offline, for CI and scripts.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate captured requests against Amplitude's rules and show what Amplitude would answer.",
        discussion: """
        Reads ampscope capture files and the recorded-fixture line shape (JSON Lines), HAR 1.2 \
        exports, and raw request bodies (use --endpoint to say which API a body was for). \
        gzip-compressed files are expanded. Exit status: 0 no error findings, 1 error findings, \
        2 an input could not be read.
        """)

    @Argument(help: "Input files (- reads standard input).", completion: .file())
    var files: [String]

    @Option(name: .long, help: "Output format: text, json or junit.")
    var format: OutputFormat = .text

    @OptionGroup var input: InputOptions

    @Option(name: .long, help: "Colour for text output: auto, always or never (NO_COLOR is honoured).")
    var color: ColorMode = .auto

    @Flag(name: .customLong("no-redact"), help: "Show API keys unmasked.")
    var noRedact = false

    @Option(name: .long, help: "A tracking plan (ampscope YAML, or any format `plan convert` reads): adds plan-* findings (Docs/plan.md).", completion: .file())
    var plan: String?

    @Flag(name: .long, help: "With --plan: report the plan's coverage (events seen, valid, properties never seen).")
    var coverage = false

    @Flag(name: .customLong("require-all"), help: "With --plan: exit 1 when a planned event was never seen or any instance broke the plan.")
    var requireAll = false

    func validate() throws {
        if (coverage || requireAll) && plan == nil { throw ValidationError("--coverage and --require-all need --plan FILE") }
    }

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json, junit }

    func run() throws {
        var (ingest, initialContext, reader) = try input.makeIngest()
        var context = initialContext
        var planCoverage: PlanCoverage?
        if let checker = try PlanFile.checker(plan) {
            ingest.plan = checker
            // The coverage count costs a record's tally per record: only when it is reported.
            if coverage || requireAll {
                ingest.tallyPlanCoverage = true
                planCoverage = PlanCoverage(checker)
            }
        }
        var formatter: any ReportFormatter
        switch format {
        case .text: formatter = TextReport(style: color.useColor(stdoutFD: 1) ? .ansi : .plain, redactKeys: !noRedact)
        case .json: formatter = JSONReport(version: AmpscopeVersion.current, redactKeys: !noRedact)
        case .junit: formatter = JUnitReport()
        }
        let out = StandardOutput()
        out.write(formatter.begin())
        var summary = CheckSummary()
        for file in files {
            summary.files.append(file)
            reader.read(path: file) { event in
                switch event {
                case .capture(let c):
                    let now = c.receivedAt > 0 ? c.receivedAt : Int64(Date().timeIntervalSince1970 * 1000)
                    let p = ingest.process(c, context: &context, now: now)
                    summary.add(p)
                    planCoverage?.add(p)
                    out.write(formatter.item(p))
                case .problem(let pr):
                    summary.problems += 1
                    FileHandle.standardError.write(Data("ampscope: \(Sanitize.inline(pr.description, limit: 300))\n".utf8))
                    out.write(formatter.problem(pr))
                case .skipped(let n):
                    summary.skipped += n
                }
            }
            out.write(formatter.fileDone(file))
        }
        var exitCode = summary.exitCode
        if let cov = planCoverage {
            if requireAll, exitCode == 0, !cov.neverSeen.isEmpty || !cov.withInvalid.isEmpty { exitCode = 1 }
            if coverage || requireAll {
                switch format {
                case .text: break
                case .json:
                    var w = JSONWriter()
                    cov.writeJSON(&w)
                    if var f = formatter as? JSONReport { f.extraMembers.append(("coverage", w.bytes)); formatter = f }
                case .junit:
                    if var f = formatter as? JUnitReport { f.extraSuite = cov.junit(requireAll: requireAll); formatter = f }
                }
            }
        }
        out.write(formatter.end(summary))
        if let cov = planCoverage, coverage || requireAll, format == .text {
            out.write("\n" + cov.text())
            if requireAll {
                if !cov.neverSeen.isEmpty { out.write("never seen (--require-all): \(cov.neverSeen.map { Sanitize.inline($0, limit: 60) }.joined(separator: ", "))\n") }
                if !cov.withInvalid.isEmpty { out.write("with invalid instances: \(cov.withInvalid.map { Sanitize.inline($0, limit: 60) }.joined(separator: ", "))\n") }
            }
        }
        out.flush()
        if exitCode != 0 { throw ExitCode(exitCode) }
    }
}

enum ColorMode: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    func useColor(stdoutFD: Int32) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            let env = ProcessInfo.processInfo.environment
            if let nc = env["NO_COLOR"], !nc.isEmpty { return false }
            if env["TERM"] == "dumb" { return false }
            return isatty(stdoutFD) == 1
        }
    }
}

/// Buffered stdout (one write per 64 KiB, not per line).
final class StandardOutput {
    private var buffer: [UInt8] = []
    func write(_ s: String) {
        guard !s.isEmpty else { return }
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 64 * 1024 { flush() }
    }
    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { p in
            var off = 0
            while off < p.count {
                let n = Foundation.write(1, p.baseAddress! + off, p.count - off)
                if n <= 0 { break }
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
    deinit { flush() }
}
