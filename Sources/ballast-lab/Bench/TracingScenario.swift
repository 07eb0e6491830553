import BallastCore
import BallastTesting
import Foundation
import Upstream
import BallastSimulator

/// What tracing costs the request path, above all when the collector is down: the overhead
/// scenario's load (2,000 req/s open loop against an upstream that answers at once) through
/// four `ballast serve` processes in one run: tracing off (twice: the second is the noise
/// control), tracing on with every request sampled and the collector's port closed (every
/// export fails; spans are dropped and counted), and a collector that accepts connections and never answers (each export waits
/// for its timeout while the bounded queue fills, then spans are dropped at hand-off).
/// Four rounds, the order rotated each round, so drift hits every path alike.
struct TracingScenario: BenchScenario {
    let name = "tracing"

    static func ballastYAML(upstream: String, store: String, tracing: String) -> String {
        OverheadScenario.ballastYAML(upstream: upstream, store: store) + "\n" + tracing
    }

    func run(_ context: BenchContext) async throws -> BenchSection {
        let simulator = Simulator(config: try SimulatorConfig.parse(OverheadScenario.simulatorYAML, file: "<tracing simulator>"))
        try simulator.start()
        defer { simulator.stop() }
        let direct = simulator.regions[0].baseURL
        let deadPort = try LoopbackPort.free()
        // Listens (the kernel completes connections into its backlog) and never accepts.
        let hung = try LoopbackPort.listening()
        defer { close(hung.socket) }
        var processes: [(label: String, process: BallastProcess)] = []
        defer { for entry in processes { entry.process.stop() } }
        for (label, tracing) in [
            ("tracing off", ""),
            // The same as the first: how far two identical processes differ in this run is the
            // noise any difference below must clear.
            ("tracing off, a second process", ""),
            ("tracing on, collector down", "tracing: { otlp_endpoint: \"http://127.0.0.1:\(deadPort)\", export_interval: 1s }"),
            (
                "tracing on, collector hung",
                "tracing: { otlp_endpoint: \"http://127.0.0.1:\(hung.port)\", export_interval: 1s, export_timeout: 60s, max_queue_spans: 256, max_batch_spans: 256 }"
            ),
        ] {
            let store = context.directory.appendingPathComponent("tracing-\(processes.count).db").path
            processes.append(
                (
                    label,
                    try BallastProcess(
                        configYAML: Self.ballastYAML(upstream: direct, store: store, tracing: tracing),
                        directory: context.directory, environment: [:])
                ))
        }
        let client = context.makeLoadClient()
        defer { client.shutdown() }
        let load = LoadGenerator(client: client)
        context.log("tracing: warm-up")
        for entry in processes {
            _ = await load.run(
                OverheadScenario.plan(
                    baseURL: "http://\(entry.process.proxyAddress)", rate: 1000, seconds: 1,
                    seed: context.seed))
        }
        let rate = 2000.0
        var runs = Array(repeating: [LoadReport](), count: processes.count)
        // Four rounds, the order rotated each round, so neither drift nor going first or last
        // favours a path (two rounds in a fixed order moved p99 by 2x between runs).
        for round in 0..<4 {
            for offset in 0..<processes.count {
                let index = (offset + round) % processes.count
                let entry = processes[index]
                context.log("tracing: 2000 req/s round \(round + 1), \(entry.label)")
                runs[index].append(
                    await load.run(
                        OverheadScenario.plan(
                            baseURL: "http://\(entry.process.proxyAddress)", rate: rate,
                            seconds: context.seconds(4),
                            seed: context.seed &+ UInt64(round))))
            }
        }
        let merged = runs.map(OverheadScenario.merged)
        let baseline = merged[0]
        func ratio(_ report: LoadReport, _ q: Double) -> String {
            String(format: "%.2fx", report.latencyMs(q) / max(0.001, baseline.latencyMs(q)))
        }
        var rows: [[String]] = []
        for (index, report) in merged.enumerated() {
            rows.append([
                processes[index].label, "\(report.started)", "\(report.failed)",
                "\(BenchFormat.ms(report.latencyMs(50))) ms", "\(BenchFormat.ms(report.latencyMs(99))) ms",
                "\(BenchFormat.ms(report.latencyMs(99.9))) ms",
                index == 0 ? "baseline" : "\(ratio(report, 50)) / \(ratio(report, 99)) / \(ratio(report, 99.9))",
            ])
        }
        let table = BenchTable(columns: ["path", "requests", "failed", "p50", "p99", "p99.9", "p50 / p99 / p99.9 vs off"], rows: rows)
        let control = merged[1]
        let down = merged[2]
        let full = merged[3]
        let summary = """
            The overhead scenario's load (2,000 req/s open loop, an upstream that answers at once) through four \
            `ballast serve` processes in the same run, four rounds in rotated order: tracing off (twice, the second \
            as a control), tracing on with every request sampled and the \
            collector's port closed (each export fails at once; its spans are dropped and counted), and tracing on \
            with a collector that accepts and never answers (one export waits out its 60 s timeout while the queue \
            of 256 spans fills; every later span is dropped at hand-off). With the collector down, p50 is \
            \(ratio(down, 50)), p99 \(ratio(down, 99)) and p99.9 \(ratio(down, 99.9)) of tracing off; with it hung, \
            \(ratio(full, 50)), \(ratio(full, 99)) and \(ratio(full, 99.9)). A second process with tracing off, the \
            control, came to \(ratio(control, 50)), \(ratio(control, 99)) and \(ratio(control, 99.9)) of the first: \
            differences inside that band are this machine's noise, not tracing.
            """
        return BenchSection(
            scenario: name, title: "Tracing with the collector down", summary: summary, tables: [table],
            figures: [
                "off_p50_ms": baseline.latencyMs(50), "off_p99_ms": baseline.latencyMs(99),
                "off_p999_ms": baseline.latencyMs(99.9),
                "control_p50_ms": control.latencyMs(50), "control_p99_ms": control.latencyMs(99),
                "control_p999_ms": control.latencyMs(99.9),
                "down_p50_ms": down.latencyMs(50), "down_p99_ms": down.latencyMs(99),
                "down_p999_ms": down.latencyMs(99.9),
                "full_p50_ms": full.latencyMs(50), "full_p99_ms": full.latencyMs(99),
                "full_p999_ms": full.latencyMs(99.9),
            ])
    }
}
