/// Where one bucket stands, as the `anthropic-ratelimit-<kind>-*` headers announce it.
public struct RateLimitReading: Sendable, Equatable {
    /// The per-minute figure, as the API announces it (not the bucket's capacity).
    public var limit: Int
    /// Whole units the bucket holds now (0 while it is empty or in debt).
    public var remaining: Int
    /// Seconds until the bucket is full again.
    public var resetSeconds: Double

    public init(limit: Int, remaining: Int, resetSeconds: Double) {
        self.limit = limit
        self.remaining = remaining
        self.resetSeconds = resetSeconds
    }

    /// Whichever of two readings binds sooner: the fewer remaining, then the lower limit.
    /// The API's `anthropic-ratelimit-tokens-*` headers show the most restrictive token limit.
    public static func mostRestrictive(_ a: RateLimitReading?, _ b: RateLimitReading?) -> RateLimitReading? {
        guard let a else { return b }
        guard let b else { return a }
        if a.remaining != b.remaining { return a.remaining < b.remaining ? a : b }
        return b.limit < a.limit ? b : a
    }
}
