/// The fixed latency bucket bounds shared by Prometheus histograms and the SQLite rollups,
/// so a window of any length is a sum of bucket counts and quantiles agree everywhere.
///
/// They reach 10 minutes because an LLM answer can take that long, and are dense below a
/// second where proxy overhead and time to first byte live.
public enum LatencyBuckets {
    /// Upper bounds in seconds, ascending; the last bucket (+Inf) is implicit.
    public static let bounds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
        1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600,
    ]

    /// Number of counters including the +Inf bucket.
    public static var count: Int { bounds.count + 1 }

    /// The bucket index for `seconds` (the first bound it does not exceed; `bounds.count`
    /// for +Inf).
    public static func index(for seconds: Double) -> Int {
        var low = 0
        var high = bounds.count
        while low < high {
            let mid = (low + high) / 2
            if seconds <= bounds[mid] { high = mid } else { low = mid + 1 }
        }
        return low
    }

    /// The `q` quantile (0...1) of per-bucket counts (not cumulative), interpolated linearly
    /// inside the bucket as Prometheus' `histogram_quantile` does. Nil when empty.
    public static func quantile(_ q: Double, counts: [Int]) -> Double? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = q * Double(total)
        var cumulative = 0
        for (index, count) in counts.enumerated() {
            let previous = cumulative
            cumulative += count
            if Double(cumulative) >= rank, count > 0 {
                if index >= bounds.count { return bounds[bounds.count - 1] }
                let lower = index == 0 ? 0 : bounds[index - 1]
                let upper = bounds[index]
                return lower + (upper - lower) * (rank - Double(previous)) / Double(count)
            }
        }
        return bounds[bounds.count - 1]
    }
}
