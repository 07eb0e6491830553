public import BallastCore

/// What happened in one window for one filter: the sums, and the ratios and quantiles rules
/// and the control API ask for.
public struct WindowStats: Sendable, Equatable {
    public var filter: TelemetryFilter
    /// The length asked for, in seconds.
    public var length: Double
    /// First and last one-second buckets included (Unix seconds). The last is the current,
    /// still-open second, so a rule sees a request as soon as it is handed off.
    public var firstSecond: Int
    public var lastSecond: Int
    public var counts: TelemetryCounts

    public init(filter: TelemetryFilter, length: Double, firstSecond: Int, lastSecond: Int, counts: TelemetryCounts) {
        self.filter = filter
        self.length = length
        self.firstSecond = firstSecond
        self.lastSecond = lastSecond
        self.counts = counts
    }

    public var requests: Int { counts.requests }

    /// Requests per second over the window's length.
    public var rate: Double { length > 0 ? Double(counts.requests) / length : 0 }

    public func count(_ classes: Set<OutcomeClass>) -> Int { counts.count(classes) }

    /// The share of requests that ended in any of `classes`; nil when there were none, so a
    /// rule never fires on an empty window.
    public func ratio(_ classes: Set<OutcomeClass>) -> Double? {
        counts.requests > 0 ? Double(counts.count(classes)) / Double(counts.requests) : nil
    }

    /// The share of requests that did not succeed.
    public var errorRatio: Double? { ratio(Set(OutcomeClass.allCases.filter(\.isFailure))) }

    /// The share of requests answered to the client with 429.
    public var ratio429: Double? {
        counts.requests > 0 ? Double(counts.status429) / Double(counts.requests) : nil
    }

    /// The share of upstream attempts answered with 429 (rate-limit pressure that retries
    /// may have hidden from clients).
    public var attemptRatio429: Double? {
        counts.attempts > 0 ? Double(counts.attempts429) / Double(counts.attempts) : nil
    }

    public func latencyQuantile(_ q: Double) -> Double? { counts.latency.quantile(q) }

    public func ttfbQuantile(_ q: Double) -> Double? { counts.ttfb.quantile(q) }
}
