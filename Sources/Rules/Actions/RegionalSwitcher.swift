public import BallastCore

/// Regional endpoint switching: which share of each region's weight is shifted to the other
/// regions, and the resulting weights.
///
/// A firing route rule (or an open region circuit) shifts weight away, step by step or all
/// at once. When nothing holds it any more the region waits a hold-down of health, then gets
/// its weight back `step` by `step`; a new shift during that time starts over with a doubled
/// hold-down. The weights are recomputed by `WeightDistribution` whenever the shifts change,
/// so they always add up to the configured total.
public struct RegionalSwitcher: Sendable, Equatable {
    public private(set) var weights: [String: Int] = [:]
    public private(set) var entries: [String: RouteEntry] = [:]

    public init() {}

    /// The share of `region`'s weight shifted away, 0...1.
    public func removed(_ region: String) -> Double { entries[region]?.removed ?? 0 }

    public func phase(_ region: String, at now: MonotonicInstant) -> RoutePhase? { entries[region]?.phase(at: now) }

    /// `owner` shifts `step` more of `region`'s weight away. Returns true when the shift grew.
    public mutating func shift(_ region: String, by step: Double, owner: ShiftOwner, policy: FailbackPolicy, at now: MonotonicInstant) -> Bool {
        var entry = entries[region] ?? RouteEntry(removed: 0, owners: [], policy: policy, shifts: 0)
        if entry.owners.isEmpty {
            // A new episode: counted on if the region had not been fully back for long.
            entry.shifts += 1
            entry.policy = policy
            entry.releasedAt = nil
            entry.lastStepAt = nil
            entry.restoredAt = nil
            entry.releasedByCircuit = false
        }
        entry.owners.insert(owner)
        let before = entry.removed
        entry.removed = min(1, entry.removed + step)
        entries[region] = entry
        return entry.removed > before
    }

    /// `owner` no longer holds `region` away; when no one does, the hold-down starts.
    public mutating func release(_ region: String, owner: ShiftOwner, at now: MonotonicInstant) {
        guard var entry = entries[region], entry.owners.remove(owner) != nil else { return }
        if entry.owners.isEmpty {
            entry.releasedAt = now
            entry.releasedByCircuit = if case .circuit = owner { true } else { false }
            if entry.removed <= 0 { entry.restoredAt = now }
        }
        entries[region] = entry
    }

    /// Every owner for which `predicate(region, owner)` holds lets go (used on reload for rules
    /// that are gone or now drain another region).
    public mutating func releaseAll(at now: MonotonicInstant, where predicate: (String, ShiftOwner) -> Bool) {
        for (region, entry) in entries {
            for owner in entry.owners where predicate(region, owner) { release(region, owner: owner, at: now) }
        }
    }

    /// Fails back the regions whose hold-down has passed, one step per interval; forgets
    /// regions restored long ago. Returns the regions whose share changed.
    public mutating func advance(at now: MonotonicInstant) -> [String] {
        var changed: [String] = []
        for region in entries.keys.sorted() {
            guard var entry = entries[region] else { continue }
            switch entry.phase(at: now) {
            case .failingBack:
                if let last = entry.lastStepAt, now - last < entry.policy.interval - .nanoseconds(1) { continue }
                entry.removed = max(0, entry.removed - entry.policy.step)
                if entry.removed < 1e-9 {
                    entry.removed = 0
                    entry.restoredAt = now
                }
                entry.lastStepAt = now
                entries[region] = entry
                changed.append(region)
            case .restored:
                if let restoredAt = entry.restoredAt, now - restoredAt >= entry.policy.maxHoldDown { entries[region] = nil }
            case .shifted, .holdingDown:
                continue
            }
        }
        return changed
    }

    /// Gives its whole weight back at once to every region coming back after its circuit closed
    /// (its probes passed: holding down or failing back, no owner left) while a region still
    /// serving traffic (weight above 0 now) is in `shortage`. The hold-down and the steps are
    /// there to catch a relapse at a fraction of the load while the others have room; while
    /// they are short, waiting only queues and refuses requests there. A relapse is still
    /// caught: the circuit settles and opens again itself, for twice as long, so a region
    /// that keeps failing cannot flap in and out faster than its growing open times.
    ///
    /// A region drained by a rule (no probes, only the rule resolving) keeps its hold-down.
    /// Returns each region given back, with the serving regions that were short.
    public mutating func failBackAtOnce(shortage: CapacityShortage, at now: MonotonicInstant) -> [String: [String]] {
        guard !shortage.isEmpty else { return [:] }
        var restored: [String: [String]] = [:]
        for region in entries.keys.sorted() {
            guard let entry = entries[region], entry.releasedByCircuit else { continue }
            switch entry.phase(at: now) {
            case .holdingDown, .failingBack:
                let short = weights.filter { $0.key != region && $0.value > 0 && shortage.isShort($0.key) }.keys.sorted()
                guard !short.isEmpty else { continue }
                restore(region, at: now)
                restored[region] = short
            case .shifted, .restored:
                continue
            }
        }
        return restored
    }

    /// Gives `region` its whole weight back now, skipping the hold-down and the steps (an
    /// operator's restore). Only for a region no owner holds.
    mutating func restore(_ region: String, at now: MonotonicInstant) {
        guard var entry = entries[region], entry.owners.isEmpty else { return }
        entry.removed = 0
        entry.releasedAt = entry.releasedAt ?? now
        entry.restoredAt = now
        entries[region] = entry
    }

    mutating func setWeights(_ newWeights: [String: Int]) {
        weights = newWeights
    }
}
