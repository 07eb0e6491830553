import Rules

/// A consistent copy of the rule controller's state at one moment, for the control API and
/// the status page to read without holding the controller's lock.
struct RulesView: Sendable {
    var ruleSet: RuleSet
    var engine: RuleEngineState
    var overrides: OperatorOverrides
    /// The other instances' own decisions (shared mode; empty when alone).
    var peers: InstanceDecisions
    var weights: [String: Int]
    var lastReloadError: String?
    var lastReloadAt: Double?
    /// Monotonic seconds (circuit and route times are on this clock).
    var monotonic: Double
    var wall: Double

    var degradationLevel: Int { overrides.degradationLevel(rules: rulesLevel) }

    /// The rules' level: this instance's, or the other instances' when higher.
    var rulesLevel: Int { min(max(engine.degradationLevel, peers.degradation), ruleSet.degradation.maxLevel) }

    func circuitState(_ target: CircuitTarget) -> CircuitState {
        RuleController.effectiveState(target, engine: engine, overrides: overrides)
    }

    /// Every circuit the rules or an operator know of, sorted.
    var circuitTargets: [CircuitTarget] {
        Set(engine.circuits.keys).union(overrides.circuits.keys.compactMap { CircuitTarget(parsing: $0) }).sorted()
    }
}
