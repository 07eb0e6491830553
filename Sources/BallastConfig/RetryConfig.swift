/// `upstream.retry`: how failed attempts are tried again.
public struct RetryConfig: Sendable, Equatable {
    /// Attempts per request, the first included.
    public var maxAttempts: Int
    /// Full-jitter backoff: a retry waits `rand(0, min(cap, base * 2^n))`.
    public var backoffBase: Duration
    public var backoffCap: Duration
    /// The longest `retry-after` from the upstream that is honoured by waiting.
    public var maxRetryAfter: Duration
    /// Retries may add at most this share of requests (a token bucket) …
    public var budgetRatio: Double
    /// … plus this many per second, so a quiet service can still retry.
    public var budgetMinPerSecond: Double

    public init(
        maxAttempts: Int = 4, backoffBase: Duration = .seconds(0.25), backoffCap: Duration = .seconds(8), maxRetryAfter: Duration = .seconds(60),
        budgetRatio: Double = 0.2, budgetMinPerSecond: Double = 3
    ) {
        self.maxAttempts = maxAttempts
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
        self.maxRetryAfter = maxRetryAfter
        self.budgetRatio = budgetRatio
        self.budgetMinPerSecond = budgetMinPerSecond
    }
}

extension RetryConfig {
    static let keys: Set<String> = ["max_attempts", "backoff", "max_retry_after", "budget"]

    static func read(_ map: ConfigMapping?) -> RetryConfig {
        var config = RetryConfig()
        guard let map else { return config }
        let path = "upstream.retry"
        if let value = map.int("max_attempts", in: path, range: 1...10) { config.maxAttempts = value }
        if let backoff = map.section("backoff", path: "\(path).backoff", keys: ["base", "cap"]) {
            if let value = backoff.positiveDuration("base", in: "\(path).backoff") { config.backoffBase = .seconds(value) }
            if let value = backoff.positiveDuration("cap", in: "\(path).backoff") { config.backoffCap = .seconds(value) }
        }
        if let value = map.positiveDuration("max_retry_after", in: path) { config.maxRetryAfter = .seconds(value) }
        if let budget = map.section("budget", path: "\(path).budget", keys: ["ratio", "min_per_second"]) {
            if let value = budget.ratio("ratio") { config.budgetRatio = value }
            if let value = budget.double("min_per_second") {
                if value >= 0 {
                    config.budgetMinPerSecond = value
                } else {
                    budget["min_per_second"]?.error("'\(path).budget.min_per_second' must be 0 or more")
                }
            }
        }
        return config
    }
}
