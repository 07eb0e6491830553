public import BallastConfig

/// A named list of rules evaluated together every `interval`, in order.
public struct RuleGroup: Sendable {
    public var name: String
    /// Seconds between evaluations.
    public var interval: Double
    public var rules: [Rule]
    public var file: String
    public var location: SourceLocation
}
