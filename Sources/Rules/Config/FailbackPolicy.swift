/// How traffic returns to a region that was shifted away from: wait `holdDown` of health,
/// then give back `step` of its weight every `interval`. Repeated shifts double the hold-down,
/// up to `maxHoldDown`, so a region that keeps failing is tried less and less often.
public struct FailbackPolicy: Sendable, Equatable {
    public var holdDown: Duration
    /// Share of the region's configured weight given back per step (0...1].
    public var step: Double
    public var interval: Duration
    public var maxHoldDown: Duration

    public init(
        holdDown: Duration = .seconds(30), step: Double = 0.25, interval: Duration = .seconds(10),
        maxHoldDown: Duration = .seconds(600)
    ) {
        self.holdDown = holdDown
        self.step = step
        self.interval = interval
        self.maxHoldDown = max(maxHoldDown, holdDown)
    }

    /// The hold-down after the `shift`-th repeated shift (1-based): doubled per shift, capped.
    public func holdDown(shift: Int) -> Duration {
        let doublings = max(shift - 1, 0)
        guard doublings < 30, holdDown <= maxHoldDown / (1 << doublings) else { return maxHoldDown }
        return holdDown * (1 << doublings)
    }
}
