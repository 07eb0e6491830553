/// The rate limits of one credential: a request bucket and separate input-token and
/// output-token buckets, answering admit-or-429 and the numbers for the
/// `anthropic-ratelimit-*` headers. A value type that takes time as a parameter (seconds on
/// the simulator's timeline), so tests step it without sleeping.
///
/// Input tokens are charged in full at admission. Output tokens are charged as they are
/// produced (`charge(output:now:)` books a reply's production; every call settles what is due
/// by then), so a long answer may take the output bucket below zero while it is written. A
/// request is refused while the input bucket lacks its input tokens or the output bucket
/// holds less than one token.
public struct RateLimiter: Sendable, Equatable {
    /// Where the buckets stand, for the response headers.
    public struct Snapshot: Sendable, Equatable {
        public var requests: RateLimitReading?
        public var inputTokens: RateLimitReading?
        public var outputTokens: RateLimitReading?

        /// `anthropic-ratelimit-tokens-*`: the most restrictive of the two token limits.
        public var tokens: RateLimitReading? { RateLimitReading.mostRestrictive(inputTokens, outputTokens) }
    }

    public enum Decision: Sendable, Equatable {
        case admitted
        /// Retry no sooner than this many seconds.
        case limited(retryAfter: Double)
    }

    public private(set) var settings: RateLimitSettings
    public private(set) var requests: TokenBucket?
    public private(set) var inputTokens: TokenBucket?
    public private(set) var outputTokens: TokenBucket?
    /// Replies still being produced, owed to the output bucket as their tokens come.
    public private(set) var pendingOutput: [OutputCharge] = []

    /// Full buckets at `now`.
    public init(settings: RateLimitSettings, now: Double) {
        self.init(settings: settings, now: now, carrying: nil)
    }

    private init(settings: RateLimitSettings, now: Double, carrying old: RateLimiter?) {
        self.settings = settings
        requests =
            settings.limitsRequests
            ? TokenBucket(
                capacity: settings.requestCapacity, ratePerSecond: settings.requestsPerSecond, now: now,
                level: old?.requests?.level) : nil
        inputTokens =
            settings.limitsInputTokens
            ? TokenBucket(
                capacity: settings.inputTokenCapacity, ratePerSecond: settings.inputTokensPerMinute / 60, now: now,
                level: old?.inputTokens?.level) : nil
        outputTokens =
            settings.limitsOutputTokens
            ? TokenBucket(
                capacity: settings.outputTokenCapacity, ratePerSecond: settings.outputTokensPerMinute / 60, now: now,
                level: old?.outputTokens?.level) : nil
        pendingOutput = outputTokens == nil ? [] : old?.pendingOutput ?? []
    }

    /// Switches to new figures when they differ. What was spent stays spent: each bucket
    /// keeps its level (capped at its new capacity) and replies in production stay owed; only
    /// a bucket that did not exist before starts full. A limit change does not hand out a
    /// fresh allowance, and regions that share a bucket but disagree on its figures cannot
    /// refill it by taking turns.
    public mutating func update(_ newSettings: RateLimitSettings, now: Double) {
        guard newSettings != settings else { return }
        settle(now: now)
        self = RateLimiter(settings: newSettings, now: now, carrying: self)
    }

    /// Admits a request costing one request and `inputTokens` input tokens, taking both, or
    /// neither with the wait after which it would be admitted.
    public mutating func admit(inputTokens cost: Int, now: Double) -> Decision {
        settle(now: now)
        let wait = max(
            requests?.secondsUntil(1) ?? 0, inputTokens?.secondsUntil(Double(cost)) ?? 0,
            secondsUntilOutputAdmits(now: now))
        guard wait <= 0 else { return .limited(retryAfter: wait) }
        _ = requests?.take(1, now: now)
        _ = inputTokens?.take(Double(cost), now: now)
        return .admitted
    }

    /// Books the output of an admitted reply (ignored without an output limit).
    public mutating func charge(output: OutputCharge, now: Double) {
        guard outputTokens != nil, output.tokens > 0 else { return }
        pendingOutput.append(output)
        settle(now: now)
    }

    /// Refills every bucket to `now` and charges the output produced by then.
    public mutating func settle(now: Double) {
        requests?.refill(now: now)
        inputTokens?.refill(now: now)
        guard var bucket = outputTokens else { return }
        // Debit first, then refill: exact when a reply is produced while the bucket is full
        // and refilling as fast (it stays full), lenient by at most one interval otherwise.
        var due = 0.0
        for index in pendingOutput.indices { due += pendingOutput[index].settle(now: now) }
        pendingOutput.removeAll { $0.isDone(at: now) }
        bucket.charge(due, now: bucket.updatedAt)
        bucket.refill(now: now)
        outputTokens = bucket
    }

    /// Seconds until the output bucket holds a token again, counting the output still owed as
    /// if it were charged now: an upper bound, so a client honouring it is not refused again
    /// by replies that were already running.
    private func secondsUntilOutputAdmits(now: Double) -> Double {
        guard let bucket = outputTokens else { return 0 }
        let needed = min(1, bucket.capacity)
        guard bucket.level < needed else { return 0 }
        let owed = pendingOutput.reduce(0) { $0 + $1.outstanding(after: now) }
        return bucket.ratePerSecond > 0 ? (needed - bucket.level + owed) / bucket.ratePerSecond : .infinity
    }

    /// Seconds until one more request would be admitted (0 if now), for a forced 429.
    public func secondsUntilNextRequest(now: Double) -> Double {
        var copy = self
        copy.settle(now: now)
        return copy.requests?.secondsUntil(1) ?? 0
    }

    /// True when every bucket is full and nothing is owed: then the limiter is the same as a
    /// fresh one, and a store may forget it.
    public func isIdle(at now: Double) -> Bool {
        var copy = self
        copy.settle(now: now)
        return copy.pendingOutput.isEmpty
            && [copy.requests, copy.inputTokens, copy.outputTokens].allSatisfy {
                $0.map { $0.level >= $0.capacity } ?? true
            }
    }

    public func snapshot(now: Double) -> Snapshot {
        var copy = self
        copy.settle(now: now)
        let owed = copy.pendingOutput.reduce(0) { $0 + $1.outstanding(after: now) }
        func reading(_ bucket: TokenBucket?, perMinute: Double, owed: Double = 0) -> RateLimitReading? {
            guard let bucket else { return nil }
            let toFull = max(0, bucket.capacity - bucket.level + owed)
            return RateLimitReading(
                limit: Int(perMinute.rounded()), remaining: Int(max(0, bucket.level).rounded(.down)),
                resetSeconds: bucket.ratePerSecond > 0 ? toFull / bucket.ratePerSecond : 0)
        }
        // Like the real API, each announced limit is the per-minute figure (the refill rate),
        // not the bucket's capacity.
        return Snapshot(
            requests: reading(copy.requests, perMinute: settings.requestsPerSecond * 60),
            inputTokens: reading(copy.inputTokens, perMinute: settings.inputTokensPerMinute),
            outputTokens: reading(copy.outputTokens, perMinute: settings.outputTokensPerMinute, owed: owed))
    }
}
