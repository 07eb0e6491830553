// swift-tools-version:6.0
import PackageDescription

/// `-O` in debug builds for the modules the virtual-time simulation spends its time in: the
/// random capacity scenarios ran 116 s unoptimised in `swift test`.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Ballast",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ballast", targets: ["ballast"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // System libraries. Each is imported by exactly one wrapper module.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        // hiredis' pkg-config file adds -D_FILE_OFFSET_BITS=64, which SwiftPM refuses with a
        // warning on every build; its headers are in /usr/include/hiredis and the module map
        // links it, so pkg-config is not needed.
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        // OpenSSL for TLS to Redis: Debian's hiredis 0.14 has none (see RedisTLSTunnel).
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
        // Non-variadic C entry points for the variadic calls of libcurl and libmicrohttpd.
        .target(name: "CShims", dependencies: ["CCurl", "CMicroHTTPD"]),
        // The git commit `ballast --version` prints, set by `make dist` (see build_info.c).
        .target(name: "CBuildInfo"),

        .target(name: "BallastCore", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(name: "BallastConfig", dependencies: ["BallastCore", "Yams"]),
        // Optimised in debug builds too: the capacity simulation drives these policies through
        // thousands of virtual requests per scenario in `swift test`.
        .target(name: "Resilience", dependencies: ["BallastCore"], swiftSettings: optimisedInDebug),
        .target(name: "Metrics", dependencies: ["BallastCore"]),
        .target(name: "Rules", dependencies: ["BallastCore", "BallastConfig"]),
        .target(name: "Cache", dependencies: ["BallastCore", "Telemetry"]),
        .target(name: "Telemetry", dependencies: ["BallastCore", "CSQLite"]),
        .target(name: "Upstream", dependencies: [
            "BallastCore", "CCurl", "CShims", .product(name: "HeapModule", package: "swift-collections"),
        ]),
        .target(name: "HTTPServer", dependencies: ["BallastCore", "CMicroHTTPD", "CShims"]),
        // The Redis client (hiredis on its own threads) and the shared-state logic built on it.
        .target(name: "Shared", dependencies: ["BallastCore", "CHiredis", "COpenSSL"]),
        // Spans, W3C trace context, OTLP protobuf encoding and the bounded export queue (issue 17).
        .target(name: "Tracing", dependencies: ["BallastCore"]),
        .target(name: "Gateway", dependencies: [
            "BallastCore", "BallastConfig", "Upstream", "HTTPServer", "Resilience", "Telemetry", "Metrics", "Rules", "Cache", "Shared",
            "Tracing",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "BallastTesting", dependencies: [
            "BallastCore", "BallastConfig", "HTTPServer", "Upstream", "Gateway", "Resilience",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
            .product(name: "HeapModule", package: "swift-collections"),
        ], swiftSettings: optimisedInDebug),
        // Every parser of outside bytes behind one entry point each: the fuzz target and the
        // corpus regression test both call it (docs/fuzzing.md).
        .target(name: "ParserFuzzing", dependencies: ["BallastCore", "BallastConfig", "Rules", "Cache", "Resilience", "Upstream",
                                                      "Tracing"]),
        // Replays corpus files when built normally; the libFuzzer target when built by
        // `make fuzz` (-sanitize=fuzzer,address -DFUZZING, libFuzzer provides main).
        .executableTarget(name: "ballast-fuzz", dependencies: ["ParserFuzzing"]),
        .executableTarget(name: "ballast", dependencies: [
            "Gateway", "CBuildInfo", "BallastTesting", "BallastConfig", "Upstream", "Telemetry", "Rules", "Metrics",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .testTarget(name: "BallastCoreTests", dependencies: ["BallastCore", "BallastTesting"]),
        .testTarget(name: "BallastConfigTests", dependencies: ["BallastConfig"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
        .testTarget(name: "TracingTests", dependencies: ["Tracing", "BallastCore"]),
        .testTarget(name: "RulesTests", dependencies: ["Rules", "BallastTesting"]),
        .testTarget(name: "CacheTests", dependencies: ["Cache", "BallastTesting"]),
        .testTarget(name: "ResilienceTests", dependencies: ["Resilience", "BallastTesting"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", "BallastTesting"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "Upstream"]),
        .testTarget(name: "UpstreamTests", dependencies: ["Upstream", "HTTPServer", "BallastTesting"]),
        .testTarget(name: "SimulatorTests", dependencies: ["BallastTesting", "BallastConfig", "HTTPServer"]),
        .testTarget(name: "SharedTests", dependencies: ["Shared", "BallastTesting"]),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["ParserFuzzing"]),
        // Runs the built `ballast` binary as a subprocess (exit status, messages, signals).
        .testTarget(name: "CommandLineTests", dependencies: ["BallastTesting"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "BallastTesting", "BallastConfig", "Upstream", "Rules", "Shared"]),
    ],
    swiftLanguageModes: [.v6]
)
