public import BallastCore

/// What the telemetry holds for one window and one set of series: the additive counts the rule
/// functions are computed from. The gateway's adapter fills it from the telemetry store
/// (`TelemetryCounts` has the same shape); `InMemoryWindowSource` fills it from synthetic series.
///
/// Every field but `consecutiveFailures` adds up across seconds and series, which is what lets
/// a window of any length be answered from per-second rollups.
public struct WindowResult: Sendable, Equatable {
    /// Requests per outcome class, indexed like `OutcomeClass.allCases`.
    public var outcomes: [Int]
    /// Requests answered with status 429 (by the upstream or by Ballast).
    public var status429: Int
    /// Per-bucket latency counts over `LatencyBuckets` (not cumulative).
    public var latency: [Int]
    /// Per-bucket time-to-first-byte counts over `LatencyBuckets` (not cumulative).
    public var ttfb: [Int]
    /// The most recent run of requests that all ended in one of the query's
    /// `failureClasses`, counted back from the end of the window, stopped by the first
    /// request that did not. Not additive: the source computes it for the whole query.
    public var consecutiveFailures: Int

    public init(
        outcomes: [Int] = Array(repeating: 0, count: OutcomeClass.allCases.count), status429: Int = 0,
        latency: [Int] = Array(repeating: 0, count: LatencyBuckets.count),
        ttfb: [Int] = Array(repeating: 0, count: LatencyBuckets.count), consecutiveFailures: Int = 0
    ) {
        self.outcomes = Self.padded(outcomes, to: OutcomeClass.allCases.count)
        self.status429 = status429
        self.latency = Self.padded(latency, to: LatencyBuckets.count)
        self.ttfb = Self.padded(ttfb, to: LatencyBuckets.count)
        self.consecutiveFailures = consecutiveFailures
    }

    public static var empty: WindowResult { WindowResult() }

    /// Every request in the window, whatever its outcome.
    public var requests: Int { outcomes.reduce(0, +) }

    public func count(_ outcome: OutcomeClass) -> Int { outcomes[outcome.countIndex] }

    public func count(_ classes: OutcomeClassSet) -> Int {
        var total = 0
        for outcome in OutcomeClass.allCases where classes.contains(outcome) { total += outcomes[outcome.countIndex] }
        return total
    }

    /// Counts one request (a convenience for tests and simple adapters).
    public mutating func record(
        _ outcome: OutcomeClass, status: Int = 0, latency seconds: Double? = nil,
        timeToFirstByte: Double? = nil
    ) {
        outcomes[outcome.countIndex] += 1
        if status == 429 { status429 += 1 }
        if let seconds { latency[LatencyBuckets.index(for: seconds)] += 1 }
        if let timeToFirstByte { ttfb[LatencyBuckets.index(for: timeToFirstByte)] += 1 }
    }

    /// Adds the additive fields of `other`; `consecutiveFailures` is left alone.
    public mutating func add(_ other: WindowResult) {
        for index in outcomes.indices { outcomes[index] += other.outcomes[index] }
        status429 += other.status429
        for index in latency.indices { latency[index] += other.latency[index] }
        for index in ttfb.indices { ttfb[index] += other.ttfb[index] }
    }

    private static func padded(_ values: [Int], to count: Int) -> [Int] {
        if values.count == count { return values }
        var result = Array(values.prefix(count))
        result.append(contentsOf: repeatElement(0, count: count - result.count))
        return result
    }
}
