/// The token buckets of a region; a zero rate means unlimited.
public struct RateLimitSettings: Sendable, Equatable {
    public var requestsPerSecond: Double
    /// Requests the bucket holds when full; 0 means one second's worth (at least 1).
    public var burst: Double
    /// Input plus output tokens per minute; the bucket holds one minute's worth.
    public var tokensPerMinute: Double

    public init(requestsPerSecond: Double = 0, burst: Double = 0, tokensPerMinute: Double = 0) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.tokensPerMinute = tokensPerMinute
    }

    /// The request bucket's capacity.
    public var requestCapacity: Double { burst > 0 ? burst : max(1, requestsPerSecond) }

    public var limitsRequests: Bool { requestsPerSecond > 0 }
    public var limitsTokens: Bool { tokensPerMinute > 0 }
}
