public import BallastConfig

/// What rule files are checked against: the configured regions (so that a misspelt region is
/// an error, not a rule that never fires) and how far back telemetry goes.
public struct RuleContext: Sendable, Equatable {
    /// The configured regions; empty when unknown (`ballast rules check` without `--config`),
    /// in which case region names are not checked.
    public var regions: [RuleRegion]
    /// The longest window a rule may ask for, in seconds: the telemetry's retention.
    public var maxWindow: Double

    public init(regions: [RuleRegion] = [], maxWindow: Double = 3600) {
        self.regions = regions
        self.maxWindow = maxWindow
    }

    /// The regions of a gateway configuration.
    public init(config: GatewayConfig, maxWindow: Double = 3600) {
        self.init(regions: config.upstream.regions.map { RuleRegion(name: $0.name, weight: $0.weight, limitGroup: $0.limitGroup) }, maxWindow: maxWindow)
    }

    var regionNames: [String] { regions.map(\.name) }
}
