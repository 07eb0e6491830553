/// Tokens and dollars per minute over the last hour, for the status page's tokens/s and
/// cost/h. A value that takes the time: records are filed under the minute of their
/// completion (wall time, as the store's rollups do), and `rate` reads at an explicit time.
/// Sixty-one minute buckets at most, whatever the traffic.
package struct UsageRate: Sendable {
    struct Bucket: Sendable, Equatable {
        var tokens = 0
        var costUSD = 0.0
    }

    static let window = 3600.0
    private(set) var buckets: [Int: Bucket] = [:]

    mutating func add(tokens: Int, costUSD: Double, at wall: Double) {
        let minute = Int((wall / 60).rounded(.down))
        buckets[minute, default: Bucket()].tokens += tokens
        buckets[minute, default: Bucket()].costUSD += costUSD
        let oldest = minute - Int(Self.window / 60)
        if buckets.count > 61 { buckets = buckets.filter { $0.key > oldest } }
    }

    /// Tokens per second and dollars per hour over the last hour before `wall`, or over
    /// `since` when the process started less than an hour ago (so a fresh start is not
    /// diluted by an hour it did not see).
    package func rate(at wall: Double, since start: Double) -> (tokensPerSecond: Double, costPerHour: Double) {
        let length = max(1, min(Self.window, wall - start))
        let first = Int(((wall - length) / 60).rounded(.down))
        let last = Int((wall / 60).rounded(.down))
        var sum = Bucket()
        for (minute, bucket) in buckets where minute >= first && minute <= last {
            sum.tokens += bucket.tokens
            sum.costUSD += bucket.costUSD
        }
        return (Double(sum.tokens) / length, sum.costUSD / length * 3600)
    }
}
