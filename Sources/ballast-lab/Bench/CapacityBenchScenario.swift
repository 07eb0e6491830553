import BallastTesting
import Foundation
import Upstream
import BallastConfig
import BallastSimulator
import Rules

/// The `capacity` section: Ballast against the limits and outages of an upstream that behaves
/// as the API documents, judged against no gateway and against the best possible, in one run.
///
/// - **Shared organisation limit, in real time**: two regions that share one organisation's
///   bucket (one second's worth, far below the per-minute figure), 1.67x its rate offered by
///   a plain client (no retries), directly and through the `ballast` binary.
/// - **Virtual time**: the capacity simulation (`CapacitySimulation`: the proxy's `CallMachine`
///   over its `CallPolicy`, over simulated regions on a manual clock) on the two named
///   scenarios and on hundreds of random ones, each next to the oracle (`CapacityOracle`) and
///   to a plain client. A seed that does worse than no gateway is listed so it can be
///   replayed with `CapacityScenario.random(seed:)`.
struct CapacityBenchScenario: BenchScenario {
    let name = "capacity"
    static let title = "Capacity: shared limits and outages"
    /// The organisation's limit in the real-time run, requests per second.
    static let limit = 60.0
    static let load = 100.0

    /// The token-limited run: an output-token limit worth `limit` requests a second at the
    /// simulator's mean answer (20-60 tokens: 40), a bucket of one second's worth, and a
    /// request limit far above it: tokens, not requests, are what runs out.
    static let meanOutputTokens = 40.0
    static var outputTokensPerMinute: Int { Int(limit * meanOutputTokens * 60) }

    /// The two regions both runs use: the same latency and answer sizes.
    static let regionsYAML = """
        regions:
          - name: primary
            listen: 127.0.0.1:0
            latency: { first_byte: { median: 80ms, spread: 0.2 }, token_interval: 1ms }
            output: { min_tokens: 20, max_tokens: 60 }
          - name: secondary
            listen: 127.0.0.1:0
            latency: { first_byte: { median: 80ms, spread: 0.2 }, token_interval: 1ms }
            output: { min_tokens: 20, max_tokens: 60 }
        """

    static func tokenLimitedYAML(seed: UInt64) -> String {
        """
        seed: \(seed)
        rate_limit: { requests_per_second: 1000, burst: 1000, output_tokens_per_minute: \(outputTokensPerMinute), output_tokens_burst: \(outputTokensPerMinute / 60) }
        \(regionsYAML)
        """
    }

    static func simulatorYAML(seed: UInt64) -> String {
        """
        seed: \(seed)
        rate_limit: { requests_per_second: \(Int(limit)), burst: \(Int(limit)) }
        \(regionsYAML)
        """
    }

