public import BallastConfig

/// What a rule test expects at one time. Only what is written is checked.
public struct RuleTestExpectation: Sendable {
    /// Seconds since the first sample.
    public var at: Double
    /// Exactly these instances fire (`name` or `name{model="..."}`).
    public var firing: [String]?
    public var pending: [String]?
    public var circuits: [(target: CircuitTarget, state: CircuitState)]
    public var degradation: Int?
    public var weights: [String: Int]?
    /// Route phase per region (`shifted`, `holding_down`, `failing_back`, `restored`, `normal`).
    public var routes: [String: String]
    /// Exactly these changes (`kind target action`) happened since the previous expectation.
    public var events: [String]?
    public var location: SourceLocation
}
