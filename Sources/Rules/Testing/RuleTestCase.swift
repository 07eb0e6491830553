public import BallastConfig

/// One named test: input series and expectations over time.
public struct RuleTestCase: Sendable {
    public var name: String
    public var series: [RuleTestSeries]
    public var expectations: [RuleTestExpectation]
    /// `capacity_short`: when the serving regions are short of capacity (none when absent).
    public var capacity: RuleTestCapacity = RuleTestCapacity()
    public var location: SourceLocation
}
