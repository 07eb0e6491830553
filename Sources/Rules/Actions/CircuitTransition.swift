/// A change of a circuit's state, with what the audit entry says about it.
public struct CircuitTransition: Sendable, Equatable {
    public var from: CircuitState
    public var to: CircuitState
    /// Why, in the circuit's own terms: "probes: 0 of 5 failed", "open for 20s (trip 2)".
    public var detail: String

    public init(from: CircuitState, to: CircuitState, detail: String) {
        self.from = from
        self.to = to
        self.detail = detail
    }
}
