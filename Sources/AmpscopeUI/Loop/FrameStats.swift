/// The UI loop's own frame counter: how many frames were drawn and how long each took (render
/// into cells plus presenting them to the terminal), as a histogram of 128 log-spaced buckets so
/// percentiles cost nothing to keep. `ampscope` prints it as the UI ends when
/// `AMPSCOPE_FRAME_STATS` asks for it, so a soak or a user can say how the UI kept up.
public struct FrameStats: Sendable, Equatable {
    public private(set) var frames = 0
    public private(set) var totalNanoseconds: UInt64 = 0
    public private(set) var maxNanoseconds: UInt64 = 0
    /// Bucket 4·L + q counts frames of [2^L·(1 + q/4), 2^L·(1 + (q+1)/4)) microseconds: each
    /// doubling split in four equal parts.
    private var buckets = [Int](repeating: 0, count: 128)

    public init() {}

    static func bucket(_ nanoseconds: UInt64) -> Int {
        let us = max(1, nanoseconds / 1000)
        let log2 = 63 - us.leadingZeroBitCount
        // Two bits below the leading one pick the quarter of the doubling.
        let frac = log2 >= 2 ? Int((us >> (log2 - 2)) & 3) : Int((us << (2 - log2)) & 3)
        return min(127, log2 * 4 + frac)
    }

    /// Upper bound of a bucket, in milliseconds.
    static func upperMilliseconds(_ k: Int) -> Double {
        let log2 = k / 4
        let frac = k % 4
        let us = Double(UInt64(1) << log2) * (1 + Double(frac + 1) / 4)
        return us / 1000
    }

    public mutating func record(nanoseconds: UInt64) {
        frames += 1
        totalNanoseconds += nanoseconds
        maxNanoseconds = max(maxNanoseconds, nanoseconds)
        buckets[Self.bucket(nanoseconds)] += 1
    }

    /// The frame time below which a fraction `q` of frames fell, in milliseconds (a bucket's upper
    /// bound, so at most 19 % above the true value; never above the longest frame).
    public func percentile(_ q: Double) -> Double {
        guard frames > 0 else { return 0 }
        let want = Int((Double(frames) * q).rounded(.up))
        var seen = 0
        for (k, n) in buckets.enumerated() {
            seen += n
            if seen >= max(1, want) { return min(Self.upperMilliseconds(k), Double(maxNanoseconds) / 1e6) }
        }
        return Double(maxNanoseconds) / 1e6
    }

    public var meanMilliseconds: Double { frames == 0 ? 0 : Double(totalNanoseconds) / Double(frames) / 1e6 }

    /// One line: `frames: 12 034 drawn; mean 1.2 ms, p50 0.9 ms, p99 6.1 ms, max 31.0 ms`.
    public var summary: String {
        func ms(_ v: Double) -> String {
            let r = (v * 10).rounded() / 10
            return r == r.rounded() ? "\(Int(r)).0" : "\(r)"
        }
        return "frames: \(frames) drawn; mean \(ms(meanMilliseconds)) ms, p50 \(ms(percentile(0.5))) ms, p99 \(ms(percentile(0.99))) ms, max \(ms(Double(maxNanoseconds) / 1e6)) ms"
    }
}
