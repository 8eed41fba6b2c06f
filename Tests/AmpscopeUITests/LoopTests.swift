import AmpscopeCore
import Synchronization
import Testing
@testable import AmpscopeUI

@Suite("Run loop over a headless terminal")
struct LoopTests {
    @Test("keys from the terminal drive the UI; effects reach the handler and the terminal")
    func loop() {
        let data = MemoryStreamData()
        for p in SampleTraffic.all { data.append(p) }
        let session = UISession(data: data, size: Size(cols: 80, rows: 24))
        var script: [TerminalInput] = [.event(.resize(Size(cols: 100, rows: 30)))]
        script += HeadlessTerminal.keys("g")
        script += [.timeout]
        script += HeadlessTerminal.keys("y")                       // copy: goes to the terminal
        script += HeadlessTerminal.keys(":theme light\n")          // theme: loaded and set on the terminal
        script += HeadlessTerminal.keys(":theme nope\n")
        script += HeadlessTerminal.keys(":mouse off\n")
        script += HeadlessTerminal.keys("ftype:page\n")            // filter: the handler applies the view
        script += [.timeout]
        let term = HeadlessTerminal(size: Size(cols: 80, rows: 24), script: script, keepAllFrames: true)
        let handler = MemoryStoreHandler(data: data)
        let loop = UILoop(session: session, terminal: term, handler: handler)
        loop.run()
        #expect(session.state.size == Size(cols: 100, rows: 30))
        #expect(term.clipboard.count == 1)
        #expect(term.clipboard.first?.contains("Page Viewed") == true)
        #expect(term.theme?.name == "light")
        #expect(session.theme.name == "light")
        #expect(!term.mouse)
        #expect(data.count == 1)
        #expect(term.screen.contains("filter: type:page"))
        #expect(term.frames.count >= 5)
        #expect(term.frames.allSatisfy { $0.isConsistent })
        // The bad theme was reported, not fatal.
        #expect(term.frames.contains { $0.text.contains("unknown theme") })
    }

    @Test("actions posted from other threads are applied, and dataChanged bursts coalesce into one frame")
    func posts() async {
        let data = MemoryStreamData()
        let session = UISession(data: data, size: Size(cols: 80, rows: 24))
        let term = HeadlessTerminal(size: Size(cols: 80, rows: 24), script: [.timeout, .timeout, .timeout], keepAllFrames: true)
        let loop = UILoop(session: session, terminal: term, handler: MemoryStoreHandler(data: data))
        data.append(SampleTraffic.batch)
        for _ in 0..<100 { loop.post(.dataChanged) }
        loop.post(.message("exported 3 captures to x.jsonl", isError: false))
        loop.run()
        #expect(term.screen.contains("exported 3 captures to x.jsonl"))
        #expect(term.screen.contains("Signed Up"))
        #expect(term.frames.count <= 4)
    }

    @Test("q quits the loop")
    func quit() {
        let data = MemoryStreamData()
        let session = UISession(data: data)
        let term = HeadlessTerminal(size: Size(cols: 80, rows: 24), script: HeadlessTerminal.keys("qxxxx"))
        UILoop(session: session, terminal: term, handler: MemoryStoreHandler(data: data)).run()
        #expect(session.isQuitting)
        #expect(term.script.count == 4)    // the keys after q were not read
    }

    @Test("terminal character codes become keys")
    func decoder() {
        #expect(InputDecoder.character(0x0D) == .enter)
        #expect(InputDecoder.character(0x0A) == .enter)
        #expect(InputDecoder.character(0x09) == .tab)
        #expect(InputDecoder.character(0x1B) == .escape)
        #expect(InputDecoder.character(0x7F) == .backspace)
        #expect(InputDecoder.character(0x08) == .backspace)
        #expect(InputDecoder.character(0x04) == .ctrl("d"))
        #expect(InputDecoder.character(0x01) == .ctrl("a"))
        #expect(InputDecoder.character(0x20) == .char(" "))
        #expect(InputDecoder.character(0xE9) == .char("é"))
        #expect(InputDecoder.character(0x8A9E) == .char("語"))
        #expect(InputDecoder.character(0x9B) == nil)
        #expect(InputDecoder.character(0xD800) == nil)
        #expect(InputDecoder.character(0) == nil)
    }
}
