import AmpscopeCore
import AmpscopeStore
import Dispatch
import Foundation
import Synchronization

/// Captures of another ampscope store, read without modifying it.
final class StoreFileSource: ReplaySource {
    private var pending: [ReplayItem] = []
    private var loaded = false
    let path: String
    let name: String

    init(path: String, name: String) {
        self.path = path
        self.name = name
    }

    override func fill(lines: Int, parallel: ([() -> ReplayItem?]) -> [ReplayItem?]) {
        if !loaded {
            loaded = true
            do {
                let reader = try StoreSnapshotReader(path: path)
                pending = try reader.all().map { ReplayItem(time: $0.capture.receivedAt, kind: .processed($0)) }
            } catch {
                pending = [ReplayItem(time: 0, kind: .problem(InputProblem(source: name, line: 0, reason: "cannot read the store: \(error)"), []))]
            }
        }
        let n = min(lines, pending.count)
        queue += pending.prefix(n)
        pending.removeFirst(n)
        exhausted = pending.isEmpty
    }
}
