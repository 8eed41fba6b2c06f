/// The Segment parts of `check` reports: the `mapped` array and the text lines under a Segment request.
enum SegmentReport {
    /// `"mapped": [{call, destination, action, endpoint, url, events, answer, findings}…]`, plus
    /// `not_sent` entries for calls a destination does not forward (Docs/cli.md).
    static func writeMapped(_ m: SegmentMapping, _ w: inout JSONWriter) {
        w.key("mapped")
        w.beginArray()
        for call in m.calls {
            for o in call.requests {
                let p = o.processed
                w.beginObject()
                w.field("call", call.callIndex)
                w.field("label", call.label)
                w.field("destination", call.destination.rawValue)
                w.field("action", o.request.action)
                w.field("endpoint", o.request.endpoint.displayName)
                w.field("url", o.request.url)
                w.key("events")
                w.beginArray()
                if let doc = p.request.document {
                    for r in p.request.records { w.raw(doc.rawBytes(r)) }
                }
                w.endArray()
                w.key("answer")
                Report.writeAnswer(p.answer, &w)
                Report.writeCountsAndFindings(o.findings, &w)
                w.endObject()
            }
            if let why = call.notSent {
                w.beginObject()
                w.field("call", call.callIndex)
                w.field("label", call.label)
                w.field("destination", call.destination.rawValue)
                w.field("not_sent", why)
                w.endObject()
            }
        }
        w.endArray()
    }

    static func text(_ m: SegmentMapping, _ report: TextReport) -> String {
        var out = ""
        let style = report.style
        for call in m.calls {
            let head = "    \(style.dim)call \(call.callIndex) \(Sanitize.inline(call.label, limit: 60)) → \(call.destination.rawValue):\(style.reset)"
            if let why = call.notSent {
                out += head + " not sent: \(Sanitize.inline(why, limit: 200))\n"
                continue
            }
            for o in call.requests {
                let n = o.processed.request.records.count
                out += head + " \(o.request.action) POST \(o.request.endpoint.displayName) \(n) record\(n == 1 ? "" : "s") → \(Report.answerLabel(o.processed.answer))\n"
                out += report.findingLines(o.findings, indent: "        ")
            }
        }
        return out
    }
}
