public import BallastCore

/// What the request path asks of the circuits, as functions of the engine's state and the
/// time: the rule controller answers every request with them (under its lock, operator holds
/// first), and the capacity simulation answers its requests with the same functions on its
/// manual clock.
extension RuleEngineState {
    /// What the circuits say about one more request to `region` for `model` at `now`, taking a
    /// probe permit when the circuit is half-open: `.closed` (go), `.halfOpen` (go as a probe;
    /// the permit is taken), or `.open` (including a half-open circuit with no permit left,
    /// which fails fast for a second).
    public mutating func admit(region: String, model: String?, at now: MonotonicInstant) -> CircuitStatus {
        let status = circuitStatus(region: region, model: model, at: now)
        guard case .halfOpen(let target, let permits) = status else { return status }
        guard acquireProbe(region: region, model: model) else { return .open(target: target, retryAfter: 1, mode: .failFast) }
        return .halfOpen(target: target, permits: permits - 1)
    }

    /// True when a request to `region` for `model` would be refused by an open circuit; unlike
    /// `admit`, takes no probe permit.
    public func isOpen(region: String, model: String?, at now: MonotonicInstant) -> Bool {
        if case .open = circuitStatus(region: region, model: model, at: now) { return true }
        return false
    }

    /// The first of `regions` whose circuit for `model` is half-open with probe permits left.
    /// Such a region usually has weight 0 (its traffic was shifted away when the circuit
    /// opened), so the router would never pick it; the request path sends it probes on purpose.
    public func probeRegion(model: String?, among regions: [String], at now: MonotonicInstant) -> String? {
        regions.first { region in
            if case .halfOpen = circuitStatus(region: region, model: model, at: now) { return true }
            return false
        }
    }
}

extension StateChange {
    /// The region whose own circuit (any model) this change opened, if it did: the calls
    /// waiting there for a first byte are told, so they can move before their deadline.
    public var openedRegion: String? {
        guard case .circuit(let target) = subject, target.model == nil, action == CircuitState.open.rawValue else { return nil }
        return target.region
    }

    /// The region whose own circuit (any model) this change closed, if it did: the calls
    /// waiting for their paced slot in another region are told, so that those waiting longest
    /// take its allowance.
    public var closedRegion: String? {
        guard case .circuit(let target) = subject, target.model == nil, action == CircuitState.closed.rawValue else { return nil }
        return target.region
    }
}
