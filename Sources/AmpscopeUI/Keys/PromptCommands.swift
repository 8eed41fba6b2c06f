/// The `:` commands the prompt accepts.
public enum PromptCommands {
    /// `:` commands: name, argument hint, what it does (help overlay, completion, Docs/keys.md).
    public static let all: [(name: String, argument: String, help: String)] = [
        ("filter", "[EXPR]", "Filter the stream (no expression: show everything)"),
        ("search", "TEXT", "Search, as / does"),
        ("clear", "", "Clear the capture store"),
        ("export", "FILE", "Write the captures of the events shown to a capture file"),
        ("theme", "NAME|PATH", "Switch theme (dark, light, high-contrast, mono, or a file)"),
        ("mouse", "on|off", "Turn mouse reporting on or off"),
        ("follow", "", "Follow the newest event"),
        ("pause", "", "Stop following (capture goes on)"),
        ("marked", "", "Show only marked events, or all again"),
        ("unmark", "", "Remove every mark"),
        ("goto", "CAPTURE-ID", "Select the first event of a capture"),
        ("tab", "payload|findings|request|debug", "Open an inspector tab"),
        ("wrap", "", "Wrap long strings, or elide them"),
        ("raw", "", "Raw request body, or pretty"),
        ("help", "", "Show the keys"),
        ("setup", "", "Show how to point an SDK at ampscope"),
        ("quit", "", "Quit (also :q)"),
    ]
}
