import AmpscopeCore

/// Settings that come from the command line and do not change while the UI runs.
public struct UIConfig: Sendable, Equatable {
    /// `127.0.0.1:8787` when a proxy listens, nil when only replaying.
    public var proxyAddress: String?
    /// The store file, nil for an in-memory store.
    public var storePath: String?
    /// Mask API keys on screen (off with `--no-redact`).
    public var redact: Bool
    /// Ask the terminal for mouse reports (off with `--no-mouse`).
    public var mouse: Bool
    /// Offset of local time from UTC in seconds, for the time column.
    public var utcOffsetSeconds: Int
    /// What the stream shows when empty is tailored to how ampscope was started.
    public var demoCommand: String
    /// When the proxy listens beyond loopback: the machine's LAN addresses (for a phone), shown
    /// on the setup screen with the warning that captured data is reachable.
    public var lanAddresses: [String] = []

    public init(proxyAddress: String? = "127.0.0.1:8787", storePath: String? = nil, redact: Bool = true, mouse: Bool = true,
                utcOffsetSeconds: Int = 0, demoCommand: String = "ampscope --demo") {
        self.proxyAddress = proxyAddress
        self.storePath = storePath
        self.redact = redact
        self.mouse = mouse
        self.utcOffsetSeconds = utcOffsetSeconds
        self.demoCommand = demoCommand
    }

    /// The URL an SDK should send to.
    public var ingestURL: String? { proxyAddress.map { "http://\($0)/2/httpapi" } }
}

public enum Pane: String, Sendable, Equatable {
    case stream, inspector
}

public enum InspectorTab: String, Sendable, Equatable, CaseIterable {
    case payload, findings, request, debug, mapping, user, diff

    public var title: String {
        switch self {
        case .payload: return "Payload"
        case .findings: return "Findings"
        case .request: return "Request"
        case .debug: return "Debug"
        case .mapping: return "Mapping"
        case .user: return "User"
        case .diff: return "Diff"
        }
    }
}

/// What the stream pane lists: the wire events (the store's rows) or the SDK calls read from
/// debug logs (`SDKCallsList`), each with its own selection.
public enum StreamMode: String, Sendable, Equatable {
    case events, calls
}

enum StreamLink: Sendable, Equatable {
    /// Switch between events and SDK calls.
    case toggle
    /// Go from an event to its SDK call, or from a call to its (first) wire event.
    case jump
}

/// The stream selection of the mode not on screen, restored when switching back.
public struct StreamCursor: Sendable, Equatable {
    public var selection: RowID?
    public var selectionLine = 0
    public var following = true
    public var pausedAtEvents: Int?
}

/// A line being typed at the bottom of the screen.
public struct PromptState: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case search, filter, command
        var leader: String {
            switch self {
            case .search: return "/"
            case .filter: return "filter: "
            case .command: return ":"
            }
        }
    }
    public var kind: Kind
    /// The text as scalars, so the cursor moves by character.
    public var text: [Unicode.Scalar]
    public var cursor: Int
    /// The problem with the current text (filters), shown with a caret.
    public var error: FilterError?
    /// The filter in force when the prompt opened (restored by Esc).
    public var previousFilter: Filter?
    /// Position in the history while recalling with up/down.
    public var historyIndex: Int?

    public var string: String { String(String.UnicodeScalarView(text)) }

    public init(kind: Kind, text: String = "", previousFilter: Filter? = nil) {
        self.kind = kind
        self.text = Array(text.unicodeScalars)
        self.cursor = self.text.count
        self.previousFilter = previousFilter
    }
}

public enum Overlay: Sendable, Equatable {
    case help
    case setup
}

/// A one-line message at the bottom (results of commands, errors).
public struct StatusMessage: Sendable, Equatable {
    public var text: String
    public var isError: Bool
    public init(_ text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }
}

/// The search in force (`/` then `n`/`N`).
public struct SearchState: Sendable, Equatable {
    public enum Scope: Sendable, Equatable { case stream, payload }
    public var text: String
    public var scope: Scope
    public var filter: Filter?

    public static func == (a: SearchState, b: SearchState) -> Bool { a.text == b.text && a.scope == b.scope }
}

