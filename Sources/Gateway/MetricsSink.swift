import BallastCore

/// Feeds finished requests into the Prometheus metrics.
struct MetricsSink: OutcomeSink {
    let metrics: GatewayMetrics

    func record(_ request: RequestRecord, attempts: [AttemptRecord], overhead: Double?) {
        metrics.record(request, attempts: attempts, overhead: overhead)
    }
}
