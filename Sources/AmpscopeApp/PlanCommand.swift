import AmpscopeCore
import ArgumentParser
import Foundation

/// `ampscope plan`: tracking plans (Docs/plan.md).
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Convert tracking plans to ampscope's format, or infer one from captured traffic.",
        subcommands: [PlanConvertCommand.self, PlanInferCommand.self])
}

/// `ampscope plan convert FILE`: another tool's plan (or ampscope's) written as ampscope YAML.
struct PlanConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Write a plan exported from another tool as an ampscope plan (YAML, on standard output).",
        discussion: """
        Reads Amplitude Data CSV exports, Taxonomy API JSON, Iteratively/Ampli JSON Schemas, \
        Segment Protocols plans (Config API and Public API shapes), Avo JSON Schema exports and \
        ampscope's own YAML or JSON; the format is detected. Exit status: 0 written, 2 unreadable.
        """)

    @Argument(help: "The plan file (- reads standard input).", completion: .file())
    var file: String

    @Option(name: .long, help: "Output format: yaml (default) or json.")
    var format: OutFormat = .yaml

    enum OutFormat: String, ExpressibleByArgument, CaseIterable { case yaml, json }

    func run() throws {
        let loaded: (plan: Plan, source: PlanImport.Source)
        do { loaded = try PlanFile.load(file) } catch {
            FileHandle.standardError.write(Data("ampscope: \(error.localizedDescription)\n".utf8))
            throw ExitCode(2)
        }
        let out = StandardOutput()
        out.write(format == .yaml ? PlanYAML.emit(loaded.plan) : PlanJSON.text(PlanFormat.node(loaded.plan)))
        out.flush()
        let p = loaded.plan
        FileHandle.standardError.write(Data("ampscope: read \(loaded.source.rawValue): \(p.events.count) events, \(p.user.properties.count) user properties, \(p.groups.count) group types\n".utf8))
    }
}

/// `ampscope plan infer FILE...`: a plan from observed traffic.
struct PlanInferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Infer a tracking plan from captured traffic (YAML on standard output).",
        discussion: """
        Every event type seen, its properties with their types, required where present on every \
        instance, enums for string properties with few values each seen more than once; user \
        properties and group types likewise. Review it before using it as a gate.
        """)

    @Argument(help: "Input files, as for `check` (- reads standard input).", completion: .file())
    var files: [String]

    @OptionGroup var input: InputOptions

    @Option(name: .long, help: "A name for the plan.")
    var name: String?

    func run() throws {
        let (ingest, initialContext, reader) = try input.makeIngest()
        var context = initialContext
        var inference = PlanInference()
        var problems = 0
        for file in files {
            reader.read(path: file) { event in
                switch event {
                case .capture(let c):
                    inference.add(ingest.process(c, context: &context, now: c.receivedAt))
                case .problem(let pr):
                    problems += 1
                    FileHandle.standardError.write(Data("ampscope: \(Sanitize.inline(pr.description, limit: 300))\n".utf8))
                case .skipped: break
                }
            }
        }
        let out = StandardOutput()
        out.write(PlanYAML.emit(inference.plan(name: name)))
        out.flush()
        if problems > 0 { throw ExitCode(2) }
    }
}

/// Plan trees written as JSON (for `plan convert --format json`).
enum PlanJSON {
    static func text(_ n: PlanNode) -> String {
        var w = JSONWriter()
        write(n, &w)
        return w.text + "\n"
    }

    static func write(_ n: PlanNode, _ w: inout JSONWriter) {
        switch n {
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .int(let i): w.int64(i)
        case .double(let d): w.double(d)
        case .string(let s): w.string(s)
        case .list(let l):
            w.beginArray()
            for e in l { write(e, &w) }
            w.endArray()
        case .map(let m):
            w.beginObject()
            for (k, v) in m { w.key(k); write(v, &w) }
            w.endObject()
        }
    }
}
