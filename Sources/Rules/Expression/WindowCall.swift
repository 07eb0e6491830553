/// One checked window function call of an expression.
public struct WindowCall: Sendable {
    /// Unique within a rule set: the key under which one evaluation step remembers the call's
    /// resolved queries.
    let id: Int
    public var function: WindowFunction
    /// The quantile of `latency_quantile` and `ttfb_quantile`; 0 for the other functions.
    public var quantile: Double
    public var regionMatchers: [LabelMatcher]
    public var modelMatchers: [LabelMatcher]
    public var classes: OutcomeClassSet
    /// `level="attempt"` or `level="request"`; nil: implied by the region scope
    /// (`SeriesLevel.implied`).
    public var level: SeriesLevel?
    /// `canary="new"` (and `migration="..."`): the call reads one canary side's attempts.
    public var canary: CanarySelector?
    /// The window's length in seconds, not a `Duration`: the window sources apply it to wall-clock
    /// `Double` timestamps.
    public var window: Double
    public var grouping: Grouping
    /// The call as written, for reasons in the audit log.
    public var text: String
}
