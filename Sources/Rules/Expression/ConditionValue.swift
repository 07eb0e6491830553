/// The value of a condition for one label set, with the evidence: what an operator sees when
/// asking why a rule is (not) firing.
public struct ConditionValue: Sendable, Equatable {
    public var labels: SeriesLabels
    public var truth: Truth
    /// The value of every function call, e.g. `error_ratio{...}[30s]=0.62, request_rate{...}[30s]=5.3`.
    public var evidence: String
}
