/// Compares ampscope's emulated answer with an answer that was really given (a recorded
/// fixture response, or the upstream's in forward mode).
public enum AnswerComparison {
    /// nil when they agree; otherwise what differs. `server_upload_time` is ignored
    /// (it is a clock reading), and key order in JSON bodies does not matter.
    public static func difference(emulated: EmulatedAnswer, actual: RecordedResponse) -> String? {
        if emulated.status != actual.status {
            return "status \(actual.status) was answered, ampscope emulates \(emulated.status)"
        }
        guard let a = try? JSONDocument(parsing: emulated.body), let b = try? JSONDocument(parsing: actual.body) else {
            let same = emulated.body.trimmedJSONWhitespace.elementsEqual(actual.body.trimmedJSONWhitespace)
            return same ? nil : "bodies differ: answered '\(Sanitize.inline(actual.bodyText, limit: 60))', emulated '\(Sanitize.inline(emulated.bodyText, limit: 60))'"
        }
        if let d = diff(a, a.root, b, b.root, path: "") {
            return "bodies differ at \(d.isEmpty ? "/" : d)"
        }
        return nil
    }

    static let ignored: Set<String> = ["server_upload_time"]

    /// Pointer of the first difference, or nil when equal.
    static func diff(_ a: JSONDocument, _ ai: Int, _ b: JSONDocument, _ bi: Int, path: String) -> String? {
        let ka = a.kind(ai)
        let kb = b.kind(bi)
        switch (ka, kb) {
        case (.object, .object):
            var seen = Set<String>()
            for (k, v) in a.members(ai) {
                let name = a.string(k)
                seen.insert(name)
                if ignored.contains(name) { continue }
                guard let w = b.member(bi, named: name) else { return path + "/" + JSONPointer.escape(name) }
                if let d = diff(a, v, b, w, path: path + "/" + JSONPointer.escape(name)) { return d }
            }
            for (k, _) in b.members(bi) {
                let name = b.string(k)
                if !seen.contains(name) && !ignored.contains(name) { return path + "/" + JSONPointer.escape(name) }
            }
            return nil
        case (.array, .array):
            let ea = Array(a.elements(ai))
            let eb = Array(b.elements(bi))
            guard ea.count == eb.count else { return path }
            for (i, (x, y)) in zip(ea, eb).enumerated() {
                if let d = diff(a, x, b, y, path: path + "/" + String(i)) { return d }
            }
            return nil
        case (.string, .string):
            return a.string(ai) == b.string(bi) ? nil : path
        case (.number, .number):
            return a.double(ai) == b.double(bi) ? nil : path
        default:
            return ka == kb ? nil : path
        }
    }
}