    func run(_ context: BenchContext) async throws -> BenchSection {
        var tables: [BenchTable] = []
        var checks: [TargetCheck] = []
        var figures: [String: Double] = ["limit_rps": Self.limit, "load_rps": Self.load]
        var summary = ""
        if let driver = try? SDKLoadDriver.locate() {
            let schedule = ArrivalSchedule(rate: Self.load, seconds: context.seconds(30))
            let harness = ResilienceHarness(
                context: context, driver: driver, scenario: name,
                simulatorConfig: try SimulatorConfig.parse(Self.simulatorYAML(seed: context.seed), file: "<\(name) simulator>"),
                schedule: schedule)
            let client = context.makeLoadClient()
            defer { client.shutdown() }
            let unprotected = try await harness.unprotected(client: client)
            let ballast = try await harness.sdkViaBallast(
                name: "plain client via Ballast (SDK, max_retries=0)",
                maxRetries: 0, client: client)
            let window = schedule.totalSeconds
            let through = OverloadFigures(way: ballast, window: window, limit: Self.limit)
            let upstream429 = Double(ballast.upstreamStatuses[429] ?? 0)
            let attempts = Double(max(1, ballast.upstreamRequests))
            let refusedP99 = through.ownRejectionLatencies.isEmpty ? 0 : WayResult.percentile(through.ownRejectionLatencies, 99)
            let admittedP50 = through.admittedLatencies.isEmpty ? .infinity : WayResult.percentile(through.admittedLatencies, 50)
            // The plain client's outcomes are counted, not kept one by one: its figures come
            // from its way's summary (successes per second of the run, p50 of successes).
            let directP50 = unprotected.p50
            let directShare = unprotected.goodput / Self.limit
            checks += [
                TargetCheck(
                    target: "shared limit at 1.67x: goodput >= 97% of the limit",
                    measured: "\(BenchFormat.percent(through.goodputShare)) (no gateway \(BenchFormat.percent(directShare)))",
                    met: through.goodputShare >= 0.97),
                TargetCheck.failureRate("shared limit: upstream 429s <= 1% of attempts", failures: Int(upstream429), of: Int(attempts), atMost: 0.01),
                TargetCheck(
                    target: "shared limit: Ballast's own 429s answered in < 50 ms (p99)",
                    measured: "\(BenchFormat.ms(refusedP99)) ms over \(through.ownRejections)",
                    met: through.ownRejections == 0 ? nil : refusedP99 < 50),
                TargetCheck(
                    target: "shared limit: admitted p50 within 100 ms of no gateway's",
                    measured: "\(BenchFormat.ms(admittedP50)) vs \(BenchFormat.ms(directP50)) ms",
                    met: admittedP50 <= directP50 + 100),
            ]
            tables += [WayTable.outcomes([unprotected, ballast]), through.table]
            figures.merge(WayTable.figures(unprotected, prefix: "unprotected")) { $1 }
            figures.merge(WayTable.figures(ballast, prefix: "ballast")) { $1 }
            figures["ballast_goodput_share"] = through.goodputShare
            figures["unprotected_goodput_share"] = directShare
            figures["ballast_upstream_429_ratio"] = upstream429 / attempts
            summary += """
                Real time: two simulated regions sharing one organisation limit of \(BenchFormat.rate(Self.limit)) \
                req/s (\(Int(Self.limit * 60))/min announced, a bucket of one second's worth), \
                \(BenchFormat.rate(Self.load)) req/s offered for \(String(format: "%.0f", window)) s by a plain client \
                (no retries), the same Poisson arrivals each way: straight to the primary, and through Ballast with both \
                regions at equal weight. Goodput counts successes completed within the arrival window.

                """
            let tokens = try await tokenLimited(context, driver: driver, client: client)
            tables += tokens.tables
            checks += tokens.checks
            figures.merge(tokens.figures) { $1 }
            summary += tokens.summary
        } else {
            summary += "Real time: skipped (the Python SDK driver was not found; `make bench` installs it).\n\n"
        }

        // The rule files a gateway started here loads by default (`rules.paths`).
        let rules = try CapacitySimulation.loadRules(paths: RulesConfig().paths)
        let virtual = VirtualCapacity.run(seeds: UInt64(1)...UInt64(max(20, Int(400 * context.scale))), rules: rules)
        tables.append(virtual.table)
        checks += virtual.checks
        figures.merge(virtual.figures) { $1 }
        summary += virtual.summary
        tables.append(TargetCheck.table(checks))
        return BenchSection(scenario: name, title: Self.title, summary: summary, tables: tables, figures: figures)
    }
}

