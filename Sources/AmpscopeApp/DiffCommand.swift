import AmpscopeCore
import ArgumentParser
import Foundation

/// `ampscope diff GOLDEN RUN`: compare two captures of the same QA flow (`GoldenDiff`).
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare a capture with a golden capture of the same flow.",
        discussion: """
        Aligns the events by type and order (tolerant of inserted and missing events) and reports \
        missing, extra, reordered and renamed events, properties added, removed or changed in type, \
        and changed values outside volatile fields (time, insert_id, event_id, session_id, \
        device_id, uuid, …; add more with --ignore, or compare one with --compare). Exit status: \
        0 no difference, 1 differences, 2 an input could not be read.
        """)

    @Argument(help: ArgumentHelp("The golden capture (any input `check` reads).", valueName: "golden"), completion: .file())
    var goldenPath: String

    @Argument(help: ArgumentHelp("The capture to compare with it.", valueName: "run"), completion: .file())
    var runPath: String

    @Option(name: .long, help: "Output format: text, json or junit.")
    var format: CheckCommand.OutputFormat = .text

    @Option(name: .long, help: "A further volatile field (a name, or a path such as event_properties/order_id); repeatable.")
    var ignore: [String] = []

    @Option(name: .long, help: "Compare a field that is volatile by default (e.g. device_id); repeatable.")
    var compare: [String] = []

    @OptionGroup var input: InputOptions

    func run() throws {
        let (ingest, _, reader) = try input.makeIngest()
        var problems = 0
        func events(_ path: String) -> [GoldenDiff.Event] {
            var context = ValidationContext(settings: ValidationSettings(defaultMinIdLength: input.minIDLength, expectedAPIKey: input.apiKey))
            var out: [GoldenDiff.Event] = []
            reader.read(path: path) { event in
                switch event {
                case .capture(let c):
                    let p = ingest.process(c, context: &context, now: c.receivedAt)
                    out += GoldenDiff.events(p, location: c.source.location)
                    for o in p.segmentMapping?.outcomes ?? [] { out += GoldenDiff.events(o.processed, location: c.source.location) }
                case .problem(let pr):
                    problems += 1
                    FileHandle.standardError.write(Data("ampscope: \(Sanitize.inline(pr.description, limit: 300))\n".utf8))
                case .skipped: break
                }
            }
            return out
        }
        let g = events(goldenPath)
        let r = events(runPath)
        var volatile = GoldenDiff.defaultVolatile.union(ignore)
        volatile.subtract(compare)
        let diffs = GoldenDiff(volatile: volatile).compare(golden: g, run: r)
        let out = StandardOutput()
        switch format {
        case .text: out.write(GoldenDiff.text(diffs, goldenCount: g.count, runCount: r.count))
        case .json: out.write(GoldenDiff.json(diffs, goldenCount: g.count, runCount: r.count))
        case .junit: out.write(GoldenDiff.junit(diffs, golden: g))
        }
        out.flush()
        if problems > 0 { throw ExitCode(2) }
        if !diffs.isEmpty { throw ExitCode(1) }
    }
}
