/// A small user-agent reader for the fields both Amplitude destinations take from ua-parser-js
/// (browser name and major version, OS name and version, device vendor, model and type). It
/// knows the common browsers and platforms only; names follow ua-parser-js ("Mac OS",
/// "Mobile Safari"). An approximation, named UNCONFIRMED in Docs/segment.md.
public struct UserAgentInfo: Sendable, Equatable {
    public var browserName: String?
    public var browserMajor: String?
    public var osName: String?
    public var osVersion: String?
    public var deviceVendor: String?
    public var deviceModel: String?
    /// `mobile` or `tablet`; nil for desktops (ua-parser-js leaves it undefined).
    public var deviceType: String?

    public init(_ ua: String) {
        func version(after marker: StaticString) -> String? {
            guard let r = ua.range(ofASCII: marker) else { return nil }
            let rest = ua[r.upperBound...]
            let v = rest.prefix { $0.isNumber || $0 == "." || $0 == "_" }
            return v.isEmpty ? nil : v.replacingUnderscores
        }
        func major(_ v: String?) -> String? { v.map { String($0.prefix { $0 != "." }) } }

        // Browser (order matters: Edge and Opera also say Chrome; Chrome also says Safari).
        if let v = version(after: "Edg/") ?? version(after: "Edge/") {
            (browserName, browserMajor) = ("Edge", major(v))
        } else if let v = version(after: "OPR/") {
            (browserName, browserMajor) = ("Opera", major(v))
        } else if let v = version(after: "Firefox/") {
            (browserName, browserMajor) = (ua.containsASCII("Mobile") ? "Mobile Firefox" : "Firefox", major(v))
        } else if let v = version(after: "CriOS/") {
            (browserName, browserMajor) = ("Chrome", major(v))
        } else if let v = version(after: "Chrome/") {
            (browserName, browserMajor) = (ua.containsASCII("Mobile") && ua.containsASCII("Android") ? "Mobile Chrome" : "Chrome", major(v))
        } else if ua.containsASCII("Safari/"), let v = version(after: "Version/") {
            (browserName, browserMajor) = (ua.containsASCII("Mobile/") ? "Mobile Safari" : "Safari", major(v))
        }

        // OS and device.
        if ua.containsASCII("iPhone") || ua.containsASCII("iPad") || ua.containsASCII("iPod") {
            osName = "iOS"
            osVersion = version(after: "OS ")
            deviceVendor = "Apple"
            deviceModel = ua.containsASCII("iPad") ? "iPad" : ua.containsASCII("iPod") ? "iPod touch" : "iPhone"
            deviceType = ua.containsASCII("iPad") ? "tablet" : "mobile"
        } else if ua.containsASCII("Android") {
            osName = "Android"
            osVersion = version(after: "Android ")
            deviceType = ua.containsASCII("Mobile") ? "mobile" : "tablet"
            if let open = ua.range(ofASCII: "Android "), let close = ua[open.upperBound...].firstIndex(of: ")") {
                let inside = ua[open.upperBound..<close]
                if let last = inside.split(separator: ";").last?.trimmingLeadingSpaces, !last.isEmpty, !last.hasPrefix("Android") {
                    let model = last.components(before: " Build/")
                    if model != "K", let first = model.first, !first.isNumber { deviceModel = model }
                }
            }
        } else if ua.containsASCII("Windows") {
            osName = "Windows"
            if let nt = version(after: "Windows NT ") {
                osVersion = ["10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7"][nt] ?? nt
            }
        } else if ua.containsASCII("CrOS") {
            osName = "Chrome OS"
        } else if ua.containsASCII("Mac OS X") || ua.containsASCII("Macintosh") {
            osName = "Mac OS"
            osVersion = version(after: "Mac OS X ")
            deviceVendor = "Apple"
            deviceModel = "Macintosh"
        } else if ua.containsASCII("Linux") {
            osName = "Linux"
        }
    }
}

