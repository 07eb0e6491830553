/// Where a shifted region is on its way back.
public enum RoutePhase: String, Sendable, Equatable {
    /// A rule or circuit holds the weight away.
    case shifted
    /// Nothing holds it any more; waiting for the hold-down to pass.
    case holdingDown = "holding_down"
    /// Getting weight back in steps.
    case failingBack = "failing_back"
    /// All weight is back (remembered for a while, so that a new shift holds down longer).
    case restored
}
