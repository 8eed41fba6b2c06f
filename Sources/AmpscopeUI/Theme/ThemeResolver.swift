/// Finds the theme to use from `--theme NAME|PATH`, the user themes directory and `NO_COLOR`.
///
/// Pure: file access is passed in, so the same rules run in tests and in the app.
/// - no `--theme`: `AMPSCOPE_THEME` if set, else `mono` when `NO_COLOR` is set, else `dark`;
/// - a value with a `/` or ending in `.theme` is a file path;
/// - a name is looked up in `$XDG_CONFIG_HOME/ampscope/themes/NAME.theme` (default
///   `~/.config/ampscope/themes`) first, so a user can replace a built-in, then among the
///   built-in themes;
/// - an explicit `--theme` wins over `NO_COLOR` (as no-color.org asks).
public enum ThemeResolver {
    /// The user themes directory for an environment.
    public static func userDirectory(environment env: [String: String]) -> String? {
        if let x = env["XDG_CONFIG_HOME"], !x.isEmpty { return x + "/ampscope/themes" }
        if let h = env["HOME"], !h.isEmpty { return h + "/.config/ampscope/themes" }
        return nil
    }

    public static func resolve(_ spec: String?, environment env: [String: String],
                               readFile: (String) -> String?) -> Result<Theme, ThemeError> {
        let noColor = !(env["NO_COLOR"] ?? "").isEmpty
        let requested = spec ?? env["AMPSCOPE_THEME"].flatMap { $0.isEmpty ? nil : $0 }
        guard let want = requested else {
            return .success(noColor ? Theme.mono : Theme.dark)
        }
        if want.contains("/") || want.hasSuffix(".theme") {
            guard let text = readFile(want) else {
                return .failure(ThemeError(source: want, line: 0, column: 0, message: "no readable theme file at this path"))
            }
            let name = String(want.split(separator: "/").last ?? Substring(want))
            return Result { () throws(ThemeError) in try ThemeParser.parse(text, name: name) }
        }
        if let dir = userDirectory(environment: env), let text = readFile(dir + "/" + want + ".theme") {
            return Result { () throws(ThemeError) in try ThemeParser.parse(text, name: want) }
        }
        if let t = BuiltinThemes.sources[want] {
            return Result { () throws(ThemeError) in try ThemeParser.parse(t, name: want) }
        }
        let dir = userDirectory(environment: env) ?? "$XDG_CONFIG_HOME/ampscope/themes"
        return .failure(ThemeError(source: want, line: 0, column: 0,
                                   message: "unknown theme: the built-in themes are \(BuiltinThemes.names.joined(separator: ", ")); put your own in \(dir)/\(want).theme or pass a file path"))
    }
}
