/// Depth-first walk of a JSON subtree that can say where it is as a JSON Pointer.
///
/// The path is kept as a stack of steps (member key tape index or array position) and turned
/// into a pointer string only when a rule reports something, so walking costs no allocation.
public struct PropertyWalk {
    public enum Step: Sendable {
        case key(Int)      // tape index of the member's key
        case index(Int)    // array position
    }

    public let doc: JSONDocument
    public let basePointer: String
    public private(set) var steps: [Step] = []

    public init(doc: JSONDocument, basePointer: String) {
        self.doc = doc
        self.basePointer = basePointer
    }

    /// Current pointer.
    public var pointer: String {
        var p = basePointer
        for s in steps {
            switch s {
            case .key(let k): p += "/" + JSONPointer.escape(doc.string(k))
            case .index(let i): p += "/" + String(i)
            }
        }
        return p
    }

    /// Visits `node` and every value below it. `visit(node, depth, parentKind, walk)` returns
    /// false to skip the node's children. Depth of `node` is 1. Keys are visited through
    /// `visitKey(keyIndex, depth, walk)` before their values.
    public mutating func walk(_ node: Int,
                              visitKey: (Int, Int, inout PropertyWalk) -> Void = { _, _, _ in },
                              visit: (Int, Int, JSONKind?, inout PropertyWalk) -> Bool) {
        walk(node, depth: 1, parent: nil, visitKey: visitKey, visit: visit)
    }

    private mutating func walk(_ node: Int, depth: Int, parent: JSONKind?,
                               visitKey: (Int, Int, inout PropertyWalk) -> Void,
                               visit: (Int, Int, JSONKind?, inout PropertyWalk) -> Bool) {
        guard visit(node, depth, parent, &self) else { return }
        switch doc.kind(node) {
        case .object:
            for (k, v) in doc.members(node) {
                steps.append(.key(k))
                visitKey(k, depth, &self)
                walk(v, depth: depth + 1, parent: .object, visitKey: visitKey, visit: visit)
                steps.removeLast()
            }
        case .array:
            for (i, v) in doc.elements(node).enumerated() {
                steps.append(.index(i))
                walk(v, depth: depth + 1, parent: .array, visitKey: visitKey, visit: visit)
                steps.removeLast()
            }
        default:
            break
        }
    }
}

/// The property containers of a record that hold user data (walked by the deep rules).
enum PropertyContainers {
    static let fields: [EventField] = [.eventProperties, .userProperties, .groupProperties, .groups, .apiProperties]
}
