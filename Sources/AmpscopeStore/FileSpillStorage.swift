import AmpscopeCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The profile simulator's spilled history (`ProfileSpillStorage`) in a temporary file.
///
/// The file is created owner-only (0600) in `directory` and unlinked at once, so it has no
/// name while ampscope runs and its space returns to the disk when the process ends, however
/// it ends (a `kill -9` leaves nothing behind). Appends go to the end with `pwrite`; reads use
/// `pread`, so the records read back come from the page cache without counting towards the
/// process's resident memory (a mapping would). A failed write (a full disk) is reported as
/// such: the simulator keeps those records in memory and tries again later.
public final class FileSpillStorage: ProfileSpillStorage, Sendable {
    private let fd: Int32
    private let end = Guarded(0)
    /// Bytes written, for the status document and the tests.
    public var size: Int { end.withLock { $0 } }

    /// Creates the file in `directory` (default: `$TMPDIR`, else `/tmp`); nil when it cannot.
    public init?(directory: String? = nil) {
        let dir = directory ?? Self.temporaryDirectory
        var template = Array("\(dir)/ampscope-profiles-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        fchmod(fd, 0o600)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
    }

    deinit { close(fd) }

    static var temporaryDirectory: String {
        if let t = getenv("TMPDIR"), t.pointee != 0 {
            let s = String(cString: t)
            return s.hasSuffix("/") && s.count > 1 ? String(s.dropLast()) : s
        }
        return "/tmp"
    }

    public func append(_ bytes: UnsafeRawBufferPointer) -> Int? {
        end.withLock { end -> Int? in
            var done = 0
            while done < bytes.count {
                let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(end + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    // Nothing past `end` counts: the next append writes over what part of this
                    // one reached the file.
                    return nil
                }
                done += n
            }
            let at = end
            end += bytes.count
            return at
        }
    }

    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard offset >= 0, offset + buffer.count <= size else { return false }
        let (done, error) = preadFully(fd, into: buffer, at: Int64(offset))
        return error == 0 && done == buffer.count
    }
}
