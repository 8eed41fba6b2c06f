/// Matching SDK calls to wire events when the log has no insert_id (verbose logging off).
extension DebugJoiner {
    mutating func matchWire(forCall t: Int) -> Bool {
        guard let x = traces[t].expected, let bucket = unlinkedByType[x.eventType] else { return false }
        var best: (Int, Int64, WireEventRef)?
        for ref in bucket.recent(4096) {
            guard wireTrace[ref] == nil, let e = wire[ref], let sc = heuristicScore(traces[t], x, e) else { continue }
            let d = abs((e.time ?? e.receivedAt) - (traces[t].callStart ?? 0))
            if best == nil || sc > best!.0 || (sc == best!.0 && d < best!.1) { best = (sc, d, ref) }
        }
        guard let b = best, let e = wire[b.2] else { return false }
        if let iid = e.insertID {
            bind(t, insertID: iid, by: .heuristic)
        } else {
            link(t, e.ref)
            traces[t].linkedBy = .heuristic
        }
        return true
    }

    mutating func matchWaitingCall(for e: DebugWireEvent) {
        for src in sources.keys where sources[src]?.sawFinalEvents == false {
            guard let bucket = sources[src]?.heuristicCalls[e.eventType], !bucket.isEmpty else { continue }
            var best: (Int, Int64, Int)?
            for (pos, t) in bucket.enumerated() {
                guard traces[t].wire.isEmpty, let x = traces[t].expected, let sc = heuristicScore(traces[t], x, e) else { continue }
                let d = abs((e.time ?? e.receivedAt) - (traces[t].callStart ?? 0))
                if best == nil || sc > best!.0 || (sc == best!.0 && d < best!.1) { best = (sc, d, pos) }
            }
            guard let b = best else { continue }
            let t = bucket[b.2]
            sources[src]!.heuristicCalls[e.eventType]!.remove(at: b.2)
            if let iid = e.insertID { bind(t, insertID: iid, by: .heuristic) } else { link(t, e.ref); traces[t].linkedBy = .heuristic }
            return
        }
    }

    func heuristicScore(_ tr: SDKTrace, _ x: ExpectedEvent, _ e: DebugWireEvent) -> Int? {
        var score = 0
        func cmp(_ a: String?, _ b: String?) -> Bool {
            guard let a, let b else { return true }
            if a == b { score += 2; return true }
            return false
        }
        guard cmp(x.userID, e.userID), cmp(x.deviceID, e.deviceID) else { return nil }
        if let a = x.propertiesFingerprint, let b = e.propertiesFingerprint { score += a == b ? 4 : -4 }
        if let start = tr.callStart {
            let end = tr.callEnd ?? start
            if x.time == nil, let et = e.time {
                if et < start - options.timeSlackMs || et > end + options.timeSlackMs { return nil }
            } else if e.receivedAt < start - options.timeSlackMs {
                return nil
            }
        }
        return score
    }
}
