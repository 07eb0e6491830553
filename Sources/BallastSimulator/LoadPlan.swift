public import Upstream

/// An open-loop load: requests arrive as a Poisson process at a fixed rate, whether or not
/// earlier ones have finished, so a slow server shows up as queueing in the latencies
/// instead of silently lowering the offered rate (no coordinated omission).
public struct LoadPlan: Sendable {
    /// Mean arrivals per second.
    public var rate: Double
    /// Seconds over which requests are started.
    public var duration: Double
    /// Hard cap on requests started, whatever the rate and duration.
    public var maxRequests: Int
    /// Seconds to wait for stragglers after the last arrival before they count as failed.
    public var drainTimeout: Double
    public var seed: UInt64
    /// Builds request number `index`; `random` is a unit draw for mixing request kinds.
    public var makeRequest: @Sendable (_ index: Int, _ random: Double) -> UpstreamRequest
    /// Called once per finished request, on the client's loop thread (keep it short); nil by
    /// default. Lets a caller tally what the report aggregates away, or react like an
    /// application would (fetch a new token after a 401).
    public var onComplete: (@Sendable (LoadOutcome) -> Void)?

    public init(
        rate: Double, duration: Double, maxRequests: Int = 1_000_000, drainTimeout: Double = 30,
        seed: UInt64 = 1, makeRequest: @escaping @Sendable (_ index: Int, _ random: Double) -> UpstreamRequest
    ) {
        self.rate = rate
        self.duration = duration
        self.maxRequests = maxRequests
        self.drainTimeout = drainTimeout
        self.seed = seed
        self.makeRequest = makeRequest
    }
}
