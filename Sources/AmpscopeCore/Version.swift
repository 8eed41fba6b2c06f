/// ampscope's version, shown by `--version`, the status endpoint and exports.
public enum AmpscopeVersion {
    public static let current = "0.1.0"
}
