import CZlib

/// Why a compressed body could not be expanded.
public enum InflateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The output would exceed the cap (a decompression bomb, or just too big).
    case tooLarge(limit: Int)
    /// The stream ended before the compressed data did.
    case truncated(consumed: Int)
    /// The bytes are not a valid gzip/zlib/deflate stream.
    case corrupt(String)

    public var description: String {
        switch self {
        case .tooLarge(let limit):
            return "decompressed body would exceed \(ByteCount.format(limit)); decompression stopped (possible gzip bomb)"
        case .truncated(let n):
            return "compressed body is truncated after \(n) bytes"
        case .corrupt(let why):
            return "compressed body is corrupt: \(why)"
        }
    }
}

/// gzip / zlib / raw-deflate expansion with a hard output cap, using the system zlib.
public enum Inflate {
    /// Expands gzip or zlib data (header auto-detected). Never produces more than `limit` bytes.
    public static func gunzip(_ input: [UInt8], limit: Int) -> Result<[UInt8], InflateError> {
        run(input, limit: limit, raw: false)
    }

    /// `Content-Encoding: deflate`: zlib-wrapped per RFC, but some senders send raw deflate.
    public static func inflateDeflate(_ input: [UInt8], limit: Int) -> Result<[UInt8], InflateError> {
        let first = run(input, limit: limit, raw: false)
        if case .failure(.corrupt) = first { return run(input, limit: limit, raw: true) }
        return first
    }

    static func run(_ input: [UInt8], limit: Int, raw: Bool) -> Result<[UInt8], InflateError> {
        var stream = z_stream()
        let initStatus = raw ? ampscope_inflate_init_raw(&stream) : ampscope_inflate_init(&stream)
        guard initStatus == Z_OK else { return .failure(.corrupt("zlib could not start (\(initStatus))")) }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        out.reserveCapacity(min(limit, max(input.count * 4, 1024)))
        let chunk = 64 * 1024
        var buffer = [UInt8](repeating: 0, count: chunk)
        var input = input
        let total = input.count
        return input.withUnsafeMutableBufferPointer { inBuf -> Result<[UInt8], InflateError> in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { ob in
                    stream.next_out = ob.baseAddress
                    stream.avail_out = UInt32(chunk)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk - Int(stream.avail_out)
                if out.count + produced > limit { return .failure(.tooLarge(limit: limit)) }
                out.append(contentsOf: buffer[0..<produced])
                switch status {
                case Z_STREAM_END:
                    // Concatenated gzip members are legal; continue if input remains.
                    if stream.avail_in > 0 && !raw {
                        let consumed = total - Int(stream.avail_in)
                        if inflateReset(&stream) != Z_OK { return .success(out) }
                        stream.next_in = inBuf.baseAddress! + consumed
                        continue
                    }
                    return .success(out)
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 { return .failure(.truncated(consumed: total)) }
                    if produced == 0 { return .failure(.corrupt("no progress")) }
                    continue
                case Z_DATA_ERROR:
                    let msg = stream.msg.map { String(cString: $0) } ?? "invalid data"
                    return .failure(.corrupt(msg))
                case Z_MEM_ERROR:
                    return .failure(.corrupt("out of memory"))
                default:
                    if stream.avail_in == 0 { return .failure(.truncated(consumed: total)) }
                    return .failure(.corrupt("zlib status \(status)"))
                }
            }
        }
    }

    /// Compresses `input` as gzip (for exports and tests).
    public static func gzip(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        guard ampscope_deflate_init_gzip(&stream, level) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var input = input
        var out: [UInt8] = []
        let chunk = 64 * 1024
        var buffer = [UInt8](repeating: 0, count: chunk)
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { ob in
                    stream.next_out = ob.baseAddress
                    stream.avail_out = UInt32(chunk)
                    return deflate(&stream, Z_FINISH)
                }
                out.append(contentsOf: buffer[0..<(chunk - Int(stream.avail_out))])
                if status == Z_STREAM_END || status < 0 { break }
            }
        }
        return out
    }

    /// True when the bytes start with the gzip magic number.
    public static func looksGzipped(_ b: some Collection<UInt8>) -> Bool {
        var it = b.makeIterator()
        return it.next() == 0x1F && it.next() == 0x8B
    }
}

/// Human byte sizes ("1 MiB", "20 MB").
public enum ByteCount {
    public static func format(_ n: Int) -> String {
        if n >= 1 << 20 && n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
        if n >= 1 << 10 && n % (1 << 10) == 0 { return "\(n >> 10) KiB" }
        if n >= 1_000_000 { return String(format1(Double(n) / 1_000_000)) + " MB" }
        if n >= 1_000 { return String(format1(Double(n) / 1_000)) + " kB" }
        return "\(n) bytes"
    }
    static func format1(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
