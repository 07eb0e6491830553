/// How long to wait before a retry: AWS's "full jitter", `rand(0, min(cap, base * 2^attempt))`,
/// with the server's `retry-after` as a floor and the request's deadline as a limit.
///
/// Full jitter spreads the retries of many clients that failed together over the whole
/// window, which AWS measured to finish sooner and with less work than exponential backoff
/// with a small jitter (the seed article's 10 %), whose retries arrive in waves.
///
/// Call sequence: after a retryable `Failure`, and after `RetryBudget.tryWithdraw` said yes,
/// call `delay(attempt:retryAfter:remaining:)` with the number of retries already made (0 for
/// the first retry), `failure.retryAfter` and the seconds left until the request's deadline.
/// Nil means "do not retry: the wait would outlive the request"; otherwise arm a timer.
///
/// The generator is injected (`SeededRandom` in tests, `SystemRandomNumberGenerator` in
/// production) so a run can be replayed. A value type: give each attempt loop its own, or keep
/// one behind the caller's lock.
public struct Backoff<Generator: RandomNumberGenerator>: Sendable where Generator: Sendable {
    /// Seconds: the window of the first retry.
    public var base: Double
    /// Seconds: the largest jitter window.
    public var cap: Double
    /// Seconds: the longest `retry-after` that is honoured; larger values are cut to this.
    public var maxRetryAfter: Double
    public private(set) var generator: Generator

    public init(base: Double = 0.25, cap: Double = 8, maxRetryAfter: Double = 60, generator: Generator) {
        self.base = max(0, base)
        self.cap = max(0, cap)
        self.maxRetryAfter = max(0, maxRetryAfter)
        self.generator = generator
    }

    /// The jitter window for `attempt` (retries already made): `min(cap, base * 2^attempt)`.
    public func window(attempt: Int) -> Double {
        let exponent = min(max(attempt, 0), 64)
        return min(cap, base * Double(sign: .plus, exponent: exponent, significand: 1))
    }

    /// A full-jitter draw in `[0, window(attempt:))`.
    public mutating func jitter(attempt: Int) -> Double {
        let window = window(attempt: attempt)
        guard window > 0 else { return 0 }
        return Double.random(in: 0..<window, using: &generator)
    }

    /// The wait before retry number `attempt + 1`: the jitter draw, never less than the
    /// server's `retryAfter` (itself capped at `maxRetryAfter`); nil when the wait would reach
    /// or pass `remaining` seconds (the request's deadline), so the caller gives up at once
    /// instead of sleeping into a timeout.
    public mutating func delay(attempt: Int, retryAfter: Double? = nil, remaining: Double? = nil) -> Double? {
        var wait = jitter(attempt: attempt)
        if let retryAfter, retryAfter.isFinite, retryAfter > 0 {
            wait = max(wait, min(retryAfter, maxRetryAfter))
        }
        if let remaining, wait >= remaining { return nil }
        return wait
    }
}

extension Backoff where Generator == SystemRandomNumberGenerator {
    /// A backoff drawing from the system generator, for production.
    public init(base: Double = 0.25, cap: Double = 8, maxRetryAfter: Double = 60) {
        self.init(base: base, cap: cap, maxRetryAfter: maxRetryAfter, generator: SystemRandomNumberGenerator())
    }
}
