/// Where the profile simulator's history goes once it is past its bound in memory.
///
/// The simulator keeps, per event, a 24-byte record and a 32-byte record per property the event
/// touched; a live capture at 2 000 requests/s of 10-event bodies adds about 90 MB a minute of
/// them. With a storage, only the newest `ProfileOptions.hotEvents` events (and their changes)
/// stay in memory; older ones are written to the storage in chunks and read back one record at
/// a time when a query reaches them (the User tab of an old event, a property's history, the
/// profile filter terms over old rows). The storage is append-only: a copy of the simulator
/// that spills later writes its own chunks past everyone else's, so copies never disturb each
/// other. The core only encodes and decodes; the bytes live wherever the edge decides
/// (`FileSpillStorage` in AmpscopeStore: an unlinked temporary file; `MemorySpillStorage` here
/// for tests). Docs/profiles.md, "Memory".
public protocol ProfileSpillStorage: AnyObject, Sendable {
    /// Appends `bytes` at the end and returns the offset they start at; nil when they could not
    /// be written (a full disk): the caller keeps the records in memory and tries again later.
    func append(_ bytes: UnsafeRawBufferPointer) -> Int?
    /// Fills `buffer` from `offset` (a range an earlier `append` wrote); false when it could not.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Bool
}

/// A `ProfileSpillStorage` in memory, for tests: it can be told to refuse appends (a full disk).
public final class MemorySpillStorage: ProfileSpillStorage, Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var refuse = false
        var appends = 0
        var reads = 0
    }
    private let state = Guarded(State())

    public init() {}

    /// While true, appends fail as on a full disk.
    public var refusing: Bool {
        get { state.withLock { $0.refuse } }
        set { state.withLock { $0.refuse = newValue } }
    }
    /// Bytes held, appends that succeeded, reads served.
    public var size: Int { state.withLock { $0.bytes.count } }
    public var appends: Int { state.withLock { $0.appends } }
    public var reads: Int { state.withLock { $0.reads } }

    public func append(_ bytes: UnsafeRawBufferPointer) -> Int? {
        state.withLock { s in
            guard !s.refuse else { return nil }
            let at = s.bytes.count
            s.bytes.append(contentsOf: bytes)
            s.appends += 1
            return at
        }
    }

    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        state.withLock { s in
            guard offset >= 0, offset + buffer.count <= s.bytes.count else { return false }
            s.reads += 1
            s.bytes.withUnsafeBytes { src in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<offset + buffer.count]))
            }
            return true
        }
    }
}

/// An append-only array whose oldest elements move to a `ProfileSpillStorage` in chunks of
/// `chunk` once `2 × chunk` are in memory (so between `chunk` and `2 × chunk` stay). Reading
/// a spilled element costs a read of the storage; `placeholder` stands in when that read fails.
struct SpillArray<Element: BitwiseCopyable & Sendable>: Sendable {
    private(set) var hot: [Element] = []
    /// Storage offset of each spilled chunk, in order.
    private var chunkOffsets: [Int] = []
    /// How many elements were spilled (`chunkOffsets.count × chunk`).
    private(set) var spilled = 0
    let chunk: Int
    let storage: (any ProfileSpillStorage)?
    let placeholder: Element

    init(storage: (any ProfileSpillStorage)?, chunk: Int, placeholder: Element) {
        self.storage = storage
        self.chunk = max(1, chunk)
        self.placeholder = placeholder
    }

    var count: Int { spilled + hot.count }
    var isEmpty: Bool { count == 0 }
    var indices: Range<Int> { 0..<count }
    var last: Element? { hot.last ?? (spilled > 0 ? self[spilled - 1] : nil) }

    subscript(_ i: Int) -> Element {
        @inline(__always) get { i >= spilled ? hot[i - spilled] : cold(i) }
    }

    private func cold(_ i: Int) -> Element {
        precondition(i >= 0, "SpillArray index out of range")
        let offset = chunkOffsets[i / chunk] + (i % chunk) * MemoryLayout<Element>.stride
        return withUnsafeTemporaryAllocation(of: Element.self, capacity: 1) { p in
            guard let storage, storage.read(at: offset, into: UnsafeMutableRawBufferPointer(p)) else { return placeholder }
            return p[0]
        }
    }

    mutating func append(_ e: Element) {
        hot.append(e)
        // After a refused append, try again each time another chunk has gathered.
        if storage != nil, hot.count >= 2 * chunk, hot.count % chunk == 0 { spill() }
    }