/// The Payload tab: which JSON, what is folded, where the cursor is.
public struct PayloadState: Sendable, Equatable {
    public enum Scope: Sendable, Equatable { case event, request }
    public var scope: Scope = .event
    /// Folded containers by pointer relative to the shown root, kept from event to event.
    public var foldedEvent: Set<String> = []
    /// Folded containers of the whole-request view, by absolute pointer.
    public var foldedRequest: Set<String> = []
    public var folded: Set<String> {
        get { scope == .event ? foldedEvent : foldedRequest }
        set { if scope == .event { foldedEvent = newValue } else { foldedRequest = newValue } }
    }
    /// What the lines were built from (capture, record index, scope), to rebuild only when it changes.
    public var source: PayloadSource?
    /// Pointer of the cursor line.
    public var cursor: String?
    /// First tree line shown.
    public var top: Int = 0
    public var wrap: Bool = false
    /// A finding's path to highlight.
    public var highlight: String?
    /// The tree lines for the current detail, scope and folds (recomputed by the reducer).
    public var lines: [TreeLine] = []
    public var cursorLine: Int {
        guard let c = cursor, let i = lines.firstIndex(where: { $0.pointer == c && !$0.isClose }) else { return 0 }
        return i
    }
}

/// The whole UI state: a value, changed only by `Reducer.reduce`.
public struct AppState: Sendable {
    public var config: UIConfig
    public var keys: KeyTable
    public var size: Size
    public var focus: Pane = .stream
    public var tab: InspectorTab = .payload
    public var zoomed = false
    /// The stream's share of the body in percent, as the user set it (`<` `>`, or dragging the
    /// separator); nil: the default, widened to what the rows on screen need (`streamWants`).
    public var split: Int?
    /// The stream pane width that shows the visible rows' columns whole (set by the reducer).
    public var streamWants = 0
    /// The mouse went down on the separator: its release moves the split there.
    public var draggingSplit = false
    /// Follow mode keeps the newest row selected; paused keeps the selection where it is.
    public var following = true
    /// Store rows when following was paused (to show "+N new").
    public var pausedAtEvents: Int?
    /// Selected row (by id, so new rows or a new filter do not move it).
    public var selection: RowID?
    /// Screen line of the selection within the stream list.
    public var selectionLine = 0
    /// What the stream shows; the store is asked to apply it.
    public var view: StreamView = .all
    public var marks: Set<RowID> = []
    public var search: SearchState?
    public var prompt: PromptState?
    public var history: [PromptState.Kind: [String]] = [:]
    public var overlay: Overlay?
    public var overlayScroll = 0
    public var message: StatusMessage?
    /// The processed capture of the selection, once loaded.
    public var detail: Processed?
    /// The capture whose detail was asked for last.
    public var detailRequested: Int64?
    public var detailError: String?
    public var payload = PayloadState()
    public var findingsCursor = 0
    public var findingsTop = 0
    public var requestRaw = false
    public var requestTop = 0
    public var requestLeft = 0
    public var debugTop = 0
    /// The Mapping tab: which destination's requests it shows, and its scroll.
    public var mappingDestination: SegmentDestination = .actions
    public var mappingTop = 0
    /// The User tab: the selected capture's simulated profiles (once loaded), the property under
    /// its cursor (by name, kept from event to event), and its scroll.
    public var profiles: CaptureProfiles?
    public var profilesRequested: Int64?
    public var userProperty: String?
    public var userTop = 0
    /// The Users list (the host posts it as the simulation moves on), shown where the stream is
    /// while `usersOpen`, with its cursor.
    public var users: UsersList = .empty
    public var usersOpen = false
    public var usersCursor = 0
    /// The Plan view (`P`): the plan's coverage as the host last posted it, shown where the stream
    /// is while `planOpen` (the Users list and the Plan view replace each other), with its cursor.
    public var plan: PlanCoverageList = .none
    public var planOpen = false
    public var planCursor = 0
    /// Live events against a golden run (`--golden`): rows that differ, rows with no counterpart.
    public var golden: GoldenMarks = .none
    /// The Diff tab: the pair it compares (set by the reducer), the two captures once loaded,
    /// whether volatile fields are hidden, and its scroll.
    public var diffPair: DiffPair?
    public var diffSubject: DiffSubject?
    public var diffHideVolatile = false
    public var diffTop = 0
    /// What the Debug tab shows (to start it at the top when that changes).
    public var debugSubject: String?
    /// Events or SDK calls in the stream pane.
    public var streamMode: StreamMode = .events
    /// The other mode's selection.
    public var otherCursor = StreamCursor()
    /// The SDK debug side as the host last sent it (nil when ampscope reads no debug log and
    /// has no log endpoint). An immutable snapshot: render and reduce read only this value.
    public var debug: DebugSnapshot?
    /// The SDK-calls list for `debug` and the view's filter (kept up to date by the reducer).
    public var calls: SDKCallsList = .empty
    /// `DebugSnapshot.version` the store's view was last applied with (debug filter terms read it).
    public var debugAppliedVersion: Int?
    /// A mode switch or jump asked for by a command, carried out once both lists are at hand.
    var pendingLink: StreamLink?
    /// The user switched modes (or ampscope did once): no more automatic switching.
    var modeChosen = false
    public var quitting = false

