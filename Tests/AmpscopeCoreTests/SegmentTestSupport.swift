import Foundation
import Testing
@testable import AmpscopeCore

/// Helpers for the Segment and HTTP V1 tests.
enum SegTest {
    static let writeKey = "wk_0123456789abcdef"
    static let timestamp = "2026-12-05T21:00:00.000Z"
    static var timestampMs: Int64 { Timestamp.parseISO8601(timestamp)! }

    /// A call with the usual fields; `extra` members (raw JSON text) are appended or replace.
    static func call(_ type: String, _ extra: KeyValuePairs<String, String> = [:], drop: Set<String> = []) -> String {
        var members: [(String, String)] = [
            ("type", "\"\(type)\""),
            ("userId", "\"user-00001\""),
            ("anonymousId", "\"anon-00001\""),
            ("messageId", "\"" + UUID().uuidString.lowercased() + "\""),
            ("timestamp", "\"\(timestamp)\""),
        ]
        switch type {
        case "track": members.append(("event", "\"Song Played\""))
        case "page", "screen": members.append(("name", "\"Home\""))
        case "group": members.append(("groupId", "\"g-00001\""))
        case "alias": members.append(("previousId", "\"anon-00001\""))
        default: break
        }
        for (k, v) in extra {
            if let i = members.firstIndex(where: { $0.0 == k }) { members[i].1 = v } else { members.append((k, v)) }
        }
        members.removeAll { drop.contains($0.0) }
        return "{" + members.map { JSONWriter.quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func batch(_ calls: [String], writeKey: String? = SegTest.writeKey, extra: String? = nil) -> String {
        var parts = ["\"batch\":[" + calls.joined(separator: ",") + "]"]
        if let writeKey { parts.append("\"writeKey\":" + JSONWriter.quoted(writeKey)) }
        if let extra { parts.append(extra) }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func capture(_ body: String, path: String = "/v1/batch", headers: [HTTPHeader] = CoreTest.jsonHeaders) -> Capture {
        Capture(receivedAt: CoreTest.now, source: .demo, method: "POST", path: path, headers: headers, body: Array(body.utf8))
    }

    static func process(_ c: Capture, settings: SegmentSettings = SegmentSettings(),
                        validation: ValidationSettings = ValidationSettings()) -> Processed {
        var ingest = Ingest()
        ingest.segmentSettings = settings
        var context = ValidationContext(settings: validation)
        return ingest.process(c, context: &context, now: CoreTest.now)
    }

    /// Processes one call posted alone to a batch.
    static func one(_ call: String, _ configure: (inout SegmentSettings) -> Void = { _ in }) -> Processed {
        var s = SegmentSettings()
        configure(&s)
        return process(capture(batch([call])), settings: s)
    }

    /// The JSON text at a pointer of a decoded request's view, nil when absent.
    static func value(_ r: DecodedRequest, _ pointer: String) -> String? {
        guard let doc = r.document, let i = JSONPointer.resolve(pointer, in: doc) else { return nil }
        return doc.rawText(i)
    }
}
