/// A region's rate limits: a request bucket and an input+output token bucket per minute,
/// answering admit-or-429 and the numbers for the `anthropic-ratelimit-*` headers.
public struct RateLimiter: Sendable, Equatable {
    /// Where the buckets stand, for the response headers.
    public struct Snapshot: Sendable, Equatable {
        public var requestsLimit: Int?
        public var requestsRemaining: Int
        public var requestsResetSeconds: Double
        public var tokensLimit: Int?
        public var tokensRemaining: Int
        public var tokensResetSeconds: Double
    }

    public enum Decision: Sendable, Equatable {
        case admitted
        /// Retry no sooner than this many seconds.
        case limited(retryAfter: Double)
    }

    public private(set) var settings: RateLimitSettings
    public private(set) var requests: TokenBucket?
    public private(set) var tokens: TokenBucket?

    public init(settings: RateLimitSettings, now: Double) {
        self.settings = settings
        requests = settings.limitsRequests
            ? TokenBucket(capacity: settings.requestCapacity, ratePerSecond: settings.requestsPerSecond, now: now) : nil
        tokens = settings.limitsTokens
            ? TokenBucket(capacity: settings.tokensPerMinute, ratePerSecond: settings.tokensPerMinute / 60, now: now) : nil
    }

    /// Switches to new settings (full buckets) when they differ from the current ones.
    public mutating func update(_ newSettings: RateLimitSettings, now: Double) {
        if newSettings != settings { self = RateLimiter(settings: newSettings, now: now) }
    }

    /// Admits a request costing one request and `tokenCost` tokens, taking both, or neither
    /// with the wait after which both would be there.
    public mutating func admit(tokenCost: Int, now: Double) -> Decision {
        requests?.refill(now: now)
        tokens?.refill(now: now)
        let wait = max(requests?.secondsUntil(1) ?? 0, tokens?.secondsUntil(Double(tokenCost)) ?? 0)
        guard wait <= 0 else { return .limited(retryAfter: wait) }
        _ = requests?.take(1, now: now)
        _ = tokens?.take(Double(tokenCost), now: now)
        return .admitted
    }

    /// Seconds until one more request would be admitted (0 if now), for a forced 429.
    public func secondsUntilNextRequest(now: Double) -> Double {
        var bucket = requests
        bucket?.refill(now: now)
        return bucket?.secondsUntil(1) ?? 0
    }

    public func snapshot(now: Double) -> Snapshot {
        var requests = requests
        var tokens = tokens
        requests?.refill(now: now)
        tokens?.refill(now: now)
        // Like the real API, the announced request limit is per minute (the bucket's refill
        // rate), not the burst size.
        return Snapshot(requestsLimit: requests.map { _ in Int((settings.requestsPerSecond * 60).rounded()) },
                        requestsRemaining: requests.map { Int($0.level.rounded(.down)) } ?? 0,
                        requestsResetSeconds: requests?.secondsUntilFull ?? 0,
                        tokensLimit: tokens.map { Int($0.capacity) },
                        tokensRemaining: tokens.map { Int($0.level.rounded(.down)) } ?? 0,
                        tokensResetSeconds: tokens?.secondsUntilFull ?? 0)
    }
}
