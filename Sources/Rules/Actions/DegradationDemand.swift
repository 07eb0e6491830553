public import BallastCore

/// One rule instance's hold on the degradation ladder: its level while it fires, then one
/// level less per `after` once it has resolved.
public struct DegradationDemand: Sendable, Equatable {
    public var level: Int
    /// Time per level stepped down (the rule's `recover.after`): the steps are counted by
    /// dividing by it.
    public var after: Duration
    /// When the rule resolved; nil while it fires.
    public var releasedAt: MonotonicInstant?

    public init(level: Int, after: Duration, releasedAt: MonotonicInstant? = nil) {
        self.level = level
        self.after = after
        self.releasedAt = releasedAt
    }

    public func effectiveLevel(at now: MonotonicInstant) -> Int {
        guard let releasedAt else { return level }
        let steps = Int(((now - releasedAt) / after + 1e-9).rounded(.down))
        return max(0, level - steps)
    }
}
