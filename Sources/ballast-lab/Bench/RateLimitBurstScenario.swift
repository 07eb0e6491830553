import BallastTesting
import Foundation
import BallastSimulator
import Upstream

/// The issue's `ratelimit_burst`: offered load that alternates 2x the upstream's request
/// limit for 5 s and 0.5x for 10 s, the seed article's first pain point (bursts trip the
/// limit). Then a sustained 1.5x overload through Ballast alone, to see whether it keeps the
/// upstream busy at its limit and refuses the excess at once with an honest `retry-after`
/// instead of letting it time out.
struct RateLimitBurstScenario: BenchScenario {
    let name = "ratelimit_burst"
    static let title = "Rate-limit bursts"
    /// The simulated upstream's limit, requests per second.
    static let limit = 40.0

    static func simulatorYAML(seed: UInt64) -> String {
        """
        seed: \(seed)
        regions:
          - name: primary
            listen: 127.0.0.1:0
            latency: { first_byte: { median: 80ms, spread: 0.2 }, token_interval: 1ms }
            output: { min_tokens: 20, max_tokens: 60 }
            faults:
              rate_limit: { requests_per_second: \(Int(limit)) }
        """
    }

    func run(_ context: BenchContext) async throws -> BenchSection {
        let driver: SDKLoadDriver
        do { driver = try SDKLoadDriver.locate() } catch {
            return ResilienceHarness.skipped(scenario: name, title: Self.title, reason: error)
        }
        let pattern = [
            ArrivalSchedule.Segment(seconds: 5, rate: 2 * Self.limit),
            ArrivalSchedule.Segment(seconds: 10, rate: 0.5 * Self.limit),
        ]
        let schedule = ArrivalSchedule(repeating: pattern, seconds: context.seconds(30))
        let overloadSchedule = ArrivalSchedule(rate: 1.5 * Self.limit, seconds: context.seconds(30))
        let harness = ResilienceHarness(
            context: context, driver: driver, scenario: name,
            simulatorConfig: try SimulatorConfig.parse(Self.simulatorYAML(seed: context.seed), file: "<\(name) simulator>"),
            schedule: schedule)
        let client = context.makeLoadClient()
        defer { client.shutdown() }
        let unprotected = try await harness.unprotected(client: client)
        let direct = try await harness.sdkDirect()
        let ballast = try await harness.sdkViaBallast(name: "SDK via Ballast", client: client)
        // No client retries: the offered load stays exactly 1.5x, and Ballast's own answers show.
        let overload = try await harness.sdkViaBallast(
            name: "SDK via Ballast, 1.5x sustained, max_retries=0",
            schedule: overloadSchedule, maxRetries: 0, probeRetryAfter: 0.2,
            client: client)
        let ways = [unprotected, direct, ballast]
        let sustained = OverloadFigures(way: overload, window: overloadSchedule.totalSeconds, limit: Self.limit)

        let checks = [
            TargetCheck.failureRate(
                "SDK via Ballast: client-visible errors <= 0.1%", failures: ballast.failed, of: ballast.requests, atMost: 0.001,
                measured: WayTable.errors(ballast)),
            TargetCheck(
                target: "SDK via Ballast: upstream attempts per request <= 1.2",
                measured: String(format: "%.3f", ballast.attemptsPerRequest), met: ballast.attemptsPerRequest <= 1.2),
            WayTable.reduction(ballast, versus: direct),
            TargetCheck(
                target: "sustained 1.5x overload: goodput >= 95% of the upstream's limit",
                measured:
                    "\(BenchFormat.percent(sustained.goodputShare)) (\(String(format: "%.1f", sustained.goodput))/s of \(BenchFormat.rate(Self.limit))/s)",
                met: sustained.goodputShare >= 0.95),
        ]
        let upstream429 = { (way: WayResult) in way.upstreamStatuses[429] ?? 0 }
        let summary = """
            One simulated region limited to \(BenchFormat.rate(Self.limit)) requests/s (a token bucket holding one \
            second's worth; it answers 429 with `retry-after` at once). Offered load alternates \
            \(BenchFormat.rate(2 * Self.limit)) req/s for 5 s and \(BenchFormat.rate(0.5 * Self.limit)) req/s for 10 s, \
            \(String(format: "%.0f", schedule.totalSeconds)) s in all, the same Poisson arrivals each way. Note that \
            this pattern averages exactly 1.0x the limit, not below it: the excess of a burst (5 s of the limit's \
            worth) can all be served only by queueing it through the whole quiet phase that follows. Client-visible \
            errors: unprotected \(WayTable.errors(unprotected)); SDK direct (`anthropic` \(direct.sdkVersion ?? "?"), max_retries=2, \
            honouring `retry-after`) \
            \(WayTable.errors(direct)); via Ballast \(WayTable.errors(ballast)). 429s the upstream sent: \
            \(upstream429(unprotected)), \(upstream429(direct)) and \(upstream429(ballast)). Latency is from the \
            scheduled arrival, over successful requests, so it includes every wait for a retry or for pacing.

            Sustained overload: \(BenchFormat.rate(1.5 * Self.limit)) req/s for \
            \(String(format: "%.0f", overloadSchedule.totalSeconds)) s through Ballast with SDK retries off, so every \
            answer Ballast gives is visible. Goodput counts the successes completed within the arrival window. \
            One in five 429s that carry `retry-after` (Ballast's own, or the upstream's relayed) is sent again \
            once, exactly that many seconds later, to see whether the header tells the truth (the overload goes on \
            meanwhile, so a probe competes with new arrivals).
            """
        var tables = [WayTable.outcomes(ways)]
        if let counters = WayTable.ballast(ways + [overload]) { tables.append(counters) }
        tables.append(sustained.table)
        tables.append(TargetCheck.table(checks))
        var figures: [String: Double] = ["limit_rps": Self.limit, "seconds": schedule.totalSeconds]
        for (way, prefix) in [
            (unprotected, "unprotected"), (direct, "sdk_direct"), (ballast, "ballast"),
            (overload, "overload"),
        ] {
            figures.merge(WayTable.figures(way, prefix: prefix)) { $1 }
        }
        figures.merge(sustained.figures) { $1 }
        return BenchSection(scenario: name, title: Self.title, summary: summary, tables: tables, figures: figures)
    }
}
