import AmpscopeCore
import ArgumentParser
import Foundation

/// `--segment-settings FILE` and `--segment-destination`, shared by the commands that map Segment calls.
enum SegmentSettingsFile {
    static func load(path: String?, destination: String?) throws -> SegmentSettings {
        var settings = SegmentSettings()
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read the Segment settings file '\(Sanitize.inline(path))'")
            }
            do {
                settings = try SegmentSettings.parse(Array(data))
            } catch {
                throw ValidationError("\(Sanitize.inline(path)): \(error.description)")
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
