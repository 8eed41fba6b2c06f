import Testing
@testable import AmpscopeCore

/// `EventSummary.EventFields` finds an event's row fields in one pass; it must find exactly what
/// `JSONDocument.member` finds (the first member with the key, escaped keys included).
@Suite("Event row fields in one pass")
struct EventSummaryFieldsTests {
    static let keys: [StaticString] = ["event_type", "user_id", "device_id", "insert_id", "time", "session_id"]

    static func lookups(_ doc: JSONDocument, _ node: Int) -> [Int?] {
        keys.map { doc.member(node, $0) }
    }

    static func onePass(_ doc: JSONDocument, _ node: Int) -> [Int?] {
        let f = EventSummary.EventFields(doc, node)
        return [f.eventType, f.userID, f.deviceID, f.insertID, f.time, f.sessionID]
    }

    @Test("the same members as one lookup per key, on hand-made and random events", arguments: [
        #"{"event_type":"a","user_id":"u","device_id":"d","insert_id":"i","time":1,"session_id":2}"#,
        #"{}"#,
        #"{"user_id":"first","user_id":"second","time":1,"time":2}"#,
        #"{"user\u005fid":"escaped key","event\u005Ftype":"e","time":3}"#,
        #"{"":"empty key","tim":1,"timex":2,"user_ix":3,"device_ix":4,"session_ix":5,"event_typ":6}"#,
        #"{"session_id":"s","event_type":"after session","insert_id":1,"device_id":2}"#,
    ])
    func sameAsLookups(_ text: String) throws {
        let doc = try JSONDocument(parsing: text)
        #expect(Self.onePass(doc, doc.root) == Self.lookups(doc, doc.root))
    }

    @Test("random member orders, duplicates and escaped spellings")
    func randomEvents() throws {
        var rng = SplitMix64(seed: 77)
        let spellings = ["event_type", "user_id", "device_id", "insert_id", "time", "session_id",
                         #"user\u005fid"#, #"\u0074ime"#, "other", "user_idx", "", "sessionid", #"device\u005Fid"#]
        for _ in 0..<500 {
            let count = Int(rng.next() % 9)
            let members = (0..<count).map { k in
                "\"\(spellings[Int(rng.next() % UInt64(spellings.count))])\":\(k)"
            }
            let doc = try JSONDocument(parsing: "{" + members.joined(separator: ",") + "}")
            #expect(Self.onePass(doc, doc.root) == Self.lookups(doc, doc.root), "\(members)")
        }
    }
}
