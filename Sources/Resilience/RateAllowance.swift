public import BallastCore

/// How fast one pacing key (a limit group and a model) may send, modelled on the upstream's
/// own token buckets.
///
/// The Messages API limits an organisation per model class with token buckets, one per
/// dimension (requests, input tokens, output tokens), and says where each stands on every
/// answer: `-limit` is the per-minute figure, which is the refill rate (`limit / 60` per
/// second); `-remaining` is what the bucket holds now; `-reset` is when it is full again. The
/// bucket may hold far less than a minute's worth (a per-minute figure "may be enforced over
/// shorter intervals"), so its size is learned, never assumed:
///
/// - **Trusted headers** (the usual case): each announced dimension becomes a `LimitBucket`
///   refilled at `pacingFraction` of the announced rate, as large as the largest `remaining`
///   seen (times `capacityMargin`), and lowered whenever an answer shows the upstream holds
///   less than the model thinks (`remaining`, less what was sent after that request). Pacing
///   runs at the announced rate from the first answer, and a 429 that the headers explain (the
///   bucket it names is empty) cuts nothing: the bucket model already knows.
/// - **No headers, or headers that lie** (a `remaining` above its `limit`, a `reset` in the
///   past or hours away, unreadable numbers): AIMD, as TCP does. A 429 halves the allowance
///   (at most once per `cooldown`; a burst of 429s from requests already in flight is one
///   signal) and honours `retry-after`; each answer that is not a 429 adds `increasePerSecond`
///   per second, never above an announced limit. Untrusted headers are reported to the caller
///   (`HeaderVerdict`) so they can be counted; they never stop traffic.
///
/// Why the full announced rate and not a little less: the no-gateway baseline gets every
/// token the bucket refills (a plain client's excess is simply refused), so anything less
/// delivers less than no gateway at all. The jitter between Ballast and the upstream (one
/// request overtaking another on its way) then costs the odd 429, which the headers explain:
/// it cuts nothing and the request is retried within its deadline. The capacity bench counts
/// those 429s (the target is at most 1 % of attempts); `pacingFraction` lowers the rate if an
/// upstream needs it.
///
/// Call sequence: `decide(now:cost:)` (or a `RateQueue`) before sending; when an answer's head
/// arrives, `record(_:wallTime:now:)` with its headers (429s included: their headers say where
/// the buckets stand); when its usage is known, `recordUsage(charged:outputTokens:maxTokens:)`.
/// A value type: one per key, guarded by the caller (`RatePacer`).
public struct RateAllowance: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Requests per second to start at; nil = unlimited until the first signal.
        public var initialRate: Double?
        /// Seconds during which further unexplained 429s do not cut again.
        public var cooldown: Double
        /// The multiplicative decrease on an unexplained 429.
        public var decreaseFactor: Double
        /// Requests per second added per second of success; nil = 5 % of the announced limit,
        /// or 1 rps while no limit is known.
        public var increasePerSecond: Double?
        /// The allowance never drops below this (requests per second).
        public var minimumRate: Double
        /// Without a learned bucket size, the request bucket holds this many seconds of allowance.
        public var burstSeconds: Double
        /// The period the announced `limit` is counted over (the API's limits are per minute).
        public var limitWindow: Double
        /// The longest `retry-after` hold, in seconds.
        public var maxHold: Double
        /// The share of an announced refill rate that Ballast sends at (see the type's notes).
        public var pacingFraction: Double
        /// The share of a learned bucket size that Ballast lets through at once. 1 by default:
        /// the learned size is already a lower bound, and any less keeps that share of the
        /// upstream's bucket unused for good (0.9 cost 2 % of goodput in the capacity
        /// simulation against a no-gateway client that took it all).
        public var capacityMargin: Double

        /// Keep the bucket model in step with the answers' `remaining`. Off when other
        /// instances spend the same bucket (shared mode): their sends are not in this
        /// instance's log, so `remaining` would pull this instance's model down to what all of
        /// them left, while the shared allowance already divides the bucket between them (on
        /// a three-instance test, 93 % of the limit delivered with it on, 98 % without).
        public var followsRemaining: Bool
        /// Seconds a `reset` may lie in the past (clock skew) before the headers are distrusted.
        public var resetTolerance: Double
        /// Seconds ahead beyond which a `reset` is distrusted.
        public var resetHorizon: Double

        public init(
            initialRate: Double? = nil, cooldown: Double = 1, decreaseFactor: Double = 0.5,
            increasePerSecond: Double? = nil, minimumRate: Double = 0.1, burstSeconds: Double = 1,
            limitWindow: Double = 60, maxHold: Double = 60, pacingFraction: Double = 1,
            capacityMargin: Double = 1, followsRemaining: Bool = true, resetTolerance: Double = 2,
            resetHorizon: Double = 3600
        ) {
            self.initialRate = initialRate
            self.cooldown = cooldown
            self.decreaseFactor = decreaseFactor
            self.increasePerSecond = increasePerSecond
            self.minimumRate = minimumRate
            self.burstSeconds = burstSeconds
            self.limitWindow = limitWindow
            self.maxHold = maxHold
            self.pacingFraction = pacingFraction
            self.capacityMargin = capacityMargin
            self.followsRemaining = followsRemaining
            self.resetTolerance = resetTolerance
            self.resetHorizon = resetHorizon
        }
    }

    public enum Decision: Sendable, Equatable {
        /// Send now; the request's share was taken.
        case go
        /// Ask again after this many seconds; nothing was taken.
        case wait(seconds: Double)
    }

    /// What an answer's `anthropic-ratelimit-*` headers were worth.
    public enum HeaderVerdict: Sendable, Equatable {
        /// None were sent.
        case absent
        /// They describe the buckets; pacing follows them.
        case trusted
        /// They were present but could not be true (the reason is a metric label value).
        case untrusted(reason: String)
    }

    /// One answer of the upstream, as pacing needs it.
    public struct Answer: Sendable {
        public var limits: RateLimitHeaders
        /// True for a retryable 429.
        public var rateLimited: Bool
        public var retryAfter: Double?
        /// When the request was sent: admissions after it are not in the answer's `remaining`.
        public var sentAt: MonotonicInstant
        /// What the request was charged at admission.
        public var cost: RequestCost

        public init(
            limits: RateLimitHeaders, rateLimited: Bool = false, retryAfter: Double? = nil,
            sentAt: MonotonicInstant, cost: RequestCost = .zero
        ) {
            self.limits = limits
            self.rateLimited = rateLimited
            self.retryAfter = retryAfter
            self.sentAt = sentAt
            self.cost = cost
        }
    }

    /// The token dimensions, in the order of `tokenBuckets`.
    enum TokenKind: Int, CaseIterable {
        case tokens, input, output
    }

    public let settings: Settings
    /// The AIMD allowance (requests per second) that unexplained 429s set; nil while nothing
    /// limits it (unlimited, or the announced rate rules).
    public private(set) var learnedRate: Double?
    /// The refill rate of the request bucket announced by trusted headers (requests per second).
    public private(set) var announcedLimit: Double?
    /// The request bucket's size, as large as the largest `remaining` (plus the request) seen.
    public private(set) var learnedCapacity: Double?
    /// What share of `max_tokens` answers really use, on average (starts at 1: the safe side).
    public private(set) var outputRatio: Double = 1
    /// How far answers stray from `outputRatio` (a slow mean absolute deviation).
    public private(set) var outputRatioSpread: Double = 0
    /// False until an answer's usage has taught `outputRatio` anything.
    public private(set) var outputRatioLearned = false
    /// The share a request's output is estimated at: the average plus one spread. An answer
    /// longer than its estimate runs the model ahead of the upstream's bucket until it is
    /// settled, and a paced queue sends right at the model's edge: at the average, 1.6-2.4 %
    /// of attempts were refused in `OutputTokenPacingTests` (answers of 20-60 tokens). Each
    /// spread costs goodput in a queue, whose slots are planned at the estimate and not moved
    /// when answers turn out shorter: one spread gave 0-0.6 % refused and 97.7-98.2 % of the
    /// best possible output, two 0-0.5 % and 95-96 %.
    public var estimatedOutputRatio: Double { min(1, outputRatio + outputRatioSpread * Self.spreadsInEstimate) }
    static let spreadsInEstimate = 1.0
    /// True while the last answer with headers had trustworthy ones.
    public private(set) var headersTrusted = false
    private var requests: LimitBucket?
    private var tokenBuckets: [LimitBucket?] = [nil, nil, nil]
    private var tokenCapacities: [Double?] = [nil, nil, nil]
    private var holdUntil: MonotonicInstant?
    /// The fastest answer seen, in seconds from sending: no answer's `remaining` was
    /// measured later than this after it was sent.
    private var fastestRoundTrip: Double?
    private var lastCut: MonotonicInstant?
    private var lastIncrease: MonotonicInstant?
    private var arrivals: ArrivalRate
    private var log = AdmissionLog()
    /// The typical admitted request (slow averages of its input estimate and its
    /// `max_tokens`): what turns a token bucket's refill rate into requests per second
    /// (`supply`). `max_tokens` rather than the output charged, so the output share learned
    /// since (`outputRatio`) applies at once.
    private var typicalRequest: (inputTokens: Double, maxTokens: Double)?

    public init(settings: Settings = Settings(), now: MonotonicInstant) {
        self.settings = settings
        learnedRate = settings.initialRate.map { max(settings.minimumRate, $0) }
        arrivals = ArrivalRate(now: now)
        reshapeRequests(now: now)
    }

    /// The request rate paced at: the lower of the announced rate (times `pacingFraction`) and
    /// the AIMD allowance; nil when unlimited.
    public var rate: Double? {
        let announced = headersTrusted ? announcedLimit.map { $0 * settings.pacingFraction } : nil
        switch (announced, learnedRate) {
        case let (a?, l?): return min(a, l)
        case let (a?, nil): return a
        case let (nil, l?): return min(l, announcedLimit ?? .infinity)
        case (nil, nil): return nil
        }
    }

    /// What the request bucket holds when full (learned, or the default burst); nil when
    /// unlimited.
    public var bucketSize: Double? { requests?.capacity }

    /// The requests per second this key can really serve, and how many its buckets hold when
    /// full: the request bucket's figures, lowered by every token bucket at the typical
    /// request's cost. Under an output-token limit the request limit can be far above what
    /// the tokens allow (the `capacity` bench's token-limited run: 1000 requests/s announced,
    /// tokens for 60): counting requests alone, the demand backlog never saw the excess and
    /// requests queued for seconds (p50 8.2 s) instead of being refused at once.
    public var supply: (rate: Double, stored: Double)? {
        var rate = self.rate
        var stored = bucketSize ?? 0
        if let typicalRequest {
            let typicalCost = RequestCost(
                inputTokens: typicalRequest.inputTokens,
                outputTokens: typicalRequest.maxTokens * outputRatio)
            for kind in TokenKind.allCases {
                guard let bucket = tokenBuckets[kind.rawValue] else { continue }
                let perRequest: Double =
                    switch kind {
                    case .tokens: typicalCost.inputTokens + typicalCost.outputTokens
                    case .input: typicalCost.inputTokens
                    case .output: typicalCost.outputTokens
                    }
                guard perRequest >= 1 else { continue }
                rate = min(rate ?? .infinity, bucket.rate / perRequest)
                stored = min(stored > 0 ? stored : .infinity, bucket.capacity / perRequest)
            }
        }
        guard let rate, rate.isFinite else { return nil }
        return (rate, stored.isFinite ? stored : 0)
    }

    /// The rate requests are paced at now (kept for the snapshot's shape: the same as `rate`).
    public func effectiveRate(now: MonotonicInstant) -> Double? { rate }

    /// Requests admitted per second, over about the last second.
    public func measuredRate(now: MonotonicInstant) -> Double {
        arrivals.rate(now: now)
    }

    /// The cost estimate for a request of this key.
    public func estimate(bodyBytes: Int, maxTokens: Int?) -> RequestCost {
        RequestCost.estimate(bodyBytes: bodyBytes, maxTokens: maxTokens, outputRatio: estimatedOutputRatio)
    }

    /// Go (taking the request's share) or wait.
    public mutating func decide(now: MonotonicInstant, cost: RequestCost = .zero) -> Decision {
        refill(now: now)
        let wait = secondsUntilRoom(now: now, cost: cost)
        guard wait <= 0 else { return .wait(seconds: wait) }
        take(now: now, due: now, cost: cost)
        return .go
    }

    /// Learns from one answer: its headers, then whether it was a 429. Returns what the
    /// headers were worth, for the caller's metrics.
    @discardableResult
    public mutating func record(_ answer: Answer, wallTime: Double, now: MonotonicInstant) -> HeaderVerdict {
        refill(now: now)
        let verdict = observe(answer, wallTime: wallTime, now: now)
        if answer.rateLimited {
            if !Self.explains(answer, verdict: verdict) { recordRateLimited(retryAfter: answer.retryAfter, now: now) }
        } else {
            recordSuccess(now: now)
        }
        return verdict
    }

    /// An attempt that never reached the upstream (its connection was refused, or it was
    /// stuck and moved) took nothing from the upstream's buckets: give its share back, and
    /// forget it was sent (`sentAt` is when it was due). If it did reach the upstream after
    /// all, the next answers' `remaining` lowers the model again.
    public mutating func refund(_ cost: RequestCost, sentAt: MonotonicInstant? = nil) {
        if let sentAt { log.void(due: sentAt) }
        requests?.refund(1)
        tokenBuckets[TokenKind.tokens.rawValue]?.refund(cost.inputTokens + cost.outputTokens)
        tokenBuckets[TokenKind.input.rawValue]?.refund(cost.inputTokens)
        tokenBuckets[TokenKind.output.rawValue]?.refund(cost.outputTokens)
    }

    /// An attempt that was sent has ended. With its real output (`outputTokens`; 0 for a
    /// failed answer), the estimate charged at admission becomes that output and the share of
    /// `max_tokens` answers use is learned. Without it (usage cut off or never read, an
    /// attempt stopped before its answer), the estimate stands: the upstream may have charged
    /// any part of it.
    public mutating func recordUsage(charged: RequestCost, outputTokens: Int?, maxTokens: Int?) {
        guard let outputTokens else { return }
        // Settled both ways: an answer longer than its estimate owes the difference. Refunds
        // alone (as before) left every underestimate unpaid, about 5 tokens an answer for
        // answers of 20-60 against an estimate of 40, and the model ran an eighth ahead of the
        // upstream's output bucket (15-18 % of attempts refused in `OutputTokenPacingTests`'
        // first form, with the other output fixes already in).
        let refund = charged.outputTokens - Double(outputTokens)
        for kind in [TokenKind.output, .tokens] {
            if refund >= 0 { tokenBuckets[kind.rawValue]?.refund(refund) } else { tokenBuckets[kind.rawValue]?.take(-refund) }
        }
        if let maxTokens, maxTokens > 0 {
            // A slow average (one answer moves it a tenth of the way), but never below what the
            // answer at hand used: an underestimate is what turns into 429s.
            let ratio = min(1, Double(outputTokens) / Double(maxTokens))
            if outputRatioLearned {
                outputRatioSpread = outputRatioSpread * 0.9 + abs(ratio - outputRatio) * 0.1
                outputRatio = max(ratio * 0.5, outputRatio * 0.9 + ratio * 0.1)
            } else {
                // The first answer replaces the safe guess outright, with a wide spread until
                // more are seen: averaging away from 1 would take about 15 answers (computed for
                // answers of 5 % of `max_tokens`) to estimate below `max_tokens` at all.
                outputRatioLearned = true
                outputRatio = ratio
                outputRatioSpread = ratio / 2
            }
        }
    }

    // MARK: - Signals

    /// An answer that was not a 429: grow an AIMD allowance by `increase` per second elapsed;
    /// once it reaches the announced rate, the announced rate rules alone again.
    mutating func recordSuccess(now: MonotonicInstant) {
        guard var current = learnedRate else { return }
        let since = lastIncrease ?? now
        lastIncrease = max(since, now)
        let increase = settings.increasePerSecond ?? announcedLimit.map { $0 * 0.05 } ?? 1
        current += increase * now.seconds(since: since)
        if let announcedLimit {
            let ceiling = headersTrusted ? announcedLimit * settings.pacingFraction : announcedLimit
            if current >= ceiling {
                learnedRate = headersTrusted ? nil : ceiling
                return reshapeRequests(now: now)
            }
        }
        learnedRate = max(settings.minimumRate, current)
        reshapeRequests(now: now)
    }

    /// A 429 the headers do not explain: cut the allowance (unless cut within `cooldown`) and
    /// hold the key for `retryAfter` seconds. Returns true when the allowance was cut.
    @discardableResult
    mutating func recordRateLimited(retryAfter: Double? = nil, now: MonotonicInstant) -> Bool {
        if let retryAfter, retryAfter.isFinite, retryAfter > 0 {
            let end = now.adding(seconds: min(retryAfter, settings.maxHold))
            if holdUntil.map({ end > $0 }) ?? true { holdUntil = end }
        }
        if let lastCut, now.seconds(since: lastCut) < settings.cooldown { return false }
        var base = rate ?? arrivals.rate(now: now)
        if base <= 0 { base = announcedLimit ?? 1 }
        learnedRate = max(settings.minimumRate, base * settings.decreaseFactor)
        lastCut = now
        lastIncrease = now
        reshapeRequests(now: now)
        requests?.lower(to: 0)
        return true
    }

    /// Reads an answer's headers into the bucket models.
    private mutating func observe(_ answer: Answer, wallTime: Double, now: MonotonicInstant) -> HeaderVerdict {
        let limits = answer.limits
        guard !limits.isEmpty else { return .absent }
        if let reason = limits.distrust(
            wallTime: wallTime, tolerance: settings.resetTolerance,
            horizon: settings.resetHorizon)
        {
            if headersTrusted, learnedRate == nil {
                // AIMD from the rate the headers last announced, not from unlimited.
                learnedRate = announcedLimit.map { $0 * settings.pacingFraction }
            }
            headersTrusted = false
            reshapeRequests(now: now)
            return .untrusted(reason: reason)
        }
        headersTrusted = true
        // The upstream measured `remaining` when the request arrived, somewhere between its
        // sending and the fastest round trip seen later (the answer of a long generation
        // comes much later): it has refilled since, and what was sent after the request is
        // not in the figure. The earliest moment gives an estimate that may be high, used
        // only to lower the model; the least of the estimates over every moment in between
        // one that may be low, used only to raise it (allowance lost to attempts that never
        // reached the upstream comes back; `AdmissionLog.raiseSlack`).
        let sinceSent = max(0, now.seconds(since: answer.sentAt))
        fastestRoundTrip = min(fastestRoundTrip ?? sinceSent, sinceSent)
        let measuredWithin = fastestRoundTrip ?? sinceSent
        let after = log.sum(after: answer.sentAt)
        func sync(
            _ bucket: inout LimitBucket?, remaining: Double, refill: Double, sentAfter: Double, mayRaise: Bool = true,
            amount: (AdmissionLog.Entry) -> Double = { $0.requests }
        ) {
            guard settings.followsRemaining else { return }
            let estimate = remaining + refill * sinceSent - sentAfter
            bucket?.lower(to: estimate)
            guard mayRaise else { return }
            let slack = log.raiseSlack(after: answer.sentAt, within: measuredWithin, refillPerSecond: refill, amount: amount)
            bucket?.raise(to: estimate - slack)
        }
        if let dimension = limits.requests, let limit = dimension.limit, limit > 0 {
            announcedLimit = limit / max(settings.limitWindow, 0.001)
            if let remaining = dimension.remaining {
                learnedCapacity = min(limit, max(learnedCapacity ?? 1, remaining + 1))
            }
            reshapeRequests(now: now)
            if let remaining = dimension.remaining, let announcedLimit {
                sync(&requests, remaining: remaining, refill: announcedLimit, sentAfter: after.requests)
            }
        }
        // `tokens-*` shows whichever token limit is the most restrictive now, not a bucket of
        // its own: with the separate `input-tokens-*` / `output-tokens-*` present it adds
        // nothing, and read as a combined bucket it charged input against an output limit (in
        // `OutputTokenPacingTests`' first form, pacing then delivered 29 % of the output limit
        // once the model was no longer raised to `remaining`). Alone, it is an upstream with
        // one combined limit.
        let separate = limits.inputTokens != nil || limits.outputTokens != nil
        if separate { tokenBuckets[TokenKind.tokens.rawValue] = nil }
        let observed: [(TokenKind, RateLimitHeaders.Dimension?, Double, Double)] = [
            (
                .tokens, separate ? nil : limits.tokens, answer.cost.inputTokens + answer.cost.outputTokens,
                after.cost.inputTokens + after.cost.outputTokens
            ),
            (.input, limits.inputTokens, answer.cost.inputTokens, after.cost.inputTokens),
            (.output, limits.outputTokens, 0, after.cost.outputTokens),
        ]
        for (kind, dimension, own, sentAfter) in observed {
            guard let dimension, let limit = dimension.limit, limit > 0 else { continue }
            let refill = limit / max(settings.limitWindow, 0.001)
            let index = kind.rawValue
            if let remaining = dimension.remaining {
                tokenCapacities[index] = min(limit, max(tokenCapacities[index] ?? 0, remaining + own))
            }
            let capacity = max(1, (tokenCapacities[index] ?? refill * settings.burstSeconds) * settings.capacityMargin)
            if tokenBuckets[index] == nil {
                tokenBuckets[index] = LimitBucket(rate: refill * settings.pacingFraction, capacity: capacity, now: now)
            } else {
                tokenBuckets[index]?.reshape(rate: refill * settings.pacingFraction, capacity: capacity, now: now)
            }
            if let remaining = dimension.remaining {
                // Output is charged as it is produced, so an output `remaining` (and the
                // combined `tokens` one, which carries output) leaves out what the answers in
                // production still owe, this request's own included: raising the model to it
                // hands out tokens the upstream has already promised. It only ever lowers the
                // model; estimates refunded at each answer's end (`recordUsage`) and attempts
                // that never left (`refund`) give back what the model over-charged. Raising
                // was one of the faults behind 6-16 % of attempts refused by the upstream in the
                // `capacity` bench's token-limited run; with a streamed answer's head at 1 ms,
                // the old rules had 28 % refused in `OutputTokenPacingTests`' first form (the
                // allowance deciding each request, no queue).
                let mayRaise = kind == .input
                sync(
                    &tokenBuckets[index], remaining: remaining, refill: refill, sentAfter: sentAfter, mayRaise: mayRaise,
                    amount: { $0.cost.inputTokens })
            }
        }
        return .trusted
    }

    /// True for a 429 that trusted headers explain: they say the bucket it asked from was
    /// empty. Such a 429 is the upstream's bucket at its announced pace, not a smaller
    /// allowance than announced: pacing (local and shared) keeps the announced rate.
    public static func explains(_ answer: Answer, verdict: HeaderVerdict) -> Bool {
        answer.rateLimited && verdict == .trusted && explains(answer.limits, cost: answer.cost)
    }

    /// True when the headers show a bucket that could not take the request: the 429 is the
    /// bucket being empty, which the model now knows, not a sign that the limit is lower.
    static func explains(_ limits: RateLimitHeaders, cost: RequestCost) -> Bool {
        if let remaining = limits.requests?.remaining, remaining < 1 { return true }
        if let remaining = limits.inputTokens?.remaining, remaining < max(1, cost.inputTokens) { return true }
        // Output is charged as it is produced: an empty bucket refuses whatever is asked.
        if let remaining = limits.outputTokens?.remaining, remaining < 1 { return true }
        if let remaining = limits.tokens?.remaining, remaining < max(1, cost.inputTokens) { return true }
        return false
    }

    // MARK: - Buckets, shared with RateQueue

    /// Brings every bucket to `now`.
    mutating func refill(now: MonotonicInstant) {
        requests?.refill(now: now)
        for index in tokenBuckets.indices { tokenBuckets[index]?.refill(now: now) }
        if let hold = holdUntil, now >= hold { holdUntil = nil }
    }

    /// Seconds until every bucket has room for the request, given the reservations already
    /// taken (call `refill` first).
    func secondsUntilRoom(now: MonotonicInstant, cost: RequestCost) -> Double {
        var wait = holdUntil.map { $0.seconds(since: now) } ?? 0
        if let requests { wait = max(wait, requests.secondsUntil(1)) }
        if let bucket = tokenBuckets[TokenKind.tokens.rawValue] {
            wait = max(wait, bucket.secondsUntil(cost.inputTokens + cost.outputTokens))
        }
        if let bucket = tokenBuckets[TokenKind.input.rawValue] { wait = max(wait, bucket.secondsUntil(cost.inputTokens)) }
        // Output is charged as it is produced: the upstream admits while its output bucket is
        // not empty, so Ballast waits for one token of it, not for the whole estimate.
        if let bucket = tokenBuckets[TokenKind.output.rawValue] { wait = max(wait, bucket.secondsUntil(1)) }
        return max(0, wait)
    }

    /// True when a request holding a reservation could be sent now without taking a share that
    /// another is owed: no hold, no token bucket in debt, and the request bucket's debt no more
    /// than the `later` reservations due after this one (call `refill` first).
    func coversReservation(later: Int) -> Bool {
        if holdUntil != nil { return false }
        for bucket in tokenBuckets where (bucket?.level ?? 0) < 0 { return false }
        return (requests?.level ?? 0) + Double(later) >= 0
    }

    /// A reservation is sent now rather than at `due`: its log entry moves with it.
    mutating func advance(due: MonotonicInstant, to now: MonotonicInstant, cost: RequestCost) {
        if log.void(due: due) { log.append(due: now, cost: cost) }
    }

    /// Takes the request's share (levels may go below zero: a reservation), counts it, and
    /// logs it as sent at `due`.
    mutating func take(now: MonotonicInstant, due: MonotonicInstant, cost: RequestCost) {
        arrivals.record(now: now)
        requests?.take(1)
        tokenBuckets[TokenKind.tokens.rawValue]?.take(cost.inputTokens + cost.outputTokens)
        tokenBuckets[TokenKind.input.rawValue]?.take(cost.inputTokens)
        tokenBuckets[TokenKind.output.rawValue]?.take(cost.outputTokens)
        log.append(due: due, cost: cost)
        let maxTokens = estimatedOutputRatio > 0 ? cost.outputTokens / estimatedOutputRatio : 0
        if let typical = typicalRequest {
            typicalRequest = (typical.inputTokens * 0.9 + cost.inputTokens * 0.1, typical.maxTokens * 0.9 + maxTokens * 0.1)
        } else {
            typicalRequest = (cost.inputTokens, maxTokens)
        }
    }

    /// Fits the request bucket to the current rate and learned size.
    private mutating func reshapeRequests(now: MonotonicInstant) {
        guard let rate else {
            requests = nil
            return
        }
        let capacity = learnedCapacity.map { max(1, $0 * settings.capacityMargin) } ?? max(1, rate * settings.burstSeconds)
        if requests == nil {
            requests = LimitBucket(rate: rate, capacity: capacity, now: now)
        } else {
            requests?.reshape(rate: rate, capacity: capacity, now: now)
        }
    }
}
