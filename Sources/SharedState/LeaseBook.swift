public import BallastCore

/// One key's leased slots and local fallback: the pure part of the shared allowance (no
/// Redis, no lock, the time passed in), so its arithmetic is tested on its own.
///
/// A slot is a moment at which the shared bucket lets one request go; leases arrive as
/// batches of such moments (`applyLease`). `admit` hands out the earliest slot held: now, or
/// a wait until its moment. With no slot at hand it lets up to `maxOwed` requests go on an
/// estimate (repaid from the next lease), or refuses while Redis says the horizon is full.
/// While Redis is out of reach, `admitLocally` paces at `localShare` of the last known rate.
public struct LeaseBook: Sendable {
    public let settings: SharedAllowanceSettings
    /// Moments of the slots held, earliest first.
    public private(set) var slots: [MonotonicInstant] = []
    /// Requests let through before their slot was leased.
    public private(set) var owed = 0
    /// A lease is on its way.
    public var leasing = false
    /// Redis said the horizon is full until then.
    public private(set) var fullUntil: MonotonicInstant?
    /// The last lease got fewer slots than asked: the bucket is spoken for, so no request may
    /// go on an estimate (it would take a slot from the horizon's far end and send it now).
    public private(set) var saturated = false
    /// No limit is known anywhere: requests go freely (as the local allowance before a signal).
    public private(set) var unlimited = false
    /// Redis was asked about this key at least once (it may know a limit this instance has
    /// not seen yet: a late joiner paces from its first request).
    public private(set) var answered = false
    /// The announced limit this instance saw last (requests/s), before the headroom.
    public private(set) var ceiling: Double?
    /// The shared AIMD rate Redis reported last.
    public private(set) var sharedRate: Double?
    private var demandWindowStart: MonotonicInstant
    private var demandCount = 0
    /// Requests per second this instance asked for, smoothed over seconds.
    public private(set) var demand: Double = 0
    private var localLevel: Double = 1
    private var localUpdatedAt: MonotonicInstant

    public init(settings: SharedAllowanceSettings, now: MonotonicInstant) {
        self.settings = settings
        demandWindowStart = now
        localUpdatedAt = now
    }

    // MARK: Shared mode

    /// A slot for one request while Redis is reachable.
    public mutating func admit(ceiling announced: Double?, now: MonotonicInstant) -> SharedAdmission {
        if let announced { ceiling = announced }
        recordDemand(now: now)
        slots.removeAll { now.seconds(since: $0) > settings.staleAfter }
        if !slots.isEmpty {
            let slot = slots.removeFirst()
            return slot <= now ? .now : .wait(seconds: slot.seconds(since: now))
        }
        if ceiling == nil, sharedRate == nil || unlimited { return .now }
        if let fullUntil, fullUntil > now { return .reject(retryAfter: fullUntil.seconds(since: now) + 0.01) }
        if saturated { return .reject(retryAfter: 0.01) }
        guard owed < max(settings.maxOwed, Int((demand * settings.owedWindow).rounded(.up))) else {
            return .reject(retryAfter: 0.05)
        }
        owed += 1
        let rate = max(sharedRate ?? (ceiling ?? 1) * settings.headroom, settings.minimumRate)
        let estimate = min(settings.horizon, Double(owed - 1) / rate)
        return estimate <= 0 ? .now : .wait(seconds: estimate)
    }

    /// How many slots to lease now, or nil when no lease is due.
    public mutating func leaseWanted(now: MonotonicInstant) -> Int? {
        guard !leasing else { return nil }
        if let fullUntil, fullUntil > now { return nil }
        if unlimited, ceiling == nil { return nil }
        guard ceiling != nil || sharedRate != nil else { return answered ? nil : 1 }
        let lowWater = max(2, Int((demand * settings.lookahead).rounded(.up)))
        guard slots.count < lowWater || owed > 0 else { return nil }
        return min(settings.maxBatch, max(1, lowWater * 2 - slots.count)) + owed
    }

    /// The announced limit with the headroom, for the lease script (0: unknown).
    public var ceilingHint: Double { (ceiling ?? 0) * settings.headroom }

    /// A lease's answer: `granted` slots from a bucket whose level was `levelBefore`,
    /// refilling at `rate`; `fullFor` seconds until a further slot fits in the horizon.
    /// `granted` -1: no limit is known anywhere.
    public mutating func applyLease(
        granted: Int, levelBefore: Double, rate: Double, fullFor: Double, wanted: Int,
        now: MonotonicInstant
    ) {
        leasing = false
        answered = true
        guard granted >= 0 else {
            unlimited = true
            owed = 0
            return
        }
        unlimited = false
        sharedRate = rate
        var fresh: [MonotonicInstant] = []
        if granted > 0, rate > 0 {
            for index in 1...granted {
                fresh.append(now.adding(seconds: max(0, (Double(index) - levelBefore) / rate)))
            }
        }
        // The requests already let through on an estimate take the earliest slots.
        let repaid = min(owed, fresh.count)
        owed -= repaid
        slots.append(contentsOf: fresh.dropFirst(repaid))
        slots.sort()
        saturated = granted < wanted
        fullUntil = saturated ? now.adding(seconds: max(fullFor, 0.005)) : nil
    }

    /// A lease that got no answer (Redis failed): nothing changes but the flag.
    public mutating func leaseFailed() {
        leasing = false
    }

    // MARK: Local mode

    /// A slot while Redis is out of reach: a local bucket at `localShare` of the last known
    /// rate (the shared one, else the announced limit); free when nothing is known.
    public mutating func admitLocally(ceiling announced: Double?, now: MonotonicInstant) -> SharedAdmission {
        if let announced { ceiling = announced }
        recordDemand(now: now)
        owed = 0
        fullUntil = nil
        saturated = false
        slots.removeAll()
        guard let base = sharedRate ?? ceiling.map({ $0 * settings.headroom }) else { return .now }
        let rate = max(settings.minimumRate, base * settings.localShare)
        let capacity = max(1, rate * settings.burstSeconds)
        if now > localUpdatedAt {
            localLevel = min(capacity, localLevel + rate * now.seconds(since: localUpdatedAt))
            localUpdatedAt = now
        }
        let wait = localLevel >= 1 ? 0 : (1 - localLevel) / rate
        guard wait <= settings.maxWait else { return .reject(retryAfter: wait) }
        localLevel -= 1
        return wait <= 0 ? .now : .wait(seconds: wait)
    }

    /// A 429 seen while Redis is out of reach empties the local fallback bucket and, unless the
    /// headers explained it (`keepRate`), cuts its rate too.
    public mutating func cutLocally(keepRate: Bool, now: MonotonicInstant) {
        if !keepRate, let rate = sharedRate ?? ceiling.map({ $0 * settings.headroom }) {
            sharedRate = max(settings.minimumRate, rate * settings.decreaseFactor)
        }
        localLevel = min(localLevel, 0)
        localUpdatedAt = max(localUpdatedAt, now)
    }

    private mutating func recordDemand(now: MonotonicInstant) {
        demandCount += 1
        let elapsed = now.seconds(since: demandWindowStart)
        guard elapsed >= 0.25 else { return }
        let measured = Double(demandCount) / elapsed
        demand = demand == 0 ? measured : demand * 0.5 + measured * 0.5
        demandCount = 0
        demandWindowStart = now
    }
}
