import CZlib

extension Inflate {
    /// Expands a gzip stream chunk by chunk: `read` supplies compressed chunks (nil at the end),
    /// `write` receives expanded chunks. Stops with an error past `limit` output bytes.
    /// Returns the number of bytes written.
    public static func gunzipStream(limit: Int, read: () -> [UInt8]?, write: ([UInt8]) -> Void) -> Result<Int, InflateError> {
        var stream = z_stream()
        guard ampscope_inflate_init(&stream) == Z_OK else { return .failure(.corrupt("zlib could not start")) }
        defer { inflateEnd(&stream) }
        let chunk = 256 * 1024
        var out = [UInt8](repeating: 0, count: chunk)
        var total = 0
        var consumed = 0
        var finished = false
        while let input = read() {
            if input.isEmpty { continue }
            var inBuf = input
            let status: Result<Void, InflateError> = inBuf.withUnsafeMutableBufferPointer { ib in
                stream.next_in = ib.baseAddress
                stream.avail_in = UInt32(ib.count)
                while stream.avail_in > 0 {
                    if finished {
                        // Concatenated members: start the next one.
                        guard inflateReset(&stream) == Z_OK else { return .failure(.corrupt("cannot restart after a member")) }
                        finished = false
                    }
                    let st: Int32 = out.withUnsafeMutableBufferPointer { ob in
                        stream.next_out = ob.baseAddress
                        stream.avail_out = UInt32(chunk)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                    let produced = chunk - Int(stream.avail_out)
                    total += produced
                    if total > limit { return .failure(.tooLarge(limit: limit)) }
                    if produced > 0 { write(Array(out[0..<produced])) }
                    switch st {
                    case Z_STREAM_END: finished = true
                    case Z_OK, Z_BUF_ERROR: continue
                    default:
                        let msg = stream.msg.map { String(cString: $0) } ?? "zlib status \(st)"
                        return .failure(.corrupt(msg))
                    }
                }
                return .success(())
            }
            consumed += input.count
            if case .failure(let e) = status { return .failure(e) }
        }
        // Drain what zlib still holds.
        while !finished {
            let st: Int32 = out.withUnsafeMutableBufferPointer { ob in
                stream.next_out = ob.baseAddress
                stream.avail_out = UInt32(chunk)
                stream.next_in = nil
                stream.avail_in = 0
                return inflate(&stream, Z_FINISH)
            }
            let produced = chunk - Int(stream.avail_out)
            total += produced
            if total > limit { return .failure(.tooLarge(limit: limit)) }
            if produced > 0 { write(Array(out[0..<produced])) }
            if st == Z_STREAM_END { finished = true; break }
            if produced == 0 { return .failure(.truncated(consumed: consumed)) }
        }
        return .success(total)
    }
}