extension StringProtocol {
    /// Range of an ASCII needle, scanning UTF-8 bytes (no Foundation, no grapheme breaking).
    func range(ofASCII needle: StaticString) -> Range<Index>? {
        let n = needle.utf8CodeUnitCount
        guard n > 0 else { return nil }
        let found: Int?? = utf8.withContiguousStorageIfAvailable { hay in
            needle.withUTF8Buffer { nb in
                guard hay.count >= n else { return nil }
                let first = nb[0]
                var i = 0
                while i <= hay.count - n {
                    if hay[i] == first {
                        var k = 1
                        while k < n, hay[i + k] == nb[k] { k += 1 }
                        if k == n { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
        if let found {
            guard let at = found else { return nil }
            let lower = utf8.index(utf8.startIndex, offsetBy: at)
            return lower..<utf8.index(lower, offsetBy: n)
        }
        // Not contiguous (bridged or shared storage): the same scan through the UTF-8 view.
        let nb = needle.withUTF8Buffer { Array($0) }
        let u = utf8
        var i = u.startIndex
        while i < u.endIndex {
            if u[i] == nb[0] {
                var j = u.index(after: i)
                var k = 1
                while k < n, j < u.endIndex, u[j] == nb[k] {
                    j = u.index(after: j)
                    k += 1
                }
                if k == n { return i..<j }
            }
            i = u.index(after: i)
        }
        return nil
    }

    /// True when the ASCII needle occurs.
    func containsASCII(_ needle: StaticString) -> Bool { range(ofASCII: needle) != nil }

    var replacingUnderscores: String { String(map { $0 == "_" ? "." : $0 }) }

    var trimmingLeadingSpaces: String { String(drop { $0 == " " }) }

    /// The text before `marker` (all of it without one).
    func components(before marker: StaticString) -> String {
        if let r = range(ofASCII: marker) { return String(self[startIndex..<r.lowerBound]) }
        return String(self)
    }
}

/// English names of languages and countries, for the classic destination's `context.locale`
/// reading (`en-US` → language "English", country "United States"; segment-wire.md §2). The
/// common ones only: an unknown code leaves the field out.
enum LocaleNames {
    static let languages: [String: String] = [
        "en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
        "nl": "Dutch", "sv": "Swedish", "da": "Danish", "nb": "Norwegian Bokmål", "no": "Norwegian", "fi": "Finnish",
        "pl": "Polish", "cs": "Czech", "ru": "Russian", "uk": "Ukrainian", "tr": "Turkish", "el": "Greek",
        "he": "Hebrew", "ar": "Arabic", "hi": "Hindi", "ja": "Japanese", "ko": "Korean", "zh": "Chinese",
        "th": "Thai", "vi": "Vietnamese", "id": "Indonesian", "ms": "Malay", "ro": "Romanian", "hu": "Hungarian",
    ]
    static let countries: [String: String] = [
        "US": "United States", "GB": "United Kingdom", "CA": "Canada", "AU": "Australia", "NZ": "New Zealand",
        "IE": "Ireland", "FR": "France", "DE": "Germany", "AT": "Austria", "CH": "Switzerland", "ES": "Spain",
        "MX": "Mexico", "AR": "Argentina", "IT": "Italy", "PT": "Portugal", "BR": "Brazil", "NL": "Netherlands",
        "BE": "Belgium", "SE": "Sweden", "DK": "Denmark", "NO": "Norway", "FI": "Finland", "PL": "Poland",
        "CZ": "Czech Republic", "RU": "Russia", "UA": "Ukraine", "TR": "Turkey", "GR": "Greece", "IL": "Israel",
        "IN": "India", "JP": "Japan", "KR": "South Korea", "CN": "China", "TW": "Taiwan", "HK": "Hong Kong",
        "SG": "Singapore", "TH": "Thailand", "VN": "Vietnam", "ID": "Indonesia", "MY": "Malaysia", "ZA": "South Africa",
    ]

    /// `en-US` / `en_US` → ("English", "United States").
    static func split(_ locale: String) -> (language: String?, country: String?) {
        let parts = locale.split(whereSeparator: { $0 == "-" || $0 == "_" })
        let lang = parts.first.map { languages[String($0).asciiLowercased] } ?? nil
        let country = parts.count > 1 ? countries[String(parts[parts.count - 1]).uppercased()] : nil
        return (lang, country)
    }
}
