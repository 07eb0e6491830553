public import BallastCore

/// The degradation level: the highest level any rule instance demands. A firing rule raises
/// the level at once; after it resolves, its demand steps down one level per its
/// `recover.after`, so the level falls slowly and only when nothing holds it up (hysteresis:
/// a rule that flickers cannot make the level flap).
public struct DegradationLadder: Sendable, Equatable {
    public private(set) var level = 0
    /// The rule instance whose demand sets the level (nil at level 0).
    public private(set) var holder: RuleInstance?
    public private(set) var demands: [RuleInstance: DegradationDemand] = [:]

    public init() {}

    /// `instance` fires and wants at least `level`.
    public mutating func demand(_ instance: RuleInstance, level: Int, after: Duration) {
        demands[instance] = DegradationDemand(level: level, after: after)
    }

    /// Every demand whose instance matches `predicate` starts stepping down (used on reload
    /// for rules that are gone or no longer degrade).
    public mutating func releaseAll(at now: MonotonicInstant, where predicate: (RuleInstance) -> Bool) {
        for instance in demands.keys where predicate(instance) { release(instance, at: now) }
    }

    /// `instance` resolved at `now`; its demand starts stepping down.
    public mutating func release(_ instance: RuleInstance, at now: MonotonicInstant) {
        guard var demand = demands[instance], demand.releasedAt == nil else { return }
        demand.releasedAt = now
        demands[instance] = demand
    }

    /// Recomputes the level; when it changed, returns the old level and the instance that held
    /// it before (the new holder is `holder`).
    public mutating func advance(at now: MonotonicInstant, maxLevel: Int) -> (from: Int, previousHolder: RuleInstance?)? {
        var highest = 0
        var holder: RuleInstance?
        for (instance, demand) in demands.sorted(by: { $0.key < $1.key }) {
            let effective = demand.effectiveLevel(at: now)
            if effective == 0 {
                demands[instance] = nil
                continue
            }
            if effective > highest {
                highest = effective
                holder = instance
            }
        }
        let newLevel = min(highest, maxLevel)
        let previous = self.holder
        self.holder = holder
        guard newLevel != level else { return nil }
        let old = level
        level = newLevel
        return (old, previous)
    }
}
