package import BallastCore
package import Rules

/// A consistent copy of the rule controller's state at one moment, for the control API and
/// the status page to read without holding the controller's lock.
package struct RulesView: Sendable {
    package var ruleSet: RuleSet
    package var engine: RuleEngineState
    package var overrides: OperatorOverrides
    /// The other instances' own decisions (shared mode; empty when alone).
    package var peers: InstanceDecisions
    package var weights: [String: Int]
    package var lastReloadError: String?
    /// Wall-clock seconds since the Unix epoch.
    package var lastReloadAt: Double?
    /// The monotonic now the view was taken at (circuit and route times are on this clock).
    package var monotonic: MonotonicInstant
    /// Wall-clock seconds since the Unix epoch, for the overrides' expiry.
    var wall: Double

    package var degradationLevel: Int { overrides.degradationLevel(rules: rulesLevel) }

    /// The rules' level: this instance's, or the other instances' when higher.
    package var rulesLevel: Int { min(max(engine.degradationLevel, peers.degradation), ruleSet.degradation.maxLevel) }

    package func circuitState(_ target: CircuitTarget) -> CircuitState {
        RuleController.effectiveState(target, engine: engine, overrides: overrides)
    }

    /// Every circuit the rules or an operator know of, sorted.
    package var circuitTargets: [CircuitTarget] {
        Set(engine.circuits.keys).union(overrides.circuits.keys.compactMap { CircuitTarget(parsing: $0) }).sorted()
    }
}
