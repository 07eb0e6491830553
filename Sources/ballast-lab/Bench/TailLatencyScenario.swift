import BallastTesting
import Foundation
import BallastSimulator
import Upstream

/// The issue's `tail_latency`: 3% of requests 4x slower and 0.5% stalled for 3 s, in two
/// regions, so a hedge (a second copy after the p95 first-byte time) can go to the other one.
/// Compared with the same upstream without the tail (the healthy p95) and with Ballast with
/// hedging off, which isolates what the hedges buy and cost.
struct TailLatencyScenario: BenchScenario {
    let name = "tail_latency"
    static let title = "Tail latency and hedging"
    static let rate = 60.0

    static let latency = "first_byte: { median: 150ms, spread: 0.2 }, token_interval: 2ms"

    static func simulatorYAML(seed: UInt64, tail: Bool) -> String {
        let extra = tail ? ", slow_tail: { ratio: 0.03, factor: 4 }, stall: { ratio: 0.005, duration: 3s }" : ""
        return """
            seed: \(seed)
            regions:
              - name: east
                listen: 127.0.0.1:0
                latency: { \(latency)\(extra) }
                output: { min_tokens: 20, max_tokens: 60 }
              - name: west
                listen: 127.0.0.1:0
                latency: { \(latency)\(extra) }
                output: { min_tokens: 20, max_tokens: 60 }
            """
    }

    func run(_ context: BenchContext) async throws -> BenchSection {
        let driver: SDKLoadDriver
        do { driver = try SDKLoadDriver.locate() } catch {
            return ResilienceHarness.skipped(scenario: name, title: Self.title, reason: error)
        }
        let schedule = ArrivalSchedule(rate: Self.rate, seconds: context.seconds(25))
        let tailConfig = try SimulatorConfig.parse(Self.simulatorYAML(seed: context.seed, tail: true), file: "<\(name) simulator>")
        let healthyConfig = try SimulatorConfig.parse(
            Self.simulatorYAML(seed: context.seed, tail: false),
            file: "<\(name) healthy simulator>")
        let harness = ResilienceHarness(
            context: context, driver: driver, scenario: name, simulatorConfig: tailConfig,
            schedule: schedule)
        let healthyHarness = ResilienceHarness(
            context: context, driver: driver, scenario: "\(name)-healthy",
            simulatorConfig: healthyConfig,
            schedule: ArrivalSchedule(rate: Self.rate, seconds: context.seconds(10)))
        let client = context.makeLoadClient()
        defer { client.shutdown() }
        var healthy = try await healthyHarness.sdkDirect()
        healthy.name = "SDK direct, healthy upstream (reference)"
        let unprotected = try await harness.unprotected(client: client)
        let direct = try await harness.sdkDirect()
        let ballast = try await harness.sdkViaBallast(name: "SDK via Ballast", client: client)
        let noHedge = try await harness.sdkViaBallast(
            name: "SDK via Ballast, hedging off",
            upstreamYAML: "  hedge: { enabled: false }", client: client)
        let ways = [healthy, unprotected, direct, ballast, noHedge]

        // The targets (docs/benchmarks.md, "Tail latency and hedging"), against the unprotected path in the same run.
        let hedgeShare = ballast.hedgeOverhead ?? 0
        let p999Gain = ballast.p999 > 0 ? noHedge.p999 / ballast.p999 : 0
        let p99Ratio = ballast.p99 / max(unprotected.p99, 1e-9)
        let p999Ratio = ballast.p999 / max(unprotected.p999, 1e-9)
        let checks = [
            TargetCheck(
                target: "SDK via Ballast: p99 <= 0.6x the unprotected path's (\(BenchFormat.ms(unprotected.p99)) ms)",
                measured: "\(BenchFormat.ms(ballast.p99)) ms = \(BenchFormat.ratio(p99Ratio))", met: p99Ratio <= 0.6),
            TargetCheck(
                target: "SDK via Ballast: p99.9 <= 0.2x the unprotected path's (\(BenchFormat.ms(unprotected.p999)) ms)",
                measured: "\(BenchFormat.ms(ballast.p999)) ms = \(BenchFormat.ratio(p999Ratio))", met: p999Ratio <= 0.2),
            TargetCheck(
                target: "upstream attempts per request <= 1.06", measured: String(format: "%.3f", ballast.attemptsPerRequest),
                met: ballast.attemptsPerRequest <= 1.06),
            TargetCheck.atMost("hedge overhead (hedged attempts / requests) <= 5%", hedgeShare, 0.05),
        ]
        let tokens = ballast.hedgeTokens.map { String(format: "%.0f", $0) } ?? "?"
        let summary = """
            Two simulated regions, each with a first byte of ~150 ms (lognormal, spread 0.2) plus 2 ms per \
            output token (20–60 tokens, non-streamed), where 3% of requests are 4x slower and 0.5% stall an \
            extra 3 s. The same Poisson arrivals (\(BenchFormat.rate(Self.rate)) req/s for \
            \(String(format: "%.0f", schedule.totalSeconds)) s) go four ways: our generator straight at one \
            region, the `anthropic` SDK (\(direct.sdkVersion ?? "?")) straight at one region (with the \
            \(String(format: "%.0f", SDKLoadOptions.defaultTimeout)) s timeout the driver gives it, which never retries a slow answer), the SDK through Ballast over both regions, and the same with `upstream.hedge.enabled: \
            false`. The reference row is the SDK against the same regions without the slow tail and stalls \
            (\(String(format: "%.0f", context.seconds(10))) s): what the tail costs. \
            Latency is from the scheduled arrival, over successful requests. Hedge tokens are an estimate and \
            an upper bound: hedged attempts × (mean input + output tokens of an answer, \(tokens) in all), as if \
            every hedge were billed in full; the losing copy is cancelled when the winner answers, but a \
            non-streamed copy has by then usually generated most of its answer.
            """
        var tables = [WayTable.outcomes(ways)]
        if let counters = WayTable.ballast(ways) { tables.append(counters) }
        tables.append(TargetCheck.table(checks))
        var figures: [String: Double] = [
            "rate": Self.rate, "seconds": schedule.totalSeconds,
            "healthy_p95_ms": healthy.p95, "p999_gain_from_hedging": p999Gain,
            "p99_ratio_to_unprotected": p99Ratio, "p999_ratio_to_unprotected": p999Ratio,
        ]
        for (way, prefix) in [
            (healthy, "healthy"), (unprotected, "unprotected"), (direct, "sdk_direct"), (ballast, "ballast"),
            (noHedge, "ballast_no_hedge"),
        ] {
            figures.merge(WayTable.figures(way, prefix: prefix)) { $1 }
        }
        return BenchSection(scenario: name, title: Self.title, summary: summary, tables: tables, figures: figures)
    }
}
