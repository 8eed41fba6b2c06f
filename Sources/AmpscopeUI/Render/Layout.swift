/// Where each part of the screen goes for a size: the reducer (scrolling, mouse) and the
/// renderer use the same layout.
///
/// Rows: header, the panes, a status bar and a bottom line (hints, prompt or message). Wide
/// terminals put the stream and the inspector side by side, narrow ones stack them; `zoom`
/// gives the whole body to the focused pane.
public struct Layout: Equatable, Sendable {
    public static let minimum = Size(cols: 30, rows: 8)
    /// Side by side from this many columns.
    public static let sideBySideColumns = 130
    /// The most of the width the stream takes on its own to show its columns whole (percent).
    public static let maxAutoShare = 62
    /// The narrowest a side-by-side pane gets (columns).
    public static let minimumPane = 30
    /// The range of `split` (percent).
    public static let splitRange = 20...80

    public var size: Size
    public var tooSmall: Bool
    public var header: Rect
    public var status: Rect
    public var bottom: Rect
    public var sideBySide: Bool
    /// The stream pane: title row, column header row, list.
    public var stream: Rect
    public var streamList: Rect
    /// The inspector: tab row, context row, body.
    public var inspector: Rect
    public var inspectorBody: Rect
    /// Column between side-by-side panes.
    public var separator: Rect

    /// The layout the state asks for (the user's split, or the width the stream's rows want).
    public init(_ s: AppState) {
        self.init(size: s.size, focus: s.focus, zoomed: s.zoomed, split: s.split, streamWants: s.streamWants)
    }

    /// `split`: the stream's share of the body in percent (columns side by side, rows stacked),
    /// as the user set it with `<` `>` or the mouse; nil lets the stream take the width its rows
    /// want (`streamWants`) when that is more than its default share, up to `maxAutoShare`.
    public init(size: Size, focus: Pane, zoomed: Bool, split: Int? = nil, streamWants: Int = 0) {
        self.size = size
        tooSmall = size.cols < Layout.minimum.cols || size.rows < Layout.minimum.rows
        header = Rect(x: 0, y: 0, width: size.cols, height: 1)
        status = Rect(x: 0, y: size.rows - 2, width: size.cols, height: 1)
        bottom = Rect(x: 0, y: size.rows - 1, width: size.cols, height: 1)
        let body = Rect(x: 0, y: 1, width: size.cols, height: max(0, size.rows - 3))
        sideBySide = size.cols >= Layout.sideBySideColumns
        separator = .zero
        if tooSmall {
            stream = .zero
            inspector = .zero
        } else if zoomed {
            stream = focus == .stream ? body : .zero
            inspector = focus == .inspector ? body : .zero
        } else if sideBySide {
            var sw = max(60, size.cols * 45 / 100)
            if let split {
                sw = size.cols * split / 100
            } else if streamWants > sw {
                sw = min(streamWants, size.cols * Layout.maxAutoShare / 100)
            }
            sw = max(Layout.minimumPane, min(size.cols - 1 - Layout.minimumPane, sw))
            stream = Rect(x: 0, y: body.y, width: sw, height: body.height)
            separator = Rect(x: sw, y: body.y, width: 1, height: body.height)
            inspector = Rect(x: sw + 1, y: body.y, width: size.cols - sw - 1, height: body.height)
        } else {
            var sh = max(5, body.height * 45 / 100)
            if let split { sh = max(3, min(body.height - 3, body.height * split / 100)) }
            stream = Rect(x: 0, y: body.y, width: size.cols, height: sh)
            inspector = Rect(x: 0, y: body.y + sh, width: size.cols, height: body.height - sh)
        }
        streamList = stream.isEmpty ? .zero : Rect(x: stream.x, y: stream.y + 2, width: stream.width, height: stream.height - 2)
        inspectorBody = inspector.isEmpty ? .zero
            : Rect(x: inspector.x + 1, y: inspector.y + 2, width: inspector.width - 1, height: inspector.height - 2)
    }

    /// Rows the stream list shows (at least 1, so movement math never divides by zero).
    public var listHeight: Int { max(1, streamList.height) }
    public var inspectorHeight: Int { max(1, inspectorBody.height) }

    /// Where the inspector's tab labels are: (tab, first column, last column + 1).
    public func tabHits(findings: Int) -> [(InspectorTab, Int, Int)] {
        var x = inspector.x + 1
        var out: [(InspectorTab, Int, Int)] = []
        for t in InspectorTab.allCases {
            let label = Layout.tabLabel(t, findings: findings)
            let w = DisplayWidth.of(label)
            out.append((t, x, x + w))
            x += w + 1
        }
        return out
    }

    static func tabLabel(_ t: InspectorTab, findings: Int) -> String {
        let n = InspectorTab.allCases.firstIndex(of: t)! + 1
        if t == .findings && findings > 0 { return " \(n) \(t.title) (\(findings)) " }
        return " \(n) \(t.title) "
    }
}
