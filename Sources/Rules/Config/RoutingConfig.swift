/// The `routing:` section: failback defaults, region capacities, and the panic threshold.
public struct RoutingConfig: Sendable, Equatable {
    /// Failback for regions drained by an open circuit, and for route actions without their
    /// own `recover:`.
    public var failback: FailbackPolicy
    /// Requests per second each region can take (its rate allowance); overrides the context's.
    public var capacity: [String: Double]
    /// Window over which the current request rate is measured when weights are capped by
    /// capacity.
    public var rateWindow: Duration
    /// The panic threshold: a circuit or drain that would leave fewer regions than this
    /// available is refused (and the refusal audited). At least 1: never all circuits open.
    public var minAvailableRegions: Int
    /// `failback_when_short`: true (`immediate`, the default) gives a region whose circuit
    /// closed its whole weight back at once while the regions still serving are short of
    /// capacity (`CapacityShortage`); false (`gradual`) keeps the hold-down and steps always.
    public var failbackAtOnceWhenShort: Bool

    public init(
        failback: FailbackPolicy = FailbackPolicy(), capacity: [String: Double] = [:], rateWindow: Duration = .seconds(30),
        minAvailableRegions: Int = 1, failbackAtOnceWhenShort: Bool = true
    ) {
        self.failback = failback
        self.capacity = capacity
        self.rateWindow = rateWindow
        self.minAvailableRegions = max(1, minAvailableRegions)
        self.failbackAtOnceWhenShort = failbackAtOnceWhenShort
    }
}
