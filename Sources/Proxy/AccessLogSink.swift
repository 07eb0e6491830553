package import BallastCore
package import Logging
import Synchronization
import RulesRuntime

/// `log.access: true`: one log line per finished request, for platforms that read logs
/// rather than scrape metrics. Built from the `RequestRecord` alone, which holds no bodies
/// and no secrets: a key, a prompt or an answer cannot reach this line. The client key
/// appears only as its configured name.
package final class AccessLogSink: OutcomeSink {
    let logger: Logger
    /// Request ids: a random prefix per process and a sequence, so lines from several
    /// replicas never share an id and one replica's lines sort in arrival order.
    private let prefix: String
    private let sequence = Atomic<UInt64>(0)

    package init(logger: Logger, prefix: UInt32 = UInt32.random(in: 0...UInt32.max)) {
        self.logger = logger
        let hex = String(prefix, radix: 16)
        self.prefix = String(repeating: "0", count: 8 - hex.count) + hex
    }

    package func record(_ request: RequestRecord, attempts: [AttemptRecord], overhead: Double?) {
        let number = sequence.add(1, ordering: .relaxed).newValue
        var metadata: Logger.Metadata = [
            "request_id": "\(prefix)-\(number)",
            "route": "\(request.route)",
            "model": "\(request.model ?? "-")",
            "region": "\(request.region ?? "-")",
            "status": .stringConvertible(request.status),
            "outcome": "\(request.outcome.rawValue)",
            "attempts": .stringConvertible(request.attempts),
            "latency_ms": .stringConvertible(Self.milliseconds(request.latency)),
            "input_tokens": .stringConvertible(request.inputTokens),
            "output_tokens": .stringConvertible(request.outputTokens),
            "streamed": .stringConvertible(request.streamed),
        ]
        if let ttfb = request.timeToFirstByte { metadata["ttfb_ms"] = .stringConvertible(Self.milliseconds(ttfb)) }
        if let errorType = request.errorType { metadata["error_type"] = "\(errorType)" }
        if let client = request.client { metadata["client"] = "\(client)" }
        if request.cacheHit { metadata["cache_hit"] = .stringConvertible(true) }
        if request.hedged { metadata["hedged"] = .stringConvertible(true) }
        Self.addUsage(request, to: &metadata)
        logger.info("request", metadata: metadata)
    }

    /// Milliseconds with one decimal: enough for a proxy's overhead, short in a log line.
    static func milliseconds(_ seconds: Double) -> Double {
        (seconds * 10_000).rounded() / 10
    }
}
