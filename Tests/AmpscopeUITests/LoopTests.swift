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
        #expect(loop.frameStats.frames == term.frames.count)  // the loop's own counter counts what it drew
        #expect(loop.frameStats.maxNanoseconds > 0)
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

    @Test("the frame counter's percentiles fall within a bucket of the true ones")
    func frameStats() {
        var f = FrameStats()
        #expect(f.percentile(0.99) == 0)
        #expect(f.summary == "frames: 0 drawn; mean 0.0 ms, p50 0.0 ms, p99 0.0 ms, max 0.0 ms")
        // 1 000 frames of 1..1000 µs, then one of 40 ms.
        for us in 1...1000 { f.record(nanoseconds: UInt64(us) * 1000) }
        f.record(nanoseconds: 40_000_000)
        #expect(f.frames == 1001)
        let p50 = f.percentile(0.5)
        #expect(p50 >= 0.500 && p50 <= 0.500 * 1.26, "p50 \(p50)")
        let p99 = f.percentile(0.99)
        #expect(p99 >= 0.990 && p99 <= 0.990 * 1.26, "p99 \(p99)")
        #expect(f.percentile(1) == 40)
        #expect(abs(f.meanMilliseconds - (500.5 * 1000 + 40_000) / 1001 / 1000) < 1e-9)
        #expect(f.summary.hasPrefix("frames: 1001 drawn; mean 0.5 ms, p50 0."))
        #expect(f.summary.hasSuffix("max 40.0 ms"))
        // Buckets ascend and each holds what it says.
        for ns in [UInt64(1), 999, 1000, 1999, 2000, 3000, 5000, 1 << 40] {
            let k = FrameStats.bucket(ns)
            #expect(Double(max(1, ns / 1000)) / 1000 < FrameStats.upperMilliseconds(k), "\(ns) ns in bucket \(k)")
        }
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
