/// A token bucket driven by explicit time values (seconds on any monotonic timeline), so
/// tests step it without sleeping. `charge` may take it below zero (output tokens are owed
/// as they are produced, whatever is left); it then refills from there.
public struct TokenBucket: Sendable, Equatable {
    public let capacity: Double
    public let ratePerSecond: Double
    public private(set) var level: Double
    public private(set) var updatedAt: Double
    /// Tokens the refill could not add because the bucket was full, since it was made: the
    /// allowance nobody used (`ballast-lab capacity --timeline` shows where it was lost).
    public private(set) var overflowed: Double = 0

    /// A bucket at time `now`, full unless `level` says otherwise (it is capped at the capacity).
    public init(capacity: Double, ratePerSecond: Double, now: Double, level: Double? = nil) {
        self.capacity = max(0, capacity)
        self.ratePerSecond = max(0, ratePerSecond)
        self.level = min(self.capacity, level ?? self.capacity)
        updatedAt = now
    }

    public mutating func refill(now: Double) {
        guard now > updatedAt else { return }
        let filled = level + (now - updatedAt) * ratePerSecond
        overflowed += max(0, filled - capacity)
        level = min(capacity, filled)
        updatedAt = now
    }

    /// Seconds from `updatedAt` until `amount` tokens are there (0 when they are already).
    /// An amount above the capacity is waited for as if it were the capacity.
    public func secondsUntil(_ amount: Double) -> Double {
        let needed = min(amount, capacity) - level
        guard needed > 0 else { return 0 }
        return ratePerSecond > 0 ? needed / ratePerSecond : .infinity
    }

    public var secondsUntilFull: Double { secondsUntil(capacity) }

    /// Takes `amount` (at most the capacity) if there is that much; otherwise takes nothing.
    public mutating func take(_ amount: Double, now: Double) -> Bool {
        refill(now: now)
        let cost = min(amount, capacity)
        guard level >= cost else { return false }
        level -= cost
        return true
    }

    /// Takes `amount` whatever the level, which may go negative: a debt paid off by refills.
    public mutating func charge(_ amount: Double, now: Double) {
        refill(now: now)
        level -= amount
    }
}
