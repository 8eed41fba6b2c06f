/// A JSON pointer kept as its parts until its text is read.
///
/// The mappers note a Segment pointer for every value they copy and an Amplitude pointer for
/// every field they write, about fifty per call; almost none is ever shown (only the Mapping tab
/// and `check --format json` read them). Joining them eagerly was a fifth of the mapping's cost.
public struct LazyPointer: Sendable, Equatable, CustomStringConvertible {
    enum Parts: Sendable {
        /// The pointer's text.
        case text(String)
        /// `base` followed by `tokens[skip...]`, each escaped.
        case path(base: String, tokens: [String], skip: Int)
        /// `base + "/" + fragment`, the fragment already a pointer's text (`user_properties/$set`).
        case joined(String, String)
        /// `parent` followed by one token, escaped (the only case that allocates).
        indirect case child(LazyPointer, String)
    }

    let parts: Parts

    public init(_ text: String) { parts = .text(text) }
    init(parts: Parts) { self.parts = parts }

    /// `base` followed by the escaped `tokens` from index `skip` on.
    static func path(_ base: String, _ tokens: [String], skip: Int = 0) -> LazyPointer {
        LazyPointer(parts: .path(base: base, tokens: tokens, skip: skip))
    }

    /// `base/fragment` where the fragment is pointer text already.
    static func joined(_ base: String, _ fragment: String) -> LazyPointer {
        LazyPointer(parts: .joined(base, fragment))
    }

    /// This pointer followed by one token.
    func appending(_ token: String) -> LazyPointer { LazyPointer(parts: .child(self, token)) }
    func appending(_ index: Int) -> LazyPointer { LazyPointer(parts: .child(self, String(index))) }

    public var text: String {
        switch parts {
        case .text(let s): return s
        case .path(let base, let tokens, let skip):
            var s = base
            for t in tokens.dropFirst(skip) { s = JSONPointer.join(s, t) }
            return s
        case .joined(let a, let b): return a + "/" + b
        case .child(let p, let t): return JSONPointer.join(p.text, t)
        }
    }

    public var description: String { text }

    public static func == (a: LazyPointer, b: LazyPointer) -> Bool { a.text == b.text }
}
