import BallastCore

/// A count over a sliding window, kept as a ring of time slices (e.g. 60 s in six 10 s slices):
/// adding and reading are O(slices), and old events leave the window one slice at a time.
struct SlidingCounter: Sendable {
    private let sliceNanoseconds: UInt64
    private var counts: [Int]
    private var epochs: [UInt64]
    private(set) var total = 0

    init(window: Double, slices: Int) {
        let slices = max(1, slices)
        sliceNanoseconds = max(1, UInt64(max(window, 0.001) / Double(slices) * 1e9))
        counts = Array(repeating: 0, count: slices)
        epochs = Array(repeating: 0, count: slices)
    }

    mutating func add(_ amount: Int = 1, now: MonotonicInstant) {
        let slot = expire(now: now)
        counts[slot] += amount
        total += amount
    }

    mutating func count(now: MonotonicInstant) -> Int {
        _ = expire(now: now)
        return total
    }

    /// Drops slices that left the window and returns the slot of `now`'s slice.
    private mutating func expire(now: MonotonicInstant) -> Int {
        let epoch = now.nanoseconds / sliceNanoseconds
        let slices = UInt64(counts.count)
        for slot in counts.indices where counts[slot] != 0 && epochs[slot] + slices <= epoch {
            total -= counts[slot]
            counts[slot] = 0
        }
        let slot = Int(epoch % slices)
        if epochs[slot] != epoch {
            total -= counts[slot]
            counts[slot] = 0
            epochs[slot] = epoch
        }
        return slot
    }
}
