import AmpscopeTestSupport
import Foundation
import Testing
@testable import AmpscopeCore

/// Access to the real SDK fixtures for the debug-log tests.
enum DebugFixtures {
    static let root: URL = Repo.fixtures

    /// A fixture's bytes; a missing file is a failed expectation naming it.
    static func bytes(_ rel: String, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
        Repo.fixtureBytes(rel, sourceLocation: sourceLocation)
    }

    static func exists(_ rel: String) -> Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent(rel).path) }

    static func scenarios(_ dir: String, suffix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(dir).path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.map { String($0.dropLast(suffix.count)) }.sorted()
    }

    static var tsScenarios: [String] { scenarios("typescript-node/logs", suffix: ".console.log") }
    static var pythonScenarios: [String] { scenarios("python-sdk/logs", suffix: ".log") }

    /// Parses a whole file line by line (like a replay).
    static func parse(_ rel: String, source: String? = nil) -> (records: [DebugRecord], parser: DebugLogParser) {
        var p = DebugLogParser(source: source ?? (rel as NSString).lastPathComponent)
        var out: [DebugRecord] = []
        for (_, line) in LineSplitter(bytes(rel)) { out += p.feed(line: line) }
        out += p.finish()
        return (out, p)
    }

    /// The wire events of a requests file, through the one ingestion path. Capture id = line.
    static func wire(_ rel: String) -> [DebugWireEvent] {
        let ingest = Ingest()
        var ctx = ValidationContext()
        var out: [DebugWireEvent] = []
        for (n, line) in LineSplitter(bytes(rel)) where !line.isEmpty {
            guard case .success(let c?) = CaptureLine.parse(line, name: rel, line: n) else { continue }
            let p = ingest.process(c, context: &ctx, now: c.receivedAt)
            out += DebugWireEvent.events(p, captureID: Int64(n))
        }
        return out
    }

    struct Result {
        var code: Int
        var message: String
        var eventType: String
        var insertID: String?
        var userID: String?
    }

    /// TS `results/*.json` (a list) or Python `results/*.json` `callbacks`.
    static func results(_ rel: String) -> [Result] {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes(rel))) else { return [] }
        let list: [[String: Any]]
        if let l = obj as? [[String: Any]] { list = l } else if let d = obj as? [String: Any], let l = d["callbacks"] as? [[String: Any]] { list = l } else { return [] }
        return list.map {
            Result(code: $0["code"] as? Int ?? -1, message: $0["message"] as? String ?? "", eventType: $0["event_type"] as? String ?? "",
                   insertID: $0["insert_id"] as? String, userID: $0["user_id"] as? String)
        }
    }

    /// A joiner fed with a scenario's log and its wire events (log first, then wire).
    static func join(log: String, requests: String, wireFirst: Bool = false) -> (DebugJoiner, [DebugRecord], [DebugWireEvent]) {
        let (records, _) = parse(log)
        let w = wire(requests)
        var j = DebugJoiner()
        if wireFirst {
            j.add(wire: w)
            j.add(records)
        } else {
            j.add(records)
            j.add(wire: w)
        }
        return (j, records, w)
    }
}
