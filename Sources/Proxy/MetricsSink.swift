package import BallastCore
import RulesRuntime

/// Feeds finished requests into the Prometheus metrics.
package struct MetricsSink: OutcomeSink {
    let metrics: GatewayMetrics

    package func record(_ request: RequestRecord, attempts: [AttemptRecord], overhead: Double?) {
        metrics.record(request, attempts: attempts, overhead: overhead)
    }

    package init(metrics: GatewayMetrics) {
        self.metrics = metrics
    }
}
