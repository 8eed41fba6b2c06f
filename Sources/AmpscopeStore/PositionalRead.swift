#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads with `pread` until `buffer` is full, the file ends, or a read fails (`EINTR` retried):
/// the loop the bodies file, the spill file and replayed files share.
/// Returns the bytes read (fewer than asked at the end of the file) and the `errno` of a failed
/// read (0 if none failed).
func preadFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> (count: Int, error: Int32) {
    guard let base = buffer.baseAddress else { return (0, 0) }
    var done = 0
    while done < buffer.count {
        let n = pread(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
        if n < 0 {
            if errno == EINTR { continue }
            return (done, errno)
        }
        if n == 0 { break }
        done += n
    }
    return (done, 0)
}
