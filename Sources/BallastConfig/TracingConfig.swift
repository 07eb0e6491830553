/// `tracing`: OpenTelemetry traces sent as OTLP/HTTP protobuf to `<otlp_endpoint>/v1/traces`.
/// Absent (no endpoint): no spans are made and incoming `traceparent` headers are forwarded
/// untouched, as any other header.
public struct TracingConfig: Sendable, Equatable {
    /// The collector's base URL (`http://host:4318`); nil: tracing off.
    public var otlpEndpoint: String?
    /// Share of new traces sampled (0 to 1). A request that carries a `traceparent` follows
    /// its sampled flag instead (parent-based sampling), so a trace is whole or absent.
    public var sampleRatio: Double
    /// An environment variable holding extra export headers as `name=value,name=value`
    /// (`OTEL_EXPORTER_OTLP_HEADERS`' format), for collectors that need a key.
    public var headersEnv: String?
    /// `service.name` of the exported resource.
    public var serviceName: String
    /// Spans held for export at most; past it new spans are dropped and counted.
    public var maxQueueSpans: Int
    /// Spans per export request at most.
    public var maxBatchSpans: Int
    /// How often the queue is exported when it is not yet a full batch.
    public var exportInterval: Duration
    /// An export not answered within this is a failure (its spans are dropped and counted).
    public var exportTimeout: Duration

    public init(
        otlpEndpoint: String? = nil, sampleRatio: Double = 1, headersEnv: String? = nil, serviceName: String = "ballast",
        maxQueueSpans: Int = 2048, maxBatchSpans: Int = 512, exportInterval: Duration = .seconds(1), exportTimeout: Duration = .seconds(10)
    ) {
        self.otlpEndpoint = otlpEndpoint
        self.sampleRatio = sampleRatio
        self.headersEnv = headersEnv
        self.serviceName = serviceName
        self.maxQueueSpans = maxQueueSpans
        self.maxBatchSpans = maxBatchSpans
        self.exportInterval = exportInterval
        self.exportTimeout = exportTimeout
    }

    public var isEnabled: Bool { otlpEndpoint != nil }

    static let keys: Set<String> = [
        "otlp_endpoint", "sample_ratio", "headers_env", "service_name", "max_queue_spans",
        "max_batch_spans", "export_interval", "export_timeout",
    ]
}

extension TracingConfig {
    static func read(_ map: ConfigMapping?) -> TracingConfig {
        var config = TracingConfig()
        guard let map else { return config }
        let path = "tracing"
        if let node = map["otlp_endpoint"], let text = node.string(what: "'tracing.otlp_endpoint'") {
            let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
            if trimmed.hasPrefix("http://") || trimmed.hasPrefix("https://"), trimmed.count > 8 {
                config.otlpEndpoint = trimmed
            } else {
                node.error("'tracing.otlp_endpoint' must be an http:// or https:// URL, not '\(text)'")
            }
        }
        if let value = map.ratio("sample_ratio") { config.sampleRatio = value }
        if let value = map.string("headers_env") { config.headersEnv = value }
        if let value = map.string("service_name") { config.serviceName = value }
        if let value = map.int("max_queue_spans", in: path, range: 1...1_000_000) { config.maxQueueSpans = value }
        if let value = map.int("max_batch_spans", in: path, range: 1...100_000) { config.maxBatchSpans = value }
        if let value = map.positiveDuration("export_interval", in: path) { config.exportInterval = .seconds(value) }
        if let value = map.positiveDuration("export_timeout", in: path) { config.exportTimeout = .seconds(value) }
        return config
    }
}
