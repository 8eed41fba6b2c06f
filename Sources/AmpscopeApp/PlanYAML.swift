import ArgumentParser
import AmpscopeCore
import Foundation
import Yams

/// YAML for plan files, through Yams (libyaml): the core stays free of the YAML library and
/// works on `PlanNode` trees, which this file converts both ways.
public enum PlanYAML {
    /// Nodes visited at most while converting (aliases can repeat a subtree many times: a
    /// "billion laughs" file is refused instead of expanded).
    static let maxNodes = 2_000_000

    /// `what` names the file in errors ("the plan file", "the Segment settings file").
    static func parse(_ text: String, what: String = "the plan file") throws -> PlanNode {
        let root: Node?
        // Composed with no implicit tag rules: Yams' default resolver runs up to seven
        // NSRegularExpression matches per scalar (for every map key too, hashed to find
        // duplicates), most of the time of loading a plan of a few hundred events. `convert`
        // types plain scalars itself, as the default rules would.
        do { root = try Yams.compose(yaml: text, .basic) } catch {
            throw PlanError("\(what) does not parse as YAML: \(Sanitize.inline(String(describing: error), limit: 300))")
        }
        guard let root else { throw PlanError("\(what) is empty") }
        var budget = maxNodes
        return try convert(root, &budget, depth: 0, what: what)
    }

    private static func convert(_ n: Node, _ budget: inout Int, depth: Int, what: String) throws -> PlanNode {
        budget -= 1
        guard budget > 0 else { throw PlanError("\(what) expands to more than \(maxNodes) nodes (aliases?)") }
        guard depth < 64 else { throw PlanError("\(what) nests deeper than 64 levels") }
        switch n {
        case .scalar(let s):
            if s.style == .singleQuoted || s.style == .doubleQuoted || s.style == .literal || s.style == .folded { return .string(s.string) }
            let untagged = s.tag.rawValue.isEmpty  // explicit tags (`!!str yes`) resolve without the rules
            // Null, int and float do not depend on the tag; bool does (`boolWord`).
            if untagged, let b = boolWord(s.string) { return .bool(b) }
            if untagged, isPlainWord(s.string) { return .string(s.string) }
            if n.null != nil { return .null }
            if !untagged, let b = n.bool { return .bool(b) }
            if let i = n.int { return .int(Int64(i)) }
            if let d = n.float { return .double(d) }
            return .string(s.string)
        case .sequence(let seq):
            var out: [PlanNode] = []
            for e in seq { out.append(try convert(e, &budget, depth: depth + 1, what: what)) }
            return .list(out)
        case .mapping(let m):
            var out: [(String, PlanNode)] = []
            for (k, v) in m {
                guard case .scalar(let ks) = k else { throw PlanError("a mapping key is not a plain value") }
                out.append((ks.string, try convert(v, &budget, depth: depth + 1, what: what)))
            }
            return .map(out)
        case .alias:
            throw PlanError("unresolved YAML alias")
        }
    }

    public static func emit(_ plan: Plan) -> String {
        let header = "# ampscope tracking plan (Docs/plan.md)\n"
        do {
            return header + (try Yams.serialize(node: node(PlanFormat.node(plan)), indent: 2, width: -1, allowUnicode: true))
        } catch {
            // Serialising a tree built here cannot fail short of a libyaml bug; say so rather than lose it.
            return header + "# could not serialise: \(error)\n"
        }
    }

    /// The bool an untagged plain scalar is to Yams: `Bool.construct` reads yes, no, true, false,
    /// on and off in any case from a scalar whose tag is not (yet) resolved to str, as a value's
    /// is when it is read.
    static func boolWord(_ text: String) -> Bool? {
        guard text.utf8.count <= 5 else { return nil }
        switch text.lowercased() {
        case "yes", "true", "on": return true
        case "no", "false", "off": return false
        default: return nil
        }
    }

