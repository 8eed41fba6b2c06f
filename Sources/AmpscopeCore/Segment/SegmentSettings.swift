/// The Amplitude destinations a Segment call can be mapped through.
public enum SegmentDestination: String, Sendable, CaseIterable, Codable {
    /// Amplitude (Actions), `Actions Amplitude`.
    case actions
    /// The classic Amplitude destination.
    case classic

    public var displayName: String { self == .actions ? "Amplitude (Actions)" : "Amplitude (classic)" }
}

/// Amplitude's data-centre region, a setting of both destinations.
public enum AmplitudeRegion: String, Sendable, Equatable {
    case northAmerica = "north_america"
    case europe
}

/// A value a destination mapping reads: a Segment path (`$.traits.company`) or a literal.
public enum SegmentValueSpec: Sendable, Equatable {
    case path([String])
    case literal(String)

    /// `$.a.b` is a path; anything else is a literal.
    public init(_ text: String) {
        if text.hasPrefix("$.") {
            self = .path(text.dropFirst(2).split(separator: ".", omittingEmptySubsequences: false).map(String.init))
        } else {
            self = .literal(text)
        }
    }
}

/// Amplitude (Actions) settings: the default presets and the fields users change
/// (segment-wire.md §3). Defaults are what Segment ships.
public struct ActionsSettings: Sendable, Equatable {
    /// `min_id_length` of every action (unset by default: Amplitude's 5 applies).
    public var minIdLength: Int?
    /// `use_batch_endpoint` (Log Event V2, Log Purchase): `/batch` instead of `/2/httpapi`.
    public var useBatchEndpoint = false
    /// The `user_properties` mapping of Log Event V2 / Log Purchase (default `$.traits`).
    public var userPropertiesPath: [String] = ["traits"]
    /// `userAgentParsing` (default on): adds os_name, os_version, device_model, device_type…
    public var userAgentParsing = true
    /// `includeRawUserAgent` (default off): adds `user_agent`.
    public var includeRawUserAgent = false
    /// `trackRevenuePerProduct` of Log Purchase (default off).
    public var trackRevenuePerProduct = false
    /// Default presets (Track Calls, Order Completed Calls, Page Calls, Screen Calls, Identify Calls).
    public var trackPreset = true
    public var orderCompletedPreset = true
    public var pagePreset = true
    public var screenPreset = true
    public var identifyPreset = true
    /// A Group Identify User mapping for group calls (no preset: off unless configured).
    public var groupType: SegmentValueSpec?
    public var groupValue: SegmentValueSpec?
    /// A Map User mapping for alias calls (no preset: off by default).
    public var mapUser = false
    public var region: AmplitudeRegion = .northAmerica

    public init() {}
}

/// Classic Amplitude destination settings (segment-wire.md §2, seed 002). Page defaults are
/// the device-mode ones (server-side defaults are UNCONFIRMED).
public struct ClassicSettings: Sendable, Equatable {
    public var trackAllPages = false
    public var trackNamedPages = true
    public var trackCategorizedPages = true
    public var preferAnonymousIdForDeviceId = false
    public var groupTypeTrait: String?
    public var groupValueTrait: String?
    public var enableAlias = false
    public var traitsToIncrement: [String] = []
    public var traitsToSetOnce: [String] = []
    public var traitsToAppend: [String] = []
    public var traitsToPrepend: [String] = []
    public var useBatchEndpoint = false
    public var trackRevenuePerProduct = false
    public var region: AmplitudeRegion = .northAmerica

    public init() {}
}

/// Everything the mapper needs: which destinations, their settings, the destination's API key.
public struct SegmentSettings: Sendable, Equatable {
    public var destinations: [SegmentDestination] = [.actions]
    /// The Amplitude API key configured in the destination (Segment's write key is not it).
    public var apiKey = SegmentSettings.placeholderAPIKey
    public var actions = ActionsSettings()
    public var classic = ClassicSettings()

    /// Well-formed (32 hex) so the key rules stay quiet unless the user sets a real one.
    public static let placeholderAPIKey = "0000000000000000000000000000a0a0"

    public init() {}
}

/// A settings file could not be read.
public struct SegmentSettingsError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

