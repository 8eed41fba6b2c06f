/// The life of one HTTP/1.1 connection as a value: each event the handler sees goes in, an
/// action comes out, and the handler only carries actions out (the shape of SwiftNIO's own
/// protocol state machines). No channel, no buffers, no clock: tested as a table of events.
///
/// ```
///  idle ──head──► receiving ──end──► processing ──respond(keep-alive)──► idle
///    │               │  body over the limit / budget         │
///    │               └──────────► refused ──respond──► closed ◄──── respond(close), drop, errors
///    └── parse error ──► refused (answered 400/431, then closed)
/// ```
struct HTTPConnectionStateMachine {
    enum State: Equatable {
        case idle
        /// A request head arrived; `bodyBytes` of its body so far.
        case receiving(bodyBytes: Int)
        /// The request was refused (too large, over the memory budget, malformed); its answer
        /// closes the connection and nothing more is read into it.
        case refused
        case processing
        case closed
    }

    let maxBody: Int
    private(set) var state = State.idle

    init(maxBody: Int) { self.maxBody = maxBody }

    enum HeadAction: Equatable {
        /// Not expecting a head (an answer is under way, or the connection is refused/closed).
        case ignore
        /// The declared body is over the limit: answer 413 now, read nothing more.
        case refuseTooLarge(declared: Int)
        /// Collect the body (`sendContinue`: answer `100 Continue` first).
        case receive(sendContinue: Bool, capacity: Int)
    }

    mutating func head(declaredLength: Int?, expectsContinue: Bool) -> HeadAction {
        guard state == .idle else { return .ignore }
        if let declaredLength, declaredLength > maxBody {
            state = .refused
            return .refuseTooLarge(declared: declaredLength)
        }
        state = .receiving(bodyBytes: 0)
        return .receive(sendContinue: expectsContinue, capacity: min(declaredLength ?? 0, 1 << 20))
    }

    enum BodyAction: Equatable {
        case ignore
        /// The body grew past the limit (chunked, or more than declared): answer 413.
        case refuseTooLarge
        /// The proxy-wide memory budget refused the chunk: answer 503.
        case refuseBusy
        /// Keep the chunk.
        case append
    }

    /// A body chunk of `bytes`; `reserve` asks the memory budget for them (called only when
    /// the chunk is within the limit).
    mutating func body(bytes: Int, reserve: () -> Bool) -> BodyAction {
        guard case .receiving(let sofar) = state else { return .ignore }
        if sofar + bytes > maxBody {
            state = .refused
            return .refuseTooLarge
        }
        guard reserve() else {
            state = .refused
            return .refuseBusy
        }
        state = .receiving(bodyBytes: sofar + bytes)
        return .append
    }

    enum EndAction: Equatable {
        case ignore
        /// The request is complete: hand it to the engine.
        case dispatch
    }

    mutating func end() -> EndAction {
        guard case .receiving = state else { return .ignore }
        state = .processing
        return .dispatch
    }

    enum RespondAction: Equatable {
        /// The connection is gone: nothing to write.
        case ignore
        /// Close without an answer (`--inject close`).
        case drop
        /// Write the answer; `keepAlive` false closes the connection after it.
        case write(keepAlive: Bool)
    }

    /// An answer is ready. `channelActive`: the socket is still open; `clientKeepAlive`: the
    /// request asked to keep the connection; `close`/`drop`: the answer's own wishes.
    mutating func respond(channelActive: Bool, clientKeepAlive: Bool, close: Bool, drop: Bool) -> RespondAction {
        guard state != .closed, channelActive else { return .ignore }
        if drop {
            state = .closed
            return .drop
        }
        let refused = state == .refused
        let keepAlive = clientKeepAlive && !close && !refused
        // A refused request's answer closes the connection once written; it stays `refused`
        // meanwhile so that nothing more is read into it.
        if !refused { state = keepAlive ? .idle : .closed }
        return .write(keepAlive: keepAlive)
    }

    enum ErrorAction: Equatable {
        /// Answer the malformed request (400, or 431 for oversized headers), then close.
        case answer(status: Int)
        case close
    }

    /// The HTTP decoder could not read the request. An answer is sent only when none is under way.
    mutating func parseError(headersTooLarge: Bool) -> ErrorAction {
        switch state {
        case .idle, .receiving:
            state = .refused
            return .answer(status: headersTooLarge ? 431 : 400)
        default:
            state = .closed
            return .close
        }
    }

    /// An I/O error, or the channel went away.
    mutating func closed() { state = .closed }
}
