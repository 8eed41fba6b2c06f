// swift-tools-version:6.0
import PackageDescription

// Target map (see ARCHITECTURE.md):
//   AmpscopeCore      pure: JSON tape, capture model, wire decoders, rules, emulated answers,
//                     input formats, filter language, SDK log parsing. No NIO, no curses, no files.
//   AmpscopeStore     the capture store (GRDB/SQLite actor) and its change stream.
//   AmpscopeProxy     the SwiftNIO intercepting proxy (sink, forward, fault injection).
//   AmpscopeUI        pure terminal UI: state, reducer, key table, themes, render into a cell grid.
//   AmpscopeTerminal  the only code that talks to ncursesw.
//   AmpscopeApp       command-line commands (swift-argument-parser) wiring the pieces together.
let package = Package(
    name: "ampscope",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ampscope", targets: ["ampscope"]),
        .executable(name: "ampscope-bench", targets: ["ampscope-bench"]),
        // libFuzzer targets for every parser of outside input (Docs/fuzzing.md, Scripts/fuzz).
        .executable(name: "ampscope-fuzz", targets: ["ampscope-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        .target(
            name: "AmpscopeCore",
            dependencies: [
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "AmpscopeStore",
            dependencies: [
                "AmpscopeCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "AmpscopeProxy",
            dependencies: [
                "AmpscopeCore",
                "AmpscopeStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "AmpscopeUI", dependencies: ["AmpscopeCore"]),
        .target(name: "AmpscopeTerminal", dependencies: ["AmpscopeUI", "CNcursesw"]),
        .target(
            name: "AmpscopeApp",
            dependencies: [
                "AmpscopeCore", "AmpscopeStore", "AmpscopeProxy", "AmpscopeUI", "AmpscopeTerminal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(name: "ampscope", dependencies: ["AmpscopeApp"]),
        .executableTarget(
            name: "ampscope-bench",
            dependencies: [
                "AmpscopeCore", "AmpscopeStore", "AmpscopeProxy", "AmpscopeUI", "AmpscopeApp",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        // Fuzz targets. A plain build runs inputs through a target once; built by Scripts/fuzz with
        // `-sanitize=fuzzer,address -DAMPSCOPE_FUZZ` it is a libFuzzer binary (Docs/fuzzing.md).
        .executableTarget(name: "ampscope-fuzz", dependencies: ["AmpscopeCore", "AmpscopeUI"]),
        // Helpers every test target shares: repository paths and fixtures, raw loopback clients,
        // thread and lock helpers, running programs, and reaping what tests start.
        .target(name: "AmpscopeTestSupport", dependencies: ["AmpscopeCore"], path: "Tests/AmpscopeTestSupport"),
        .testTarget(name: "AmpscopeCoreTests", dependencies: ["AmpscopeCore", "AmpscopeTestSupport"]),
        .testTarget(name: "AmpscopeStoreTests", dependencies: ["AmpscopeStore", "AmpscopeTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "AmpscopeProxyTests",
            dependencies: [
                "AmpscopeProxy", "AmpscopeTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "AmpscopeUITests", dependencies: ["AmpscopeUI", "AmpscopeTestSupport"], exclude: ["__Snapshots__"]),
        .testTarget(name: "AmpscopeAppTests", dependencies: ["AmpscopeApp", "AmpscopeTestSupport", .product(name: "Yams", package: "Yams")]),
    ],
    swiftLanguageModes: [.v6]
)
