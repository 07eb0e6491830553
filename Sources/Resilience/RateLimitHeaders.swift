import BallastCore

/// The `anthropic-ratelimit-*` response headers, read into numbers.
///
/// Each dimension (`requests`, `tokens`, `input-tokens`, `output-tokens`) carries a `limit`,
/// what is `remaining` and when the bucket will be full again (`reset`, RFC 3339). The API's
/// limits are token buckets refilled continuously; `reset` is the instant the bucket is full.
public struct RateLimitHeaders: Sendable, Equatable {
    /// One dimension; any field may be missing or unreadable.
    public struct Dimension: Sendable, Equatable {
        public var limit: Double?
        public var remaining: Double?
        /// Seconds since the Unix epoch.
        public var resetAt: Double?

        public init(limit: Double? = nil, remaining: Double? = nil, resetAt: Double? = nil) {
            self.limit = limit
            self.remaining = remaining
            self.resetAt = resetAt
        }
    }

    public var requests: Dimension?
    public var tokens: Dimension?
    public var inputTokens: Dimension?
    public var outputTokens: Dimension?

    public init(requests: Dimension? = nil, tokens: Dimension? = nil, inputTokens: Dimension? = nil,
                outputTokens: Dimension? = nil) {
        self.requests = requests
        self.tokens = tokens
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    public init(_ headers: HTTPHeaders) {
        requests = Self.dimension("requests", headers)
        tokens = Self.dimension("tokens", headers)
        inputTokens = Self.dimension("input-tokens", headers)
        outputTokens = Self.dimension("output-tokens", headers)
    }

    /// True when the response carried none of the headers (an error page from a load
    /// balancer, a proxy that strips them): such a response says nothing about the limits.
    public var isEmpty: Bool {
        requests == nil && tokens == nil && inputTokens == nil && outputTokens == nil
    }

    /// The token dimensions that are present.
    public var tokenDimensions: [Dimension] {
        [tokens, inputTokens, outputTokens].compactMap { $0 }
    }

    private static func dimension(_ name: String, _ headers: HTTPHeaders) -> Dimension? {
        let prefix = "anthropic-ratelimit-" + name + "-"
        let limit = headers[prefix + "limit"].flatMap { Double($0.trimmed) }
        let remaining = headers[prefix + "remaining"].flatMap { Double($0.trimmed) }
        let reset = headers[prefix + "reset"].flatMap { RFC3339Timestamp.parse($0.trimmed) }
        guard limit != nil || remaining != nil || reset != nil else { return nil }
        return Dimension(limit: limit.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil },
                         remaining: remaining.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil },
                         resetAt: reset)
    }
}
