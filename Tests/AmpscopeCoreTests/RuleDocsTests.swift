import Foundation
import Testing
@testable import AmpscopeCore

@Suite("Rule documentation")
struct RuleDocsTests {
    static let docs = CoreTest.repoRoot.appendingPathComponent("Docs")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: docs.appendingPathComponent(name), encoding: .utf8)
    }

    /// The `### \`rule-id\`` headings of Docs/rules.md.
    static func documentedIDs() throws -> [String] {
        try text("rules.md").split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("### `") else { return nil }
            let rest = line.dropFirst(5)
            guard let end = rest.firstIndex(of: "`") else { return nil }
            return String(rest[..<end])
        }
    }

    @Test("Docs/rules.md has a section for every rule id in the registry, and no stale ones")
    func everyRuleDocumented() throws {
        let documented = try Self.documentedIDs()
        let registered = RuleRegistry.standard.infos.map(\.id)
        let missing = Set(registered).subtracting(documented)
        #expect(missing.isEmpty, "rules missing from Docs/rules.md: \(missing.sorted())")
        let stale = Set(documented).subtracting(registered)
        #expect(stale.isEmpty, "Docs/rules.md documents rules the registry does not have: \(stale.sorted())")
        #expect(documented.count == Set(documented).count, "a rule is documented twice")
    }

    @Test("each rule section states the registry's severity")
    func severities() throws {
        let md = try Self.text("rules.md")
        let sections = md.components(separatedBy: "\n### `").dropFirst()
        var byID: [String: Substring] = [:]
        for s in sections {
            guard let end = s.firstIndex(of: "`") else { continue }
            byID[String(s[..<end])] = Substring(s)
        }
        for info in RuleRegistry.standard.infos {
            guard let section = byID[info.id] else { continue }
            #expect(section.contains("**Severity:** \(info.severity.rawValue)"), "\(info.id): severity line must say \(info.severity.rawValue)")
        }
    }

    @Test("the answer and capture format documents exist and cover their subjects")
    func otherDocs() throws {
        let answers = try Self.text("answers.md")
        for needle in ["events_with_invalid_id_lengths", "missing_field", "events_with_missing_fields", "events_with_invalid_fields",
                       "Payload too large", "Invalid request path", "success", "bad_checksum", "invalid_api_key", "UNCONFIRMED"] {
            #expect(answers.contains(needle), "answers.md should mention \(needle)")
        }
        let format = try Self.text("capture-format.md")
        for field in ["received_ms", "method", "path", "query", "http_version", "headers", "body", "body_base64", "response",
                      "scripted", "source", "origin", "emulated", "findings", "ampscope_capture"] {
            #expect(format.contains("`\(field)`"), "capture-format.md should describe `\(field)`")
        }
    }
}
