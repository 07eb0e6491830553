public import Histogram

/// What an open-loop run measured. Latencies are in microseconds from each request's
/// scheduled arrival (not from when it was actually sent) to its last byte.
public struct LoadReport: Sendable {
    public var offeredRate: Double
    public var started: Int
    public var succeeded: Int
    /// Completed with a non-2xx status, by status.
    public var failedByStatus: [Int: Int]
    /// Ended without a complete response (timeout, reset, never finished).
    public var transportFailures: Int
    /// Seconds from the first arrival to the last completion.
    public var elapsed: Double
    public var latency: Histogram<UInt64>
    public var timeToFirstByte: Histogram<UInt64>
    public var bytesReceived: Int
    /// Sum of `x-ballast-attempts` over responses that carried it.
    public var upstreamAttempts: Int
    public var responsesWithAttempts: Int
    /// Responses by the `x-ballast-region` that served them.
    public var regions: [String: Int]

    /// Upstream attempts per request that said how many it took (1 = no retry).
    public var attemptsPerRequest: Double {
        responsesWithAttempts == 0 ? 1 : Double(upstreamAttempts) / Double(responsesWithAttempts)
    }

    public var failed: Int { failedByStatus.values.reduce(0, +) + transportFailures }
    public var errorRatio: Double { started == 0 ? 0 : Double(failed) / Double(started) }
    /// Successful responses per second of the run.
    public var goodput: Double { elapsed > 0 ? Double(succeeded) / elapsed : 0 }

    /// A latency percentile in milliseconds.
    public func latencyMs(_ percentile: Double) -> Double {
        Double(latency.valueAtPercentile(percentile)) / 1000
    }

    public func ttfbMs(_ percentile: Double) -> Double {
        Double(timeToFirstByte.valueAtPercentile(percentile)) / 1000
    }
}
