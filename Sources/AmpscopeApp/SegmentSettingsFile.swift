import AmpscopeCore
import ArgumentParser
import Foundation

/// `--segment-settings FILE` and `--segment-destination`: every command that maps Segment calls
/// (check, profile, proxy, the live UI) takes them.
struct SegmentOptions: ParsableArguments {
    @Option(name: .customLong("segment-settings"), help: "YAML or JSON file with the Segment destinations' settings (Docs/segment.md).", completion: .file())
    var segmentSettings: String?

    @Option(name: .customLong("segment-destination"), help: "Which Amplitude destination Segment calls are mapped through: actions (default), classic or both.")
    var segmentDestination: String?

    func validate() throws {
        if let d = segmentDestination, SegmentSettings.destinations(d) == nil {
            throw ValidationError("unknown Segment destination '\(d)': use actions, classic or both")
        }
    }

    /// The settings these options describe (throws when the file cannot be read).
    func settings() throws -> SegmentSettings {
        try SegmentSettingsFile.load(path: segmentSettings, destination: segmentDestination)
    }
}

enum SegmentSettingsFile {
    static func load(path: String?, destination: String?) throws -> SegmentSettings {
        var settings = SegmentSettings()
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read the Segment settings file '\(Sanitize.inlineTail(path, limit: 160))'")
            }
            var bytes = Array(data)
            // YAML by its name, or by not being a JSON object (JSON files keep the JSON parser's located errors).
            let lower = path.lowercased()
            let firstByte = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
            if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || (firstByte != nil && firstByte != UInt8(ascii: "{")) {
                do {
                    let tree = try PlanYAML.parse(String(decoding: bytes, as: UTF8.self), what: "the Segment settings file")
                    var w = JSONWriter()
                    PlanJSON.write(tree, &w)
                    bytes = w.bytes
                } catch {
                    throw ValidationError("\(Sanitize.inlineTail(path, limit: 160)): \(Sanitize.inline("\(error)", limit: 300))")
                }
            }
            do {
                settings = try SegmentSettings.parse(bytes)
            } catch {
                throw ValidationError("\(Sanitize.inlineTail(path, limit: 160)): \(error.description)")
            }
        }
        if let destination {
            guard let d = SegmentSettings.destinations(destination) else {
                throw ValidationError("unknown Segment destination '\(Sanitize.inline(destination))': use actions, classic or both")
            }
            settings.destinations = d
        }
        return settings
    }
}
