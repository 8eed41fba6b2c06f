/// Where a key binding applies. The focused pane's contexts are searched first, `global` last.
public enum KeyContext: String, CaseIterable, Sendable {
    case global, stream, users, plan, inspector, payload, findings, request, debug, mapping, user, diff, help

    public var title: String {
        switch self {
        case .global: return "Everywhere"
        case .stream: return "Stream pane"
        case .users: return "Users list"
        case .plan: return "Plan view"
        case .inspector: return "Inspector (all tabs)"
        case .payload: return "Payload tab"
        case .findings: return "Findings tab"
        case .request: return "Request tab"
        case .debug: return "Debug tab"
        case .mapping: return "Mapping tab"
        case .user: return "User tab"
        case .diff: return "Diff tab"
        case .help: return "Help and setup overlays"
        }
    }
}