    public init(config: UIConfig = UIConfig(), keys: KeyTable = .standard, size: Size = Size(cols: 80, rows: 24)) {
        self.config = config
        self.keys = keys
        self.size = size
    }

    /// The key contexts searched for the focused pane, most specific first.
    public var keyContexts: [KeyContext] {
        if overlay != nil { return [.help, .global] }
        switch focus {
        case .stream: return planOpen ? [.plan, .global] : usersOpen ? [.users, .global] : [.stream, .global]
        case .inspector:
            switch tab {
            case .payload: return [.payload, .inspector, .global]
            case .findings: return [.findings, .inspector, .global]
            case .request: return [.request, .inspector, .global]
            case .debug: return [.debug, .inspector, .global]
            case .mapping: return [.mapping, .inspector, .global]
            case .user: return [.user, .inspector, .global]
            case .diff: return [.diff, .inspector, .global]
            }
        }
    }

    /// The rows the stream pane shows in the current mode.
    public func streamData(_ wire: any StreamData) -> any StreamData {
        if streamMode == .calls, debug != nil { return calls }
        return wire
    }

    /// The wire event the inspector shows: the selection in events mode, the selected SDK
    /// call's first wire event in calls mode (nil when it has none).
    public var wireSelection: RowID? {
        guard streamMode == .calls else { return selection }
        guard let sel = selection, let row = calls.sdkRow(number: Int(sel.captureID)), let w = row.wire.first else { return nil }
        return RowID(captureID: w.captureID, index: w.index)
    }

    /// The selected SDK row (calls mode).
    public var selectedSDKRow: SDKRow? {
        guard streamMode == .calls, let sel = selection else { return nil }
        return calls.sdkRow(number: Int(sel.captureID))
    }
}

/// Everything that can happen to the UI.
public enum Action: Sendable {
    /// A key, mouse report or resize from the terminal.
    case input(InputEvent)
    /// A command, as if its key was pressed.
    case command(Command)
    /// The store has new rows or finished applying a view.
    case dataChanged
    /// The detail asked for with `Effect.loadDetail` (its `capture.id` says which).
    case detailLoaded(Processed)
    case detailFailed(captureID: Int64, message: String)
    /// A result to show (an export finished, a theme could not be loaded...).
    case message(String, isError: Bool)
    /// The store was cleared (by `c` or by another client).
    case cleared
    /// The SDK debug session changed (new log records, wire events joined): its new snapshot.
    case debugChanged(DebugSnapshot)
    /// The simulated profiles of a capture's events (answer to `Effect.loadProfiles`).
    case profilesLoaded(CaptureProfiles)
    /// The simulation moved on: every user as Amplitude resolves them now.
    case usersChanged(UsersList)
    /// The plan's coverage moved on (the host posts it, throttled, when ampscope runs with a plan).
    case planChanged(PlanCoverageList)
    /// The golden run's marks moved on (the host posts them, throttled, with `--golden`).
    case goldenChanged(GoldenMarks)
    /// The two captures of a Diff pair (answer to `Effect.loadDiff`).
    case diffLoaded(DiffSubject)
}

/// Work the UI asks its host to do; the host reports back with actions.
public enum Effect: Sendable, Equatable {
    /// Load the processed capture and answer `.detailLoaded` (or `.detailFailed`).
    case loadDetail(captureID: Int64)
    /// Answer `.profilesLoaded` with the simulated profiles of the capture's events (hosts
    /// without a profile simulator ignore it).
    case loadProfiles(captureID: Int64)
    /// Load both captures of a pair and answer `.diffLoaded`.
    case loadDiff(DiffPair)
    /// Make the store's rows reflect this view, then send `.dataChanged`. Debug filter terms
    /// (`sdk:`, `fate:`, `has:`) read `debug`, the SDK side of the wire events as the UI knows
    /// it: the handler binds the filter to it (`StreamView.bound(to:)`) when it applies the view.
    case applyView(StreamView, debug: DebugRowTable? = nil)
    /// Put text on the clipboard (OSC 52) and in a fallback file; `what` names it for the message.
    case copy(text: String, what: String)
    /// Write the captures of the rows in `view` to a capture file (debug terms as for `applyView`).
    case export(path: String, view: StreamView, debug: DebugRowTable? = nil)
    /// Delete every capture, then send `.cleared`.
    case clearStore
    /// Load a theme by name or path and switch to it.
    case loadTheme(String)
    /// Turn mouse reporting on or off.
    case setMouse(Bool)
    case quit
}
