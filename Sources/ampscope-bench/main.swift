// ampscope-bench <mode> [options]
//
// Benchmark programs (not timed tests): each mode measures one part of ampscope against a
// baseline in the same run, so figures can be stated as ratios. One file per mode; a mode is a
// type conforming to `BenchMode`, listed in `benchModes` below.
//
//   swift build -c release --product ampscope-bench
//   .build/release/ampscope-bench core --events 60000 --reps 5

import Foundation

/// Every benchmark mode, by name.
let benchModes: [any BenchMode.Type] = [
    CoreBench.self,
    ProxyBaselineBench.self,
    ProxyServerBench.self,
    UIBench.self,
    DebugBench.self,
    ReplayBench.self,
    ProfileBench.self,
    SegmentBench.self,
    PlanBench.self,
    IndexBench.self,
]

@MainActor func benchUsage() -> String {
    var s = "usage: ampscope-bench <mode> [options]\n\nmodes:\n"
    let width = (benchModes.map { $0.name.count }.max() ?? 0) + 2
    for m in benchModes { s += "  " + m.name.padding(toLength: width, withPad: " ", startingAt: 0) + m.summary + "\n" }
    s += "\n`ampscope-bench <mode> --help` lists a mode's options.\n"
    return s
}

var benchArgs = Array(CommandLine.arguments.dropFirst())
guard let modeName = benchArgs.first, modeName != "--help", modeName != "-h" else {
    print(benchUsage(), terminator: "")
    exit(benchArgs.isEmpty ? 2 : 0)
}
guard let mode = benchModes.first(where: { $0.name == modeName }) else {
    FileHandle.standardError.write(Data("ampscope-bench: unknown mode '\(modeName)'\n\n\(benchUsage())".utf8))
    exit(2)
}
do {
    var options = try BenchOptions(Array(benchArgs.dropFirst()))
    if options.flag("help") || options.flag("h") {
        print("usage: ampscope-bench \(mode.name) [options]\n\n\(mode.summary)\n\noptions:\n\(mode.optionsHelp)")
        exit(0)
    }
    try mode.run(&options)
    try options.rejectUnused()
} catch let e as BenchError {
    FileHandle.standardError.write(Data("ampscope-bench \(mode.name): \(e.message)\n".utf8))
    exit(2)
}
