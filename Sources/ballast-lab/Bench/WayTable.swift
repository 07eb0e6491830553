import Foundation

/// The tables and JSON figures every resilience benchmark prints for its ways, so the four
/// scenarios read alike.
enum WayTable {
    /// What the client saw, one row per way.
    static func outcomes(_ ways: [WayResult]) -> BenchTable {
        BenchTable(
            columns: [
                "way", "requests", "success", "client-visible errors", "goodput", "p50", "p99", "p99.9",
                "upstream attempts / request",
            ],
            rows: ways.map { way in
                [
                    way.name, "\(way.requests)", BenchFormat.percent(way.successRate), way.failureText,
                    "\(BenchFormat.rate(way.goodput))/s", "\(BenchFormat.ms(way.p50)) ms", "\(BenchFormat.ms(way.p99)) ms",
                    "\(BenchFormat.ms(way.p999)) ms", String(format: "%.3f", way.attemptsPerRequest),
                ]
            })
    }

    /// What Ballast did, one row per way through Ballast; nil when there is none.
    static func ballast(_ ways: [WayResult]) -> BenchTable? {
        let rows = ways.compactMap { way -> [String]? in
            guard let counters = way.ballast else { return nil }
            let tokens = way.hedgeTokens.map { String(format: "%.0f", $0) } ?? "-"
            return [
                way.name, count(counters.hedgesSent), count(counters.hedgesWon),
                way.hedgeOverhead.map(BenchFormat.percent) ?? "-", tokens, count(counters.retries),
                count(counters.budgetRefusals), count(counters.pacingRejections), count(counters.concurrencyRejections),
                count(counters.tokenRefreshes) + (counters.tokenRefreshFailures > 0 ? " (\(count(counters.tokenRefreshFailures)) failed)" : ""),
                way.lowestConcurrencyLimit.map(count) ?? "-",
                counters.concurrencyLimits.sorted { $0.key < $1.key }.map { "\($0.key) \(count($0.value))" }.joined(separator: ", "),
                allowance(way.rateAllowanceSamples),
            ]
        }
        guard !rows.isEmpty else { return nil }
        return BenchTable(
            columns: [
                "way", "hedges sent", "hedges won", "hedges / request", "hedge tokens (est.)",
                "retries", "retries refused by budget", "own 429s", "own 529s", "token refreshes",
                "concurrency limit: lowest", "at end", "pacing allowance p50 / max",
            ],
            rows: rows)
    }

    /// `0 of 3000 (< 0.10% at 95%)` or `12 of 3000 (0.40%)`: with no error the rule of three
    /// says how small the rate is known to be, which matters for targets like 0.05%.
    static func errors(_ way: WayResult) -> String {
        guard way.requests > 0 else { return "no requests" }
        if way.failed == 0 {
            return "0 of \(way.requests) (< \(BenchFormat.percent(3 / Double(way.requests))) at 95% confidence)"
        }
        return "\(way.failed) of \(way.requests) (\(BenchFormat.percent(way.errorRate)))"
    }

    /// How many times fewer client-visible errors `better` had than `baseline`, against the
    /// issue's "at least 10x fewer"; nil verdict when neither had any (not measurable here).
    static func reduction(_ better: WayResult, versus baseline: WayResult) -> TargetCheck {
        let target = "\(better.name): >= 10x fewer client-visible errors than \(baseline.name)"
        switch (better.failed, baseline.failed) {
        case (0, 0):
            return TargetCheck(
                target: target, measured: "both 0 errors: not measurable with \(better.requests) requests",
                met: nil)
        case (0, let base) where base < 10:
            // Ballast had none, but the baseline too few to show a tenfold difference.
            return TargetCheck(
                target: target, measured: "0 vs \(base): too few errors to tell a 10x difference",
                met: nil)
        case (0, let base):
            return TargetCheck(target: target, measured: ">= \(base)x (0 vs \(base))", met: true)
        case (let own, 0):
            return TargetCheck(target: target, measured: "\(own) vs 0: more errors than without Ballast", met: false)
        case (let own, let base) where own > base:
            return TargetCheck(
                target: target, measured: "\(BenchFormat.ratio(Double(own) / Double(base))) MORE (\(own) vs \(base))",
                met: false)
        case (let own, let base):
            let ratio = Double(base) / Double(own)
            return TargetCheck(target: target, measured: "\(BenchFormat.ratio(ratio)) fewer (\(own) vs \(base))", met: ratio >= 10)
        }
    }

    /// Flat figures of one way for the JSON file, keys prefixed with `prefix_`.
    static func figures(_ way: WayResult, prefix: String) -> [String: Double] {
        var figures: [String: Double] = [
            "\(prefix)_requests": Double(way.requests), "\(prefix)_errors": Double(way.failed),
            "\(prefix)_success_rate": way.successRate, "\(prefix)_goodput": way.goodput,
            "\(prefix)_p50_ms": way.p50, "\(prefix)_p99_ms": way.p99, "\(prefix)_p999_ms": way.p999,
            "\(prefix)_attempts_per_request": way.attemptsPerRequest,
        ]
        if let counters = way.ballast {
            figures["\(prefix)_hedges_sent"] = counters.hedgesSent
            figures["\(prefix)_hedges_won"] = counters.hedgesWon
            figures["\(prefix)_retries"] = counters.retries
            figures["\(prefix)_own_429"] = counters.pacingRejections
            figures["\(prefix)_own_529"] = counters.concurrencyRejections
            if let overhead = way.hedgeOverhead { figures["\(prefix)_hedge_overhead"] = overhead }
            if let tokens = way.hedgeTokens { figures["\(prefix)_hedge_tokens"] = tokens }
        }
        return figures
    }

    private static func count(_ value: Double) -> String { String(format: "%.0f", value) }

    /// The pacing allowance sampled each second, as `p50 / max req/s`; `unlimited` when pacing
    /// never set one (no 429 or low-remaining header seen).
    private static func allowance(_ samples: [Double]) -> String {
        guard let max = samples.last else { return "unlimited" }
        return "\(count(WayResult.percentile(samples, 50))) / \(count(max)) req/s"
    }
}
