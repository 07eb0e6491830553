import BallastCore

/// A requests-per-second allowance for one upstream key (region + model), learned from the
/// upstream's answers, with a token bucket that paces requests to it.
///
/// Three signals set the allowance:
/// - **429** (`recordRateLimited`): multiplicative decrease, `rate * 0.5`, at most once per
///   `cooldown` (a burst of 429s from requests already in flight is one signal, not ten).
///   A `retry-after` also holds the key for that long (capped by `maxHold`).
/// - **success** (`recordSuccess`): additive increase, `+increase` per second since the last
///   increase or cut (default 5 % of the announced limit per second, or 1 rps when no limit is
///   known), never above the announced limit. Together: AIMD, as TCP and Netflix's AIMD limit.
/// - **headers** (`observe`): `anthropic-ratelimit-requests-limit` announces the ceiling,
///   `limit / limitWindow` (the API's limits are per minute); an unlimited allowance starts
///   pacing at it from the first answer, before any 429. When a dimension's
///   `remaining` falls below `lowRemainingFraction` of its limit, requests are paced *before*
///   the 429: for requests, at `limit / secondsToReset` (the bucket refills at
///   `(limit - remaining) / secondsToReset`, and the remaining is spread over the same time);
///   for token dimensions, whose cost per request is unknown, the current request rate is
///   scaled by `(remaining / limit) / lowRemainingFraction`, a brake that eases as the bucket
///   refills. Pacing ends at the reset instant or with the next headers that are not low.
///
/// Unknown until the first signal: without `initialRate` the allowance is unlimited until a 429
/// (whose cut then starts from the measured request rate) or a low-remaining header.
///
/// Call sequence: `decide(now:)` before sending (`.go` takes a token; `.wait(s)` means ask
/// again in `s` seconds, nothing was taken); when an answer's head arrives, first
/// `observe(headers:wallTime:now:)` (429s included: their headers say where the bucket
/// stands), then `recordRateLimited(retryAfter:now:)` for a `Failure.isRateLimited`, or
/// `recordSuccess(now:)` for any other answer from the upstream. For a bounded queue with honest rejections use
/// `RateQueue`; for many keys behind one lock, `RatePacer`. A value type: one per key, guarded
/// by the caller.
public struct RateAllowance: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Requests per second to start at; nil = unlimited until the first signal.
        public var initialRate: Double?
        /// Seconds during which further 429s do not cut again.
        public var cooldown: Double
        /// The multiplicative decrease on a 429.
        public var decreaseFactor: Double
        /// Requests per second added per second of success; nil = 5 % of the announced limit,
        /// or 1 rps while no limit is known.
        public var increasePerSecond: Double?
        /// The allowance never drops below this (requests per second).
        public var minimumRate: Double
        /// The bucket holds this many seconds of allowance (at least one request).
        public var burstSeconds: Double
        /// Below this fraction of a dimension's limit, pacing starts.
        public var lowRemainingFraction: Double
        /// The period the announced `limit` is counted over (the API's limits are per minute).
        public var limitWindow: Double
        /// The longest `retry-after` hold, in seconds.
        public var maxHold: Double

        public init(initialRate: Double? = nil, cooldown: Double = 1, decreaseFactor: Double = 0.5,
                    increasePerSecond: Double? = nil, minimumRate: Double = 0.1, burstSeconds: Double = 1,
                    lowRemainingFraction: Double = 0.1, limitWindow: Double = 60, maxHold: Double = 60) {
            self.initialRate = initialRate
            self.cooldown = cooldown
            self.decreaseFactor = decreaseFactor
            self.increasePerSecond = increasePerSecond
            self.minimumRate = minimumRate
            self.burstSeconds = burstSeconds
            self.lowRemainingFraction = lowRemainingFraction
            self.limitWindow = limitWindow
            self.maxHold = maxHold
        }
    }

    public enum Decision: Sendable, Equatable {
        /// Send now; a token was taken.
        case go
        /// Ask again after this many seconds; nothing was taken.
        case wait(seconds: Double)
    }

    public let settings: Settings
    /// The AIMD allowance in requests per second; nil = unlimited (no signal yet).
    public private(set) var rate: Double?
    /// The ceiling announced by `anthropic-ratelimit-requests-limit`, in requests per second.
    public private(set) var announcedLimit: Double?
    private var announcedLimitHeader: Double?
    private var pace: Double?
    private var paceUntil = MonotonicInstant(nanoseconds: 0)
    /// Bucket level in requests; negative while requests wait on reservations (`RateQueue`).
    private var level: Double
    /// When the bucket was last refilled; in the future while a `retry-after` hold lasts.
    private var updatedAt: MonotonicInstant
    private var lastCut: MonotonicInstant?
    private var lastIncrease: MonotonicInstant?
    private var arrivals: ArrivalRate

    public init(settings: Settings = Settings(), now: MonotonicInstant) {
        self.settings = settings
        rate = settings.initialRate.map { max(settings.minimumRate, $0) }
        updatedAt = now
        arrivals = ArrivalRate(now: now)
        level = rate.map { max(1, $0 * settings.burstSeconds) } ?? 1
    }

    /// The rate requests are paced at now: the allowance, lowered by header pacing; nil when
    /// unlimited.
    public func effectiveRate(now: MonotonicInstant) -> Double? {
        guard let pace, now < paceUntil else { return rate }
        return min(rate ?? pace, pace)
    }

    /// Requests admitted per second, over about the last second.
    public func measuredRate(now: MonotonicInstant) -> Double {
        arrivals.rate(now: now)
    }

    /// Go (taking a token) or wait.
    public mutating func decide(now: MonotonicInstant) -> Decision {
        refill(now: now)
        let wait = secondsUntilRoom(now: now)
        guard wait <= 0 else { return .wait(seconds: wait) }
        take(now: now)
        return .go
    }

    /// An answer that was not a 429: grow the allowance by `increase` per second elapsed.
    public mutating func recordSuccess(now: MonotonicInstant) {
        refill(now: now)
        guard var current = rate else { return }
        let since = lastIncrease ?? now
        lastIncrease = max(since, now)
        let increase = settings.increasePerSecond ?? announcedLimit.map { $0 * 0.05 } ?? 1
        current += increase * now.seconds(since: since)
        if let announcedLimit { current = min(current, announcedLimit) }
        rate = max(settings.minimumRate, current)
    }

    /// A retryable 429: cut the allowance (unless cut within `cooldown`) and hold the key for
    /// `retryAfter` seconds. Returns true when the allowance was cut.
    @discardableResult
    public mutating func recordRateLimited(retryAfter: Double? = nil, now: MonotonicInstant) -> Bool {
        refill(now: now)
        if let retryAfter, retryAfter.isFinite, retryAfter > 0 {
            let holdEnd = now.adding(seconds: min(retryAfter, settings.maxHold))
            if holdEnd > updatedAt { updatedAt = holdEnd }
            level = min(level, 0)
        }
        if let lastCut, now.seconds(since: lastCut) < settings.cooldown { return false }
        var base = rate ?? arrivals.rate(now: now)
        if base <= 0 { base = announcedLimit ?? 1 }
        if let announcedLimit { base = min(base, announcedLimit) }
        rate = max(settings.minimumRate, base * settings.decreaseFactor)
        lastCut = now
        lastIncrease = now
        level = min(level, 0)
        return true
    }

    /// Reads the `anthropic-ratelimit-*` headers of an answer. `wallTime` (seconds since the
    /// epoch, from the injected clock) turns the RFC 3339 reset instants into seconds from now.
    public mutating func observe(headers: HTTPHeaders, wallTime: Double, now: MonotonicInstant) {
        observe(RateLimitHeaders(headers), wallTime: wallTime, now: now)
    }

    /// As `observe(headers:wallTime:now:)`, for headers already read.
    public mutating func observe(_ limits: RateLimitHeaders, wallTime: Double, now: MonotonicInstant) {
        guard !limits.isEmpty else { return }
        refill(now: now)
        var newPace: Double?
        var until = now
        func lower(to candidate: Double, until end: MonotonicInstant) {
            newPace = min(newPace ?? candidate, candidate)
            if end > until { until = end }
        }

        if let requests = limits.requests, let limit = requests.limit, limit > 0 {
            announcedLimitHeader = limit
            // The announced limit is per minute (the API's documented meaning), so the
            // sustainable rate is limit / 60. A rate implied by `(limit - remaining) / reset`
            // is not used: a reset rounded to whole seconds, or a bucket smaller than the
            // limit, inflates it far past what the upstream accepts (seen in the benchmark:
            // 2,400 req/s learned against a 40 req/s upstream).
            let ceiling = limit / max(settings.limitWindow, 0.001)
            announcedLimit = ceiling
            if let current = rate {
                if current > ceiling { rate = max(settings.minimumRate, ceiling) }
            } else {
                // Pace at the announced limit from the first answer, before any 429.
                rate = max(settings.minimumRate, ceiling)
            }
            if let remaining = requests.remaining, let resetAt = requests.resetAt,
               remaining < max(1, settings.lowRemainingFraction * limit) {
                let toReset = resetAt - wallTime
                if toReset > 0 { lower(to: max(settings.minimumRate, limit / toReset), until: now.adding(seconds: toReset)) }
            }
        }
        for dimension in limits.tokenDimensions {
            guard let limit = dimension.limit, limit > 0, let remaining = dimension.remaining,
                  let resetAt = dimension.resetAt, remaining < settings.lowRemainingFraction * limit else { continue }
            let toReset = resetAt - wallTime
            guard toReset > 0 else { continue }
            var base = arrivals.rate(now: now)
            if base <= 0 { base = effectiveRate(now: now) ?? announcedLimit ?? settings.minimumRate }
            let brake = (remaining / limit) / settings.lowRemainingFraction
            lower(to: max(settings.minimumRate, base * brake), until: now.adding(seconds: toReset))
        }
        pace = newPace
        paceUntil = until
        if let effective = effectiveRate(now: now) { level = min(level, capacity(for: effective)) }
    }

    // MARK: - Bucket, shared with RateQueue

    /// Brings the bucket to `now`: refills at the effective rate, ends expired pacing.
    mutating func refill(now: MonotonicInstant) {
        if pace != nil, now >= paceUntil { pace = nil }
        guard now > updatedAt else { return }
        if let effective = effectiveRate(now: now) {
            level = min(capacity(for: effective), level + effective * now.seconds(since: updatedAt))
        }
        updatedAt = now
    }

    /// Seconds until the bucket has room for one more request, given the reservations already
    /// taken (call `refill` first).
    func secondsUntilRoom(now: MonotonicInstant) -> Double {
        let hold = updatedAt > now ? updatedAt.seconds(since: now) : 0
        guard let effective = effectiveRate(now: now), effective > 0 else { return hold }
        return hold + (level >= 1 ? 0 : (1 - level) / effective)
    }

    /// Takes one token (the level may go below zero: a reservation) and counts the request.
    mutating func take(now: MonotonicInstant) {
        arrivals.record(now: now)
        if effectiveRate(now: now) != nil { level -= 1 }
    }

    private func capacity(for rate: Double) -> Double {
        max(1, rate * settings.burstSeconds)
    }
}
