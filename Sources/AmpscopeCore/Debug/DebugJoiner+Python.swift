/// Python's request-level log lines (errors about a whole request, not one event) and the
/// attempts they belong to.
extension DebugJoiner {
    static func pythonKey(forRecord r: DebugRecord) -> String? {
        guard r.sdk == .python, r.level >= .error else { return nil }
        if r.text.hasPrefix("Invalid API Key") { return "invalid-api-key" }
        return nil
    }

    static func pythonKey(forAnswer e: DebugWireEvent) -> String? {
        if e.sdkStatus == 400, let err = e.answerError, err.hasPrefix("Invalid API key") { return "invalid-api-key" }
        return nil
    }

    mutating func pythonRequestLevel(_ id: Int, _ r: DebugRecord) {
        guard let key = Self.pythonKey(forRecord: r) else { return }
        if var q = pythonKeyRequests[key], !q.isEmpty {
            let req = q.removeFirst()
            pythonKeyRequests[key] = q
            requestNotes[req, default: []].append(id)
        } else {
            pythonKeyRecords[key, default: []].append(id)
        }
    }

    mutating func pairPython(key: String, request: Int64) {
        if var q = pythonKeyRecords[key], !q.isEmpty {
            let rid = q.removeFirst()
            pythonKeyRecords[key] = q
            requestNotes[request, default: []].append(rid)
        } else {
            var q = pythonKeyRequests[key] ?? []
            q.append(request)
            if q.count > 1024 { q.removeFirst() }
            pythonKeyRequests[key] = q
        }
    }
}
