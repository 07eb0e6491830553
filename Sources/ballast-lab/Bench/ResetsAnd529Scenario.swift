import BallastTesting
import Foundation
import BallastSimulator
import Upstream

/// The issue's `resets_and_529`: an upstream that drops 2% of connections without an answer
/// and sheds 3% with 529 `overloaded_error`. Both are worth retrying; the question is how
/// many errors still reach the client, and at what cost in latency and extra attempts.
struct ResetsAnd529Scenario: BenchScenario {
    let name = "resets_and_529"
    static let title = "Connection resets and 529s"
    static let rate = 100.0

    static func simulatorYAML(seed: UInt64) -> String {
        """
        seed: \(seed)
        regions:
          - name: primary
            listen: 127.0.0.1:0
            latency: { first_byte: { median: 60ms, spread: 0.25 }, token_interval: 1ms }
            output: { min_tokens: 20, max_tokens: 80 }
            faults:
              reset_ratio: 0.02
              error_ratio: { "529": 0.03 }
        """
    }

    func run(_ context: BenchContext) async throws -> BenchSection {
        let driver: SDKLoadDriver
        do { driver = try SDKLoadDriver.locate() } catch {
            return ResilienceHarness.skipped(scenario: name, title: Self.title, reason: error)
        }
        let schedule = ArrivalSchedule(rate: Self.rate, seconds: context.seconds(30))
        let harness = ResilienceHarness(
            context: context, driver: driver, scenario: name,
            simulatorConfig: try SimulatorConfig.parse(Self.simulatorYAML(seed: context.seed), file: "<\(name) simulator>"),
            schedule: schedule)
        let client = context.makeLoadClient()
        defer { client.shutdown() }
        let unprotected = try await harness.unprotected(client: client)
        let direct = try await harness.sdkDirect()
        let ballast = try await harness.sdkViaBallast(name: "SDK via Ballast", client: client)
        let ways = [unprotected, direct, ballast]

        let checks = [
            TargetCheck.failureRate(
                "SDK via Ballast: client-visible errors <= 0.05%", failures: ballast.failed, of: ballast.requests, atMost: 0.0005,
                measured: WayTable.errors(ballast)),
            WayTable.reduction(ballast, versus: direct),
        ]
        let summary = """
            One simulated region (first byte ~60 ms) that resets 2% of connections after the request \
            was sent and answers 3% with 529 \(Self.shape). The same Poisson arrivals \
            (\(BenchFormat.rate(Self.rate)) req/s for \(String(format: "%.0f", schedule.totalSeconds)) s) three ways: \
            our open-loop generator with no retries, the official `anthropic` SDK (\(direct.sdkVersion ?? "?")) with its default retries \
            (max_retries=2), and the same SDK through Ballast (default resilience settings). Latency is from \
            each request's scheduled arrival, over successful requests. Client-visible errors: unprotected \
            \(WayTable.errors(unprotected)); SDK direct \(WayTable.errors(direct)); via Ballast \
            \(WayTable.errors(ballast)). Upstream attempts per request come from the simulator's own count \
            of requests received. With a 5% failure per attempt, three attempts already leave about 0.01% \
            of requests failing, so a difference between the SDK and Ballast needs far more requests than \
            this run to be measured; the rule-of-three bound says what a zero means.
            """
        var tables = [WayTable.outcomes(ways)]
        if let counters = WayTable.ballast(ways) { tables.append(counters) }
        tables.append(TargetCheck.table(checks))
        var figures: [String: Double] = ["rate": Self.rate, "seconds": schedule.totalSeconds]
        for (way, prefix) in [(unprotected, "unprotected"), (direct, "sdk_direct"), (ballast, "ballast")] {
            figures.merge(WayTable.figures(way, prefix: prefix)) { $1 }
        }
        return BenchSection(scenario: name, title: Self.title, summary: summary, tables: tables, figures: figures)
    }

    private static let shape = "`overloaded_error` at once"
}
