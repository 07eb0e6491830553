/// `action: { route: drain, target: { region: X }, step: 50% }`: move `step` of the region's
/// weight to the others at each evaluation while the rule fires, down to nothing; fail back
/// by `failback` (or the `routing:` defaults) once it has resolved.
public struct RouteAction: Sendable, Equatable {
    /// A region name or `$region`.
    public var region: String
    public var step: Double
    /// Nil: the rule set's `routing:` failback settings.
    public var failback: FailbackPolicy?

    public init(region: String, step: Double = 1, failback: FailbackPolicy? = nil) {
        self.region = region
        self.step = step
        self.failback = failback
    }

    public func resolveRegion(_ labels: SeriesLabels) -> String? {
        region == "$region" ? labels.region : region
    }
}
