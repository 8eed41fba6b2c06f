#if canImport(Glibc)
import Glibc
#endif

// Two builds of one program (Docs/fuzzing.md):
//  * with `-DAMPSCOPE_FUZZ` and `-sanitize=fuzzer,address` (Scripts/fuzz): libFuzzer drives the
//    target named by AMPSCOPE_FUZZ_TARGET;
//  * without (a plain `swift build`): `ampscope-fuzz TARGET FILE...` runs files through a target
//    once (reproducing a crash, or checking a corpus) and `ampscope-fuzz --list` names the targets.

nonisolated(unsafe) var selected: FuzzTarget?
nonisolated(unsafe) var slowestNs = 0
nonisolated(unsafe) var cpuLimitNs = 1_000_000_000

/// CPU time of this thread, ns.
func cpuNow() -> Int {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return t.tv_sec * 1_000_000_000 + t.tv_nsec
}

#if AMPSCOPE_FUZZ
// libFuzzer's own entry point. SwiftPM links executables with `--defsym main=<module>_main`,
// so the Swift `main` below runs first and hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
#endif

@main
enum FuzzMain {
    static func main() {
        let args = CommandLine.arguments
        if args.count > 1 && (args[1] == "--list" || args[1] == "-list") {
            for t in Targets.all { print("\(t.name.padding(toLength: 17, withPad: " ", startingAt: 0)) \(t.summary)") }
            exit(0)
        }
        #if AMPSCOPE_FUZZ
        guard let name = getenv("AMPSCOPE_FUZZ_TARGET").map({ String(cString: $0) }), let t = Targets.named(name) else {
            warn("ampscope-fuzz: set AMPSCOPE_FUZZ_TARGET to one of: \(Targets.all.map(\.name).joined(separator: " "))\n")
            exit(2)
        }
        selected = t
        cpuLimitNs = (getenv("AMPSCOPE_FUZZ_CPU_LIMIT_MS").flatMap { Int(String(cString: $0)) } ?? 1000) * 1_000_000
        // Build the targets' shared state (the demo rows of `filter`, the rule tables) before
        // the clock starts: it is done once per process, not per input.
        t.run([])
        atexit { warn("ampscope-fuzz: slowest input \(slowestNs / 1_000_000) ms of CPU time\n") }
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
            let start = cpuNow()
            selected!.run(bytes)
            let used = cpuNow() - start
            if used > slowestNs { slowestNs = used }
            // libFuzzer's -timeout is wall-clock time, which on a shared machine under `nice`
            // measures the other processes too; an input over the limit in CPU time is a bug.
            if used > cpuLimitNs { fatalError("input took \(used / 1_000_000) ms of CPU time (limit \(cpuLimitNs / 1_000_000) ms)") }
            return 0
        })
        #else
        guard args.count >= 2, let t = Targets.named(args[1]) else {
            warn("usage: ampscope-fuzz TARGET FILE...   (targets: ampscope-fuzz --list)\n")
            exit(2)
        }
        var n = 0
        for path in args.dropFirst(2) {
            guard let bytes = readFile(path) else {
                warn("ampscope-fuzz: cannot read \(path)\n")
                exit(2)
            }
            t.run(bytes)
            n += 1
        }
        print("ampscope-fuzz: \(t.name): \(n) input(s) ran without a crash")
        #endif
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }
}

/// Writes to standard error (the C `stderr` global is not concurrency-safe in Swift 6).
func warn(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
