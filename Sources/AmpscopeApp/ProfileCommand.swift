import AmpscopeCore
import ArgumentParser
import Foundation

/// `ampscope profile`: the user and group profiles Amplitude would build from recorded traffic.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Simulate the user and group profiles Amplitude builds from captured requests.",
        discussion: """
        Reads the same inputs as `ampscope check` (capture lines, fixture lines, HAR, raw bodies), \
        judges each request as Amplitude would, and folds the accepted events into profiles: users \
        resolved from user_id and device_id, their properties after every identify operation, \
        group profiles, and what each event changed. Prints the final profiles, or with --at N the \
        state after the N-th event. --user, --device and --group print one profile with its \
        change history. See Docs/profiles.md and Docs/cli.md. Exit status: 0, or 2 when an input \
        could not be read.
        """)

    @Argument(help: "Input files (- reads standard input), read in order.", completion: .file())
    var files: [String]

    @Option(name: .long, help: "Only the user with this user_id, with its change history.")
    var user: String?

    @Option(name: .long, help: "Only the user this device_id's events go to, with its change history.")
    var device: String?

    @Option(name: .long, help: "Only the group TYPE:VALUE (e.g. org:acme), with its change history.")
    var group: String?

    @Option(name: .long, help: "The state after the N-th event (1 = the first event of the input).")
    var at: Int?

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @OptionGroup var input: InputOptions

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

    func validate() throws {
        if let at, at < 0 { throw ValidationError("--at must be 0 or more") }
        if [user, device, group].compactMap({ $0 }).count > 1 {
            throw ValidationError("--user, --device and --group select one profile: give only one of them")
        }
        if let g = group, parsedGroup(g) == nil { throw ValidationError("--group takes TYPE:VALUE, e.g. org:acme") }
    }

    /// `TYPE:VALUE`, split at the first colon (values may hold colons).
    func parsedGroup(_ s: String) -> (type: String, value: String)? {
        guard let colon = s.firstIndex(of: ":") else { return nil }
        let type = String(s[..<colon])
        let value = String(s[s.index(after: colon)...])
        return type.isEmpty || value.isEmpty ? nil : (type, value)
    }

    func run() throws {
        let (ingest, initialContext, reader) = try input.makeIngest()
        var context = initialContext
        var simulator = ProfileSimulator(options: ProfileOptions(stopAfterEvent: at))
        var requests: Int64 = 0
        var problems = 0
        for file in files {
            reader.read(path: file) { event in
                switch event {
                case .capture(let c):
                    let now = c.receivedAt > 0 ? c.receivedAt : Int64(Date().timeIntervalSince1970 * 1000)
                    requests += 1
                    simulator.apply(ingest.process(c, context: &context, now: now), captureID: requests)
                case .problem(let pr):
                    problems += 1
                    FileHandle.standardError.write(Data("ampscope: \(Sanitize.inline(pr.description, limit: 300))\n".utf8))
                case .skipped:
                    break
                }
            }
        }
        var selection = ProfileSnapshot.Selection.all
        if let user { selection = .userID(user) }
        if let device { selection = .deviceID(device) }
        if let g = group.flatMap(parsedGroup) { selection = .group(type: g.type, value: g.value) }
        let snapshot = simulator.snapshot(selection, at: at)
        if selection != .all && snapshot.users.isEmpty && snapshot.groups.isEmpty {
            FileHandle.standardError.write(Data("ampscope: no such profile in the input\n".utf8))
        }
        let out = StandardOutput()
        out.write(format == .json ? ProfileReport.json(snapshot) : ProfileReport.text(snapshot))
        out.flush()
        if problems > 0 { throw ExitCode(2) }
    }
}
