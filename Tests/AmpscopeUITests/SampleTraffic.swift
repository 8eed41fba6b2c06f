import AmpscopeCore
@testable import AmpscopeUI

/// Small hand-made traffic with every kind of row the stream shows.
enum SampleTraffic {
    static let key = "0123456789abcdef0123456789abcdef"
    static let t0: Int64 = 1_763_800_000_000

    /// 1: three events (one with a short user_id: an error that rejects the request).
    static var batch: Processed {
        UITest.processed("""
        {"api_key":"\(key)","events":[
         {"event_type":"Page Viewed","user_id":"user-00001","device_id":"device-0001","insert_id":"ins-0001","time":1763800000000,
          "event_properties":{"page":"/home","referrer":"https://example.com/a/very/long/path/that/keeps/going/and/going/until/it/no/longer/fits/on/one/line/of/the/inspector","nested":{"a":1,"b":[1,2,3]}}},
         {"event_type":"Button Clicked","user_id":"u1","device_id":"device-0001","insert_id":"ins-0002","time":1763800000100,
          "event_properties":{"button":"buy","price":9.99,"ok":true,"none":null}},
         {"event_type":"Signed Up","user_id":"user-00003","device_id":"device-0003","insert_id":"ins-0003","time":1763800000200,
          "user_properties":{"plan":"pro"}}
        ]}
        """, receivedAt: t0)
    }

    /// 2: an identify form upload.
    static var identify: Processed {
        let ident = #"[{"user_id":"user-00004","device_id":"device-0004","user_properties":{"$set":{"plan":"team"},"$add":{"logins":1}}}]"#
        return UITest.processed("api_key=\(key)&identification=" + FormEncoding.escape(ident), path: "/identify",
                                receivedAt: t0 + 1000,
                                headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded")])
    }

    /// 3: hostile strings: escapes, bidi, zero-width, CJK, emoji; forwarded with a real answer.
    static var hostile: Processed {
        UITest.processed("""
        {"api_key":"\(key)","events":[
         {"event_type":"\\u001b[31mRed\\u001b[0m \\u202Eevil","user_id":"ユーザー-日本語","device_id":"dev\\u200Bice-😀👨\\u200D👩\\u200D👧","insert_id":"ins-0005",
          "time":1763800002000,"event_properties":{"note":"tab\\there\\nnewline","rtl":"\\u2067שלום\\u2069","cjk":"日本語テキスト"}}
        ]}
        """, receivedAt: t0 + 2000,
        response: RecordedResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/json")],
                                   body: Array(#"{"code":200,"events_ingested":1,"payload_size_bytes":250,"server_upload_time":1763800002100}"#.utf8),
                                   origin: .upstream, latencyMs: 42))
    }

    /// 4: a request to a path that is not Amplitude's: no events, still a row.
    static var unknown: Processed {
        UITest.processed("hello", path: "/not-amplitude", receivedAt: t0 + 3000, headers: [HTTPHeader("Content-Type", "text/plain")])
    }

    static var all: [Processed] { [batch, identify, hostile, unknown] }
}
