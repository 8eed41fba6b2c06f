import Foundation

/// What followed files (`--follow`, `--debug-log FILE`) are told apart and measured by.
enum FileStat {
    /// Device and inode: a new value at the same path means the file was rotated or recreated.
    static func identity(_ path: String) -> UInt64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_dev) &* 1_000_003 &+ UInt64(st.st_ino)
    }

    static func size(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_size)
    }
}