extension SegmentSettings {
    /// Reads a JSON settings file (Docs/segment.md "Settings file"). Unknown keys are errors, so
    /// a typo does not silently leave a default in place.
    public static func parse(_ bytes: [UInt8]) throws(SegmentSettingsError) -> SegmentSettings {
        let doc: JSONDocument
        do { doc = try JSONDocument(parsing: bytes) } catch {
            throw SegmentSettingsError(description: "the settings file is not valid JSON (\(error.description)); YAML is not read yet, see Docs/segment.md")
        }
        guard doc.kind(doc.root) == .object else { throw SegmentSettingsError(description: "the settings file must be a JSON object") }
        var s = SegmentSettings()
        var r = SettingsReader(doc: doc, node: doc.root, path: "")
        if let d = try r.string("destination") {
            guard let dests = SegmentSettings.destinations(d) else {
                throw SegmentSettingsError(description: "destination must be actions, classic or both, not '\(Sanitize.inline(d))'")
            }
            s.destinations = dests
        }
        if let k = try r.string("api_key") { s.apiKey = k }
        if let a = try r.object("actions") {
            var a = a
            s.actions.minIdLength = try a.int("min_id_length")
            if let v = try a.bool("use_batch_endpoint") { s.actions.useBatchEndpoint = v }
            if let v = try a.string("user_properties") {
                guard case .path(let p) = SegmentValueSpec(v) else { throw a.error("user_properties", "must be a path such as $.context.traits") }
                s.actions.userPropertiesPath = p
            }
            if let v = try a.bool("user_agent_parsing") { s.actions.userAgentParsing = v }
            if let v = try a.bool("include_raw_user_agent") { s.actions.includeRawUserAgent = v }
            if let v = try a.bool("track_revenue_per_product") { s.actions.trackRevenuePerProduct = v }
            if let v = try a.bool("map_user") { s.actions.mapUser = v }
            if let v = try a.string("endpoint") { s.actions.region = try region(v, a, "endpoint") }
            if let g = try a.object("group_identify") {
                var g = g
                guard let t = try g.string("group_type"), let v = try g.string("group_value") else {
                    throw g.error("", "needs both group_type and group_value (a $.path or a literal)")
                }
                s.actions.groupType = SegmentValueSpec(t)
                s.actions.groupValue = SegmentValueSpec(v)
                try g.finish()
            }
            if let p = try a.object("presets") {
                var p = p
                if let v = try p.bool("track") { s.actions.trackPreset = v }
                if let v = try p.bool("order_completed") { s.actions.orderCompletedPreset = v }
                if let v = try p.bool("page") { s.actions.pagePreset = v }
                if let v = try p.bool("screen") { s.actions.screenPreset = v }
                if let v = try p.bool("identify") { s.actions.identifyPreset = v }
                try p.finish()
            }
            try a.finish()
        }
        if let c = try r.object("classic") {
            var c = c
            if let v = try c.bool("track_all_pages") { s.classic.trackAllPages = v }
            if let v = try c.bool("track_named_pages") { s.classic.trackNamedPages = v }
            if let v = try c.bool("track_categorized_pages") { s.classic.trackCategorizedPages = v }
            if let v = try c.bool("prefer_anonymous_id_for_device_id") { s.classic.preferAnonymousIdForDeviceId = v }
            s.classic.groupTypeTrait = try c.string("group_type_trait")
            s.classic.groupValueTrait = try c.string("group_value_trait")
            if let v = try c.bool("enable_alias") { s.classic.enableAlias = v }
            if let v = try c.strings("traits_to_increment") { s.classic.traitsToIncrement = v }
            if let v = try c.strings("traits_to_set_once") { s.classic.traitsToSetOnce = v }
            if let v = try c.strings("traits_to_append") { s.classic.traitsToAppend = v }
            if let v = try c.strings("traits_to_prepend") { s.classic.traitsToPrepend = v }
            if let v = try c.bool("use_batch_endpoint") { s.classic.useBatchEndpoint = v }
            if let v = try c.bool("track_revenue_per_product") { s.classic.trackRevenuePerProduct = v }
            if let v = try c.string("endpoint") { s.classic.region = try region(v, c, "endpoint") }
            try c.finish()
        }
        try r.finish()
        return s
    }

    /// `actions`, `classic` or `both`.
    public static func destinations(_ s: String) -> [SegmentDestination]? {
        switch s.asciiLowercased {
        case "actions": return [.actions]
        case "classic": return [.classic]
        case "both": return [.actions, .classic]
        default: return nil
        }
    }

    private static func region(_ v: String, _ r: SettingsReader, _ key: String) throws(SegmentSettingsError) -> AmplitudeRegion {
        guard let region = AmplitudeRegion(rawValue: v) else { throw r.error(key, "must be north_america or europe") }
        return region
    }
}

/// Reads the members of one settings object, remembering which were used.
struct SettingsReader {
    let doc: JSONDocument
    let node: Int
    let path: String
    var used: Set<String> = []

    init(doc: JSONDocument, node: Int, path: String) {
        self.doc = doc
        self.node = node
        self.path = path
    }

    func error(_ key: String, _ what: String) -> SegmentSettingsError {
        SegmentSettingsError(description: "\(key.isEmpty ? (path.isEmpty ? "settings" : path) : path + (path.isEmpty ? "" : ".") + key) \(what)")
    }

    private mutating func value(_ key: String) -> Int? {
        used.insert(key)
        guard let v = doc.member(node, named: key), doc.kind(v) != .null else { return nil }
        return v
    }

    mutating func string(_ key: String) throws(SegmentSettingsError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = doc.stringValue(v) else { throw error(key, "must be a string") }
        return s
    }

    mutating func bool(_ key: String) throws(SegmentSettingsError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = doc.bool(v) else { throw error(key, "must be true or false") }
        return b
    }

    mutating func int(_ key: String) throws(SegmentSettingsError) -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = doc.int64(v), i >= 0, i <= 1000 else { throw error(key, "must be a whole number from 0 to 1000") }
        return Int(i)
    }

    mutating func strings(_ key: String) throws(SegmentSettingsError) -> [String]? {
        guard let v = value(key) else { return nil }
        guard doc.kind(v) == .array else { throw error(key, "must be an array of trait names") }
        var out: [String] = []
        for e in doc.elements(v) {
            guard let s = doc.stringValue(e) else { throw error(key, "must hold strings only") }
            out.append(s)
        }
        return out
    }

    mutating func object(_ key: String) throws(SegmentSettingsError) -> SettingsReader? {
        guard let v = value(key) else { return nil }
        guard doc.kind(v) == .object else { throw error(key, "must be an object") }
        return SettingsReader(doc: doc, node: v, path: path.isEmpty ? key : path + "." + key)
    }

    /// Fails on a key that was never asked for.
    func finish() throws(SegmentSettingsError) {
        for (k, _) in doc.members(node) {
            let name = doc.string(k)
            if !used.contains(name) {
                let known = used.sorted().joined(separator: ", ")
                throw error(name, "is not a setting here (known: \(known))")
            }
        }
    }
}
