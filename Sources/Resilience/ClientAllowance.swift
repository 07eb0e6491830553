public import BallastCore

/// One client key's rate limits and daily budget: a token bucket per dimension (requests,
/// input tokens, output tokens) and the tokens spent in the current UTC day.
///
/// The buckets follow the API's own model, so the `anthropic-ratelimit-*` headers Ballast
/// sends mean what the SDKs expect: each refills at its per-minute figure / 60 per second up
/// to the per-minute figure (a full minute may be spent at once); `remaining` is what it holds
/// now; `reset` is when it is full again.
///
/// Output tokens are charged from `max_tokens` at admission (the answer cannot be known
/// yet) and the difference refunded by `settle` once the answer's usage is known, as pacing
/// does upstream; input tokens are charged from the body's size (`RequestCost.estimate`)
/// and corrected the same way. The daily budget takes the same charge at admission (so
/// concurrent requests cannot all slip under it) and keeps the real usage once settled; a key
/// is refused once what it spent (and holds reserved) reaches the budget, until UTC midnight.
///
/// A value: the caller keeps one per key name under its lock and passes the time in, so the
/// tests run it in virtual time.
public struct ClientAllowance: Sendable {
    public enum Decision: Sendable, Equatable {
        /// Send it; this is what was charged (give it to `settle`).
        case admit(RequestCost)
        /// A bucket is short: ask again after `retryAfter` seconds (nothing was charged).
        case rateLimited(ClientLimitDimension, retryAfter: Double)
        /// The daily budget is spent: it resets at `resetsAt` (wall-clock seconds, UTC midnight).
        case overBudget(resetsAt: Double)
    }

    /// Where one dimension stands, for the `anthropic-ratelimit-*` headers and the control API.
    public struct Reading: Sendable, Equatable {
        public var dimension: ClientLimitDimension
        public var limit: Double
        public var remaining: Double
        /// Seconds until the bucket is full again.
        public var secondsToFull: Double

        public init(dimension: ClientLimitDimension, limit: Double, remaining: Double, secondsToFull: Double) {
            self.dimension = dimension
            self.limit = limit
            self.remaining = remaining
            self.secondsToFull = secondsToFull
        }
    }

    public private(set) var limits: ClientLimits
    private var buckets: [ClientLimitDimension: LimitBucket] = [:]
    /// Days since 1970-01-01 (UTC) that `spentToday` counts.
    private var day: Int64
    /// Tokens spent (and reserved by requests in flight) today.
    public private(set) var spentToday: Double = 0

    public init(limits: ClientLimits, now: MonotonicInstant, wallTime: Double) {
        self.limits = limits
        day = Self.day(of: wallTime)
        reshape(limits, now: now)
    }

    /// New limits (a config reload): the buckets keep their level, capped by the new size; a
    /// bucket that was unlimited starts full.
    public mutating func reshape(_ newLimits: ClientLimits, now: MonotonicInstant) {
        limits = newLimits
        for dimension in ClientLimitDimension.allCases {
            guard let perMinute = newLimits.perMinute(dimension) else {
                buckets[dimension] = nil
                continue
            }
            if var bucket = buckets[dimension] {
                bucket.reshape(rate: perMinute / 60, capacity: perMinute, now: now)
                buckets[dimension] = bucket
            } else {
                buckets[dimension] = LimitBucket(rate: perMinute / 60, capacity: perMinute, now: now)
            }
        }
    }

    /// Admit a request of this cost (taking it from every bucket and the budget), or say why not.
    public mutating func admit(_ cost: RequestCost, now: MonotonicInstant, wallTime: Double) -> Decision {
        rollDay(wallTime)
        if let budget = limits.tokensPerDay, spentToday >= budget {
            return .overBudget(resetsAt: Double(day + 1) * 86400)
        }
        var longest: (ClientLimitDimension, Double)?
        for dimension in ClientLimitDimension.allCases {
            guard var bucket = buckets[dimension] else { continue }
            bucket.refill(now: now)
            buckets[dimension] = bucket
            let wait = bucket.secondsUntil(Self.amount(dimension, cost))
            if wait > 0, wait > (longest?.1 ?? 0) { longest = (dimension, wait) }
        }
        if let (dimension, wait) = longest { return .rateLimited(dimension, retryAfter: wait) }
        for dimension in ClientLimitDimension.allCases {
            buckets[dimension]?.take(Self.amount(dimension, cost))
        }
        spentToday += cost.inputTokens + cost.outputTokens
        return .admit(cost)
    }

    /// The answer's real usage is known (zero when nothing reached the upstream): the buckets
    /// get back what was charged beyond it, and the day's spend becomes the real figure.
    public mutating func settle(charged: RequestCost, used: RequestCost, now: MonotonicInstant, wallTime: Double) {
        for dimension in ClientLimitDimension.allCases {
            guard var bucket = buckets[dimension] else { continue }
            bucket.refill(now: now)
            let over = Self.amount(dimension, charged) - Self.amount(dimension, used)
            if over > 0 { bucket.refund(over) } else { bucket.take(-over) }
            buckets[dimension] = bucket
        }
        // A request admitted yesterday and settled today was charged to yesterday: only the
        // part of its usage above the charge lands on today.
        let chargedTotal = charged.inputTokens + charged.outputTokens
        let usedTotal = used.inputTokens + used.outputTokens
        if Self.day(of: wallTime) == day {
            spentToday = max(0, spentToday - chargedTotal + usedTotal)
        } else {
            rollDay(wallTime)
            spentToday += max(0, usedTotal - chargedTotal)
        }
    }

    /// Each limited dimension's reading now.
    public func readings(now: MonotonicInstant) -> [Reading] {
        ClientLimitDimension.allCases.compactMap { dimension in
            guard var bucket = buckets[dimension] else { return nil }
            bucket.refill(now: now)
            let remaining = max(0, bucket.level)
            let toFull = bucket.rate > 0 ? max(0, bucket.capacity - bucket.level) / bucket.rate : 0
            return Reading(
                dimension: dimension, limit: bucket.capacity, remaining: remaining.rounded(.down),
                secondsToFull: toFull)
        }
    }

    /// What is left of today's budget (nil: no budget), and when it resets.
    public func budgetLeft(wallTime: Double) -> (remaining: Double, resetsAt: Double)? {
        guard let budget = limits.tokensPerDay else { return nil }
        let today = Self.day(of: wallTime)
        let spent = today == day ? spentToday : 0
        return (max(0, budget - spent), Double(today + 1) * 86400)
    }

    private mutating func rollDay(_ wallTime: Double) {
        let today = Self.day(of: wallTime)
        if today != day {
            day = today
            spentToday = 0
        }
    }

    /// Days since 1970-01-01 (UTC) of a wall-clock time: the budget's day.
    public static func day(of wallTime: Double) -> Int64 {
        Int64((wallTime / 86400).rounded(.down))
    }

    static func amount(_ dimension: ClientLimitDimension, _ cost: RequestCost) -> Double {
        switch dimension {
        case .requests: 1
        case .inputTokens: cost.inputTokens
        case .outputTokens: cost.outputTokens
        }
    }
}
