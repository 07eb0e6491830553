/// How the shared allowance leases and falls back. Defaults suit limits from a few to a few
/// thousand requests per second.
public struct SharedAllowanceSettings: Sendable, Equatable {
    /// The bucket refills at this share of the announced limit: the margin absorbs the spread
    /// of send times across instances, so the upstream's own bucket never runs dry.
    public var headroom: Double
    /// Slots are leased at most this far ahead (seconds); past it a request is refused with
    /// an honest retry-after instead of waiting.
    public var horizon: Double
    /// The shared bucket holds this many seconds of allowance (at least one request).
    public var burstSeconds: Double
    /// Additive increase, a share of the limit per second (as the local allowance).
    public var increasePerSecond: Double
    public var decreaseFactor: Double
    public var cooldown: Double
    public var minimumRate: Double
    /// Slots kept at hand: this many seconds of the instance's own demand, ahead of need.
    public var lookahead: Double
    public var maxBatch: Int
    /// Requests let through on an estimate while a lease is on its way and no slot is at hand:
    /// at least `maxOwed`, and up to `owedWindow` seconds of this instance's own demand, so a
    /// lease held up by a busy machine delays a burst's requests rather than refusing them.
    /// They are repaid from the next lease, so the bucket's rate holds over time.
    public var maxOwed: Int
    public var owedWindow: Double
    /// The share of the limit this instance uses alone while Redis is out of reach.
    public var localShare: Double
    /// The longest wait for a local (fallback) slot.
    public var maxWait: Double
    /// A leased slot unused for this long is dropped (its moment has passed).
    public var staleAfter: Double
    /// Buckets of keys nobody uses expire in Redis after this long (milliseconds).
    public var bucketTTLMilliseconds: Int

    public init(
        headroom: Double = 0.98, horizon: Double = 1, burstSeconds: Double = 0.2, increasePerSecond: Double = 0.05,
        decreaseFactor: Double = 0.5, cooldown: Double = 1, minimumRate: Double = 0.1, lookahead: Double = 0.1,
        maxBatch: Int = 32, maxOwed: Int = 2, owedWindow: Double = 0.02, localShare: Double = 0.34, maxWait: Double = 10, staleAfter: Double = 1,
        bucketTTLMilliseconds: Int = 600_000
    ) {
        self.headroom = headroom
        self.horizon = horizon
        self.burstSeconds = burstSeconds
        self.increasePerSecond = increasePerSecond
        self.decreaseFactor = decreaseFactor
        self.cooldown = cooldown
        self.minimumRate = minimumRate
        self.lookahead = lookahead
        self.maxBatch = maxBatch
        self.maxOwed = maxOwed
        self.owedWindow = owedWindow
        self.localShare = localShare
        self.maxWait = maxWait
        self.staleAfter = staleAfter
        self.bucketTTLMilliseconds = bucketTTLMilliseconds
    }
}
