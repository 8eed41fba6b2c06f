/// Every top-level key a record may carry on the wire, across all Amplitude formats.
///
/// Sources: Amplitude's HTTP V2, Identify, Group Identify and User Mapping API docs, plus the
/// keys SDKs are seen sending (`library`, `user_agent`, `ingestion_metadata`, ...); the legacy
/// amplitude-js names (`timestamp`, `uuid`, ...). See Docs/rules.md (`unknown-field`).
public enum EventField: Int, CaseIterable, Sendable {
    case userID, deviceID, eventType, time, eventProperties, userProperties, groups, groupProperties
    case skipUserPropertiesSync, appVersion, platform, osName, osVersion, deviceBrand, deviceManufacturer
    case deviceModel, carrier, country, region, city, dma, language, price, quantity, revenue, productID
    case revenueType, locationLat, locationLng, ip, idfa, idfv, adid, androidID, eventID, sessionID
    case insertID, plan, partnerID, library, userAgent, versionName, ingestionMetadata, androidAppSetID
    case deviceType, paying, startVersion, currency
    // group identify
    case groupType, groupValue
    // usermap
    case globalUserID, unmap
    // amplitude-js legacy
    case timestamp, uuid, sequenceNumber, apiProperties

    /// The key as it appears on the wire.
    public var wireName: String {
        switch self {
        case .userID: return "user_id"
        case .deviceID: return "device_id"
        case .eventType: return "event_type"
        case .time: return "time"
        case .eventProperties: return "event_properties"
        case .userProperties: return "user_properties"
        case .groups: return "groups"
        case .groupProperties: return "group_properties"
        case .skipUserPropertiesSync: return "$skip_user_properties_sync"
        case .appVersion: return "app_version"
        case .platform: return "platform"
        case .osName: return "os_name"
        case .osVersion: return "os_version"
        case .deviceBrand: return "device_brand"
        case .deviceManufacturer: return "device_manufacturer"
        case .deviceModel: return "device_model"
        case .carrier: return "carrier"
        case .country: return "country"
        case .region: return "region"
        case .city: return "city"
        case .dma: return "dma"
        case .language: return "language"
        case .price: return "price"
        case .quantity: return "quantity"
        case .revenue: return "revenue"
        case .productID: return "productId"
        case .revenueType: return "revenueType"
        case .locationLat: return "location_lat"
        case .locationLng: return "location_lng"
        case .ip: return "ip"
        case .idfa: return "idfa"
        case .idfv: return "idfv"
        case .adid: return "adid"
        case .androidID: return "android_id"
        case .eventID: return "event_id"
        case .sessionID: return "session_id"
        case .insertID: return "insert_id"
        case .plan: return "plan"
        case .partnerID: return "partner_id"
        case .library: return "library"
        case .userAgent: return "user_agent"
        case .versionName: return "version_name"
        case .ingestionMetadata: return "ingestion_metadata"
        case .androidAppSetID: return "android_app_set_id"
        case .deviceType: return "device_type"
        case .paying: return "paying"
        case .startVersion: return "start_version"
        case .currency: return "currency"
        case .groupType: return "group_type"
        case .groupValue: return "group_value"
        case .globalUserID: return "global_user_id"
        case .unmap: return "unmap"
        case .timestamp: return "timestamp"
        case .uuid: return "uuid"
        case .sequenceNumber: return "sequence_number"
        case .apiProperties: return "api_properties"
        }
    }

    /// Lookup table from wire bytes, built once.
    static let byName: [String: EventField] = {
        var d: [String: EventField] = [:]
        for f in EventField.allCases { d[f.wireName] = f }
        return d
    }()

    /// Classifies a key given as raw UTF-8 bytes, without allocating: one hash, then usually
    /// one byte comparison (`FieldNameTable`).
    @inline(__always) static func classify(_ p: UnsafePointer<UInt8>, _ n: Int) -> EventField? {
        FieldNameTable.shared.lookup(p, n)
    }

    /// Keys allowed on each kind of record.
    public static func allowed(for kind: RecordKind) -> Set<EventField> {
        switch kind {
        case .event: return eventKeys
        case .identification: return identifyKeys
        case .groupIdentification: return groupIdentifyKeys
        case .mapping: return [.userID, .globalUserID, .unmap]
        case .legacyEvent: return legacyKeys
        case .segmentCall: return []
        }
    }

