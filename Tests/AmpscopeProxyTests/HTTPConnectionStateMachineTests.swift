@testable import AmpscopeProxy
import Testing

/// The connection state machine as a table of events and the actions they give.
@Suite struct HTTPConnectionStateMachineTests {
    typealias M = HTTPConnectionStateMachine

    @Test func aKeptAliveRequestGoesBackToIdle() {
        var m = M(maxBody: 100)
        #expect(m.head(declaredLength: 10, expectsContinue: false) == .receive(sendContinue: false, capacity: 10))
        #expect(m.body(bytes: 10, reserve: { true }) == .append)
        #expect(m.end() == .dispatch)
        #expect(m.state == .processing)
        // A pipelined head while the answer is under way is not read into this request.
        #expect(m.head(declaredLength: nil, expectsContinue: false) == .ignore)
        #expect(m.respond(channelActive: true, clientKeepAlive: true, close: false, drop: false) == .write(keepAlive: true))
        #expect(m.state == .idle)
        #expect(m.head(declaredLength: nil, expectsContinue: true) == .receive(sendContinue: true, capacity: 0))
    }

    @Test func limitsRefuseAndTheConnectionCloses() {
        var declared = M(maxBody: 100)
        #expect(declared.head(declaredLength: 101, expectsContinue: false) == .refuseTooLarge(declared: 101))
        #expect(declared.body(bytes: 5, reserve: { Issue.record("no budget asked for a refused request"); return true }) == .ignore)
        #expect(declared.end() == .ignore)
        #expect(declared.respond(channelActive: true, clientKeepAlive: true, close: false, drop: false) == .write(keepAlive: false))

        var growing = M(maxBody: 100)
        _ = growing.head(declaredLength: nil, expectsContinue: false)
        #expect(growing.body(bytes: 60, reserve: { true }) == .append)
        #expect(growing.body(bytes: 41, reserve: { true }) == .refuseTooLarge)
        #expect(growing.state == .refused)

        var busy = M(maxBody: 100)
        _ = busy.head(declaredLength: 50, expectsContinue: false)
        #expect(busy.body(bytes: 50, reserve: { false }) == .refuseBusy)
        #expect(busy.respond(channelActive: true, clientKeepAlive: true, close: false, drop: false) == .write(keepAlive: false))
    }

    @Test func answersThatCloseDropOrFindTheConnectionGone() {
        var close = M(maxBody: 10)
        _ = close.head(declaredLength: 0, expectsContinue: false)
        _ = close.end()
        #expect(close.respond(channelActive: true, clientKeepAlive: true, close: true, drop: false) == .write(keepAlive: false))
        #expect(close.state == .closed)
        #expect(close.respond(channelActive: true, clientKeepAlive: true, close: false, drop: false) == .ignore)

        var http10 = M(maxBody: 10)
        _ = http10.head(declaredLength: 0, expectsContinue: false)
        _ = http10.end()
        #expect(http10.respond(channelActive: true, clientKeepAlive: false, close: false, drop: false) == .write(keepAlive: false))

        var drop = M(maxBody: 10)
        _ = drop.head(declaredLength: 0, expectsContinue: false)
        _ = drop.end()
        #expect(drop.respond(channelActive: true, clientKeepAlive: true, close: false, drop: true) == .drop)
        #expect(drop.state == .closed)

        var gone = M(maxBody: 10)
        _ = gone.head(declaredLength: 0, expectsContinue: false)
        _ = gone.end()
        gone.closed()
        #expect(gone.respond(channelActive: true, clientKeepAlive: true, close: false, drop: false) == .ignore)
        var inactive = M(maxBody: 10)
        #expect(inactive.respond(channelActive: false, clientKeepAlive: true, close: false, drop: false) == .ignore)
    }

    @Test func parseErrorsAreAnsweredOnlyWhenNoAnswerIsUnderWay() {
        var idle = M(maxBody: 10)
        #expect(idle.parseError(headersTooLarge: true) == .answer(status: 431))
        #expect(idle.respond(channelActive: true, clientKeepAlive: true, close: true, drop: false) == .write(keepAlive: false))
        var receiving = M(maxBody: 10)
        _ = receiving.head(declaredLength: 5, expectsContinue: false)
        #expect(receiving.parseError(headersTooLarge: false) == .answer(status: 400))
        var busy = M(maxBody: 10)
        _ = busy.head(declaredLength: 0, expectsContinue: false)
        _ = busy.end()
        #expect(busy.parseError(headersTooLarge: false) == .close)
        #expect(busy.state == .closed)
    }
}
