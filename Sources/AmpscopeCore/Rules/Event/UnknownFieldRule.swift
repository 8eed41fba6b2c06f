/// Keys Amplitude does not read are silently ignored: `userId` instead of `user_id`, typos,
/// or properties put at the top level instead of in `event_properties`.
public struct UnknownFieldRule: RecordRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.unknownField, severity: .warning, scope: .event,
                               summary: "A top-level key of an event is not one Amplitude reads (camelCase, typo, misplaced property).") }
    public init() {}

    /// Spellings SDK users reach for, mapped to Amplitude's.
    static let known: [String: String] = [
        "userId": "user_id", "userID": "user_id", "deviceId": "device_id", "deviceID": "device_id",
        "eventType": "event_type", "event": "event_type", "eventName": "event_type", "event_name": "event_type",
        "eventProperties": "event_properties", "properties": "event_properties", "props": "event_properties",
        "userProperties": "user_properties", "traits": "user_properties", "groupProperties": "group_properties",
        "sessionId": "session_id", "sessionID": "session_id", "insertId": "insert_id", "insertID": "insert_id",
        "timestamp": "time", "appVersion": "app_version", "osName": "os_name", "osVersion": "os_version",
        "deviceModel": "device_model", "deviceBrand": "device_brand", "deviceManufacturer": "device_manufacturer",
        "locationLat": "location_lat", "locationLng": "location_lng", "eventId": "event_id", "eventID": "event_id",
        "product_id": "productId", "revenue_type": "revenueType", "partnerId": "partner_id",
        "versionName": "version_name", "userAgent": "user_agent", "ip_address": "ip", "anonymousId": "device_id",
        "groupType": "group_type", "groupValue": "group_value", "globalUserId": "global_user_id",
    ]

    public func check(_ e: RecordFacts, _ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        // Duplicated known keys are reported below even when no key is unknown.
        guard e.isObject, !e.unknownKeys.isEmpty || !e.duplicateKeys.isEmpty else { return }
        let allowed = EventField.allowed(for: e.kind).map(\.wireName)
        for k in e.unknownKeys {
            let name = e.doc.string(k)
            let shown = Sanitize.inline(name, limit: 40)
            let suggestion = Self.known[name].flatMap { allowed.contains($0) ? $0 : nil } ?? Self.closest(name, in: allowed)
            let hint: String
            if let s = suggestion {
                hint = "; did you mean '\(s)'?"
            } else if e.kind == .event || e.kind == .legacyEvent {
                hint = "; custom data belongs in event_properties or user_properties"
            } else {
                hint = ""
            }
            out.add(info, e.path(name), event: e.index, "'\(shown)' is not a field Amplitude reads, so it is ignored\(hint)")
        }
        for k in e.duplicateKeys {
            let name = e.doc.string(k)
            out.add(info, e.path(name), event: e.index, "'\(Sanitize.inline(name, limit: 40))' appears twice in this object; which one Amplitude keeps is not defined")
        }
    }

    /// A known key within edit distance 2 (typos like `evnet_type`, `user_ID`).
    static func closest(_ name: String, in candidates: [String]) -> String? {
        let lower = name.asciiLowercased
        if let exact = candidates.first(where: { $0.asciiLowercased == lower }) { return exact }
        guard name.utf8.count <= 40 else { return nil }
        var best: (String, Int)?
        for c in candidates {
            let d = editDistance(Array(lower.utf8), Array(c.asciiLowercased.utf8), cap: 2)
            if d <= 2 && d < (best?.1 ?? 3) { best = (c, d) }
        }
        return best?.0
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8], cap: Int) -> Int {
        if abs(a.count - b.count) > cap { return cap + 1 }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            cur[0] = i
            var rowMin = cur[0]
            for j in 1...max(b.count, 1) where !b.isEmpty {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                rowMin = min(rowMin, cur[j])
            }
            if rowMin > cap { return cap + 1 }
            swap(&prev, &cur)
        }
        return a.isEmpty ? b.count : prev[b.count]
    }
}
