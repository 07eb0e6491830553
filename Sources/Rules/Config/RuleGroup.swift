public import BallastConfig

/// A named list of rules evaluated together every `interval`, in order.
public struct RuleGroup: Sendable {
    public var name: String
    /// Time between evaluations.
    public var interval: Duration
    public var rules: [Rule]
    public var file: String
    public var location: SourceLocation
}
