public import BallastCore

/// One region's shift: how much of its configured weight is moved elsewhere, who holds it
/// there, and how it comes back.
public struct RouteEntry: Sendable, Equatable {
    /// Share of the configured weight moved away, 0...1 (1: drained).
    public var removed: Double
    public var owners: Set<ShiftOwner>
    public var policy: FailbackPolicy
    /// Shift episodes in a row (a shift while holding down, failing back, or within
    /// `max_hold_down` of coming back counts on); sets the hold-down.
    public var shifts: Int
    /// When the last owner let go.
    public var releasedAt: MonotonicInstant?
    public var lastStepAt: MonotonicInstant?
    public var restoredAt: MonotonicInstant?
    /// The last owner to let go was a region circuit that closed: the region's probes passed,
    /// so it may come back at once while the regions serving are short of capacity.
    public var releasedByCircuit = false

    public var holdDown: Duration { policy.holdDown(shift: shifts) }

    public func phase(at now: MonotonicInstant) -> RoutePhase {
        if !owners.isEmpty { return .shifted }
        if removed <= 0 { return .restored }
        if let releasedAt, now - releasedAt < holdDown { return .holdingDown }
        return .failingBack
    }
}
