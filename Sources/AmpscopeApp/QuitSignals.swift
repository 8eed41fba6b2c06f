import Dispatch
import Foundation

/// Turns SIGTERM and SIGHUP into an orderly quit, so the terminal UI restores the screen and
/// the store is flushed and closed instead of the process dying in curses mode.
/// (Ctrl-C arrives as a key in raw mode and is handled by the key table.)
final class QuitSignals: @unchecked Sendable {  // `sources` is filled by `install` before it returns, then only kept alive
    private var sources: [DispatchSourceSignal] = []

    static func install(_ quit: @escaping @Sendable () -> Void) -> QuitSignals {
        let q = QuitSignals()
        for sig in [SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler(handler: quit)
            s.resume()
            q.sources.append(s)
        }
        return q
    }

    func cancel() {
        for s in sources { s.cancel() }
        sources.removeAll()
        signal(SIGTERM, SIG_DFL)
        signal(SIGHUP, SIG_DFL)
    }
}
