import BallastCore
import Rules
import Telemetry
import Synchronization

/// Shared mode: what this instance's rules decide goes out to the other instances, and what
/// theirs decide comes in. Circuits are state machines with one state everywhere, so an
/// instance adopts the newest opening or closing whoever decided it; degradation and route
/// shifts are each instance's view of its own traffic, so every instance applies the most
/// cautious of its own and the live others' (`InstanceDecisions`). Operator overrides stay on
/// top of both.
extension RuleController {
    // MARK: Out

    /// Publishes the circuits `changes` opened or closed, and this instance's own level and
    /// shifts as they stand now.
    func publishDecisions(after changes: [StateChange]) {
        guard let observer = decisionsObserver else { return }
        for change in changes {
            guard case .circuit(let target) = change.subject,
                change.action == CircuitState.open.rawValue
                    || change.action == CircuitState.closed.rawValue,
                let decision = circuitDecision(target, reason: "\(change.actor): \(change.reason)")
            else { continue }
            observer.circuitDecided(decision, at: change.time)
        }
        observer.ownDecisionsChanged(ownDecisions())
    }

    /// Publishes that an operator closed or reset `target` here, so no other instance keeps it
    /// open by the rules.
    func publishClosed(_ target: CircuitTarget, reason: String) {
        guard let observer = decisionsObserver else { return }
        let decision = SharedCircuitDecision(
            target: target.description, phase: .closed, until: nil, trips: 0,
            mode: CircuitMode.reroute.rawValue, group: nil, rule: nil, instance: "", reason: reason)
        observer.circuitDecided(decision, at: clock.wallTime())
        observer.ownDecisionsChanged(ownDecisions())
    }

    /// `target`'s circuit as the engine holds it now, as a decision to publish (nil while it is
    /// half-open: every instance goes half-open by its own clock).
    func circuitDecision(_ target: CircuitTarget, reason: String) -> SharedCircuitDecision? {
        let now = clock.now()
        let wall = clock.wallTime()
        return state.withLock { s in
            let breaker = s.engine.circuits[target]
            var decision = SharedCircuitDecision(
                target: target.description, phase: .closed, until: nil, trips: breaker?.trips ?? 0,
                mode: (breaker?.mode ?? .reroute).rawValue, group: breaker?.owner?.group,
                rule: breaker?.owner?.rule, instance: "", reason: reason)
            switch breaker?.phase ?? .closed {
            case .closed: break
            case .open(let until):
                // Instances share no monotonic clock, so a decision carries the wall time the
                // circuit goes half-open: this instance's remaining open time, from its wall now.
                decision.phase = .open
                decision.until = wall + (until - now).seconds
            case .halfOpen: return nil
            }
            return decision
        }
    }

    /// What this instance's own rules decide now: its level and its shifts.
    func ownDecisions() -> InstanceDecisions {
        state.withLock { s in
            InstanceDecisions(degradation: s.engine.degradationLevel, removed: s.overrides.ruleRemoved(rules: s.engine))
        }
    }

    // MARK: In

    /// Takes another instance's circuit decision: the circuit opens (until the same moment)
    /// or closes here, is audited, and the routes follow at once. Returns whether anything
    /// changed.
    @discardableResult
    package func adopt(_ decision: SharedCircuitDecision) -> Bool {
        guard let target = CircuitTarget(parsing: decision.target) else { return false }
        let now = clock.now()
        let wall = clock.wallTime()
        let transition = state.withLock { s -> CircuitTransition? in
            let transition: CircuitTransition?
            switch decision.phase {
            case .open:
                // The other way: the wall time it carries becomes a span left from now, and so
                // an instant on this instance's own monotonic clock.
                guard let until = decision.until, until > wall else { return nil }
                let owner = decision.group.flatMap { group in decision.rule.map { RuleKey(group: group, rule: $0) } }
                let rule = owner.flatMap { s.ruleSet.rule($0) }
                var action: CircuitAction?
                if case .circuit(let circuit) = rule?.action { action = circuit }
                transition = s.engine.adoptOpenCircuit(
                    target, until: now + .seconds(until - wall), trips: decision.trips, policy: action?.policy ?? CircuitPolicy(),
                    mode: action?.mode ?? CircuitMode(rawValue: decision.mode) ?? .reroute,
                    settle: .seconds(rule?.expression.longestWindow ?? 0), owner: owner, ruleSet: s.ruleSet, at: now)
            case .closed:
                transition = s.engine.adoptClosedCircuit(target, at: now)
            }
            if transition != nil { s.version &+= 1 }
            return transition
        }
        guard let transition else { return false }
        audit(
            target: target.description, kind: .circuitChanged, action: transition.to.rawValue,
            reason: "\(transition.detail), as decided on instance \(decision.instance): \(decision.reason)",
            actor: "instance:\(decision.instance)")
        tick()
        return true
    }

    /// Takes the most cautious of the other live instances' own decisions; the level and
    /// weights in force follow at once.
    package func setPeerDecisions(_ peers: InstanceDecisions) {
        let changed = state.withLock { s -> Bool in
            guard s.peers != peers else { return false }
            s.peers = peers
            s.version &+= 1
            return true
        }
        if changed { applyRouting() }
    }

    /// The other instances' decisions in force here.
    package var peerDecisions: InstanceDecisions { state.withLock { $0.peers } }
}
