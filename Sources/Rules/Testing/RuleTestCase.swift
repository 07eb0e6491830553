import BallastConfig

/// One named test: input series and expectations over time.
public struct RuleTestCase: Sendable {
    public var name: String
    public var series: [RuleTestSeries]
    public var expectations: [RuleTestExpectation]
    public var location: SourceLocation
}
