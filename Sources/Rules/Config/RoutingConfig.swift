/// The `routing:` section: failback defaults, region capacities, and the panic threshold.
public struct RoutingConfig: Sendable, Equatable {
    /// Failback for regions drained by an open circuit, and for route actions without their
    /// own `recover:`.
    public var failback: FailbackPolicy
    /// Requests per second each region can take (its rate allowance); overrides the context's.
    public var capacity: [String: Double]
    /// Window over which the current request rate is measured when weights are capped by
    /// capacity.
    public var rateWindow: Double
    /// The panic threshold: a circuit or drain that would leave fewer regions than this
    /// available is refused (and the refusal audited). At least 1: never all circuits open.
    public var minAvailableRegions: Int

    public init(failback: FailbackPolicy = FailbackPolicy(), capacity: [String: Double] = [:], rateWindow: Double = 30,
                minAvailableRegions: Int = 1) {
        self.failback = failback
        self.capacity = capacity
        self.rateWindow = rateWindow
        self.minAvailableRegions = max(1, minAvailableRegions)
    }
}
