/// How traffic returns to a region that was shifted away from: wait `holdDown` of health,
/// then give back `step` of its weight every `interval`. Repeated shifts double the hold-down,
/// up to `maxHoldDown`, so a region that keeps failing is tried less and less often.
///
/// The spans are the rule file's seconds (`holdDown`, `interval`, `maxHoldDown`); they become
/// `Duration`s where they meet an instant.
public struct FailbackPolicy: Sendable, Equatable {
    public var holdDown: Double
    /// Share of the region's configured weight given back per step (0...1].
    public var step: Double
    public var interval: Double
    public var maxHoldDown: Double

    public init(holdDown: Double = 30, step: Double = 0.25, interval: Double = 10, maxHoldDown: Double = 600) {
        self.holdDown = holdDown
        self.step = step
        self.interval = interval
        self.maxHoldDown = max(maxHoldDown, holdDown)
    }

    /// The hold-down after the `shift`-th repeated shift (1-based).
    public func holdDown(shift: Int) -> Duration {
        let exponent = max(shift - 1, 0)
        return .seconds(exponent >= 30 ? maxHoldDown : min(holdDown * Double(1 << exponent), maxHoldDown))
    }
}
