public import BallastCore

/// Everything the rules decided and remember: alert states, circuits, the degradation level,
/// the route weights. A value: the gateway keeps the current one (behind a lock), hands it to
/// `RuleEngine.evaluate` and stores what comes back; it reads it per request through the
/// helpers below. It survives reloads (`RuleEngine.reload`).
public struct RuleEngineState: Sendable, Equatable {
    /// When each group was last evaluated.
    public internal(set) var lastEvaluation: [String: MonotonicInstant] = [:]
    /// Pending and firing instances per rule; inactive ones are absent.
    public internal(set) var alerts: [RuleKey: [SeriesLabels: AlertState]] = [:]
    /// Circuits that are open, half-open, settling or remembering trips; absent means closed.
    public internal(set) var circuits: [CircuitTarget: CircuitBreaker] = [:]
    public internal(set) var degradation = DegradationLadder()
    public internal(set) var routing = RegionalSwitcher()
    /// The regions `routing.weights` were computed for.
    var routedRegions: [RuleRegion] = []
    /// When a trip or drain was last refused by the panic threshold, per `circuit:<target>` or
    /// `route:<region>`: a refusal is audited once per episode, not at every evaluation.
    var refusals: [String: MonotonicInstant] = [:]
    /// When each region was last seen short of capacity by an evaluation step (the pacer's
    /// word, or failing most attempts while serving): see `EvaluationStep.othersShort`.
    var lastShort: [String: MonotonicInstant] = [:]
    /// Circuits an operator holds closed: the rules do not trip them.
    public var heldClosed: Set<CircuitTarget> = []
    /// Each rule's values at its last evaluation (`error_ratio{...}[30s]=0.62, ...`), for
    /// operators asking why a rule fires or not.
    public internal(set) var lastValues: [RuleKey: String] = [:]

    public init() {}

    // MARK: Reading

    /// Firing rule instances, sorted.
    public var firing: [RuleInstance] { instances(in: .firing) }

    /// Pending rule instances, sorted.
    public var pending: [RuleInstance] { instances(in: .pending) }

    public func alert(_ instance: RuleInstance) -> AlertState? {
        alerts[instance.key]?[instance.labels]
    }

    /// The current degradation level (0: none).
    public var degradationLevel: Int { degradation.level }

    /// The route weights per region; they add up to the configured total.
    public var weights: [String: Int] { routing.weights }

    public func circuitState(_ target: CircuitTarget) -> CircuitState {
        circuits[target]?.state ?? .closed
    }

    /// The earliest moment an open circuit goes half-open. The rule loop wakes then rather
    /// than at its next tick, so a recovered region's probes start on time.
    public var nextCircuitDeadline: MonotonicInstant? {
        circuits.values.compactMap { breaker -> MonotonicInstant? in
            if case .open(let until) = breaker.phase { return until }
            return nil
        }.min()
    }

    /// What the circuits say about a request to `region` for `model` at `now`.
    public func circuitStatus(region: String, model: String?, at now: MonotonicInstant) -> CircuitStatus {
        var status = CircuitStatus.closed
        for (target, breaker) in circuits where target.covers(region: region, model: model) {
            switch breaker.phase {
            case .closed:
                continue
            case .open:
                let retryAfter = breaker.retryAfter(at: now).seconds
                if case .open(_, let current, _) = status, current >= retryAfter { continue }
                status = .open(target: target, retryAfter: retryAfter, mode: breaker.mode)
            case .halfOpen:
                if case .open = status { continue }
                if breaker.probePermits == 0 {
                    status = .open(target: target, retryAfter: 1, mode: breaker.mode)
                } else if case .halfOpen(_, let permits) = status, permits <= breaker.probePermits {
                    continue
                } else {
                    status = .halfOpen(target: target, permits: breaker.probePermits)
                }
            }
        }
        return status
    }

