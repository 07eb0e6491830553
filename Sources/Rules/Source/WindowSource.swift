/// Where the rule engine reads telemetry: the gateway adapts its telemetry store to it, rule
/// tests and unit tests use `InMemoryWindowSource`.
///
/// The engine calls `window` at most once per distinct query per evaluation step and never
/// from two threads at once for one step; an implementation may still be called from the
/// engine's thread while the proxy writes, so it must be `Sendable`.
public protocol WindowSource: Sendable {
    /// The counts of the requests (or, for `query.level == .attempt`, the upstream attempts)
    /// matching `query` in `(wallTime - query.window, wallTime]`, `wallTime` being seconds since
    /// the Unix epoch: the time telemetry records carry, so windows are on the wall clock (the
    /// engine's circuits and hold-downs are not: see `EvaluationStep.advanceCircuits`).
    func window(_ query: WindowQuery, wallTime: Double) -> WindowResult

    /// The values of `label` the telemetry has seen recently (bounded, as metric labels are):
    /// what `by (model)` iterates over and regular expressions are matched against. Only
    /// `region` and `model` are asked for.
    func labelValues(_ label: SeriesLabel) -> [String]
}