    static let eventKeys: Set<EventField> = [
        .userID, .deviceID, .eventType, .time, .eventProperties, .userProperties, .groups, .groupProperties,
        .skipUserPropertiesSync, .appVersion, .platform, .osName, .osVersion, .deviceBrand, .deviceManufacturer,
        .deviceModel, .carrier, .country, .region, .city, .dma, .language, .price, .quantity, .revenue, .productID,
        .revenueType, .locationLat, .locationLng, .ip, .idfa, .idfv, .adid, .androidID, .eventID, .sessionID,
        .insertID, .plan, .partnerID, .library, .userAgent, .versionName, .ingestionMetadata, .androidAppSetID,
        .deviceType, .currency,
    ]
    static let identifyKeys: Set<EventField> = [
        .userID, .deviceID, .userProperties, .groups, .appVersion, .platform, .osName, .osVersion, .deviceBrand,
        .deviceManufacturer, .deviceModel, .carrier, .country, .region, .city, .dma, .language, .paying,
        .startVersion, .library, .insertID, .time, .deviceType, .userAgent, .sessionID, .eventID, .plan,
        .ingestionMetadata, .versionName, .ip,
    ]
    static let groupIdentifyKeys: Set<EventField> = [
        .groupType, .groupValue, .groupProperties, .library, .time, .insertID, .userID, .deviceID,
    ]
    static let legacyKeys: Set<EventField> = [
        .deviceID, .userID, .timestamp, .eventID, .sessionID, .eventType, .versionName, .platform, .osName,
        .osVersion, .deviceModel, .deviceManufacturer, .deviceBrand, .language, .apiProperties, .eventProperties,
        .userProperties, .uuid, .library, .sequenceNumber, .groups, .groupProperties, .userAgent, .partnerID,
        .plan, .ingestionMetadata, .carrier, .country, .region, .city, .dma, .ip, .idfa, .idfv, .adid, .androidID,
        .locationLat, .locationLng,
    ]
}

/// Open-addressed hash table from wire-name bytes to `EventField`, in memory allocated once and
/// never freed, so a lookup is a few loads and one `memcmp`-style loop, with no reference
/// counting (an `[[UInt8]]` table retained and released an inner array per comparison).
final class FieldNameTable: @unchecked Sendable {  // written once in init, then only read
    static let shared = FieldNameTable()

    static let slotCount = 256  // power of two, > 4 × the number of fields
    /// Field raw value per slot, or 0xFF when empty.
    let slots: UnsafeMutablePointer<UInt8>
    /// All wire names concatenated; `starts[f]` and `lengths[f]` locate field `f`'s name.
    let names: UnsafeMutablePointer<UInt8>
    let starts: UnsafeMutablePointer<Int32>
    let lengths: UnsafeMutablePointer<Int32>

    private init() {
        let fields = EventField.allCases
        let total = fields.reduce(0) { $0 + $1.wireName.utf8.count }
        slots = .allocate(capacity: Self.slotCount)
        slots.initialize(repeating: 0xFF, count: Self.slotCount)
        names = .allocate(capacity: total)
        starts = .allocate(capacity: fields.count)
        lengths = .allocate(capacity: fields.count)
        var offset = 0
        for f in fields {
            let bytes = Array(f.wireName.utf8)
            starts[f.rawValue] = Int32(offset)
            lengths[f.rawValue] = Int32(bytes.count)
            for (j, b) in bytes.enumerated() { names[offset + j] = b }
            offset += bytes.count
            var h = bytes.withUnsafeBufferPointer { Self.hash($0.baseAddress!, $0.count) }
            while slots[h] != 0xFF { h = (h + 1) & (Self.slotCount - 1) }
            slots[h] = UInt8(f.rawValue)
        }
    }

    @inline(__always) static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        let a = Int(p[0]) &* 31 &+ Int(p[n &- 1]) &* 17
        let b = Int(p[n >> 1]) &* 7 &+ n &* 61
        return (a &+ b) & (slotCount - 1)
    }

    @inline(__always) func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> EventField? {
        guard n >= 2 && n <= 26 else { return nil }  // shortest "ip", longest "$skip_user_properties_sync"
        var h = Self.hash(p, n)
        while true {
            let f = Int(slots[h])
            if f == 0xFF { return nil }
            if Int(lengths[f]) == n {
                if memcmpEqual(names + Int(starts[f]), p, n) { return EventField(rawValue: f) }
            }
            h = (h &+ 1) & (Self.slotCount - 1)
        }
    }
}
