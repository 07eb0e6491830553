public import BallastCore

/// A rule instance that is pending (its condition holds, not yet for `for:`) or firing.
/// Inactive instances have no state.
public struct AlertState: Sendable, Equatable {
    public enum Phase: String, Sendable, Equatable {
        case pending, firing
    }

    public var phase: Phase
    /// When the condition started to hold.
    public var activeSince: MonotonicInstant
    /// When it started firing.
    public var firingSince: MonotonicInstant?

    public init(phase: Phase, activeSince: MonotonicInstant, firingSince: MonotonicInstant? = nil) {
        self.phase = phase
        self.activeSince = activeSince
        self.firingSince = firingSince
    }
}
