/// Why an upstream attempt's tokens bought nothing the client received: the hedge that
/// lost its race, an attempt whose answer was discarded and retried, or a stream cancelled
/// because the client left.
public enum OverheadReason: String, Sendable, Equatable, CaseIterable {
    case hedge
    case retry
    case cancelled
}
