/// How long a simulated region takes: time to first byte, pace of streamed deltas, and the
/// rare slow or stalled request. All zero by default, so tests run at full speed.
public struct LatencyModel: Sendable, Equatable {
    /// Median time to first byte, in seconds. 0 answers immediately.
    public var firstByteMedian: Double
    /// Sigma of the lognormal spread around the median; 0 makes every request take the median.
    public var firstByteSpread: Double
    /// Seconds between streamed deltas (and the generation time of non-streamed replies).
    public var tokenInterval: Double
    public var slowTail: SlowTailModel
    public var stall: StallModel

    public init(
        firstByteMedian: Double = 0, firstByteSpread: Double = 0, tokenInterval: Double = 0,
        slowTail: SlowTailModel = SlowTailModel(), stall: StallModel = StallModel()
    ) {
        self.firstByteMedian = firstByteMedian
        self.firstByteSpread = firstByteSpread
        self.tokenInterval = tokenInterval
        self.slowTail = slowTail
        self.stall = stall
    }
}
