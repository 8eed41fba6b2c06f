/// What a piece of the screen is, for the theme to colour: widgets ask for roles, never colours.
///
/// A theme that does not set a role uses the role's `parent` (ultimately `text`), so a theme
/// file only needs the roles it wants to change. Docs/themes.md lists them all.
public enum StyleRole: String, CaseIterable, Sendable, Hashable {
    case text
    case textDim = "text.dim"
    /// Visible escapes that stand in for control characters, bidi overrides, invalid bytes.
    case textEscape = "text.escape"
    case header
    case headerAccent = "header.accent"
    case border
    case paneTitle = "pane.title"
    case paneTitleFocused = "pane.title.focused"
    case listHeader = "list.header"
    case listRow = "list.row"
    case listSelected = "list.selected"
    /// The selected row while another pane has the focus.
    case listSelectedUnfocused = "list.selected.unfocused"
    case listMarked = "list.marked"
    /// A request that carried no events (its row keeps it reachable).
    case listRequest = "list.request"
    case listTime = "list.time"
    case listSource = "list.source"
    case listType = "list.type"
    case listID = "list.id"
    case tab
    case tabActive = "tab.active"
    case severityError = "severity.error"
    case severityWarning = "severity.warning"
    case severityInfo = "severity.info"
    case severityOK = "severity.ok"
    case httpSuccess = "http.success"
    case httpError = "http.error"
    case jsonKey = "json.key"
    case jsonString = "json.string"
    case jsonNumber = "json.number"
    case jsonBool = "json.bool"
    case jsonNull = "json.null"
    case jsonPunct = "json.punct"
    /// Folded containers and elided strings (`{…} 12 keys`).
    case jsonFolded = "json.folded"
    case jsonCursor = "json.cursor"
    /// The value a selected finding points at.
    case jsonHighlight = "json.highlight"
    case path
    case searchMatch = "search.match"
    case sectionTitle = "section.title"
    case statusBar = "status.bar"
    case statusFollow = "status.follow"
    case statusPaused = "status.paused"
    case statusFilter = "status.filter"
    case statusCount = "status.count"
    case hintKey = "hint.key"
    case hintText = "hint.text"
    case message
    case messageError = "message.error"
    case prompt
    case promptError = "prompt.error"
    case overlay
    case overlayBorder = "overlay.border"
    case overlayTitle = "overlay.title"
    case overlayKey = "overlay.key"
    case emptyTitle = "empty.title"
    case emptyKey = "empty.key"

    /// The role used when a theme leaves this one unset.
    public var parent: StyleRole? {
        switch self {
        case .text: return nil
        case .textDim, .textEscape, .header, .border, .listRow, .listHeader, .tab, .severityError, .severityWarning,
             .severityInfo, .severityOK, .httpSuccess, .httpError, .jsonKey, .jsonString, .jsonNumber, .jsonBool,
             .jsonNull, .jsonPunct, .path, .sectionTitle, .statusBar, .message, .prompt, .overlay, .emptyTitle,
             .listSelected, .searchMatch:
            return .text
        case .headerAccent: return .header
        case .paneTitle: return .border
        case .paneTitleFocused: return .paneTitle
        case .listSelectedUnfocused, .jsonCursor: return .listSelected
        case .listMarked, .listRequest, .listTime, .listSource, .listType, .listID: return .listRow
        case .tabActive: return .tab
        case .jsonFolded: return .textDim
        case .jsonHighlight: return .searchMatch
        case .statusFollow, .statusPaused, .statusFilter, .statusCount: return .statusBar
        case .hintKey, .hintText: return .text
        case .messageError: return .message
        case .promptError: return .messageError
        case .overlayBorder, .overlayTitle, .overlayKey: return .overlay
        case .emptyKey: return .emptyTitle
        }
    }

    /// Dense index for per-role tables.
    public var ordinal: Int { StyleRole.ordinals[self]! }
    static let ordinals: [StyleRole: Int] = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })
}
