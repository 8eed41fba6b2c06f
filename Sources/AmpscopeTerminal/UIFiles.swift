import AmpscopeUI
import Foundation

/// The UI's files: themes (`--theme NAME|PATH`, the user themes directory) and the key file.
public enum UIFiles {
    /// Reads a whole text file, or nil (missing, unreadable, not UTF-8, larger than 1 MB).
    public static func read(_ path: String) -> String? {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attrs[.size] as? NSNumber, size.intValue <= 1 << 20,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    /// The theme for `--theme` (nil: default, `AMPSCOPE_THEME`, or mono under `NO_COLOR`).
    public static func theme(_ spec: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<Theme, ThemeError> {
        ThemeResolver.resolve(spec, environment: environment, readFile: read)
    }

    /// A loader for `:theme NAME|PATH` while the UI runs.
    public static func themeLoader(environment: [String: String] = ProcessInfo.processInfo.environment) -> (String) -> Result<Theme, ThemeError> {
        { spec in ThemeResolver.resolve(spec, environment: environment, readFile: read) }
    }

    /// `$XDG_CONFIG_HOME/ampscope/keys.conf` (or `~/.config/ampscope/keys.conf`).
    public static func keyFilePath(environment env: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let x = env["XDG_CONFIG_HOME"], !x.isEmpty { return x + "/ampscope/keys.conf" }
        if let h = env["HOME"], !h.isEmpty { return h + "/.config/ampscope/keys.conf" }
        return nil
    }

    /// The standard keys with the user's key file applied. A bad file gives the standard keys
    /// and a message to show (the UI still starts).
    public static func keys(path: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> (KeyTable, String?) {
        guard let p = path ?? keyFilePath(environment: environment), let text = read(p) else { return (.standard, nil) }
        do {
            return (try KeyConfigParser.apply(text, to: .standard, source: p), nil)
        } catch {
            return (.standard, "\(error.description); using the standard keys")
        }
    }
}