    /// Writes every whole chunk but the newest to the storage (more than one after refused
    /// appends), stopping at the first it refuses.
    private mutating func spill() {
        guard let storage else { return }
        let bytes = chunk * MemoryLayout<Element>.stride
        var written = 0
        while hot.count - written * chunk >= 2 * chunk {
            let start = written * bytes
            let at = hot.withUnsafeBytes { storage.append(UnsafeRawBufferPointer(rebasing: $0[start..<start + bytes])) }
            guard let at else { break }
            chunkOffsets.append(at)
            written += 1
        }
        spilled += written * chunk
        hot.removeFirst(written * chunk)
    }
}

/// A `ChangeRecord` as spilled: its value encoded (`SpilledValue`) inline when it takes at
/// most 8 bytes, else after the chunk's records at `valueAt` (relative to the chunk).
struct SpilledChange: BitwiseCopyable {
    /// The encoded value's bytes when inline, else its offset from the chunk's start.
    var valueAt: UInt64
    /// Encoded length; the top bit is set when the bytes are inline; 0: no value (nil).
    var valueLength: UInt32
    var operationAndFlags: UInt8
    var kindAndReason: UInt8
    var chain: UInt8
    var target: Int32
    var property: Int32
    var previous: Int32

    static let inlineBit: UInt32 = 0x8000_0000
}

/// The byte encoding of a `ProfileValue` in spilled chunks: a tag byte, then 8 bytes for a
/// number, a 4-byte length and the bytes for a string or an object, a 4-byte count and the
/// items for an array. Only the simulator writes it; decoding still checks every length.
enum SpilledValue {
    static func encode(_ v: ProfileValue, into out: inout [UInt8]) {
        switch v {
        case .null: out.append(0)
        case .bool(let b): out.append(b ? 2 : 1)
        case .int(let x):
            out.append(3)
            appendUInt64(UInt64(bitPattern: x), &out)
        case .double(let d):
            out.append(4)
            appendUInt64(d.bitPattern, &out)
        case .string(let s):
            out.append(5)
            var s = s
            s.withUTF8 { u in
                appendUInt32(UInt32(u.count), &out)
                out.append(contentsOf: u)
            }
        case .array(let items):
            out.append(6)
            appendUInt32(UInt32(items.count), &out)
            for item in items { encode(item, into: &out) }
        case .object(let bytes):
            out.append(7)
            appendUInt32(UInt32(bytes.count), &out)
            out.append(contentsOf: bytes)
        }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) -> ProfileValue? {
        var at = 0
        guard let v = decode(bytes, &at, depth: 0), at == bytes.count else { return nil }
        return v
    }

    private static func decode(_ b: UnsafeRawBufferPointer, _ at: inout Int, depth: Int) -> ProfileValue? {
        guard at < b.count, depth < 512 else { return nil }
        let tag = b[at]
        at += 1
        switch tag {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return readUInt64(b, &at).map { .int(Int64(bitPattern: $0)) }
        case 4: return readUInt64(b, &at).map { .double(Double(bitPattern: $0)) }
        case 5, 7:
            guard let n = readUInt32(b, &at).map(Int.init), n <= b.count - at else { return nil }
            let slice = UnsafeRawBufferPointer(rebasing: b[at..<at + n])
            at += n
            return tag == 5 ? .string(String(decoding: slice, as: UTF8.self)) : .object(Array(slice))
        case 6:
            guard let n = readUInt32(b, &at).map(Int.init), n <= b.count - at else { return nil }
            var items: [ProfileValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n {
                guard let item = decode(b, &at, depth: depth + 1) else { return nil }
                items.append(item)
            }
            return .array(items)
        default: return nil
        }
    }

    private static func appendUInt64(_ x: UInt64, _ out: inout [UInt8]) { appendLittleEndian(x, bytes: 8, &out) }
    private static func appendUInt32(_ x: UInt32, _ out: inout [UInt8]) { appendLittleEndian(UInt64(x), bytes: 4, &out) }
    private static func readUInt64(_ b: UnsafeRawBufferPointer, _ at: inout Int) -> UInt64? { readLittleEndian(b, &at, bytes: 8) }
    private static func readUInt32(_ b: UnsafeRawBufferPointer, _ at: inout Int) -> UInt32? {
        readLittleEndian(b, &at, bytes: 4).map { UInt32(truncatingIfNeeded: $0) }
    }

    private static func appendLittleEndian(_ x: UInt64, bytes: Int, _ out: inout [UInt8]) {
        for k in 0..<bytes { out.append(UInt8(truncatingIfNeeded: x >> (8 * k))) }
    }

    private static func readLittleEndian(_ b: UnsafeRawBufferPointer, _ at: inout Int, bytes: Int) -> UInt64? {
        guard b.count - at >= bytes else { return nil }
        var x: UInt64 = 0
        for k in 0..<bytes { x |= UInt64(b[at + k]) << (8 * k) }
        at += bytes
        return x
    }
}
