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
        let settings = ValidationSettings(defaultMinIdLength: input.minIDLength, expectedAPIKey: input.apiKey)
        func events(_ path: String) -> [GoldenDiff.Event] {
            var out: [GoldenDiff.Event] = []
            problems += GoldenRun.judge(path, reader: reader, ingest: ingest, settings: settings) { p, location in
                out += GoldenDiff.events(p, location: location)
                for o in p.segmentMapping?.outcomes ?? [] { out += GoldenDiff.events(o.processed, location: location) }
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

/// A golden run read for comparison: `ampscope diff` and `--golden` in the terminal UI.
enum GoldenRun {
    /// Reads `path` with `reader`, judges each request with `ingest` and hands it out with its
    /// location; problems are reported on standard error and counted.
    static func judge(_ path: String, reader: InputFiles, ingest: Ingest, settings: ValidationSettings,
                      _ each: (Processed, String) -> Void) -> Int {
        var context = ValidationContext(settings: settings)
        var problems = 0
        reader.read(path: path) { event in
            switch event {
            case .capture(let c): each(ingest.process(c, context: &context, now: c.receivedAt), c.source.location)
            case .problem(let pr):
                problems += 1
                FileHandle.standardError.write(Data("ampscope: \(Sanitize.inline(pr.description, limit: 300))\n".utf8))
            case .skipped: break
            }
        }
        return problems
    }

    /// The matcher for a command's `--golden` option (nil without one); a file that cannot be
    /// read, or holds no event, ends the command with exit code 2.
    static func matcher(_ path: String?, reader: InputFiles = InputFiles(), ingest: Ingest, settings: ValidationSettings) throws -> (matcher: GoldenMatcher, source: String)? {
        guard let path else { return nil }
        var requests: [Processed] = []
        var locations: [String] = []
        let problems = judge(path, reader: reader, ingest: ingest, settings: settings) { p, location in
            requests.append(p)
            locations.append(location)
        }
        let matcher = GoldenMatcher(golden: requests, locations: locations)
        if matcher.golden.isEmpty {
            FileHandle.standardError.write(Data("ampscope: the golden run \(Sanitize.inline(path, limit: 200)) holds no event\(problems > 0 ? " it could read" : "")\n".utf8))
            throw ExitCode(2)
        }
        return (matcher, path)
    }
}