    /// Whether a plain scalar is a string to Yams' null, int and float constructors, decided
    /// without them (they remove underscores through Foundation and parse, for every scalar):
    /// it starts with a letter and is none of the words a `Double` or null is read from
    /// (`inf`, `infinity`, `nan`, `snan`, `nan(…)`, `null`, in any case and with underscores
    /// anywhere), nor has a `:` (a sexagesimal number such as `inf:30`). Anything else goes the
    /// constructors' way; `PlanYAMLTests.scalarsAsYamsTypesThem` holds the two together.
    static func isPlainWord(_ text: String) -> Bool {
        var head: [UInt8] = []  // the first nine bytes, underscores left out, in lower case
        var count = 0
        for b in text.utf8 {
            if count == 0 {
                guard (b | 0x20) >= UInt8(ascii: "a"), (b | 0x20) <= UInt8(ascii: "z") else { return false }
            }
            if b == UInt8(ascii: ":") { return false }
            if b == UInt8(ascii: "_") { continue }
            if count < 9 { head.append(b | 0x20) }
            count += 1
        }
        guard count > 0 else { return false }
        if head.starts(with: "nan(".utf8) || head.starts(with: "snan(".utf8) { return false }
        if count > 8 { return true }  // longer than "infinity"
        switch String(decoding: head, as: UTF8.self) {
        case "inf", "infinity", "nan", "snan", "null": return false
        default: return true
        }
    }

    static let ambiguous: Set<String> = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ""]

    private static func node(_ p: PlanNode) -> Node {
        switch p {
        case .null: return Node("null")
        case .bool(let b): return Node(b ? "true" : "false")
        case .int(let i): return Node(String(i))
        case .double(let d): return Node(String(d))
        case .string(let s):
            let quote = ambiguous.contains(s.lowercased()) || Double(s) != nil || s.hasPrefix(" ") || s.hasSuffix(" ")
                || s.unicodeScalars.contains { Sanitize.isUnsafe($0.value) }
            return Node(s, .implicit, quote ? .doubleQuoted : .any)
        case .list(let l):
            let flow = !l.isEmpty && l.count <= 12 && l.allSatisfy { if case .list = $0 { return false }; if case .map = $0 { return false }; return true }
            return Node(l.map(node), .implicit, flow ? .flow : .block)
        case .map(let m):
            return Node(m.map { (Node($0.0, .implicit, ambiguous.contains($0.0.lowercased()) || Double($0.0) != nil ? .doubleQuoted : .any), node($0.1)) })
        }
    }
}

/// Reading a plan file of any supported format (`--plan`, `plan convert`).
enum PlanFile {
    static func load(_ path: String) throws -> (plan: Plan, source: PlanImport.Source) {
        let bytes = try readBytes(path)
        let result = Result { () throws(PlanError) -> (Plan, PlanImport.Source) in try PlanImport.read(bytes, yaml: { try PlanYAML.parse($0) }) }
        switch result {
        case .success(let r): return (r.0, r.1)
        case .failure(let e): throw PlanError("\(Sanitize.inline(path, limit: 200)): \(e.message)")
        }
    }

    /// The checker for a command's `--plan` option (nil without one); a plan that cannot be read
    /// is reported on standard error and ends the command with exit code 2.
    static func checker(_ path: String?) throws -> PlanChecker? {
        guard let path else { return nil }
        do { return PlanChecker(try load(path).plan) } catch {
            FileHandle.standardError.write(Data(("ampscope: " + Sanitize.inline(error.localizedDescription, limit: 400) + "\n").utf8))
            throw ExitCode(2)
        }
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        if path == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size > PlanLimits.maxFileBytes { throw PlanError("\(Sanitize.inline(path, limit: 200)): larger than \(PlanLimits.maxFileBytes >> 20) MiB") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlanError("cannot read the plan \(Sanitize.inline(path, limit: 200))")
        }
        return [UInt8](data)
    }
}

extension PlanError: LocalizedError {
    public var errorDescription: String? { message }
}