    /// Takes a probe permit from every half-open circuit the request passes through; false
    /// (and nothing taken) when one has none left.
    public mutating func acquireProbe(region: String, model: String?) -> Bool {
        let halfOpen = circuits.filter { $0.key.covers(region: region, model: model) && $0.value.state == .halfOpen }
        guard halfOpen.allSatisfy({ $0.value.probePermits > 0 }) else { return false }
        for target in halfOpen.keys { _ = circuits[target]?.acquireProbe() }
        return !halfOpen.isEmpty
    }

    // MARK: Other instances' decisions (shared mode)

    /// Another instance opened `target` until `until` (on this instance's clock): the circuit
    /// opens here too, for the same time, and from then on goes half-open and probes by its
    /// own clock and traffic. Its region's weight is shifted away at the next evaluation, as
    /// for a trip of its own. Not while an operator holds the circuit closed, nor when opening
    /// it here would break this instance's panic threshold (`ruleSet`; its other regions may
    /// be open by its own rules).
    public mutating func adoptOpenCircuit(
        _ target: CircuitTarget, until: MonotonicInstant, trips: Int, policy: CircuitPolicy,
        mode: CircuitMode, settle: Duration, owner: RuleKey?, ruleSet: RuleSet,
        at now: MonotonicInstant
    ) -> CircuitTransition? {
        guard !heldClosed.contains(target) else { return nil }
        if circuitState(target) == .closed, panicRefusal(opening: target, mode: mode, ruleSet: ruleSet) != nil { return nil }
        var breaker = circuits[target] ?? CircuitBreaker(target: target, policy: policy, mode: mode, now: now)
        breaker.policy = policy
        breaker.mode = mode
        guard let transition = breaker.adoptOpen(until: until, trips: trips, settle: settle, owner: owner, at: now) else { return nil }
        circuits[target] = breaker
        return transition
    }

    /// Another instance closed `target` (its probes passed, or an operator closed or reset it):
    /// closed here too, settling as after a close of its own.
    public mutating func adoptClosedCircuit(_ target: CircuitTarget, at now: MonotonicInstant) -> CircuitTransition? {
        guard var breaker = circuits[target], let transition = breaker.adoptClosed(at: now) else { return nil }
        circuits[target] = breaker
        return transition
    }

    // MARK: Operator actions

    /// Forgets `target`'s circuit (closed, no trips remembered) and gives back at once the
    /// weight it had shifted away, when nothing else holds that region. Returns the regions
    /// whose weight changed.
    @discardableResult
    public mutating func resetCircuit(_ target: CircuitTarget, at now: MonotonicInstant) -> [String] {
        circuits[target] = nil
        var restored: [String] = []
        for (region, entry) in routing.entries where entry.owners.contains(.circuit(target)) {
            routing.release(region, owner: .circuit(target), at: now)
            if routing.entries[region]?.owners.isEmpty == true {
                routing.restore(region, at: now)
                restored.append(region)
            }
        }
        if !restored.isEmpty { recomputeWeights() }
        return restored.sorted()
    }

    /// Ends `region`'s hold-down or gradual failback at once, when no rule or circuit holds it
    /// away any more. Returns false when something still does.
    @discardableResult
    public mutating func restoreRegion(_ region: String, at now: MonotonicInstant) -> Bool {
        guard let entry = routing.entries[region] else { return true }
        guard entry.owners.isEmpty else { return false }
        routing.restore(region, at: now)
        recomputeWeights()
        return true
    }

    /// Who keeps `region`'s weight shifted away now (empty when nothing does).
    public func shiftOwners(_ region: String) -> [ShiftOwner] {
        (routing.entries[region]?.owners ?? []).sorted { $0.description < $1.description }
    }

    private mutating func recomputeWeights() {
        guard !routedRegions.isEmpty else { return }
        let removed = routing.entries.mapValues(\.removed)
        routing.setWeights(WeightDistribution.compute(regions: routedRegions, removed: removed, totalRate: nil))
    }

    private func instances(in phase: AlertState.Phase) -> [RuleInstance] {
        var result: [RuleInstance] = []
        for (key, instances) in alerts {
            for (labels, state) in instances where state.phase == phase { result.append(RuleInstance(key: key, labels: labels)) }
        }
        return result.sorted()
    }
}
