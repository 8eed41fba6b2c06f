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

    /// The standard keys with the user's key file applied. A bad default file gives the
    /// standard keys and a message to show (the UI still starts). A file named with `--keys`
    /// (`path`) that is missing, unreadable or wrong gives a message too; the caller refuses to
    /// start on it rather than silently running with other keys than the user asked for.
    public static func keys(path: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> (KeyTable, String?) {
        if let p = path {
            guard let text = read(p) else { return (.standard, "cannot read \(p) (missing, unreadable, not UTF-8 or over 1 MB)") }
            do { return (try KeyConfigParser.apply(text, to: .standard, source: p), nil) } catch { return (.standard, error.description) }
        }
        guard let p = keyFilePath(environment: environment), let text = read(p) else { return (.standard, nil) }
        do {
            return (try KeyConfigParser.apply(text, to: .standard, source: p), nil)
        } catch {
            return (.standard, "\(error.description); using the standard keys")
        }
    }
}
