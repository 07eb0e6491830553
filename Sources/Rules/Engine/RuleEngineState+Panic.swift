/// The panic threshold: what the rules may not open, whether the circuit's trip is this
/// instance's own or taken from another instance (shared mode).
extension RuleEngineState {
    /// Why opening `target` would break the panic threshold, or nil when it may open.
    func panicRefusal(opening target: CircuitTarget, mode: CircuitMode, ruleSet: RuleSet) -> String? {
        let regions = ruleSet.regions.map(\.name)
        let minimum = ruleSet.routing.minAvailableRegions
        if let region = target.region, !regions.isEmpty {
            let others = regions.filter { $0 != region && isAvailable($0) }
            if let model = target.model {
                let serving = others.filter { circuitState(CircuitTarget(region: $0, model: model)) == .closed }
                if serving.isEmpty {
                    return "panic threshold: no other region would serve \(model)"
                }
            } else if others.count < minimum {
                return "panic threshold: opening would leave \(others.count) of \(regions.count) regions available (at least \(minimum) must stay)"
            }
        }
        if target.region == nil, let model = target.model, mode == .fallback {
            let fallback = ruleSet.degradation.fallback.fallback(for: model) { candidate in
                circuitState(CircuitTarget(model: candidate)) == .closed
            }
            if fallback == nil { return "no fallback model is available for \(model) (see degradation.fallback)" }
        }
        return nil
    }

    /// A region can take traffic: its circuit is closed and it is not fully drained.
    func isAvailable(_ region: String) -> Bool {
        circuitState(CircuitTarget(region: region)) == .closed && routing.removed(region) < 1
    }
}
