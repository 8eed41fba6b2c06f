import AmpscopeCore
import AmpscopeUI
import Foundation

/// A self-contained viewer: capture files in the full terminal UI, with an in-memory store.
///
/// Used to check the curses backend by hand and in tmux (`ampscope-bench ui-demo FILES`);
/// the app's own `ampscope` command runs the same UI over the capture store.
public enum TerminalDemo {
    /// Reads capture-line files into memory; returns the data and the number of lines that failed.
    public static func load(_ files: [String]) -> (MemoryStreamData, [String]) {
        let data = MemoryStreamData()
        var problems: [String] = []
        var ctx = ValidationContext(settings: ValidationSettings())
        let ingest = Ingest()
        for f in files {
            guard let d = FileManager.default.contents(atPath: f) else {
                problems.append("\(f): cannot read the file")
                continue
            }
            let bytes = [UInt8](d)
            let name = (f as NSString).lastPathComponent
            var start = 0
            var line = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
                line += 1
                if end > start {
                    switch CaptureLine.parse(bytes[start..<end], name: name, line: line) {
                    case .success(let c?):
                        data.append(ingest.process(c, context: &ctx, now: c.receivedAt))
                    case .success(nil):
                        break
                    case .failure(let p):
                        problems.append(p.description)
                    }
                }
                start = end + 1
            }
        }
        return (data, problems)
    }

    /// Runs the UI over capture files until the user quits. Returns a process exit status.
    public static func run(files: [String], themeSpec: String? = nil, mouse: Bool = true) -> Int32 {
        let (data, problems) = load(files)
        for p in problems.prefix(5) { FileHandle.standardError.write(Data("ampscope: \(Sanitize.inline(p, limit: 200))\n".utf8)) }
        let theme: Theme
        switch UIFiles.theme(themeSpec) {
        case .success(let t): theme = t
        case .failure(let e):
            FileHandle.standardError.write(Data("ampscope: \(e)\n".utf8))
            return 2
        }
        let (keys, keyProblem) = UIFiles.keys()
        let terminal: CursesTerminal
        do {
            terminal = try CursesTerminal(theme: theme, mouse: mouse)
        } catch {
            FileHandle.standardError.write(Data("ampscope: \(error)\n".utf8))
            return 2
        }
        let offset = TimeZone.current.secondsFromGMT()
        let config = UIConfig(proxyAddress: nil, storePath: nil, mouse: mouse, utcOffsetSeconds: offset)
        let session = UISession(config: config, keys: keys, theme: theme, data: data, size: terminal.size)
        let loop = UILoop(session: session, terminal: terminal, handler: MemoryStoreHandler(data: data),
                          themeLoader: UIFiles.themeLoader())
        if let k = keyProblem { loop.post(.message(k, isError: true)) }
        loop.run()
        terminal.close()
        return 0
    }
}
