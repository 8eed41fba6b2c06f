import AmpscopeCore
import ArgumentParser

/// The `ampscope` command: subcommands for CI and scripts.
public struct AmpscopeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ampscope",
        abstract: "A terminal debugger for Amplitude analytics instrumentation.",
        version: AmpscopeVersion.current,
        subcommands: [CheckCommand.self, ProxyCommand.self, ExportCommand.self]
    )

    public init() {}
}
