package import Rules

/// Told of every change the operator's overrides go through on this instance (a write or an
/// expiry), so it can publish them to the other instances. Never told of changes taken from
/// them (`RuleController.mergeSharedOverrides`), so nothing echoes.
package protocol OverridesObserver: Sendable {
    func overridesChanged(from old: OperatorOverrides, to new: OperatorOverrides)
    /// The time to stamp a new override with: `wall`, or just after the newest override this
    /// instance has seen when its clock is behind (so an override set after seeing another
    /// one wins over it whatever the clocks say).
    func stamp(_ wall: Double) -> Double
}