extension CapacityBenchScenario {
    /// The same 1.67x load against an output-token limit instead of a request limit: pacing
    /// must charge each request its estimated output (`max_tokens` 256 times the ratio it
    /// learns, refunded to the real usage) to fill the token bucket without 429s.
    func tokenLimited(
        _ context: BenchContext, driver: SDKLoadDriver, client: UpstreamClient
    ) async throws
        -> (tables: [BenchTable], checks: [TargetCheck], figures: [String: Double], summary: String)
    {
        let schedule = ArrivalSchedule(rate: Self.load, seconds: context.seconds(30))
        let harness = ResilienceHarness(
            context: context, driver: driver, scenario: "\(name)-tokens",
            simulatorConfig: try SimulatorConfig.parse(Self.tokenLimitedYAML(seed: context.seed), file: "<\(name) token simulator>"),
            schedule: schedule)
        var unprotected = try await harness.unprotected(client: client)
        unprotected.name = "token limit: no gateway"
        let ballast = try await harness.sdkViaBallast(
            name: "token limit: plain client via Ballast (SDK, max_retries=0)",
            maxRetries: 0, client: client)
        let window = schedule.totalSeconds
        let through = OverloadFigures(way: ballast, window: window, limit: Self.limit)
        // The plain client's outcomes are counted, not kept one by one (see above).
        let directShare = unprotected.goodput / Self.limit
        let upstream429 = ballast.upstreamStatuses[429] ?? 0
        let checks = [
            TargetCheck(
                target:
                    "output-token limit at 1.67x: goodput >= 97% of the limit (\(Self.outputTokensPerMinute) output tokens/min, \(BenchFormat.rate(Self.limit)) answers/s of \(Int(Self.meanOutputTokens)) tokens)",
                measured: "\(BenchFormat.percent(through.goodputShare)) (no gateway \(BenchFormat.percent(directShare)))",
                met: through.goodputShare >= 0.97),
            TargetCheck.failureRate(
                "output-token limit: upstream 429s <= 1% of attempts", failures: upstream429,
                of: max(1, ballast.upstreamRequests), atMost: 0.01),
        ]
        let summary = """

            Token-limited, real time: the same two regions and load, with an organisation output-token limit of \
            \(Self.outputTokensPerMinute)/min (a bucket of one second's worth; worth \(BenchFormat.rate(Self.limit)) answers/s \
            at the mean of \(Int(Self.meanOutputTokens)) tokens) and a request limit far above it. Requests ask for \
            `max_tokens` \(ResilienceHarness.maxTokens) and get 20-60 tokens. Goodput is counted in answers and compared \
            with what the token limit allows at the mean answer.

            """
        var figures: [String: Double] = [
            "tokens_ballast_goodput_share": through.goodputShare,
            "tokens_unprotected_goodput_share": directShare,
            "tokens_ballast_upstream_429_ratio": Double(upstream429) / Double(max(1, ballast.upstreamRequests)),
        ]
        figures.merge(WayTable.figures(ballast, prefix: "tokens_ballast")) { $1 }
        return ([WayTable.outcomes([unprotected, ballast])], checks, figures, summary)
    }
}

/// The virtual-time half of the `capacity` section.
struct VirtualCapacity {
    var table: BenchTable
    var checks: [TargetCheck]
    var figures: [String: Double]
    var summary: String

