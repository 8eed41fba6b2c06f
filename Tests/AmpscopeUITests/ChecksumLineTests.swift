import AmpscopeCore
import Testing
@testable import AmpscopeUI

/// The Request tab says what was checked, not only what failed (issue 10, item 9).
@Suite("Request tab: checksum line")
struct ChecksumLineTests {
    /// An amplitude-js 8.x upload as the demo generator makes it (a correct MD5), or with the
    /// checksum field replaced by zeros.
    static func upload(goodChecksum: Bool) -> Processed {
        var demo = DemoTraffic()
        var c = demo.request(.legacy, bad: false)
        if !goodChecksum {
            // The form starts with `checksum=` and 32 hex digits (keys sorted, as amplitude-js sends them).
            c.body = Array("checksum=".utf8) + Array(repeating: UInt8(ascii: "0"), count: 32) + c.body.dropFirst(41)
        }
        var ctx = ValidationContext()
        return Ingest().process(c, context: &ctx, now: c.receivedAt)
    }

    static func text(_ p: Processed) -> String {
        InspectorContent.request(p, config: UIConfig(storePath: nil), raw: false, wrap: false, width: 120)
            .map { $0.map(\.text).joined() }.joined(separator: "\n")
    }

    @Test("a good amplitude-js checksum shows as verified; a bad one shows the mismatch")
    func checksumShown() {
        let good = Self.upload(goodChecksum: true)
        #expect(good.findings.allSatisfy { $0.rule != RuleID.badChecksum })
        #expect(Self.text(good).contains("checksum verified"))
        let bad = Self.upload(goodChecksum: false)
        #expect(Self.text(bad).contains("checksum does not match"))
        #expect(!Self.text(bad).contains("checksum verified"))
    }
}
