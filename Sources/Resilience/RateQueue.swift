public import BallastCore

/// Admission in front of a `RateAllowance`: admit now, wait a given time, or reject with an
/// honest `retry-after`, keeping at most `maxWaiting` requests waiting and none longer than
/// the wait it is allowed (`maxWait`, or less: the caller passes what the request's deadline
/// and the demand allow, see `RatePacer`).
///
/// A waiting request *reserves* its slot: it takes its share now (the buckets go into debt)
/// and is told exactly when its slot comes, so waiters leave in arrival order and the caller
/// needs no second call; it arms a timer and sends when it fires. A rejection's `retryAfter`
/// is when the buckets will have room for this request given everyone already ahead of it, so
/// a client that honours it is not rejected again for the same reason.
///
/// A cut of the allowance while requests wait slows only the requests that arrive after it;
/// waiters keep their slots. A waiter whose client leaves keeps its slot too: the slot is
/// simply not used.
///
/// Call sequence: `admit(now:)` per request; then, as for `RateAllowance`, feed each answer
/// to `allowance.record(...)`. A value type: one per key.
public struct RateQueue: Sendable {
    public enum Admission: Sendable, Equatable {
        /// Send now.
        case now
        /// The slot is reserved: send after this many seconds without asking again.
        case wait(seconds: Double)
        /// Too many waiting or too long a wait: answer 429 with this `retry-after` (seconds).
        case reject(retryAfter: Double)
    }

    public var allowance: RateAllowance
    public let maxWaiting: Int
    public let maxWait: Double
    /// When each waiting request's slot comes.
    private var dueTimes: [MonotonicInstant] = []

    public init(allowance: RateAllowance, maxWaiting: Int = 100, maxWait: Double = 10) {
        self.allowance = allowance
        self.maxWaiting = max(0, maxWaiting)
        self.maxWait = max(0, maxWait)
    }

    /// Admits a request: `.now` takes its share, `.wait` reserves the slot (its share taken
    /// into debt), `.reject` takes nothing. `maxWait` lowers the queue's own bound for this
    /// request.
    public mutating func admit(now: MonotonicInstant, cost: RequestCost = .zero, maxWait: Double? = nil) -> Admission {
        let decision = peek(now: now, cost: cost, maxWait: maxWait)
        switch decision {
        case .now:
            allowance.take(now: now, due: now, cost: cost)
        case .wait(let seconds):
            let due = now.adding(seconds: seconds)
            allowance.take(now: now, due: due, cost: cost)
            dueTimes.append(due)
        case .reject:
            break
        }
        return decision
    }

    /// What `admit` would answer now, reserving nothing: for choosing among regions, where
    /// reserving a slot in one that is not taken would put it in debt for nothing (and, slot
    /// after slot, starve it of traffic it could serve).
    public mutating func peek(now: MonotonicInstant, cost: RequestCost = .zero, maxWait: Double? = nil) -> Admission {
        allowance.refill(now: now)
        dueTimes.removeAll { $0 <= now }
        let wait = allowance.secondsUntilRoom(now: now, cost: cost)
        if wait <= 0 { return .now }
        guard dueTimes.count < maxWaiting, wait <= min(self.maxWait, maxWait ?? .infinity) else {
            return .reject(retryAfter: wait)
        }
        return .wait(seconds: wait)
    }

    /// The reservation due at `due` will not be used (the request went elsewhere; its share is
    /// refunded through the allowance): it no longer counts as waiting.
    public mutating func release(due: MonotonicInstant) {
        if let index = dueTimes.firstIndex(of: due) { dueTimes.remove(at: index) }
    }

    /// Sends the reservation due at `due` now when the shares of every reservation due before
    /// it are there already: the line moves up when requests ahead of it left it (spilled to
    /// another region and gave their shares back), in the order of the slots, so the oldest
    /// waiter goes first. False (nothing changed) otherwise.
    public mutating func sendEarly(due: MonotonicInstant, cost: RequestCost, now: MonotonicInstant) -> Bool {
        allowance.refill(now: now)
        dueTimes.removeAll { $0 <= now }
        guard let index = dueTimes.firstIndex(of: due) else { return false }
        let later = dueTimes.count { $0 > due }
        guard allowance.coversReservation(later: later) else { return false }
        dueTimes.remove(at: index)
        allowance.advance(due: due, to: now, cost: cost)
        return true
    }

    /// Requests holding a reserved slot that has not come yet.
    public mutating func waiting(now: MonotonicInstant) -> Int {
        dueTimes.removeAll { $0 <= now }
        return dueTimes.count
    }
}
