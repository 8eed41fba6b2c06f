/// Something a key can do. The raw value is the name used in key files.
public enum Command: String, CaseIterable, Sendable {
    case down, up, top, bottom
    case pageDown = "page-down", pageUp = "page-up"
    case nextPane = "next-pane", previousPane = "previous-pane"
    case open, back, quit, cancel
    case search, searchNext = "search-next", searchPrevious = "search-previous"
    case filter
    case nextError = "next-error", previousError = "previous-error"
    case follow, pause
    case mark, markedOnly = "marked-only"
    case copy, copyPath = "copy-path"
    case clear, command, help, setup, zoom
    case nextTab = "next-tab", previousTab = "previous-tab"
    case tabPayload = "tab-payload", tabFindings = "tab-findings", tabRequest = "tab-request", tabDebug = "tab-debug"
    case tabMapping = "tab-mapping", tabUser = "tab-user", tabDiff = "tab-diff"
    case volatile
    case expand, collapse
    case toggleFold = "toggle-fold", foldAll = "fold-all", unfoldAll = "unfold-all"
    case wrap, raw, scope
    case scrollLeft = "scroll-left", scrollRight = "scroll-right"
    case sdkCalls = "sdk-calls", jump
    case shrinkStream = "shrink-stream", growStream = "grow-stream"
    case foldSegment = "fold-segment", switchDestination = "switch-destination"
    case users, plan

    /// What the command does, for the help overlay and Docs/keys.md.
    public var help: String {
        switch self {
        case .down: return "Move down one line"
        case .up: return "Move up one line"
        case .top: return "Go to the first line"
        case .bottom: return "Go to the last line"
        case .pageDown: return "Move down one page"
        case .pageUp: return "Move up one page"
        case .nextPane: return "Focus the next pane (stream, inspector)"
        case .previousPane: return "Focus the previous pane"
        case .open: return "Open the selected event in the inspector"
        case .back: return "Back: close an overlay, leave the inspector, or quit from the stream"
        case .quit: return "Quit ampscope"
        case .cancel: return "Cancel: close the prompt or overlay, clear the search and messages"
        case .search: return "Search (the stream's columns, or the payload's text)"
        case .searchNext: return "Next search match"
        case .searchPrevious: return "Previous search match"
        case .filter: return "Edit the stream filter (Docs/filter.md)"
        case .nextError: return "Next event with an error (wraps around)"
        case .previousError: return "Previous event with an error (wraps around)"
        case .follow: return "Follow: keep the newest event selected"
        case .pause: return "Pause or resume following (capture goes on)"
        case .mark: return "Mark or unmark the selected event"
        case .markedOnly: return "Show only marked events, or all again"
        case .copy: return "Copy the selection (OSC 52, and a file as fallback)"
        case .copyPath: return "Copy the JSON Pointer under the cursor"
        case .clear: return "Clear the capture store"
        case .command: return "Command prompt (:filter, :export FILE, :theme NAME, :q ...)"
        case .help: return "Show or hide this help"
        case .setup: return "Show how to point an SDK at ampscope"
        case .zoom: return "Zoom the focused pane to the whole screen, or back"
        case .nextTab: return "Next inspector tab"
        case .previousTab: return "Previous inspector tab"
        case .tabPayload: return "Payload tab"
        case .tabFindings: return "Findings tab"
        case .tabRequest: return "Request tab"
        case .tabDebug: return "Debug tab"
        case .tabMapping: return "Mapping tab: what Amplitude receives for a Segment call"
        case .tabUser: return "User tab: the event's user as Amplitude resolves them, and what the event changed"
        case .tabDiff: return "Diff tab: the two marked events, or this event and the previous one of its type and user"
        case .volatile: return "Diff tab: hide the fields that change on every send (time, insert_id…), or dim them again"
        case .expand: return "Unfold the value under the cursor"
        case .collapse: return "Fold the value under the cursor, or go to its parent"
        case .toggleFold: return "Fold or unfold (Findings: jump to the finding's path; User: to the event that set the property)"
        case .foldAll: return "Fold every object and array"
        case .unfoldAll: return "Unfold everything"
        case .wrap: return "Wrap long strings, or elide them again"
        case .raw: return "Raw body bytes, or pretty-printed"
        case .scope: return "Show the whole request's JSON, or the event only"
        case .scrollLeft: return "Scroll left"
        case .scrollRight: return "Scroll right"
        case .sdkCalls: return "Stream: list the SDK calls read from debug logs, or the wire events again"
        case .jump: return "Jump between an SDK call and the wire event it produced, and back"
        case .shrinkStream: return "Give the inspector more room (also: drag the separator with the mouse)"
        case .growStream: return "Give the stream more room"
        case .foldSegment: return "List the Amplitude records under each Segment call, or fold them into the call's row"
        case .users: return "Users list: every user as Amplitude resolves them (enter: their events), or the stream again"
        case .switchDestination: return "Mapping tab: Amplitude (Actions) or the classic destination"
        case .plan: return "Plan view: the tracking plan's coverage (--plan FILE; enter: an event's instances), or the stream again"
        }
    }

    /// Short label for the hint line.
    public var hint: String {
        switch self {
        case .help: return "help"
        case .search: return "search"
        case .filter: return "filter"
        case .nextError: return "next error"
        case .follow: return "follow"
        case .pause: return "pause"
        case .mark: return "mark"
        case .copy: return "copy"
        case .command: return "cmd"
        case .back: return "back"
        case .quit: return "quit"
        case .open: return "inspect"
        case .nextPane: return "pane"
        case .nextTab: return "tab"
        case .toggleFold: return "fold"
        case .wrap: return "wrap"
        case .raw: return "raw"
        case .scope: return "request/event"
        case .setup: return "setup"
        case .zoom: return "zoom"
        case .sdkCalls: return "SDK calls"
        case .jump: return "call ↔ wire"
        case .foldSegment: return "fold Segment"
        case .users: return "users"
        case .plan: return "plan"
        case .volatile: return "volatile"
        case .switchDestination: return "destination"
        default: return rawValue
        }
    }
}
