import Synchronization

/// A distribution over fixed bucket bounds (one series of a `HistogramFamily`).
/// Observations are lock-free: one atomic add for the bucket, the count and the sum.
public final class Histogram: Sendable {
    let bounds: [Double]
    private let buckets: [Counter]
    private let count = Atomic<Int>(0)
    /// Sum in nanoseconds-of-unit, so it fits an integer atomic.
    private let sumNanos = Atomic<Int>(0)

    init(bounds: [Double]) {
        self.bounds = bounds
        buckets = (0...bounds.count).map { _ in Counter() }
    }

    public func observe(_ value: Double) {
        var low = 0
        var high = bounds.count
        while low < high {
            let mid = (low + high) / 2
            if value <= bounds[mid] { high = mid } else { low = mid + 1 }
        }
        buckets[low].increment()
        count.wrappingAdd(1, ordering: .relaxed)
        sumNanos.wrappingAdd(Int(max(0, min(value, 1e9)) * 1e9), ordering: .relaxed)
    }

    /// Per-bucket (not cumulative) counts, the +Inf bucket last.
    public var bucketCounts: [Int] { buckets.map(\.current) }
    public var totalCount: Int { count.load(ordering: .relaxed) }
    public var sum: Double { Double(sumNanos.load(ordering: .relaxed)) / 1e9 }
}
