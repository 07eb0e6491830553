/// What the circuits say about one request (a region and model), the most restrictive first.
public enum CircuitStatus: Sendable, Equatable {
    case closed
    /// Probe permits are available on a half-open circuit: the request may go as a probe
    /// (take a permit with `RuleEngineState.acquireProbe`), else it is treated as open.
    case halfOpen(target: CircuitTarget, permits: Int)
    case open(target: CircuitTarget, retryAfter: Double, mode: CircuitMode)
}
