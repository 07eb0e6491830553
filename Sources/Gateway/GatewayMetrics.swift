import BallastCore
import Metrics

/// Every metric family the gateway exports, registered once, with typed helpers for the
/// request path. Label values are bounded by the registry (models past 64 distinct names
/// become `other`); no key, user or request id is ever a label.
final class GatewayMetrics: Sendable {
    let registry: MetricsRegistry
    let requests: CounterFamily
    let attempts: CounterFamily
    let requestDuration: HistogramFamily
    let timeToFirstByte: HistogramFamily
    let overhead: HistogramFamily
    let retries: CounterFamily

    /// Overhead lives below a millisecond, yet the buckets still reach 10 minutes.
    static let overheadBounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600,
    ]

    init(registry: MetricsRegistry, version: String) {
        self.registry = registry
        _ = registry.gauge("ballast_build_info", help: "Ballast's version; always 1.", labels: ["version"]) {
            [([version], 1)]
        }
        requests = registry.counter("ballast_requests_total",
                                    help: "Client requests by the region of their final attempt, model, outcome class and status code.",
                                    labels: ["region", "model", "class", "code"])
        attempts = registry.counter("ballast_upstream_attempts_total",
                                    help: "Upstream attempts (first tries, retries and hedges) by region, model, outcome class and status code.",
                                    labels: ["region", "model", "class", "code"])
        requestDuration = registry.histogram("ballast_request_duration_seconds",
                                             help: "Client request latency, arrival to last byte.",
                                             labels: ["region", "model"], bounds: LatencyBuckets.bounds)
        timeToFirstByte = registry.histogram("ballast_time_to_first_byte_seconds",
                                             help: "Client request time to the response head.",
                                             labels: ["region", "model"], bounds: LatencyBuckets.bounds)
        overhead = registry.histogram("ballast_overhead_seconds",
                                      help: "Ballast's own time in a request, outside the final upstream attempt.",
                                      bounds: Self.overheadBounds)
        retries = registry.counter("ballast_retries_total", help: "Upstream attempts made again after a failure, by region retried and reason.",
                                   labels: ["region", "reason"])
    }

    func record(_ request: RequestRecord, attempts recordAttempts: [AttemptRecord], overhead seconds: Double?) {
        let region = request.region ?? "none"
        let model = request.model ?? "none"
        requests.labels(region, model, request.outcome.rawValue, String(request.status)).increment()
        requestDuration.labels(region, model).observe(request.latency)
        if let ttfb = request.timeToFirstByte { timeToFirstByte.labels(region, model).observe(ttfb) }
        if let seconds { overhead.labels().observe(seconds) }
        for attempt in recordAttempts {
            attempts.labels(attempt.region, attempt.model ?? "none", attempt.outcome.rawValue, String(attempt.status)).increment()
        }
    }
}
