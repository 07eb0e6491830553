/// A region's or model's figures over the last `windowSeconds`. When the store could not be
/// read only the window is written (the figures are absent, not null: nothing was measured);
/// otherwise every figure is written, null where there were no requests to measure.
package struct RecentFigures: Codable, Sendable, Equatable {
    package var windowSeconds: Double
    /// Nil when the store could not be read.
    package var requests: Int?
    package var rate: Double?
    package var errorRatio: Double?
    package var rateLimitRatio: Double?
    package var p50Seconds: Double?
    package var p99Seconds: Double?
    package var ttfbP99Seconds: Double?

    /// The store could not be read.
    package init(unavailableOver windowSeconds: Double) {
        self.windowSeconds = windowSeconds
    }

    package init(
        windowSeconds: Double, requests: Int, rate: Double?, errorRatio: Double?, rateLimitRatio: Double?, p50Seconds: Double?,
        p99Seconds: Double?, ttfbP99Seconds: Double?
    ) {
        self.windowSeconds = windowSeconds
        self.requests = requests
        self.rate = rate
        self.errorRatio = errorRatio
        self.rateLimitRatio = rateLimitRatio
        self.p50Seconds = p50Seconds
        self.p99Seconds = p99Seconds
        self.ttfbP99Seconds = ttfbP99Seconds
    }

    enum CodingKeys: String, CodingKey {
        case windowSeconds = "window_seconds"
        case requests, rate
        case errorRatio = "error_ratio"
        case rateLimitRatio = "rate_limit_ratio"
        case p50Seconds = "p50_seconds"
        case p99Seconds = "p99_seconds"
        case ttfbP99Seconds = "ttfb_p99_seconds"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(windowSeconds, forKey: .windowSeconds)
        guard let requests else { return }
        try container.encode(requests, forKey: .requests)
        try container.encode(rate, forKey: .rate)
        try container.encode(errorRatio, forKey: .errorRatio)
        try container.encode(rateLimitRatio, forKey: .rateLimitRatio)
        try container.encode(p50Seconds, forKey: .p50Seconds)
        try container.encode(p99Seconds, forKey: .p99Seconds)
        try container.encode(ttfbP99Seconds, forKey: .ttfbP99Seconds)
    }
}
