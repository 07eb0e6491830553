/// Told of what this instance's rules (and operators' circuit and canary commands) decide, so it can
/// publish it to the other instances. Never told of decisions taken from them
/// (`RuleController.adopt`), so nothing echoes.
package protocol RuleDecisionsObserver: Sendable {
    /// A circuit opened or closed here; `wall` is when.
    func circuitDecided(_ decision: SharedCircuitDecision, at wall: Double)
    /// This instance's own degradation level or route shifts may have changed.
    func ownDecisionsChanged(_ decisions: InstanceDecisions)
    /// A canary started, moved on or stopped here (by time, a rule or an operator).
    func canaryChanged(_ state: CanaryState, at wall: Double)
}
