/// The operator overrides in force, one per region, per circuit target and for the
/// degradation level, and what they make of the rules' decisions.
///
/// The rule engine never sees them (its state stays what the rules decided, so an expiring
/// override hands back to exactly that); the gateway layers them on top when it reads the
/// weights, a circuit's verdict or the level. The one exception is `heldClosed`, which the
/// engine honours by not tripping those circuits.
public struct OperatorOverrides: Sendable, Equatable, Codable {
    /// Drains and pinned weights, by region name.
    public private(set) var regions: [String: OperatorOverride] = [:]
    /// Circuits held open or closed, by `CircuitTarget.description`.
    public private(set) var circuits: [String: OperatorOverride] = [:]
    public private(set) var degradation: OperatorOverride?

    public init() {}

    public var isEmpty: Bool { regions.isEmpty && circuits.isEmpty && degradation == nil }

    /// Every override, regions first, then circuits, then the degradation level.
    public var all: [OperatorOverride] {
        regions.keys.sorted().compactMap { regions[$0] } + circuits.keys.sorted().compactMap { circuits[$0] }
            + (degradation.map { [$0] } ?? [])
    }

    public mutating func setRegion(_ name: String, _ override: OperatorOverride) { regions[name] = override }

    @discardableResult
    public mutating func clearRegion(_ name: String) -> OperatorOverride? { regions.removeValue(forKey: name) }

    public mutating func setCircuit(_ target: CircuitTarget, _ override: OperatorOverride) {
        circuits[target.description] = override
    }

    @discardableResult
    public mutating func clearCircuit(_ target: CircuitTarget) -> OperatorOverride? {
        circuits.removeValue(forKey: target.description)
    }

    public mutating func setDegradation(_ override: OperatorOverride?) { degradation = override }

    /// Removes the overrides whose time is up and returns them (for the audit entries).
    public mutating func removeExpired(at wall: Double) -> [OperatorOverride] {
        var expired: [OperatorOverride] = []
        for (name, override) in regions where override.isExpired(at: wall) {
            regions[name] = nil
            expired.append(override)
        }
        for (key, override) in circuits where override.isExpired(at: wall) {
            circuits[key] = nil
            expired.append(override)
        }
        if let degradation, degradation.isExpired(at: wall) {
            self.degradation = nil
            expired.append(degradation)
        }
        return expired.sorted { ($0.setAt, $0.target) < ($1.setAt, $1.target) }
    }

    // MARK: What they make of the rules' decisions

    /// Regions that get no traffic: drained ones, and those whose own circuit is held open.
    public var drainedRegions: Set<String> {
        var names = Set(regions.filter { $0.value.action == .drain }.keys)
        for (key, override) in circuits where override.action == .circuitOpen {
            if let target = CircuitTarget(parsing: key), let region = target.region, target.model == nil { names.insert(region) }
        }
        return names
    }

    /// Circuits the rules may not trip.
    public var heldClosed: Set<CircuitTarget> {
        Set(circuits.filter { $0.value.action == .circuitClose }.keys.compactMap { CircuitTarget(parsing: $0) })
    }

    /// The circuit held open that a request to `region` for `model` passes through, if any.
    public func heldOpen(region: String, model: String?) -> (target: CircuitTarget, override: OperatorOverride)? {
        for key in circuits.keys.sorted() {
            guard let override = circuits[key], override.action == .circuitOpen, let target = CircuitTarget(parsing: key),
                target.covers(region: region, model: model)
            else { continue }
            return (target, override)
        }
        return nil
    }

    /// The degradation level in force: the operator's when set, else the rules'.
    public func degradationLevel(rules level: Int) -> Int { degradation?.value ?? level }

    /// The share of each region's weight the rules shift away, not counting shifts held only by
    /// circuits an operator holds closed. Regions with nothing shifted are absent.
    public func ruleRemoved(rules: RuleEngineState) -> [String: Double] {
        let closed = heldClosed
        var removed: [String: Double] = [:]
        for (region, entry) in rules.routing.entries where entry.removed > 0 {
            let onlyClosedCircuits =
                !entry.owners.isEmpty
                && entry.owners.allSatisfy { owner in
                    if case .circuit(let target) = owner { return closed.contains(target) }
                    return false
                }
            if !onlyClosedCircuits { removed[region] = entry.removed }
        }
        return removed
    }

    /// The route weights in force. Without region or circuit overrides these are the rules'
    /// own; otherwise drained regions give all their weight away, shifts held only by circuits
    /// the operator closed are undone, a region other instances shift further away (`peers`,
    /// shared mode) is shifted as far here, and pinned weights replace what the rules computed.
    public func weights(
        rules: RuleEngineState, regions configured: [RuleRegion], totalRate: Double?,
        peers: [String: Double] = [:]
    ) -> [String: Int] {
        let peersMatter = peers.contains { $0.value > rules.routing.removed($0.key) }
        guard !regions.isEmpty || peersMatter || circuits.contains(where: { $0.value.action != .degrade }) else { return rules.weights }
        guard !configured.isEmpty else { return rules.weights }
        let drained = drainedRegions
        var removed = ruleRemoved(rules: rules)
        for region in configured {
            if drained.contains(region.name) { removed[region.name] = 1 }
            if let peer = peers[region.name], peer > removed[region.name] ?? 0 { removed[region.name] = peer }
        }
        var weights = WeightDistribution.compute(regions: configured, removed: removed, totalRate: totalRate)
        for (name, override) in regions where override.action == .weight {
            if weights[name] != nil { weights[name] = max(0, override.value ?? 0) }
        }
        return weights
    }
}
