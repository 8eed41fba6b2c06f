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
        do { root = try Yams.compose(yaml: text) } catch {
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
            if n.null != nil { return .null }
            if let b = n.bool { return .bool(b) }
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

