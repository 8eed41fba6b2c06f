/// What makes a stream row an Amplitude record a Segment destination sends for a Segment call
/// (a "mapped row"): it sits under its call's row, `EventSummary.index` is the call's index, and
/// this tag says which destination sent it, which of its records it is, and where it went.
public struct MappedRowTag: Sendable, Equatable, Codable {
    public var destination: SegmentDestination
    /// Position among the records `destination` sends for the call (0-based, in request order).
    public var ordinal: Int
    /// The Segment call's type (`segment:` filters read it on mapped rows too).
    public var callType: SegmentCallType?
    /// The Amplitude endpoint the record is posted to, and what Amplitude would answer.
    public var endpoint: Endpoint
    public var status: Int

    public init(destination: SegmentDestination, ordinal: Int, callType: SegmentCallType?, endpoint: Endpoint, status: Int) {
        self.destination = destination
        self.ordinal = ordinal
        self.callType = callType
        self.endpoint = endpoint
        self.status = status
    }

    /// The row's place under its call (`RowID.sub`): the actions records first, then the classic
    /// ones, whichever destinations a session maps through, so a row keeps its id when the
    /// other destination is mapped later (the inspector maps both).
    public var sub: Int { 1 + ordinal + (destination == .classic ? Self.classicBase : 0) }

    static let classicBase = 1 << 12

    /// The tag's fields back from `sub` (destination and ordinal).
    public static func split(sub: Int) -> (destination: SegmentDestination, ordinal: Int)? {
        guard sub > 0 else { return nil }
        return sub > classicBase ? (.classic, sub - 1 - classicBase) : (.actions, sub - 1)
    }
}

/// One Amplitude record a destination sends for a call: the mapped request it is in and its
/// index there.
public struct MappedRecord: Sendable {
    public var outcome: MappedOutcome
    public var record: Int
    public var destination: SegmentDestination
    public var ordinal: Int

    /// The mapped request as the inspector shows it: its capture carries the Segment capture's
    /// id, and its findings are the ones that name the destination's setting.
    public func inspected(captureID: Int64) -> Processed {
        var p = outcome.processed
        p.capture.id = captureID
        p.findings = outcome.findings
        return p
    }
}

extension SegmentMapping {
    /// The records `destination` sends for call `call`, in request order.
    public func records(forCall call: Int, destination: SegmentDestination) -> [MappedRecord] {
        var out: [MappedRecord] = []
        for m in calls where m.callIndex == call && m.destination == destination {
            for o in m.requests {
                let n = max(1, o.processed.request.records.count)
                for j in 0..<n {
                    out.append(MappedRecord(outcome: o, record: o.processed.request.records.isEmpty ? -1 : j,
                                            destination: destination, ordinal: out.count))
                }
            }
        }
        return out
    }

    /// Every record sent for call `call`, actions first (the order of mapped rows).
    public func records(forCall call: Int) -> [MappedRecord] {
        SegmentDestination.allCases.filter(destinations.contains).flatMap { records(forCall: call, destination: $0) }
    }

    /// The record behind a mapped row (`RowID.sub`), nil when this mapping has no such record.
    public func record(call: Int, sub: Int) -> MappedRecord? {
        guard let (d, k) = MappedRowTag.split(sub: sub) else { return nil }
        let all = records(forCall: call, destination: d)
        return k < all.count ? all[k] : nil
    }

    /// This mapping with the calls of `other`'s destinations that it lacks (the inspector maps
    /// every destination; the stream rows, only the session's).
    public func adding(_ other: SegmentMapping) -> SegmentMapping {
        let missing = other.destinations.filter { !destinations.contains($0) }
        guard !missing.isEmpty else { return self }
        var m = self
        m.destinations = SegmentDestination.allCases.filter { destinations.contains($0) || missing.contains($0) }
        m.calls += other.calls.filter { missing.contains($0.destination) }
        return m
    }
}

extension EventSummary {
    /// The rows of the records each destination sends for call `call` (summaries of their own,
    /// tagged, with the call's index).
    static func mappedRows(_ mapping: SegmentMapping, call: Int, callType: SegmentCallType?) -> [EventSummary] {
        var out: [EventSummary] = []
        for r in mapping.records(forCall: call) {
            var p = r.outcome.processed
            p.findings = r.outcome.findings
            let all = extract(p)
            guard var s = all.first(where: { $0.index == r.record }) ?? all.first else { continue }
            s.index = call
            s.mapped = MappedRowTag(destination: r.destination, ordinal: r.ordinal, callType: callType,
                                    endpoint: p.request.endpoint, status: p.answer.status)
            out.append(s)
        }
        return out
    }
}