    static func run(seeds: ClosedRange<UInt64>, rules: RuleSet) -> VirtualCapacity {
        var rows: [[String]] = []
        var checks: [TargetCheck] = []
        var figures: [String: Double] = [:]
        func row(_ label: String, _ scenario: CapacityScenario) -> (ballast: CapacityOutcome, oracle: CapacityOutcome, direct: CapacityOutcome) {
            let ballast = CapacitySimulation.run(scenario, gateway: .ballast, rules: rules)
            let oracle = CapacityOracle.run(scenario)
            let direct = CapacitySimulation.run(scenario, gateway: .unprotected, rules: rules)
            func ms(_ outcome: CapacityOutcome) -> String { outcome.latency(quantile: 0.99).map { BenchFormat.ms($0 * 1000) } ?? "-" }
            rows.append([
                label, BenchFormat.percent(ballast.servedRatio), BenchFormat.percent(oracle.servedRatio),
                BenchFormat.percent(direct.servedRatio), ms(ballast), ms(oracle), ms(direct),
                BenchFormat.percent(ballast.upstream429Ratio),
            ])
            return (ballast, oracle, direct)
        }
        let sharedLimit = CapacityScenario.sharedLimit, regionDown = CapacityScenario.regionDown
        let shared = row("shared limit, 250 req/s on 150 shared", sharedLimit)
        let down = row("region down, 100 req/s on 2 x 80", regionDown)
        let downP99 = down.ballast.latency(quantile: 0.99) ?? .infinity
        let oracleP99 = down.oracle.latency(quantile: 0.99) ?? 0
        checks += [
            TargetCheck(
                target: "virtual shared limit: goodput >= 97% of the limit",
                measured: BenchFormat.percent(shared.ballast.goodput(over: sharedLimit.duration) / sharedLimit.totalAllowance),
                met: shared.ballast.goodput(over: sharedLimit.duration) >= 0.97 * sharedLimit.totalAllowance),
            TargetCheck(
                target: "virtual region down: >= 99.9% served within the client's deadline",
                measured: BenchFormat.percent(down.ballast.servedRatio), met: down.ballast.servedRatio >= 0.999),
            TargetCheck(
                target: "virtual region down: p99 within 1.2x the oracle's FIFO bound",
                measured: String(
                    format: "%.2fx (%@ vs %@ ms)", downP99 / max(oracleP99, 1e-9),
                    BenchFormat.ms(downP99 * 1000), BenchFormat.ms(oracleP99 * 1000)),
                met: downP99 <= 1.2 * oracleP99),
        ]
        let sweep = CapacitySweep.run(seeds: seeds, duration: 60, rules: rules)
        let median = sweep.median, p10 = sweep.tenthPercentile
        let below = sweep.below.map { "\($0.scenario.seed) (\(String(format: "%+.1f%%", 100 * Double($0.ballast - $0.direct) / Double(max(1, $0.direct)))))" }
        rows.append([
            "\(seeds.count) random scenarios: median / 10th percentile / worst ratio to the oracle",
            String(format: "%.3f / %.3f / %.3f", median, p10, sweep.worst), "1", "", "", "", "", "",
        ])
        checks += [
            TargetCheck(
                target: "random scenarios: median ratio to the oracle >= 0.95",
                measured: String(format: "%.3f over %d seeds", median, seeds.count), met: median >= 0.95),
            TargetCheck(
                target: "random scenarios: goodput never below no gateway's (0.5% slack)",
                measured: below.isEmpty
                    ? "no seed below"
                    : "\(below.count) seeds below: \(below.prefix(12).joined(separator: ", ")); worst \(BenchFormat.percent(sweep.worstShortfall))",
                met: below.isEmpty),
        ]
        figures["virtual_random_median_ratio"] = median
        figures["virtual_random_p10_ratio"] = p10
        figures["virtual_random_seeds_below_direct"] = Double(below.count)
        figures["virtual_region_down_p99_ratio"] = downP99 / max(oracleP99, 1e-9)
        let summary = """
            Virtual time (`CapacitySimulation`, a manual clock, the same result for the same seed): the proxy's own \
            decisions (one `CallMachine` per request over `CallPolicy` with the shipped defaults: pacing, retries, \
            hedges, the concurrency limit), the real `Router`, and the shipped rule files run by the real rule engine \
            over the attempt windows on the same clock, against \
            simulated regions whose buckets are shared per limit group and charged at arrival, with outages of every \
            kind (docs/simulator.md). \
            The oracle is a fluid FIFO bound with perfect knowledge; "no gateway" is a plain client calling the first \
            region. Random scenarios: limits per credential or per region, buckets from 1/60 to 1x of the per-minute \
            figure, load from 0.3x to 2x the whole allowance, 0-2 outages per region, 60 s each. \
            `ballast-lab capacity --seed N --timeline` replays one.
            """
        return VirtualCapacity(
            table: BenchTable(
                columns: [
                    "scenario", "served: Ballast", "oracle", "no gateway", "p99 ms: Ballast", "oracle",
                    "no gateway", "upstream 429s",
                ], rows: rows),
            checks: checks, figures: figures, summary: summary)
    }
}
