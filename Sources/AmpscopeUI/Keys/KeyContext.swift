/// Where a key binding applies. The focused pane's contexts are searched first, `global` last.
public enum KeyContext: String, CaseIterable, Sendable {
    case global, stream, inspector, payload, findings, request, debug, mapping, help

    public var title: String {
        switch self {
        case .global: return "Everywhere"
        case .stream: return "Stream pane"
        case .inspector: return "Inspector (all tabs)"
        case .payload: return "Payload tab"
        case .findings: return "Findings tab"
        case .request: return "Request tab"
        case .debug: return "Debug tab"
        case .mapping: return "Mapping tab"
        case .help: return "Help and setup overlays"
        }
    }
}
