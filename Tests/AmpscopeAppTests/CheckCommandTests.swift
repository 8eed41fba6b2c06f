import AmpscopeCore
import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct CheckCommandTests {
    @Test func fixturesExitOneAndReportTheShortIDs() async throws {
        let files = TestSupport.fixtureFiles("python-sdk") + TestSupport.fixtureFiles("typescript-node")
        #expect(files.count >= 38)
        let r = try await TestSupport.runOffPool(["check", "--format", "json"] + files)
        #expect(r.status == 1, "error findings exit 1; stderr: \(r.stderr)")
        let doc = try JSONDocument(parsing: r.stdout)
        let summary = try #require(doc.member(doc.root, "summary"))
        #expect(doc.int64(doc.member(summary, "requests")!) == 64)
        #expect(doc.int64(doc.member(summary, "errors")!) == 3)
        #expect(doc.int64(doc.member(summary, "answer_mismatches")!) == 0)
        #expect(doc.int64(doc.member(summary, "exit_code")!) == 1)
        let byRule = try #require(doc.member(summary, "by_rule"))
        #expect(doc.int64(doc.member(byRule, "id-too-short")!) == 2)
        #expect(doc.int64(doc.member(byRule, "missing-id")!) == 1)
        // Every request object carries the documented keys.
        let requests = try #require(doc.member(doc.root, "requests"))
        for req in doc.elements(requests) {
            for key in ["source", "endpoint", "events", "emulated_answer", "findings", "counts"] {
                #expect(doc.member(req, named: key) != nil, "missing \(key)")
            }
        }
    }

    @Test func cleanTrafficExitsZero() async throws {
        let clean = TestSupport.fixtureFiles("python-sdk").filter { $0.hasSuffix("/track_basic.jsonl") || $0.hasSuffix("/revenue.jsonl") || $0.hasSuffix("/flush_250.jsonl") }
        #expect(clean.count == 3)
        let r = try await TestSupport.runOffPool(["check"] + clean)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("252 events"))
    }

    @Test func dashReadsStandardInput() async throws {
        let path = TestSupport.fixtureFile("python-sdk", "/track_basic.jsonl")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let r = try await TestSupport.runOffPool(["check", "-"], stdin: bytes)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let fromFile = try await TestSupport.runOffPool(["check", path])
        #expect(r.stdout.contains("stdin"), "\(r.stdout)")
        // The same requests and findings whichever way the file arrived.
        let events = { (s: String) in s.split(separator: "\n").last.map(String.init) ?? "" }
        #expect(events(r.stdout) == events(fromFile.stdout), "\(r.stdout)\n---\n\(fromFile.stdout)")
    }

    @Test func unreadableInputExitsTwoNamingFileAndLine() async throws {
        let dir = TestSupport.tempDir()
        let bad = dir.appendingPathComponent("broken.jsonl")
        let good = try String(contentsOfFile: TestSupport.fixtureFile("python-sdk", "/track_basic.jsonl"), encoding: .utf8)
        try (good + "{not json\n").write(to: bad, atomically: true, encoding: .utf8)
        let r = try await TestSupport.runOffPool(["check", bad.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("broken.jsonl:2"))
        let missing = try await TestSupport.runOffPool(["check", dir.appendingPathComponent("nope.jsonl").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope.jsonl"))
        #expect(missing.stderr.contains("no such file"))
    }

    @Test func rawBodyWithEndpointAndMinIDLength() async throws {
        let dir = TestSupport.tempDir()
        let body = dir.appendingPathComponent("body.json")
        try #"{"api_key":"0123456789abcdef0123456789abcdef","events":[{"event_type":"x","user_id":"abc"}]}"#
            .write(to: body, atomically: true, encoding: .utf8)
        let strict = try await TestSupport.runOffPool(["check", "--endpoint", "/batch", body.path])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("/batch"))
        #expect(strict.stdout.contains("id-too-short"))
        let lenient = try await TestSupport.runOffPool(["check", "--endpoint", "/batch", "--min-id-length", "3", body.path])
        #expect(lenient.status == 0, Comment(rawValue: lenient.stdout))
        let badFlag = try await TestSupport.runOffPool(["check", "--endpoint", "/nowhere", body.path])
        #expect(badFlag.status != 0)
        #expect(badFlag.stderr.contains("unknown endpoint"), Comment(rawValue: badFlag.stderr))
    }

    @Test func colourFollowsTTYAndNoColorAndEscapesNeverLeak() async throws {
        let dir = TestSupport.tempDir()
        let body = dir.appendingPathComponent("hostile.json")
        // A user id carrying a terminal escape sequence and a bidi override.
        let json = "{\"api_key\":\"0123456789abcdef0123456789abcdef\",\"events\":[{\"event_type\":\"\\u001b[2J\\u202e\",\"user_id\":\"\\u001b[2J\"}]}"
        try json.write(to: body, atomically: true, encoding: .utf8)
        let plain = try await TestSupport.runOffPool(["check", body.path])  // stdout is a pipe: no colour
        #expect(!plain.stdoutBytes.contains(0x1B), "no raw ESC may reach the output")
        #expect(plain.stdout.contains("\\u001b"))
        let forced = try await TestSupport.runOffPool(["check", "--color", "always", body.path])
        #expect(forced.stdoutBytes.contains(0x1B))
        let noColor = try await TestSupport.runOffPool(["check", "--color", "auto", body.path], environment: ["NO_COLOR": "1"])
        #expect(!noColor.stdoutBytes.contains(0x1B))
    }

    @Test func junitIsWellFormedWithOneCasePerRequest() async throws {
        let files = TestSupport.fixtureFiles("typescript-node").filter { $0.contains("short_user_id") || $0.contains("track_basic") }
        let r = try await TestSupport.runOffPool(["check", "--format", "junit"] + files)
        #expect(r.status == 1)
        let parser = XMLParser(data: Data(r.stdout.utf8))
        let counter = ElementCounter()
        parser.delegate = counter
        #expect(parser.parse(), "JUnit output must be well-formed XML")
        #expect(counter.counts["testsuite"] == 2)
        #expect(counter.counts["testcase"] == 2)
        #expect(counter.counts["failure"] == 1)
    }

    @Test func keysAreMaskedUnlessAsked() async throws {
        let file = TestSupport.fixtureFile("python-sdk", "/track_basic.jsonl")
        let masked = try await TestSupport.runOffPool(["check", "--format", "json", file])
        #expect(!masked.stdout.contains("0123456789abcdef0123456789abcdef"))
        let raw = try await TestSupport.runOffPool(["check", "--format", "json", "--no-redact", file])
        #expect(raw.stdout.contains("0123456789abcdef0123456789abcdef"))
    }
}

final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        counts[elementName, default: 0] += 1
    }
}
