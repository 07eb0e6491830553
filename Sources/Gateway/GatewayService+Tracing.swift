import BallastConfig
import BallastCore
import Metrics
import Tracing
import Upstream

extension GatewayService {
    /// The tracer for `tracing`, exporting through the gateway's libcurl client; nil when off.
    /// Export headers come from the variable `tracing.headers_env` names
    /// (`name=value,name=value`), for collectors that need a key; they are never logged.
    static func makeTracer(
        _ config: TracingConfig, environment: [String: String], client: UpstreamClient, clock: any TimeSource,
        registry: MetricsRegistry
    ) -> Tracer? {
        guard let endpoint = config.otlpEndpoint else { return nil }
        var headers = HTTPHeaders()
        headers.add("content-type", "application/x-protobuf")
        if let name = config.headersEnv, let text = environment[name] {
            for pair in text.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmed }
                if parts.count == 2, !parts[0].isEmpty { headers.set(parts[0].lowercased(), parts[1]) }
            }
        }
        let exportHeaders = headers
        let timeouts = UpstreamTimeouts(
            connect: min(config.exportTimeout.seconds, 5), firstByte: config.exportTimeout.seconds,
            idle: config.exportTimeout.seconds, total: config.exportTimeout.seconds)
        let url = endpoint + "/v1/traces"
        let encoder = OTLPEncoder(
            resource: [
                ("service.name", .string(config.serviceName)),
                ("service.version", .string(BallastVersion.current)),
                ("telemetry.sdk.name", .string("ballast")),
                ("telemetry.sdk.language", .string("swift")),
            ],
            scopeVersion: BallastVersion.current)
        let exporter = SpanExporter(
            encoder: encoder, capacity: config.maxQueueSpans, batchSize: config.maxBatchSpans,
            interval: config.exportInterval.seconds, wallTime: { clock.wallTime() }
        ) { body, done in
            let request = UpstreamRequest(method: "POST", url: url, headers: exportHeaders, body: body, timeouts: timeouts)
            // A 2xx is success; anything else (an error status, a refused connection, a
            // timeout) loses the batch. The body (at most a partial-success note) is not read.
            client.fetch(request, maxBodyBytes: 0) { answer in
                done(answer.completion.error == nil && (200..<300).contains(answer.head?.status ?? 0))
            }
        }
        _ = registry.counter("ballast_trace_spans_exported_total", help: "Spans the OTLP collector accepted.") {
            [([], exporter.snapshot.exported)]
        }
        _ = registry.counter(
            "ballast_trace_spans_dropped_total",
            help:
                "Spans not exported, by reason: queue_full (the bounded queue was full: the collector is slow or down), export_failed (the collector refused the batch, timed out or could not be reached).",
            labels: ["reason"]
        ) {
            let dropped = exporter.snapshot.dropped
            return ExportQueue.DropReason.allCases.map { ([$0.rawValue], dropped[$0] ?? 0) }
        }
        _ = registry.gauge("ballast_trace_queue_spans", help: "Spans waiting for export (bounded by tracing.max_queue_spans).") {
            [([], Double(exporter.snapshot.pending.count))]
        }
        return Tracer(sampler: TraceSampler(ratio: config.sampleRatio), exporter: exporter)
    }
}

extension Substring {
    fileprivate var trimmed: String {
        var text = self
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
