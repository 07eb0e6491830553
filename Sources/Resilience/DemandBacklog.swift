import BallastCore

/// The backlog a perfect pacer would hold for one model's demand: every new request adds
/// one, the whole allowance that serves the model drains it, and it never goes below zero.
///
/// It tells a burst from a sustained excess without guessing the future: a burst leaves a
/// backlog the allowance drains within `tolerance` seconds, and may wait for it; demand that
/// keeps arriving faster than the allowance keeps the backlog above that, and the excess is
/// refused at once (`RatePacer` then lets requests wait only `standingWait`). The backlog is
/// capped at 1.5x the tolerance, so once the excess ends it is called over within about half
/// the tolerance of the demand falling back below the allowance.
struct DemandBacklog: Sendable {
    private(set) var level = 0.0
    private var updatedAt: MonotonicInstant
    var lastUsed: MonotonicInstant
    /// The last time a request found the demand above the allowance.
    var lastOversubscribed: MonotonicInstant?

    init(now: MonotonicInstant) {
        updatedAt = now
        lastUsed = now
    }

    /// A new request; `supply` is the requests per second every key serving it allows.
    mutating func add(now: MonotonicInstant, supply: Double, tolerance: Double) {
        drain(now: now, supply: supply)
        level = min(level + 1, max(1, supply * tolerance * 1.5))
        lastUsed = max(lastUsed, now)
    }

    /// True while the backlog is more than `tolerance` seconds of the allowance.
    func isOversubscribed(supply: Double, tolerance: Double) -> Bool {
        level > supply * tolerance
    }

    private mutating func drain(now: MonotonicInstant, supply: Double) {
        guard now > updatedAt else { return }
        level = max(0, level - supply * now.seconds(since: updatedAt))
        updatedAt = now
    }
}
