/// A token bucket driven by explicit time values (seconds on any monotonic timeline), so
/// tests step it without sleeping.
public struct TokenBucket: Sendable, Equatable {
    public let capacity: Double
    public let ratePerSecond: Double
    public private(set) var level: Double
    public private(set) var updatedAt: Double

    /// A full bucket at time `now`.
    public init(capacity: Double, ratePerSecond: Double, now: Double) {
        self.capacity = max(0, capacity)
        self.ratePerSecond = max(0, ratePerSecond)
        level = self.capacity
        updatedAt = now
    }

    public mutating func refill(now: Double) {
        guard now > updatedAt else { return }
        level = min(capacity, level + (now - updatedAt) * ratePerSecond)
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
}
