import BallastTesting
import BallastSimulator

/// One way of running a resilience benchmark (unprotected, SDK direct, SDK via Ballast),
/// reduced to the figures every way reports, so the rows of a table compare like with like.
struct WayResult: Sendable {
    var name: String
    var requests: Int
    var succeeded: Int
    /// Client-visible failures by status, or by `connection`/`timeout`/`unfinished`.
    var failures: [String: Int]
    /// Seconds from the first scheduled arrival to the last completion.
    var elapsed: Double
    /// Latencies of successful requests, from their scheduled arrival, in milliseconds.
    var p50: Double
    var p95: Double
    var p99: Double
    var p999: Double
    /// Requests the simulated regions received during the run (retries and hedges included).
    var upstreamRequests: Int
    /// The regions' answers by status (a reset is not an answer; see the simulator's stats).
    var upstreamStatuses: [Int: Int]
    /// Response body bytes the regions sent (answers, errors, and hedges' losers that finished).
    var upstreamBytes: Int64
    /// Mean output tokens of a successful answer (nil when the client did not parse usage).
    var meanOutputTokens: Double?
    var meanInputTokens: Double?
    /// Ballast's own counters at the end of the run, for a way through Ballast.
    var ballast: BallastCounters?
    /// The same, scraped once a second during the run: how pacing and the concurrency limit moved.
    var ballastTimeline: [BallastCounters] = []
    /// The SDK's outcomes, for ways that used it (kept for scenario-specific figures).
    var outcomes: [SDKRequestOutcome] = []
    /// The `anthropic` SDK's version, for ways that used it.
    var sdkVersion: String?
    var probes: [SDKRequestOutcome] = []

    var failed: Int { requests - succeeded }
    var successRate: Double { requests == 0 ? 0 : Double(succeeded) / Double(requests) }
    var errorRate: Double { requests == 0 ? 0 : Double(failed) / Double(requests) }
    var goodput: Double { elapsed > 0 ? Double(succeeded) / elapsed : 0 }
    var attemptsPerRequest: Double { requests == 0 ? 0 : Double(upstreamRequests) / Double(requests) }

    /// The failures as `429: 12, connection: 3`, largest first.
    var failureText: String {
        failures.isEmpty ? "-" : failures.sorted { $0.value > $1.value }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }

    /// The unprotected way: `LoadGenerator`'s report.
    init(name: String, load: LoadReport, upstream: [SimulatorStats]) {
        self.name = name
        requests = load.started
        succeeded = load.succeeded
        var failures: [String: Int] = [:]
        for (status, count) in load.failedByStatus { failures[String(status)] = count }
        if load.transportFailures > 0 { failures["connection"] = load.transportFailures }
        self.failures = failures
        elapsed = load.elapsed
        p50 = load.latencyMs(50)
        p95 = load.latencyMs(95)
        p99 = load.latencyMs(99)
        p999 = load.latencyMs(99.9)
        upstreamRequests = upstream.reduce(0) { $0 + $1.requestsReceived }
        upstreamBytes = upstream.reduce(0) { $0 + $1.bytesSent }
        upstreamStatuses = upstream.reduce(into: [:]) { total, stats in total.merge(stats.responsesByStatus, uniquingKeysWith: +) }
    }

    /// A way driven through the SDK by `bench/sdk_load.py`.
    init(name: String, sdk: SDKLoadResult, upstream: [SimulatorStats], ballast: BallastCounters? = nil) {
        self.name = name
        requests = sdk.requests.count
        let successes = sdk.requests.filter(\.ok)
        succeeded = successes.count
        var failures: [String: Int] = [:]
        for outcome in sdk.requests where !outcome.ok { failures[outcome.failureKind, default: 0] += 1 }
        self.failures = failures
        elapsed = sdk.requests.map(\.completedAt).max() ?? 0
        let latencies = successes.map { $0.latency * 1000 }.sorted()
        p50 = Self.percentile(latencies, 50)
        p95 = Self.percentile(latencies, 95)
        p99 = Self.percentile(latencies, 99)
        p999 = Self.percentile(latencies, 99.9)
        upstreamRequests = upstream.reduce(0) { $0 + $1.requestsReceived }
        upstreamBytes = upstream.reduce(0) { $0 + $1.bytesSent }
        upstreamStatuses = upstream.reduce(into: [:]) { total, stats in total.merge(stats.responsesByStatus, uniquingKeysWith: +) }
        let output = successes.compactMap(\.outputTokens)
        meanOutputTokens = output.isEmpty ? nil : Double(output.reduce(0, +)) / Double(output.count)
        let input = successes.compactMap(\.inputTokens)
        meanInputTokens = input.isEmpty ? nil : Double(input.reduce(0, +)) / Double(input.count)
        self.ballast = ballast
        outcomes = sdk.requests
        sdkVersion = sdk.sdkVersion
        probes = sdk.probes
    }

    /// Nearest-rank percentile of sorted values; 0 for none.
    static func percentile(_ sorted: [Double], _ percent: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }

    /// Lowest concurrency limit of any region seen during the run.
    var lowestConcurrencyLimit: Double? {
        (ballastTimeline + (ballast.map { [$0] } ?? [])).flatMap(\.concurrencyLimits.values).min()
    }

    /// The pacing allowance (summed over keys) at each scrape that had one, sorted.
    var rateAllowanceSamples: [Double] {
        ballastTimeline.compactMap { $0.rateAllowances.isEmpty ? nil : $0.rateAllowances.values.reduce(0, +) }.sorted()
    }

    /// Hedged attempts as a share of client requests: the extra load hedging put on the upstream.
    var hedgeOverhead: Double? {
        guard let ballast, requests > 0 else { return nil }
        return ballast.hedgesSent / Double(requests)
    }

    /// Tokens hedging cost, estimated as if every hedged attempt were billed in full: hedges
    /// sent × (mean input + mean output tokens of an answer). An upper bound: a losing copy
    /// is cancelled when the winner answers, but a non-streamed copy has usually generated
    /// most of its answer by then, and the upstream bills what it generated.
    var hedgeTokens: Double? {
        guard let ballast, let output = meanOutputTokens else { return nil }
        return ballast.hedgesSent * (output + (meanInputTokens ?? 0))
    }
}
