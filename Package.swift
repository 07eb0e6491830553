// swift-tools-version:6.0
import PackageDescription

/// `-O` in debug builds for the modules the virtual-time simulation spends its time in: the
/// random capacity scenarios ran 116 s unoptimised in `swift test`.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Ballast",
    platforms: [.macOS(.v15)],
    products: [
        // What ships: the gateway and its operator commands.
        .executable(name: "ballast", targets: ["ballast"]),
        // The lab, never shipped: `simulate`, `demo`, `bench` (make demo, make bench).
        .executable(name: "ballast-lab", targets: ["ballast-lab"]),
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
        // glibc's GNU extensions for spawning (chdir and closefrom file actions, pipe2), which
        // Swift's Glibc module leaves out: for BallastTesting's ChildProcess.
        .target(name: "CSpawn"),

        // JSON at the bottom: the hot-path scanner (validates and picks top-level fields) and the
        // parser/value for the few places that rewrite whole documents.
        .target(name: "JSON"),
        .target(name: "BallastCore", dependencies: ["JSON", .product(name: "Logging", package: "swift-log")]),
        .target(name: "BallastConfig", dependencies: ["BallastCore", "Yams"]),
        // Optimised in debug builds too: the capacity simulation drives these policies through
        // thousands of virtual requests per scenario in `swift test`.
        .target(name: "Resilience", dependencies: ["BallastCore"], swiftSettings: optimisedInDebug),
        .target(name: "Metrics"),
        .target(name: "Rules", dependencies: ["BallastCore", "BallastConfig", "Yams"]),
        // The one wrapper of libsqlite3, used by the telemetry store and the response cache.
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        .target(name: "Telemetry", dependencies: ["BallastCore", "SQLite"]),
        .target(name: "Cache", dependencies: ["Crypto", "BallastCore", "JSON", "SQLite"]),
        .target(name: "Upstream", dependencies: [
            "BallastCore", "CCurl", "CShims", .product(name: "HeapModule", package: "swift-collections"),
        ]),
        .target(name: "HTTPServer", dependencies: ["BallastCore", "CMicroHTTPD", "CShims"]),
        // The Redis client: hiredis on its own threads, TLS through OpenSSL.
        .target(name: "Redis", dependencies: ["CHiredis", "COpenSSL"]),
        // libcrypto's digests, HMAC and RS256 behind a Swift API (SigV4, Google service-account
        // JWTs, the cache key, the admin session). The one wrapper of libcrypto; Redis uses
        // libssl for its TLS tunnel.
        .target(name: "Crypto", dependencies: ["COpenSSL"]),
        // Amazon Bedrock and Google Vertex AI as regions: request translation, SigV4, the AWS
        // event stream, cloud credentials and error mapping (docs/regions.md).
        .target(name: "CloudRegions", dependencies: [
            "BallastCore", "BallastConfig", "JSON", "Crypto", "Resilience", "Upstream",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: optimisedInDebug),
        // Spans, W3C trace context, OTLP protobuf encoding and the bounded export queue
        // (docs/usage-and-tracing.md).
        .target(name: "Tracing", dependencies: ["BallastCore"]),
        // The rules at run time: the controller that evaluates them over the telemetry windows
        // and steers the router, operator overrides, canary migrations. No HTTP here: operator
        // commands throw `OperatorCommandError`, which the control plane maps to statuses.
        .target(name: "RulesRuntime", dependencies: [
            "Crypto", "BallastCore", "BallastConfig", "JSON", "Rules", "Resilience", "Telemetry", .product(name: "Logging", package: "swift-log"),
        ]),
        // What several instances share through Redis: the rate allowance, the cache tier,
        // membership, client limits, and the sync of rule decisions and operator overrides.
        .target(name: "SharedState", dependencies: [
            "Rules", "BallastCore", "BallastConfig", "Redis", "RulesRuntime", "Metrics",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The request path: the handler, the call and its state machine, attempts, pacing and
        // budgets, credentials, the client gate, where outcomes go.
        .target(name: "Proxy", dependencies: [
            "Crypto", "SQLite", "BallastCore", "BallastConfig", "JSON", "Upstream", "HTTPServer", "Resilience", "Telemetry", "Metrics",
            "Rules", "RulesRuntime", "Cache", "SharedState", "CloudRegions", "Tracing",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The control API's documents as typed Codable values: the server encodes them, the CLI
        // decodes them, so the two agree on every field by construction.
        .target(name: "ControlModels"),
        // The operator's side: the control API, the status page, the admin listener's probes.
        .target(name: "ControlPlane", dependencies: [
            "ControlModels", "Crypto", "Redis", "BallastCore", "BallastConfig", "JSON", "HTTPServer", "Upstream", "Resilience", "Telemetry", "Metrics",
            "Rules", "RulesRuntime", "Cache", "SharedState", "Proxy",
        ]),
        // Wiring: builds the parts from the config, starts and stops them.
        .target(name: "Gateway", dependencies: [
            "BallastCore", "BallastConfig", "Upstream", "HTTPServer", "Resilience", "Telemetry", "Metrics", "Cache", "SharedState", "RulesRuntime", "Proxy", "ControlModels", "ControlPlane", "CloudRegions", "Tracing",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Test support, never in the shipped binary: a manual clock, a response collector,
        // throwaway certificates, loopback ports, scratch folders, child processes (for the
        // tests and the lab; Foundation.Process crashes, see ChildProcess).
        .target(name: "BallastTesting", dependencies: ["BallastCore", "Upstream", "CSpawn"]),
        // The simulated Anthropic API (regions, faults, rate limits, the token issuer), the load
        // generator and the capacity lab that drives the proxy's call machine in virtual time.
        .target(name: "BallastSimulator", dependencies: [
            "Crypto", "CloudRegions", "Telemetry", "Yams", "Rules", "RulesRuntime", "BallastCore", "BallastConfig", "JSON", "HTTPServer", "Upstream", "Proxy", "Resilience", "BallastTesting",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
            .product(name: "HeapModule", package: "swift-collections"),
        ], swiftSettings: optimisedInDebug),
        // What both executables' commands share: blocking on async work, the signal mask,
        // ready files, text tables.
        .target(name: "CommandLineSupport", dependencies: []),
        // Every parser of outside bytes behind one entry point each: the fuzz target and the
        // corpus regression test both call it (docs/fuzzing.md).
        .target(name: "ParserFuzzing", dependencies: ["CloudRegions", "JSON", "BallastCore", "BallastConfig", "Rules", "Cache", "Resilience", "Upstream", "Tracing"]),
        // Replays corpus files when built normally; the libFuzzer target when built by
        // `make fuzz` (-sanitize=fuzzer,address -DFUZZING, libFuzzer provides main).
        .executableTarget(name: "ballast-fuzz", dependencies: ["ParserFuzzing"]),
        .executableTarget(name: "ballast", dependencies: [
            "Gateway", "ControlModels", "RulesRuntime", "CommandLineSupport", "CBuildInfo", "BallastCore", "BallastConfig",
            "Upstream", "Telemetry", "Rules", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "ballast-lab", dependencies: [
            "Gateway", "RulesRuntime", "CommandLineSupport", "BallastSimulator", "BallastTesting",
            "CBuildInfo", "BallastCore", "BallastConfig", "JSON", "Upstream", "HTTPServer", "Telemetry",
            "SQLite", "Rules", "Metrics", "CloudRegions",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),

        .testTarget(name: "BallastCoreTests", dependencies: ["BallastCore", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "BallastCore", "Cache"]),
        .testTarget(name: "BallastConfigTests", dependencies: ["BallastConfig"]),
        .testTarget(name: "CryptoTests", dependencies: ["BallastCore", "Crypto"]),
        .testTarget(name: "CloudRegionsTests", dependencies: ["CloudRegions", "Crypto", "JSON", "BallastCore"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
        .testTarget(name: "TracingTests", dependencies: ["Tracing", "BallastCore"]),
        .testTarget(name: "RulesTests", dependencies: ["BallastSimulator", "BallastCore", "BallastConfig", "Rules", "BallastTesting"]),
        .testTarget(name: "CacheTests", dependencies: ["Crypto", "JSON", "BallastCore", "Cache", "BallastTesting", "BallastSimulator"]),
        .testTarget(name: "ResilienceTests", dependencies: ["BallastCore", "Resilience", "BallastTesting", "BallastSimulator"]),
        .testTarget(name: "TelemetryTests", dependencies: ["BallastSimulator", "CSQLite", "SQLite", "BallastCore", "Telemetry", "BallastTesting"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "Upstream"]),
        .testTarget(name: "UpstreamTests", dependencies: ["BallastCore", "Upstream", "HTTPServer", "BallastTesting"]),
        .testTarget(name: "SimulatorTests", dependencies: ["Crypto", "CloudRegions", "JSON", "BallastCore", "BallastTesting", "BallastSimulator", "BallastConfig"]),
        .testTarget(name: "SharedTests", dependencies: ["BallastCore", "Redis", "SharedState", "BallastTesting"]),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["ParserFuzzing"]),
        // Runs the built `ballast` binary as a subprocess (exit status, messages, signals), and
        // checks the ChildProcess that runs it.
        .testTarget(name: "CommandLineTests", dependencies: ["BallastTesting"]),
        .testTarget(name: "GatewayTests", dependencies: [
            "Crypto", "Telemetry", "SQLite", "HTTPServer", "Cache", "BallastCore", "Gateway", "Proxy", "RulesRuntime", "ControlPlane", "SharedState", "Redis", "BallastTesting", "BallastSimulator", "BallastConfig",
            "Upstream", "Rules", "Resilience", "JSON", .product(name: "Logging", package: "swift-log")]),
    ],
    swiftLanguageModes: [.v6]
)

// Imports kept honest (docs/architecture.md, "Modules"): a file uses only what it imports
// itself, an import is internal unless the file says otherwise, and an existential says `any`.
// `scripts/package_layout.py imports` checks the other half: every import is a declared
// dependency and every declared dependency is imported.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
        .enableUpcomingFeature("ExistentialAny"),
    ]
}
