import BallastCore

/// A latency histogram over a sliding window (a ring of time slices), with fixed logarithmic
/// buckets four to an octave (each about 19 % wide) from 1 ms to about 17 minutes.
///
/// Cheap by design, because the hedge delay is read on every request: recording is a
/// 7-step binary search and three increments; a quantile walks 81 running totals, never the slices.
struct SlidingHistogram: Sendable {
    static let bucketCount = 81
    static let smallest = 0.001

    private let sliceNanoseconds: UInt64
    private var slices: [[UInt32]]
    private var epochs: [UInt64]
    private var sliceTotals: [Int]
    private var totals: [Int]
    private(set) var count = 0

    init(window: Double, slices: Int) {
        let slices = max(1, slices)
        sliceNanoseconds = max(1, UInt64(max(window, 0.001) / Double(slices) * 1e9))
        self.slices = Array(repeating: Array(repeating: 0, count: Self.bucketCount), count: slices)
        epochs = Array(repeating: 0, count: slices)
        sliceTotals = Array(repeating: 0, count: slices)
        totals = Array(repeating: 0, count: Self.bucketCount)
    }

    /// Upper bounds: `smallest * 2^(i/4)`, built from exact powers of two and the three
    /// quarter-octave factors so no libm call is needed.
    static let bounds: [Double] = {
        let quarters = [1.0, 1.189_207_115_002_721, 1.414_213_562_373_095, 1.681_792_830_507_429]
        return (0..<bucketCount).map { index in
            smallest * Double(sign: .plus, exponent: index / 4, significand: 1) * quarters[index % 4]
        }
    }()

    /// Bucket `i` holds values in `(bounds[i - 1], bounds[i]]`; bucket 0 from zero; the last
    /// one also everything above.
    static func index(for seconds: Double) -> Int {
        var low = 0
        var high = bucketCount - 1
        while low < high {
            let mid = (low + high) / 2
            if seconds <= bounds[mid] { high = mid } else { low = mid + 1 }
        }
        return low
    }

    static func upperBound(_ index: Int) -> Double { bounds[index] }

    mutating func record(_ seconds: Double, now: MonotonicInstant) {
        guard seconds.isFinite, seconds >= 0 else { return }
        let slot = expire(now: now)
        let bucket = Self.index(for: seconds)
        slices[slot][bucket] &+= 1
        sliceTotals[slot] += 1
        totals[bucket] += 1
        count += 1
    }

    /// The `q` quantile, interpolated inside its bucket; nil when the window is empty.
    mutating func quantile(_ q: Double, now: MonotonicInstant) -> Double? {
        _ = expire(now: now)
        guard count > 0 else { return nil }
        let rank = min(max(q, 0), 1) * Double(count)
        var cumulative = 0
        for bucket in totals.indices where totals[bucket] > 0 {
            let before = cumulative
            cumulative += totals[bucket]
            if Double(cumulative) >= rank {
                let lower = bucket == 0 ? 0 : Self.upperBound(bucket - 1)
                let upper = Self.upperBound(bucket)
                return lower + (upper - lower) * max(0, rank - Double(before)) / Double(totals[bucket])
            }
        }
        return Self.upperBound(Self.bucketCount - 1)
    }

    /// Samples in the window now.
    mutating func count(now: MonotonicInstant) -> Int {
        _ = expire(now: now)
        return count
    }

    /// Clears slices that left the window and returns the slot of `now`'s slice.
    private mutating func expire(now: MonotonicInstant) -> Int {
        let epoch = now.nanoseconds / sliceNanoseconds
        let sliceCount = UInt64(slices.count)
        for slot in slices.indices where sliceTotals[slot] > 0 && epochs[slot] + sliceCount <= epoch {
            clear(slot)
        }
        let current = Int(epoch % sliceCount)
        if epochs[current] != epoch {
            clear(current)
            epochs[current] = epoch
        }
        return current
    }

    private mutating func clear(_ slot: Int) {
        guard sliceTotals[slot] > 0 else { return }
        for bucket in slices[slot].indices where slices[slot][bucket] != 0 {
            totals[bucket] -= Int(slices[slot][bucket])
            slices[slot][bucket] = 0
        }
        count -= sliceTotals[slot]
        sliceTotals[slot] = 0
    }
}
