import AmpscopeCore
import ArgumentParser

/// The `ampscope` command. With no subcommand it runs the live session: the capture proxy in
/// sink mode on 127.0.0.1:8787 with a new store, and the terminal UI.
public struct AmpscopeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ampscope",
        abstract: "A terminal debugger for Amplitude analytics instrumentation.",
        discussion: """
        With no subcommand, ampscope starts the capture proxy (sink mode, answering like \
        Amplitude) and opens the terminal UI. Point an SDK's server URL at \
        http://127.0.0.1:8787/2/httpapi, or try it with --demo. Press ? in the UI for keys.
        """,
        version: AmpscopeVersion.current,
        subcommands: [CheckCommand.self, ProxyCommand.self, ReplayCommand.self, ExportCommand.self]
    )

    @OptionGroup var live: LiveOptions

    public init() {}

    public func validate() throws { try live.validateOptions() }

    public func run() async throws {
        try await LiveSession(options: live).run()
    }
}
