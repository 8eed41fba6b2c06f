import AmpscopeCore
import ArgumentParser

/// The `ampscope` command. With no subcommand it runs `live`: the capture proxy in sink mode
/// on 127.0.0.1:8787 with a new store, and the terminal UI.
public struct AmpscopeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ampscope",
        abstract: "A terminal debugger for Amplitude analytics instrumentation.",
        discussion: """
        With no subcommand, ampscope runs `live`: it starts the capture proxy (sink mode, \
        answering like Amplitude) and opens the terminal UI. Point an SDK's server URL at \
        http://127.0.0.1:8787/2/httpapi, or try it with `ampscope --demo`. Press ? in the UI for keys.
        """,
        version: AmpscopeVersion.current,
        subcommands: [LiveCommand.self, CheckCommand.self, ProxyCommand.self, ReplayCommand.self, ExportCommand.self, ProfileCommand.self,
                      PlanCommand.self, DiffCommand.self, CACommand.self],
        defaultSubcommand: LiveCommand.self
    )

    public init() {}
}

/// `ampscope live` (the default): proxy + store + terminal UI.
struct LiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Capture live traffic in the terminal UI (the default command).",
        discussion: """
        Starts the capture proxy (sink mode unless --forward) and the terminal UI on the same \
        store. --demo feeds generated traffic through the same ingestion path; --replay adds \
        recorded files beside live capture.
        """)

    @OptionGroup var live: LiveOptions

    func validate() throws { try live.validateOptions() }

    func run() async throws {
        try await LiveSession(options: live).run()
    }
}
