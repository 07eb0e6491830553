/// The three states of a circuit, as shown in audit entries, metrics and rule tests.
public enum CircuitState: String, Sendable, Equatable, CaseIterable {
    case closed
    case open
    case halfOpen = "half_open"
}
