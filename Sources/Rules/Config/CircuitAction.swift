/// `action: { circuit: open, target: {...}, mode: ... }` with its `recover:` settings.
public struct CircuitAction: Sendable, Equatable {
    public var target: TargetTemplate
    public var mode: CircuitMode
    public var policy: CircuitPolicy

    public init(target: TargetTemplate, mode: CircuitMode = .reroute, policy: CircuitPolicy = CircuitPolicy()) {
        self.target = target
        self.mode = mode
        self.policy = policy
    }
}
