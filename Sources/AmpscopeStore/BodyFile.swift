import AmpscopeCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The request bodies of a store, in a file of their own beside the database (`STORE-bodies`).
///
/// The writer appends a batch's bodies with one write before the batch's transaction, and each
/// row keeps its body's offset and length (`capture.body_offset`, `capture.body_length`). A body
/// written into SQLite went to the WAL and then again into the database file as overflow pages:
/// about 45 KB of writes per 13.8 KB request under the proxy bench (Docs/proxy.md). Here it is
/// written once.
///
/// Nothing a row names is ever overwritten: bytes past the last committed row (a batch whose
/// transaction failed, a process killed between the write and the commit) are written over by the
/// next batch or stay unreferenced. A process kill loses nothing that was acknowledged: the
/// bytes are in the kernel before the row commits. Power loss is covered as for the database
/// (`synchronous=NORMAL`): the checkpointer syncs this file before each pass, so rows that reach
/// the database file have their bodies on disk; a body that is missing when read is reported as
/// such (`BodyFile.Missing`), never invented. A file found shorter than the rows say (the store
/// keeps how far they go) has the missing stretch recorded as lost, and new bodies go after it:
/// an old row never reads a newer body.
final class BodyFile: Sendable {
    let path: String
    /// -1: no file (a read-only store written before bodies moved out, or one without bodies yet).
    private let fd: Int32
    /// Where the next batch goes: the file's size when opened, then the end of the last batch.
    private let end: Guarded<Int64>
    /// Stretches the rows name that the file no longer holds: recorded by earlier opens, and the
    /// one found at this open (`lostAtOpen`).
    private let gaps: [Range<Int64>]
    /// The file was shorter than the rows say when opened: this stretch is lost. New bodies go
    /// after it; the store records it (`body_gap`) so that it never reads as the hole's zeros.
    let lostAtOpen: Range<Int64>?

    static func path(forStore store: String) -> String { store + "-bodies" }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// Opens (read-write: creates, owner-only) the bodies file of the store at `storePath`.
    /// Read-only, a missing file is no error: reads then fail with `Missing`. `recordedEnd`: the
    /// end of the last body the store's rows name; `gaps`: stretches recorded lost before.
    init(storePath: String, readOnly: Bool, recordedEnd: Int64 = 0, gaps: [Range<Int64>] = []) throws {
        path = Self.path(forStore: storePath)
        let fd = open(path, readOnly ? O_RDONLY | O_CLOEXEC : O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 && !(readOnly && errno == ENOENT) {
            throw Missing(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        var size: Int64 = 0
        if fd >= 0 {
            var st = stat()
            if fstat(fd, &st) == 0 { size = Int64(st.st_size) }
        }
        lostAtOpen = size < recordedEnd ? size..<recordedEnd : nil
        self.gaps = gaps + (lostAtOpen.map { [$0] } ?? [])
        end = Guarded(max(size, recordedEnd))
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Appends `bodies` back to back with one write and returns where each starts. On an error
    /// (a full disk) nothing is placed: the caller fails the batch, and the next batch writes over
    /// whatever part of this one reached the file.
    func append(_ bodies: [[UInt8]]) throws -> [Int64] {
        guard fd >= 0 else { throw Missing(description: "\(path) is not open for writing") }
        return try end.withLock { end -> [Int64] in
            var offsets: [Int64] = []
            offsets.reserveCapacity(bodies.count)
            var total = 0
            for b in bodies {
                offsets.append(end + Int64(total))
                total += b.count
            }
            var buffer = [UInt8]()
            buffer.reserveCapacity(total)
            for b in bodies { buffer.append(contentsOf: b) }
            try buffer.withUnsafeBytes { raw in try Self.writeAll(fd, raw, at: end, path: path) }
            end += Int64(total)
            return offsets
        }
    }

    /// The `length` bytes at `offset`.
    func read(offset: Int64, length: Int) throws -> [UInt8] {
        guard fd >= 0 else { throw Missing(description: "a body is stored in \(path), which is missing") }
        // A damaged row may name any place: negative, or so far that the end overflows.
        let (stop, overflow) = offset.addingReportingOverflow(Int64(length))
        guard offset >= 0, length >= 0, !overflow else { throw Missing(description: "a body's place in \(path) is invalid (\(offset), \(length))") }
        if length > 0, let gap = gaps.first(where: { $0.overlaps(offset..<stop) }) {
            throw Missing(description: "a body of \(length) bytes at \(offset) was lost: \(path) held only \(gap.lowerBound) of the \(gap.upperBound) bytes its rows named when the store was opened (a power loss, or the database copied without it)")
        }
        // Checked before allocating: a damaged row must not ask for terabytes.
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Missing(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
        guard stop <= Int64(st.st_size) else { throw pastTheEnd(offset, length) }
        var out = [UInt8](repeating: 0, count: length)
        let (done, error) = out.withUnsafeMutableBytes { preadFully(fd, into: $0, at: offset) }
        if error != 0 { throw Missing(description: "cannot read \(path): \(String(cString: strerror(error)))") }
        if done < length { throw pastTheEnd(offset, length) }
        return out
    }

    private func pastTheEnd(_ offset: Int64, _ length: Int) -> Missing {
        Missing(description: "a body of \(length) bytes at \(offset) is past the end of \(path) (a power loss, or a truncated copy of the store)")
    }

    /// Writes the file's data to disk (the checkpointer, before a pass).
    func sync() { if fd >= 0 { _ = fdatasync(fd) } }

    private static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer, at offset: Int64, path: String) throws {
        var done = 0
        while done < raw.count {
            let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw Missing(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
            done += n
        }
    }
}
