import CommandLineSupport
import ArgumentParser
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the benchmark suite; every figure comes with its baseline from the same run.")

    @Option(
        name: .long,
        help:
            "Run only this scenario: overhead, cloud_regions, stream_memory, ratelimit_burst, tail_latency, resets_and_529, token_expiry, telemetry, self_healing, rule_eval, control_api, shared_mode, capacity, crash, tracing; or soak (not in the full suite)."
    )
    var scenario: String?

    @Option(name: .long, help: "Write the Markdown report here.")
    var output: String?

    @Option(name: .long, help: "Write the figures as JSON here.")
    var json: String?

    @Option(name: .long, help: "Seed for arrivals and simulated faults.")
    var seed: UInt64 = 42

    @Option(name: .long, help: "Scale durations and sizes (1 = full suite; 0.2 for a quick look).")
    var scale: Double = 1

    @Flag(
        name: .long,
        help: "Keep the scratch directory (each way's SQLite store, configs and SDK logs) and print where it is.")
    var keep = false

    static let scenarios: [any BenchScenario] = [
        OverheadScenario(), CloudRegionsScenario(), StreamMemoryScenario(), RateLimitBurstScenario(),
        TailLatencyScenario(), ResetsAnd529Scenario(), TokenExpiryScenario(),
        TelemetryScenario(), SelfHealingScenario(), RuleEvalScenario(),
        ControlAPIScenario(), SharedModeScenario(), CapacityBenchScenario(), CrashScenario(),
        TracingScenario(),
    ]
    /// Run only when named: the soak takes an hour (`make soak`).
    static let onDemand: [any BenchScenario] = [SoakScenario()]

    func run() throws {
        try runBlocking { try await runSuite() }
    }

    private func runSuite() async throws {
        let chosen =
            try scenario.map { name in
                guard let found = (Self.scenarios + Self.onDemand).first(where: { $0.name == name }) else {
                    throw BenchError.unknownScenario(name)
                }
                return [found]
            } ?? Self.scenarios
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer {
            if keep {
                // The stores hold every request and attempt of each way: what the figures came from
                // (the tail bench's slowest requests were found this way).
                print("bench: kept \(directory.path)")
            } else {
                try? FileManager.default.removeItem(at: directory)
            }
        }
        let context = BenchContext(directory: directory, seed: seed, scale: scale)
        var sections: [BenchSection] = []
        for scenario in chosen {
            sections.append(try await scenario.run(context))
            print(sections.last!.markdown + "\n")
        }
        let command = "make bench" + (scenario.map { " BENCH=\($0)" } ?? "")
        let report = BenchReport(sections: sections, command: command, seed: seed, scale: scale)
        if let output { try report.writeMarkdown(to: output) }
        if let json { try report.writeJSON(to: json) }
    }
}
