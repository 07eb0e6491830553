import BallastCore

/// Requests per second over roughly the last second, from two one-second slots (the current
/// one and the one before, weighted by how much of it still lies in the last second).
///
/// `RateAllowance` needs the rate it is actually sending at when it must cut an allowance it
/// never had to set (unlimited until the first 429), and as the base of token pacing.
struct ArrivalRate: Sendable {
    private var slotStart: MonotonicInstant
    private var current: Double = 0
    private var previous: Double = 0

    init(now: MonotonicInstant) {
        slotStart = now
    }

    mutating func record(now: MonotonicInstant) {
        roll(now: now)
        current += 1
    }

    func rate(now: MonotonicInstant) -> Double {
        var copy = self
        copy.roll(now: now)
        let intoSlot = min(1, now.seconds(since: copy.slotStart))
        return copy.previous * (1 - intoSlot) + copy.current
    }

    private mutating func roll(now: MonotonicInstant) {
        let elapsed = now.seconds(since: slotStart)
        if elapsed >= 2 {
            previous = 0
            current = 0
            slotStart = now
        } else if elapsed >= 1 {
            previous = current
            current = 0
            slotStart = slotStart.adding(seconds: 1)
        }
    }
}
