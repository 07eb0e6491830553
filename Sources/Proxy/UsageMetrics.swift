package import BallastConfig
import BallastCore
package import Metrics
package import Synchronization
import RulesRuntime

/// The usage metrics: tokens by type, model, region and client; dollars by model and client;
/// the tokens that bought nothing (overhead); and answers whose usage is unknown.
///
/// Every attempt's tokens count, not only the delivered answer's: the upstream bills the
/// losing hedge and the discarded retry too, and showing that honestly is the point.
/// `model` and `client` are bounded by `metrics.max_models` and `metrics.max_clients`
/// (values past them are `other`) before they reach the registry's own per-label cap.
package final class UsageMetrics: Sendable {
    let tokens: CounterFamily
    let cost: DoubleCounterFamily
    let overhead: CounterFamily
    let unknown: CounterFamily
    private let models: LabelBound
    private let clients: LabelBound
    /// The last hour's tokens and dollars, for the status page.
    package let lastHour = Mutex(UsageRate())

    package init(registry: MetricsRegistry, config: MetricsConfig) {
        models = LabelBound(limit: config.maxModels)
        clients = LabelBound(limit: config.maxClients)
        // The registry's own cap is the larger bound plus `other` and `none`; regions are few.
        let cap = max(config.maxModels, config.maxClients) + 2
        tokens = registry.counter(
            "ballast_tokens_total",
            help:
                "Tokens the upstream reported for every attempt (delivered, hedge lost, retried, cancelled), by type (input, output, cache_creation, cache_read), model, region and client (client key name, else a fingerprint of the credential presented).",
            labels: ["type", "model", "region", "client"], maxValuesPerLabel: cap)
        cost = registry.doubleCounter(
            "ballast_cost_usd_total",
            help: "US dollars those tokens cost under the configured price table (pricing), by model and client; models without a price add nothing.",
            labels: ["model", "client"], maxValuesPerLabel: cap)
        overhead = registry.counter(
            "ballast_overhead_tokens_total",
            help:
                "Tokens of attempts whose answer the client never received, by reason: hedge (lost the race), retry (answer discarded for another try), cancelled (the client left).",
            labels: ["reason"])
        for reason in OverheadReason.allCases { overhead.labels(reason.rawValue).increment(by: 0) }
        unknown = registry.counter(
            "ballast_usage_unknown_total",
            help:
                "Successful upstream answers whose usage is unknown (recorded as unknown, not zero), by reason: missing (no usage), invalid (a negative or non-numeric count), cut (a stream that ended before its final message_delta).",
            labels: ["reason"])
        for reason in ["missing", "invalid", "cut"] { unknown.labels(reason).increment(by: 0) }
    }

    func record(_ request: RequestRecord, attempts: [AttemptRecord]) {
        let client = clients.bound(request.client ?? request.credential ?? "none")
        var tokensSpent = 0
        var dollars = 0.0
        for attempt in attempts {
            let usage = attempt.spend.usage
            let model = models.bound(attempt.model ?? "none")
            switch usage.state {
            case .complete, .partial:
                for (type, count) in [
                    ("input", usage.inputTokens), ("output", usage.outputTokens),
                    ("cache_creation", usage.cacheCreationInputTokens), ("cache_read", usage.cacheReadInputTokens),
                ]
                where count > 0 {
                    tokens.labels(type, model, attempt.region, client).increment(by: count)
                }
                tokensSpent += usage.totalTokens
                if let spent = attempt.spend.costUSD {
                    cost.labels(model, client).increment(by: spent)
                    dollars += spent
                }
                if let reason = attempt.spend.overhead, usage.totalTokens > 0 {
                    overhead.labels(reason.rawValue).increment(by: usage.totalTokens)
                }
            case .none, .invalid:
                break
            }
            // Unknown usage is counted for answers that should have had one: a 2xx answer the
            // client received (an overhead attempt was stopped on purpose, mid-answer).
            if attempt.spend.overhead == nil, (200..<300).contains(attempt.status) {
                switch usage.state {
                case .none: unknown.labels("missing").increment()
                case .invalid: unknown.labels("invalid").increment()
                case .partial: unknown.labels("cut").increment()
                case .complete: break
                }
            }
        }
        if tokensSpent > 0 || dollars > 0 {
            lastHour.withLock { $0.add(tokens: tokensSpent, costUSD: dollars, at: request.time + request.latency) }
        }
    }
}

/// The first `limit` distinct values of a label pass; later ones become `other`.
final class LabelBound: Sendable {
    private let seen = Mutex<Set<String>>([])
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func bound(_ value: String) -> String {
        seen.withLock { seen in
            if seen.contains(value) { return value }
            guard seen.count < limit else { return "other" }
            seen.insert(value)
            return value
        }
    }
}

/// Feeds finished requests into the usage metrics.
package struct UsageSink: OutcomeSink {
    let metrics: UsageMetrics

    func record(_ request: RequestRecord, attempts: [AttemptRecord], overhead: Double?) {
        metrics.record(request, attempts: attempts)
    }

    package init(metrics: UsageMetrics) {
        self.metrics = metrics
    }
}
