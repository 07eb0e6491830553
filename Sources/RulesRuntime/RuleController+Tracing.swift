import BallastCore
import Rules
import Synchronization

extension RuleController {
    /// The circuit state of `region` for `model` as a trace attribute: `open` (an operator's
    /// hold included), `half_open` (an attempt sent there now is a probe) or `closed`. Takes no
    /// probe permit.
    package func circuitStateName(region: String, model: String?) -> String {
        let now = clock.now()
        return state.withLock { s in
            if !s.overrides.circuits.isEmpty, s.overrides.heldOpen(region: region, model: model) != nil { return "open" }
            switch s.engine.circuitStatus(region: region, model: model, at: now) {
            case .closed: return "closed"
            case .halfOpen: return "half_open"
            case .open: return "open"
            }
        }
    }
}
