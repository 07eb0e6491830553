import BallastCore

/// Ballast's model of one of the upstream's token buckets (requests, input tokens, output
/// tokens, or tokens), kept in the units the upstream counts.
///
/// The level may go below zero: a request that waits reserves its share at admission, and the
/// bucket owes it until the refill pays it back (`RateQueue`). A cost larger than the bucket
/// can ever hold is waited for as if it were the capacity (the upstream admits it then too,
/// and charges the difference as debt).
struct LimitBucket: Sendable {
    /// Refill, per second.
    private(set) var rate: Double
    private(set) var capacity: Double
    private(set) var level: Double
    private var updatedAt: MonotonicInstant

    /// A full bucket.
    init(rate: Double, capacity: Double, now: MonotonicInstant) {
        self.rate = max(0, rate)
        self.capacity = max(1, capacity)
        level = self.capacity
        updatedAt = now
    }

    mutating func refill(now: MonotonicInstant) {
        guard now > updatedAt else { return }
        level = min(capacity, level + rate * now.seconds(since: updatedAt))
        updatedAt = now
    }

    /// Seconds until `cost` is there (after `refill(now:)`).
    func secondsUntil(_ cost: Double) -> Double {
        let needed = min(cost, capacity) - level
        guard needed > 0 else { return 0 }
        return rate > 0 ? needed / rate : .infinity
    }

    mutating func take(_ cost: Double) {
        level -= cost
    }

    /// Gives back what was charged and not used (an output estimate above the real output).
    mutating func refund(_ amount: Double) {
        guard amount > 0 else { return }
        level = min(capacity, level + amount)
    }

    /// The upstream says it holds less than this model thinks: believe the upstream.
    mutating func lower(to estimate: Double) {
        if estimate < level { level = estimate }
    }

    /// The upstream holds at least this much: what the model lost to attempts that never
    /// reached it comes back (capped by the capacity).
    mutating func raise(to estimate: Double) {
        if estimate > level { level = min(capacity, estimate) }
    }

    /// New refill rate or capacity; the level is kept (capped by the new capacity).
    mutating func reshape(rate newRate: Double, capacity newCapacity: Double, now: MonotonicInstant) {
        refill(now: now)
        rate = max(0, newRate)
        capacity = max(1, newCapacity)
        level = min(level, capacity)
    }
}
