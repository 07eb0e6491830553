/// `GET /control/v1/windows`: one telemetry window, as the rules see it.
package struct WindowDocument: Codable, Sendable, Equatable {
    package var windowSeconds: Double
    @Nullable package var region: String?
    @Nullable package var model: String?
    package var requests: Int
    @Nullable package var rate: Double?
    /// Requests per outcome class.
    package var classes: [String: Int]
    @Nullable package var errorRatio: Double?
    @Nullable package var rateLimitRatio: Double?
    package var attempts: Int
    @Nullable package var attemptRateLimitRatio: Double?
    package var retries: Int
    package var hedged: Int
    package var cacheHits: Int
    package var latencySeconds: Latency
    package var ttfbSeconds: FirstByte

    package struct Latency: Codable, Sendable, Equatable {
        @Nullable package var p50: Double?
        @Nullable package var p90: Double?
        @Nullable package var p99: Double?

        package init(p50: Double?, p90: Double?, p99: Double?) {
            self.p50 = p50
            self.p90 = p90
            self.p99 = p99
        }
    }

    package struct FirstByte: Codable, Sendable, Equatable {
        @Nullable package var p50: Double?
        @Nullable package var p99: Double?

        package init(p50: Double?, p99: Double?) {
            self.p50 = p50
            self.p99 = p99
        }
    }

    package init(
        windowSeconds: Double, region: String?, model: String?, requests: Int, rate: Double?, classes: [String: Int], errorRatio: Double?,
        rateLimitRatio: Double?, attempts: Int, attemptRateLimitRatio: Double?, retries: Int, hedged: Int, cacheHits: Int,
        latencySeconds: Latency, ttfbSeconds: FirstByte
    ) {
        self.windowSeconds = windowSeconds
        self.region = region
        self.model = model
        self.requests = requests
        self.rate = rate
        self.classes = classes
        self.errorRatio = errorRatio
        self.rateLimitRatio = rateLimitRatio
        self.attempts = attempts
        self.attemptRateLimitRatio = attemptRateLimitRatio
        self.retries = retries
        self.hedged = hedged
        self.cacheHits = cacheHits
        self.latencySeconds = latencySeconds
        self.ttfbSeconds = ttfbSeconds
    }

    enum CodingKeys: String, CodingKey {
        case region, model, requests, rate, classes, attempts, retries, hedged
        case windowSeconds = "window_seconds"
        case errorRatio = "error_ratio"
        case rateLimitRatio = "rate_limit_ratio"
        case attemptRateLimitRatio = "attempt_rate_limit_ratio"
        case cacheHits = "cache_hits"
        case latencySeconds = "latency_seconds"
        case ttfbSeconds = "ttfb_seconds"
    }
}
